/**
 * Pinned secret versions (issue 14 item 7, k8s-review 19; docs/secrets.md): every replica of a
 * service reads the same version of a secret at any time.
 *
 * A secret's SHAPE is in brume.yaml (`secrets.<name>.mount`: `current`, or `current-and-previous`
 * for signing keys); the VERSION a stack mounts is stack state, in `Pulumi.<env>.yaml` under
 * `brume:secretVersions` (each environment is its own GCP project, so its version numbers are its
 * own — like `brume:release`, never in brume.yaml):
 *
 *     brume:secretVersions:
 *       jwt-signing-key: 4
 *
 * A pinned secret is mounted as `versions/<n>` through a SecretProviderClass named after the pins,
 * and the pod template carries `brume.dev/secret-versions`: changing a pin rolls the Deployment, so
 * replicas move by the rollout, never by the add-on's rotation. An unpinned secret keeps
 * `versions/latest` and rotation (the add-on re-reads it every 2 minutes: replicas converge, but
 * for a while they disagree); production warns when a service running several replicas mounts one.
 */
import { z } from "zod";
import { ConfigError, type ConfigIssue } from "./errors.js";
import { isPlainObject, type PlainObject } from "./merge.js";
import { dnsLabel, suggestKey } from "./primitives.js";
import type { BrumeConfig } from "./schema.js";

/** Stack config key of the pinned versions (namespace `brume`). */
export const secretVersionsKey = "brume:secretVersions";

/** How a secret is mounted (`secrets.<name>.mount`). */
export const secretMounts = ["current", "current-and-previous"] as const;
export type SecretMount = (typeof secretMounts)[number];

/** `brume:secretVersions`: secret name → pinned version (Secret Manager numbers versions from 1). */
export const secretVersionsSchema = z
  .record(dnsLabel, z.int().min(1))
  .meta({ description: "Pinned version per secret of this stack (`brume:secretVersions` in Pulumi.<env>.yaml)." });
export type SecretVersions = z.infer<typeof secretVersionsSchema>;

/** The command that pins one secret's version: what every message about a pin says. */
export function pinSecretCommand(name: string, version: number | string = "<n>", stack?: string): string {
  return `pulumi config set --path '${secretVersionsKey}.${name}' ${version}${stack ? ` --stack ${stack}` : ""}`;
}

/**
 * Parses `brume:secretVersions` against the secrets `raw` (brume.yaml with its overrides) declares;
 * a version written in brume.yaml itself is refused (it would pin every environment to one number).
 */
export function parseSecretVersions(value: unknown, raw: unknown, fileRaw: unknown, source?: string): SecretVersions {
  const issues: ConfigIssue[] = [];
  const declared = isPlainObject(raw) && isPlainObject(raw.secrets) ? (raw.secrets as PlainObject) : {};
  const inFile = isPlainObject(fileRaw) && isPlainObject(fileRaw.secrets) ? (fileRaw.secrets as PlainObject) : {};
  for (const [name, secret] of Object.entries(inFile)) {
    if (isPlainObject(secret) && secret.version !== undefined) {
      issues.push({
        path: `secrets.${name}.version`,
        message: `a secret's version differs per environment: pin it in Pulumi.<env>.yaml (${pinSecretCommand(name, String(secret.version))}) and remove it from brume.yaml`,
        value: secret.version,
      });
    }
  }
  let versions: SecretVersions = {};
  if (value !== undefined && value !== null) {
    const parsed = secretVersionsSchema.safeParse(value);
    if (!parsed.success) {
      issues.push({ path: secretVersionsKey, message: `expected secret name → version number (an integer ≥ 1), set with ${pinSecretCommand("<name>")}`, value });
    } else {
      versions = parsed.data;
      for (const name of Object.keys(versions)) {
        if (Object.hasOwn(declared, name)) continue;
        const hint = suggestKey(name, Object.keys(declared));
        issues.push({
          path: `${secretVersionsKey}.${name}`,
          message: `no secret "${name}" is declared${hint ? ` (did you mean "${hint}"?)` : ""}; declared secrets: ${Object.keys(declared).join(", ") || "none"}`,
        });
      }
    }
  }
  if (issues.length) throw new ConfigError(issues, source);
  return versions;
}

/** brume.yaml (merged) with each pinned secret's `version` set. Pure. */
export function applySecretVersions(raw: unknown, versions: SecretVersions): unknown {
  if (!isPlainObject(raw) || !isPlainObject(raw.secrets) || Object.keys(versions).length === 0) return raw;
  const secrets: PlainObject = { ...(raw.secrets as PlainObject) };
  for (const [name, version] of Object.entries(versions)) {
    const entry = secrets[name];
    secrets[name] = { ...(isPlainObject(entry) ? entry : {}), version };
  }
  return { ...raw, secrets };
}

/** The version files a secret mounts: `current` (and `previous`), each a version number or `latest`. */
export function mountedVersions(secret: { version?: number | undefined; mount: SecretMount }): { current: number | "latest"; previous?: number } {
  if (secret.version === undefined) return { current: "latest" };
  // Version 1 has no predecessor: the previous file holds version 1 too until the first rotation.
  return secret.mount === "current-and-previous" ? { current: secret.version, previous: Math.max(1, secret.version - 1) } : { current: secret.version };
}

/**
 * What a stack should know about its unpinned secrets, one line each (`brume plan` prints them):
 * a `current-and-previous` secret without a pin mounts only the latest version (there is no
 * "previous" of latest), and in production a service that may run several replicas and mounts an
 * unpinned secret lets its replicas disagree between a new version and the add-on's next rotation.
 */
export function secretPinWarnings(config: BrumeConfig, env: { name: string; preset: string }): string[] {
  const out: string[] = [];
  for (const [name, secret] of Object.entries(config.secrets).sort(([a], [b]) => a.localeCompare(b))) {
    if (secret.version !== undefined) continue;
    if (secret.mount === "current-and-previous") {
      out.push(
        `secret "${name}" mounts current-and-previous, but stack ${env.name} pins no version: only its latest version is mounted and ${"<VAR>_PREVIOUS_FILE"} is absent; ` +
          `pin it: ${pinSecretCommand(name, "<n>", env.name)}`,
      );
      continue;
    }
    if (env.preset !== "production") continue;
    const mountedBy = Object.entries(config.services)
      .filter(([, svc]) => svc.runner === "kubernetes" && svc.scaling.max > 1 && Object.values(svc.secrets).includes(name))
      .map(([svc]) => svc)
      .sort();
    if (mountedBy.length === 0) continue;
    out.push(
      `secret "${name}" is mounted as its latest version by ${mountedBy.join(", ")} (several replicas): a new version reaches each pod at the add-on's next rotation, ` +
        `so replicas disagree for up to 2 minutes; pin it so a new version rolls out instead: ${pinSecretCommand(name, "<n>", env.name)}`,
    );
  }
  return out;
}
