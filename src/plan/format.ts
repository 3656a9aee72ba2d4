/**
 * Renderers of a plan: JSON (the contract), a text tree for terminals, Markdown for PR comments.
 * Pure functions of the plan, so their output is as deterministic as the plan.
 */
import type { Plan, PlannedResource } from "./run.js";

export type PlanFormat = "json" | "text" | "md";
export const planFormats: readonly PlanFormat[] = ["json", "text", "md"];

export function renderPlan(plan: Plan, format: PlanFormat): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(plan, null, 2)}\n`;
    case "text":
      return renderText(plan);
    case "md":
      return renderMarkdown(plan);
  }
}

/** Count of resources per type, provider resources first, then by count. */
export function countByType(plan: Plan): [string, number][] {
  const counts = new Map<string, number>();
  for (const r of plan.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

function children(plan: Plan): Map<string, PlannedResource[]> {
  const byParent = new Map<string, PlannedResource[]>();
  for (const r of plan.resources) {
    const list = byParent.get(r.parent) ?? [];
    list.push(r);
    byParent.set(r.parent, list);
  }
  for (const list of byParent.values()) list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return byParent;
}

function tree(plan: Plan, line: (r: PlannedResource, depth: number) => string): string[] {
  const byParent = children(plan);
  const known = new Set(plan.resources.map((r) => r.urn));
  const out: string[] = [];
  const walk = (parent: string, depth: number) => {
    for (const r of byParent.get(parent) ?? []) {
      out.push(line(r, depth));
      walk(r.urn, depth + 1);
    }
  };
  // Roots: no parent, or a parent that is not registered (the stack under mocks).
  for (const [parent] of byParent) if (parent === "" || !known.has(parent)) walk(parent, 0);
  return out;
}

function summaryLine(plan: Plan): string {
  const custom = plan.resources.filter((r) => r.custom).length;
  const components = plan.resources.length - custom;
  const protectedCount = plan.resources.filter((r) => r.protect).length;
  return `${plan.resources.length} resources (${custom} cloud resources, ${components} components, ${protectedCount} protected)`;
}

function renderText(plan: Plan): string {
  const lines = [`Plan of ${plan.project}/${plan.stack}: ${summaryLine(plan)}`, ""];
  lines.push(...tree(plan, (r, depth) => `${"  ".repeat(depth)}+ ${r.type}  ${r.name}${r.protect ? "  [protected]" : ""}`));
  const outputs = Object.entries(plan.outputs);
  if (outputs.length > 0) {
    lines.push("", "Outputs:");
    for (const [key, value] of outputs) lines.push(`  ${key}: ${JSON.stringify(value)}`);
  }
  return `${lines.join("\n")}\n`;
}

function renderMarkdown(plan: Plan): string {
  const lines = [`### Plan of \`${plan.project}/${plan.stack}\``, "", summaryLine(plan), "", "| type | count |", "|---|---:|"];
  for (const [type, count] of countByType(plan)) lines.push(`| \`${type}\` | ${count} |`);
  lines.push("", "<details><summary>Resources</summary>", "", "```");
  lines.push(...tree(plan, (r, depth) => `${"  ".repeat(depth)}${r.type}  ${r.name}${r.protect ? "  [protected]" : ""}`));
  lines.push("```", "", "</details>");
  return `${lines.join("\n")}\n`;
}
