/**
 * Golden plans: a plan saved as JSON next to the test; a later run compares its plan with it and fails
 * with a readable diff (the resources created, deleted, replaced and updated, each changed input with
 * its old and new value), as `brume diff` shows a change. Set BRUME_UPDATE_GOLDEN=1 (or pass
 * `{ update: true }`) to write the file; a missing file is written on the first run.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Plan } from "../plan/run.js";
import { diffPlans } from "../review/diff/diff.js";
import { PlanAssertionError } from "./assert.js";

const short = (value: unknown) => {
  const text = JSON.stringify(value) ?? "undefined";
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
};

/** The differences between two plans, one line each ("" when the same). */
export function planDifferences(golden: Plan, plan: Plan): string[] {
  const diff = diffPlans(golden, plan);
  const lines: string[] = [];
  for (const change of diff.changes) {
    lines.push(`${change.kind} ${change.type}::${change.name}${change.replaceReasons.length ? ` (${change.replaceReasons.join("; ")})` : ""}`);
    for (const input of change.changes) lines.push(`    ${input.path}: ${short(input.old)} → ${short(input.new)}`);
  }
  // Components, protect flags and outputs are not in the resource diff: compare them too.
  const components = (p: Plan) => new Set(p.resources.filter((r) => !r.custom).map((r) => r.urn));
  const [before, after] = [components(golden), components(plan)];
  for (const urn of after) if (!before.has(urn)) lines.push(`create component ${urn}`);
  for (const urn of before) if (!after.has(urn)) lines.push(`delete component ${urn}`);
  const old = new Map(golden.resources.map((r) => [r.urn, r]));
  for (const r of plan.resources) {
    const was = old.get(r.urn);
    if (!was) continue;
    if (was.protect !== r.protect) lines.push(`protect ${r.type}::${r.name}: ${was.protect} → ${r.protect}`);
    if (was.provider !== r.provider) lines.push(`provider ${r.type}::${r.name}: ${was.provider || "default"} → ${r.provider || "default"}`);
    const added = r.dependencies.filter((d) => !was.dependencies.includes(d));
    const removed = was.dependencies.filter((d) => !r.dependencies.includes(d));
    if (added.length || removed.length) {
      lines.push(`dependencies ${r.type}::${r.name}: ${[...added.map((d) => `+${d}`), ...removed.map((d) => `-${d}`)].join(", ")}`);
    }
  }
  for (const key of new Set([...Object.keys(golden.outputs), ...Object.keys(plan.outputs)])) {
    if (JSON.stringify(golden.outputs[key]) !== JSON.stringify(plan.outputs[key])) lines.push(`output ${key}: ${short(golden.outputs[key])} → ${short(plan.outputs[key])}`);
  }
  return lines;
}

/** Compares `plan` with the golden plan in `file` (JSON); writes it when missing or when updating. */
export function assertGoldenPlan(plan: Plan, file: string, options: { update?: boolean } = {}): void {
  const text = `${JSON.stringify(plan, null, 2)}\n`;
  if (options.update || process.env.BRUME_UPDATE_GOLDEN === "1" || !existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    return;
  }
  const golden = JSON.parse(readFileSync(file, "utf8")) as Plan;
  const lines = planDifferences(golden, plan);
  if (lines.length === 0 && JSON.stringify(golden) !== JSON.stringify(plan)) lines.push("the plans differ in resource order or metadata only (ignoreChanges, retainOnDelete, aliases)");
  if (lines.length) {
    throw new PlanAssertionError(`the plan differs from the golden plan ${file} (BRUME_UPDATE_GOLDEN=1 rewrites it after an intended change)`, lines);
  }
}
