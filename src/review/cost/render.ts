/** Renderers of a cost estimate: JSON, a text table, Markdown. Pure. */
import { formatUsd, type CostEstimate } from "./estimate.js";

export type CostFormat = "json" | "text" | "md";
export const costFormats: readonly CostFormat[] = ["json", "text", "md"];

const componentName = (urn: string) => (urn ? urn.split("::").pop()! : "(top level)");

/**
 * What a GKE Standard estimate does not price, said where the numbers are (newcomer 18: an HPA
 * minimum 3 → 4 showed $0 with no word why; docs/review.md "Pod counts are not priced").
 */
export function podNote(lines: readonly { type: string }[]): string | undefined {
  return lines.some((l) => l.type === "gcp:container/nodePool:NodePool")
    ? "pod counts are not priced: pods run on the node pools, priced at their minimum nodes (an HPA's replicas change no line)"
    : undefined;
}

export function renderCost(estimate: CostEstimate, format: CostFormat): string {
  if (format === "json") return `${JSON.stringify(estimate, null, 2)}\n`;
  const usage = Object.entries(estimate.assumptions).map(([k, v]) => `${k}=${v}`).join(", ");
  if (format === "md") {
    const out = [
      `### Monthly cost of \`${estimate.project}/${estimate.stack}\`: ${formatUsd(estimate.monthlyUsd)}`,
      "",
      "| component | per month |",
      "|---|---:|",
      ...estimate.byComponent.map((c) => `| ${componentName(c.component)} | ${formatUsd(c.monthlyUsd)} |`),
      "",
      "<details><summary>Per resource</summary>",
      "",
      "| resource | per month | how |",
      "|---|---:|---|",
      ...estimate.lines.map((l) => `| \`${l.type.split(":").pop()}\` ${l.name} | ${formatUsd(l.monthlyUsd)} | ${l.detail.replace(/\|/g, "/")}${l.usage ? " (usage-dependent)" : ""} |`),
      "",
      "</details>",
      "",
      `${estimate.freeCount} free resources; not priced: ${estimate.notPriced.length ? estimate.notPriced.map((n) => `\`${n.type}\` ${n.name}`).join(", ") : "none"}.`,
      `List prices as of ${estimate.pricesAsOf} (USD, no discounts); usage assumptions: ${usage}.`,
    ];
    const pods = podNote(estimate.lines);
    if (pods) out.push(`${pods[0]!.toUpperCase()}${pods.slice(1)}.`);
    return `${out.join("\n")}\n`;
  }
  const width = Math.max(10, ...estimate.lines.map((l) => l.name.length));
  const out = [`Monthly cost of ${estimate.project}/${estimate.stack}: ${formatUsd(estimate.monthlyUsd)} (list prices as of ${estimate.pricesAsOf})`, ""];
  for (const l of estimate.lines) out.push(`  ${l.name.padEnd(width)}  ${formatUsd(l.monthlyUsd).padStart(10)}  ${l.detail}${l.usage ? "  [usage]" : ""}`);
  out.push("", "By component:");
  for (const c of estimate.byComponent) out.push(`  ${componentName(c.component).padEnd(width)}  ${formatUsd(c.monthlyUsd).padStart(10)}`);
  out.push("", `${estimate.freeCount} free resources.`);
  for (const n of estimate.notPriced) out.push(`not priced: ${n.type} ${n.name} (${n.reason})`);
  out.push(`usage assumptions: ${usage}`);
  const pods = podNote(estimate.lines);
  if (pods) out.push(pods);
  return `${out.join("\n")}\n`;
}
