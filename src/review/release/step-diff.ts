/**
 * What a release step changes: two offline plans compared by URN. A change of a field the provider
 * cannot update in place (Kubernetes name / namespace, a Deployment's selector, a GCP resource's
 * name or project, a service account id) is a replacement.
 */
import type { Plan } from "../../plan/run.js";

export interface PlanDiff {
  added: string[];
  removed: string[];
  changed: string[];
  /** Changed URNs whose change replaces the resource. */
  replaced: string[];
}

function immutable(type: string, inputs: Record<string, any>): unknown {
  const meta = { name: inputs.metadata?.name, namespace: inputs.metadata?.namespace };
  if (type === "kubernetes:apps/v1:Deployment") return { ...meta, selector: inputs.spec?.selector };
  if (type.startsWith("kubernetes:")) return meta;
  if (type === "gcp:serviceaccount/account:Account") return inputs.accountId;
  return { name: inputs.name, project: inputs.project };
}

export function diffPlans(before: Plan, after: Plan): PlanDiff {
  const a = new Map(before.resources.map((r) => [r.urn, r]));
  const b = new Map(after.resources.map((r) => [r.urn, r]));
  const diff: PlanDiff = { added: [], removed: [], changed: [], replaced: [] };
  for (const [urn, r] of b) {
    const old = a.get(urn);
    if (!old) diff.added.push(urn);
    else if (JSON.stringify(old.inputs) !== JSON.stringify(r.inputs) || JSON.stringify(old.dependencies) !== JSON.stringify(r.dependencies)) {
      diff.changed.push(urn);
      if (JSON.stringify(immutable(r.type, old.inputs)) !== JSON.stringify(immutable(r.type, r.inputs))) diff.replaced.push(urn);
    }
  }
  for (const urn of a.keys()) if (!b.has(urn)) diff.removed.push(urn);
  return diff;
}

/** Human-readable summary: one line per touched resource (`~ changed`, `+ added`, `- removed`, `± replaced`). */
export function renderDiff(diff: PlanDiff): string {
  const short = (urn: string) => {
    const parts = urn.split("::");
    return `${parts[2]!.split("$").at(-1)} ${parts.at(-1)}`;
  };
  const lines = [
    ...diff.added.map((u) => `  + ${short(u)}`),
    ...diff.changed.map((u) => `  ${diff.replaced.includes(u) ? "±" : "~"} ${short(u)}`),
    ...diff.removed.map((u) => `  - ${short(u)}`),
  ];
  const total = diff.added.length + diff.changed.length + diff.removed.length;
  return `${total} resource(s) change: ${diff.added.length} added, ${diff.changed.length} changed (${diff.replaced.length} replaced), ${diff.removed.length} removed\n${lines.join("\n")}${lines.length ? "\n" : ""}`;
}

/**
 * The `pulumi up` that applies exactly this step: one `--target` per URN the step adds, changes or
 * removes (https://www.pulumi.com/docs/iac/cli/commands/pulumi_up/ `--target`), with
 * `--target-dependents` so a resource that depends on a targeted one is not left behind.
 */
export function targetCommand(diff: PlanDiff, stack: string): string {
  const urns = [...diff.added, ...diff.changed, ...diff.removed];
  if (urns.length === 0) return "";
  return `apply this step only:\n  pulumi up --stack ${stack} --target-dependents \\\n${urns.map((u) => `    --target '${u}'`).join(" \\\n")}\n`;
}
