/** Renderers of a quota report: JSON, a text table, Markdown, and the short summary `brume plan` prints. Pure. */
import type { QuotaReport } from "./demand.js";

export type QuotaFormat = "json" | "text" | "md";
export const quotaFormats: readonly QuotaFormat[] = ["json", "text", "md"];

const n = (v: number) => v.toLocaleString("en-US");

export function renderQuota(report: QuotaReport, format: QuotaFormat): string {
  if (format === "json") return `${JSON.stringify(report, null, 2)}\n`;
  const md = format === "md";
  const out: string[] = [
    md ? `### Quota demand of \`${report.project}/${report.stack}\` at peak` : `Quota demand of ${report.project}/${report.stack} at peak (request these before the first apply)`,
    "",
  ];
  if (md) out.push("| scope | metric | at max | + surge | during creation | peak |", "|---|---|---:|---:|---:|---:|");
  for (const l of report.lines) {
    out.push(
      md
        ? `| ${l.scope} | \`${l.metric}\` | ${n(l.atMax)} | ${n(l.surge)} | ${n(l.creation)} | **${n(l.peak)}** |`
        : `  ${l.scope.padEnd(14)} ${l.metric.padEnd(26)} peak ${n(l.peak).padStart(6)}  (at max ${n(l.atMax)}, surge +${n(l.surge)}, during creation ${n(l.creation)})`,
    );
  }
  out.push("", md ? "| node group | kind | machine type | nodes at max | surge | disk |" : "Node groups:");
  if (md) out.push("|---|---|---|---:|---:|---|");
  for (const g of report.groups) {
    const disk = `${g.diskGbPerNode} GB ${g.diskType}`;
    out.push(
      md
        ? `| ${g.name} | ${g.kind} | ${g.machineType}${g.spot ? " (spot)" : ""} | ${g.nodesAtMax} | ${g.surgeNodes} | ${disk} |`
        : `  ${g.name} (${g.kind}, ${g.region}): ${g.nodesAtMax} × ${g.machineType}${g.spot ? " spot" : ""} at max, surge +${g.surgeNodes}, ${disk} each`,
    );
  }
  if (report.sqlInstances.length > 0) {
    out.push("", md ? "Cloud SQL instances:" : "Cloud SQL instances (Cloud SQL quotas, not Compute Engine's):");
    for (const s of report.sqlInstances) out.push(`${md ? "- " : "  "}${s.name}: ${s.role} in ${s.region}, ${s.tier}, ${s.availability}`);
  }
  for (const u of report.unknown) out.push(`not counted: ${u} (unknown to the quota tables)`);
  for (const note of report.notes) out.push(`note: ${note}`);
  return `${out.join("\n")}\n`;
}

/** The few lines `brume plan` prints on stderr: vCPU, SSD and address peaks per scope. */
export function quotaSummary(report: QuotaReport): string {
  const shown = report.lines.filter((l) => /CPUS$|_GB$|ADDRESSES$|^INSTANCES$/.test(l.metric) && l.metric !== "CPUS_ALL_REGIONS" && l.peak > 0);
  const items = shown.map((l) => `${l.metric} ${n(l.peak)} (${l.scope})`);
  const sql = report.sqlInstances.length > 0 ? `; Cloud SQL: ${report.sqlInstances.length} instance(s)` : "";
  return `Quota at peak: ${items.join(", ")}${sql}. Details: brume quota --stack ${report.stack}\n`;
}
