/**
 * Which version of each secret a service's pods mount, and how a new version reaches them
 * (docs/secrets.md; k8s-review 19). Pure.
 *
 * - A pinned secret (`brume:secretVersions.<name>: n` in Pulumi.<env>.yaml) is mounted as
 *   `versions/n`; a signing key (`mount: current-and-previous`) also as `versions/n-1` in the file
 *   `<VAR>_PREVIOUS` (`<VAR>_PREVIOUS_FILE` points to it).
 * - The pod template carries `brume.dev/secret-versions` (`<VAR>=n,…`) and names a
 *   SecretProviderClass whose name ends with a hash of the pins: a new pin changes the template, so
 *   the Deployment rolls and every replica moves by the rollout. A new SecretProviderClass (not an
 *   edit of the old one) matters: with rotation on, the driver's rotation reconciler re-reads the
 *   SecretProviderClass a running pod was mounted with and re-mounts its current parameters
 *   (kubernetes-sigs/secrets-store-csi-driver pkg/rotation/reconciler.go; "Auto rotation of mounted
 *   contents", https://secrets-store-csi-driver.sigs.k8s.io/topics/secret-auto-rotation), so an
 *   edited class would move the old pods too, each at its own next poll. The old class stays until
 *   Pulumi deletes it after the Deployment's rollout (replace: create first, delete last).
 * - An unpinned secret stays `versions/latest`; the add-on's rotation (on, every 120 s: "Use Secret
 *   Manager add-on with GKE", https://cloud.google.com/secret-manager/docs/secret-manager-managed-csi-component#rotate-secrets)
 *   refreshes it in running pods, which disagree until each has been refreshed.
 */
import { createHash } from "node:crypto";
import type { SecretFile } from "./manifests.js";

/** Pod-template annotation listing the pinned versions a pod mounts. */
export const secretVersionsAnnotation = "brume.dev/secret-versions";

/** Environment variable of the file holding the previous version (`JWT_SIGNING_KEY` → `JWT_SIGNING_KEY_PREVIOUS`). */
export const previousFileName = (env: string) => `${env}_PREVIOUS`;

const versionOf = (v: number | undefined) => (v === undefined ? "latest" : String(v));

/** The files of the mount, in the order of `files` (a previous version right after its current): name in the volume → `projects/p/secrets/s/versions/<v>`. */
export function mountedSecretFiles(files: readonly SecretFile[]): { path: string; resourceName: string }[] {
  return files.flatMap((f) => [
    { path: f.env, resourceName: `${f.secretResource}/versions/${versionOf(f.version)}` },
    ...(f.previousVersion !== undefined ? [{ path: previousFileName(f.env), resourceName: `${f.secretResource}/versions/${f.previousVersion}` }] : []),
  ]);
}

/** `<VAR>=n` of every pinned file (the previous one included), sorted; empty when nothing is pinned. */
export function pinnedVersions(files: readonly SecretFile[]): string[] {
  return mountedSecretFiles(files)
    .filter((f) => !f.resourceName.endsWith("/versions/latest"))
    .map((f) => `${f.path}=${f.resourceName.slice(f.resourceName.lastIndexOf("/") + 1)}`)
    .sort();
}

/** The pod template's annotation of its pinned versions (absent when nothing is pinned: no roll on upgrade). */
export function secretVersionsAnnotations(files: readonly SecretFile[]): Record<string, string> {
  const pins = pinnedVersions(files);
  return pins.length ? { [secretVersionsAnnotation]: pins.join(",") } : {};
}

/**
 * The SecretProviderClass name of a set of pins: `<base>` when nothing is pinned (the name of
 * before pins existed), else `<base>-<8 hex of the pins>` — a new class per pin set (see above).
 */
export function secretProviderClassNameFor(base: string, files: readonly SecretFile[]): string {
  const pins = pinnedVersions(files);
  if (pins.length === 0) return base;
  return `${base}-${createHash("sha256").update(pins.join(",")).digest("hex").slice(0, 8)}`;
}

/** The `_FILE` variables of the mount: `<VAR>_FILE` and, for a signing key, `<VAR>_PREVIOUS_FILE`. */
export function secretFileVariables(files: readonly SecretFile[], mountPath: string): { name: string; value: string }[] {
  return mountedSecretFiles(files).map((f) => ({ name: `${f.path}_FILE`, value: `${mountPath}/${f.path}` }));
}
