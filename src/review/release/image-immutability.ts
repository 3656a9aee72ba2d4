/**
 * A version's image is immutable once deployed (k8s-review 11), checked against a base plan the way
 * `brume diff` compares them: a version-named Deployment (its selector holds the version label)
 * present in both plans whose container image changed would roll the pods of a version that may be
 * serving, in place, with no preview and no rollback target. Each finding carries the fix.
 */
import type { Plan } from "../../plan/run.js";

const versionLabel = "app.kubernetes.io/version";

export interface ImageMutation {
  urn: string;
  version: string;
  from: string;
  to: string;
  message: string;
}

export function versionImageMutations(base: Plan, head: Plan): ImageMutation[] {
  const before = new Map(base.resources.filter((r) => r.type === "kubernetes:apps/v1:Deployment").map((r) => [r.urn, r]));
  const out: ImageMutation[] = [];
  for (const r of head.resources) {
    if (r.type !== "kubernetes:apps/v1:Deployment") continue;
    const old = before.get(r.urn);
    const spec = r.inputs.spec as any;
    const version = spec?.selector?.matchLabels?.[versionLabel];
    if (!old || version === undefined) continue;
    const image = (x: any) => x?.spec?.template?.spec?.containers?.[0]?.image as string | undefined;
    const from = image(old.inputs);
    const to = image(r.inputs);
    if (from === undefined || to === undefined || from === to) continue;
    out.push({
      urn: r.urn,
      version,
      from,
      to,
      message: `version ${version} (${r.name}) changes image ${from} → ${to}: an image is immutable per version; release it as a new version (brume release start <service> --image ${to} --version <new>)`,
    });
  }
  return out;
}
