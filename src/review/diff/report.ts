/**
 * A review report: the diff and cost delta of one or more environments, and its renderers —
 * Markdown for a PR comment (summary table, dangerous changes, Mermaid component diagram,
 * a collapsible detail per resource; summarized to stay under GitHub's 65,536-character limit),
 * plain text for terminals, and JSON. Pure functions of their input.
 */
import type { Plan } from "../../plan/run.js";
import { costDelta, estimateCost, formatUsd, type CostDelta, type CostEstimate } from "../cost/estimate.js";
import type { CostAssumptions } from "../cost/prices.js";
import { podNote } from "../cost/render.js";
import { diffPlans, type ChangeKind, type PlanDiff, type ResourceChange } from "./diff.js";

export type ComponentState = "created" | "deleted" | "changed" | "unchanged";

export interface ComponentNode {
  urn: string;
  name: string;
  type: string;
  /** URN of the parent component ("" at the top). */
  parent: string;
  state: ComponentState;
  /** A dangerous change sits in this component's subtree. */
  dangerous: boolean;
}

export interface EnvironmentDiff {
  stack: string;
  diff: PlanDiff;
  cost: CostDelta;
  headCost: CostEstimate;
  components: ComponentNode[];
}

export interface DiffReport {
  /** What the head was compared with (a git ref, a plan file, "empty"). */
  base: string;
  /** Notes shown under the title (e.g. how the base was planned). */
  notes: string[];
  environments: EnvironmentDiff[];
}

export type DiffFormat = "md" | "json" | "text";
export const diffFormats: readonly DiffFormat[] = ["md", "json", "text"];

/** GitHub's limit on an issue / PR comment body. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/** The components (custom: false) of both plans with what happened in their subtree. */
export function componentGraph(base: Plan, head: Plan, diff: PlanDiff): ComponentNode[] {
  const baseUrns = new Set(base.resources.map((r) => r.urn));
  const headUrns = new Set(head.resources.map((r) => r.urn));
  const changed = new Set(diff.changedComponents);
  const dangerousComponents = new Set<string>();
  const parents = new Map<string, string>();
  for (const r of [...base.resources, ...head.resources]) parents.set(r.urn, r.parent);
  const dangerUrns = new Set(diff.dangers.map((d) => d.urn));
  for (const c of diff.changes) {
    if (!dangerUrns.has(c.urn)) continue;
    let p = c.component;
    while (p && !dangerousComponents.has(p)) {
      dangerousComponents.add(p);
      p = parents.get(p) ?? "";
    }
  }
  const seen = new Map<string, ComponentNode>();
  for (const r of [...head.resources, ...base.resources]) {
    if (r.custom || seen.has(r.urn)) continue;
    const state: ComponentState = !baseUrns.has(r.urn) ? "created" : !headUrns.has(r.urn) ? "deleted" : changed.has(r.urn) ? "changed" : "unchanged";
    seen.set(r.urn, { urn: r.urn, name: r.name, type: r.type, parent: r.parent, state, dangerous: dangerousComponents.has(r.urn) });
  }
  return [...seen.values()].sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
}

export interface BuildReportOptions {
  base: string;
  notes?: string[];
  assumptions?: Partial<CostAssumptions>;
}

/**
 * Diffs and prices each environment's base and head plans. A pair's own `assumptions` (its stack's
 * `cost.assumptions`) come first; `options.assumptions` (`--assume`) override them.
 */
export function buildReport(
  pairs: { stack: string; base: Plan; head: Plan; assumptions?: Partial<CostAssumptions> }[],
  options: BuildReportOptions,
): DiffReport {
  return {
    base: options.base,
    notes: options.notes ?? [],
    environments: pairs.map(({ stack, base, head, assumptions: own }) => {
      const diff = diffPlans(base, head);
      const assumptions = { ...own, ...options.assumptions };
      const headCost = estimateCost(head, assumptions);
      return { stack, diff, cost: costDelta(estimateCost(base, assumptions), headCost), headCost, components: componentGraph(base, head, diff) };
    }),
  };
}

export function renderReport(report: DiffReport, format: DiffFormat): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(report, null, 2)}\n`;
    case "text":
      return renderText(report);
    case "md":
      return renderMarkdown(report);
  }
}

const symbol: Record<ChangeKind, string> = { create: "+", update: "~", replace: "+-", delete: "-" };

/** A value for a table cell or a line: JSON, shortened. */
export function showValue(value: unknown, max = 120): string {
  if (value === undefined) return "(absent)";
  const text = typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** One line per probable rename (its resources share the fix). */
function renameFixes(env: EnvironmentDiff): string[] {
  return [...new Set(env.diff.renames.map((r) => `"${r.from}" → "${r.to}" (${env.diff.renames.filter((x) => x.fix === r.fix).length} resources deleted and created): ${r.fix}`))];
}

function hasChanges(env: EnvironmentDiff): boolean {
  return env.diff.changes.length > 0;
}

/**
 * The pods note of `brume cost`, for a diff that changes a pod count (replicas, an HPA's bounds) on
 * node pools the estimate prices: without it a $0 delta reads as "free" (newcomer 18).
 */
function podCountNote(env: EnvironmentDiff): string | undefined {
  const changesPods = env.diff.changes.some((ch) => ch.type.startsWith("kubernetes:") && ch.changes.some((i) => /(^|\.)(replicas|minReplicas|maxReplicas)$/.test(i.path)));
  return changesPods ? podNote(env.headCost.lines) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------

function renderText(report: DiffReport): string {
  const out: string[] = [`Diff against ${report.base}`, ...report.notes.map((n) => `note: ${n}`), ""];
  for (const env of report.environments) {
    const c = env.diff.counts;
    out.push(
      `${env.stack}: +${c.create} ~${c.update} +-${c.replace} -${c.delete} (${c.unchanged} unchanged); monthly ${formatUsd(env.cost.headUsd)} (${formatUsd(env.cost.deltaUsd, true)})`,
    );
    for (const d of env.diff.dangers) out.push(`  ! ${d.kind} ${d.type} ${d.name}: ${d.message}`);
    for (const fix of renameFixes(env)) out.push(`  ? probable rename: ${fix}`);
    for (const ch of env.diff.changes) {
      out.push(`  ${symbol[ch.kind].padEnd(2)} ${ch.type}  ${ch.name}${ch.protect ? "  [protected]" : ""}`);
      for (const r of ch.replaceReasons) out.push(`       replaces: ${r}`);
      for (const n of ch.notes) out.push(`       note: ${n}`);
      for (const i of ch.changes) out.push(`       ${i.path}: ${showValue(i.old)} => ${showValue(i.new)}`);
    }
    for (const l of env.cost.lines) out.push(`  $ ${l.name}: ${formatUsd(l.baseUsd)} -> ${formatUsd(l.headUsd)} (${formatUsd(l.deltaUsd, true)})`);
    for (const n of env.cost.notPriced) out.push(`  $ not priced: ${n.type} ${n.name} (${n.reason})`);
    const pods = podCountNote(env);
    if (pods) out.push(`  $ ${pods}`);
    out.push("");
  }
  return `${out.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------------
// Markdown
// ---------------------------------------------------------------------------------------------

/** Escapes text for a Markdown table cell inside `<code>`. */
function cell(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\|/g, "&#124;").replace(/\n/g, " ");
}

const shortType = (type: string) => type.split(":").slice(-1)[0] ?? type;

/** A Mermaid flowchart of components, changed ones highlighted. */
export function mermaidDiagram(components: ComponentNode[], maxNodes = 60): string {
  let shown = components;
  let trimmed = false;
  // A one-line image bump draws its path to the root, not every component of the environment.
  if (components.some((c) => c.state === "unchanged")) {
    // Only what changed, with its ancestors for context.
    const byUrn = new Map(components.map((c) => [c.urn, c]));
    const keep = new Set<string>();
    for (const c of components) {
      if (c.state === "unchanged") continue;
      let cur: ComponentNode | undefined = c;
      while (cur && !keep.has(cur.urn)) {
        keep.add(cur.urn);
        cur = byUrn.get(cur.parent);
      }
    }
    shown = components.filter((c) => keep.has(c.urn)).slice(0, maxNodes);
    trimmed = true;
  }
  const ids = new Map(shown.map((c, i) => [c.urn, `c${i}`]));
  const lines = ["```mermaid", "flowchart LR"];
  for (const c of shown) {
    const mark = c.state === "created" ? "+ " : c.state === "deleted" ? "- " : c.state === "changed" ? "~ " : "";
    const label = `${mark}${c.name}<br/><small>${shortType(c.type)}</small>`.replace(/"/g, "#quot;");
    lines.push(`  ${ids.get(c.urn)}["${label}"]`);
  }
  for (const c of shown) {
    const parent = ids.get(c.parent);
    if (parent) lines.push(`  ${parent} --> ${ids.get(c.urn)}`);
  }
  lines.push(
    "  classDef created fill:#d4edda,stroke:#28a745",
    "  classDef changed fill:#fff3cd,stroke:#d39e00",
    "  classDef deleted fill:#f8d7da,stroke:#c82333",
    "  classDef danger stroke:#c82333,stroke-width:3px",
  );
  for (const state of ["created", "changed", "deleted"] as const) {
    const members = shown.filter((c) => c.state === state).map((c) => ids.get(c.urn));
    if (members.length > 0) lines.push(`  class ${members.join(",")} ${state}`);
  }
  const danger = shown.filter((c) => c.dangerous).map((c) => ids.get(c.urn));
  if (danger.length > 0) lines.push(`  class ${danger.join(",")} danger`);
  lines.push("```");
  if (trimmed && shown.length < components.length) lines.push("", `_${components.length} components: only changed ones and their parents are drawn._`);
  return lines.join("\n");
}

function resourceDetails(ch: ResourceChange): string {
  const lines = [
    `<details><summary><code>${symbol[ch.kind]}</code> ${ch.kind} <code>${cell(ch.type)}</code> <b>${cell(ch.name)}</b>${ch.protect ? " 🔒" : ""}</summary>`,
    "",
    `URN: \`${ch.urn}\``,
    "",
  ];
  for (const r of ch.replaceReasons) lines.push(`- replaces: ${cell(r)}`);
  for (const n of ch.notes) lines.push(`- note: ${cell(n)}`);
  if (ch.changes.length > 0) {
    lines.push("", "| input | old | new |", "|---|---|---|");
    for (const i of ch.changes) lines.push(`| <code>${cell(i.path)}</code> | <code>${cell(showValue(i.old))}</code> | <code>${cell(showValue(i.new))}</code> |`);
  }
  lines.push("", "</details>");
  return lines.join("\n");
}

interface Level {
  /** Per-resource details: all, only dangerous/replace/delete, or none. */
  details: "all" | "important" | "none";
  mermaid: boolean;
  maxDangers: number;
}

const levels: Level[] = [
  { details: "all", mermaid: true, maxDangers: Infinity },
  { details: "important", mermaid: true, maxDangers: 200 },
  { details: "none", mermaid: false, maxDangers: 100 },
  { details: "none", mermaid: false, maxDangers: 20 },
];

function renderMarkdownAt(report: DiffReport, level: Level): string {
  const out: string[] = ["## Brume: infrastructure changes", "", `Compared with \`${report.base}\`.`];
  for (const n of report.notes) out.push(`> ${n}`);
  out.push("", "| environment | create | update | replace | delete | monthly cost | cost delta |", "|---|---:|---:|---:|---:|---:|---:|");
  for (const env of report.environments) {
    const c = env.diff.counts;
    out.push(
      `| **${env.stack}** | +${c.create} | ~${c.update} | ±${c.replace} | -${c.delete} | ${formatUsd(env.cost.headUsd)} | ${formatUsd(env.cost.deltaUsd, true)} |`,
    );
  }
  const dangers = report.environments.flatMap((env) => env.diff.dangers.map((d) => ({ env: env.stack, d })));
  if (dangers.length > 0) {
    out.push("", `### ⚠️ Dangerous changes (${dangers.length})`, "");
    for (const { env, d } of dangers.slice(0, level.maxDangers)) {
      out.push(`- **${env}** · ${d.kind} · \`${shortType(d.type)}\` **${cell(d.name)}**: ${cell(d.message)}`);
    }
    if (dangers.length > level.maxDangers) out.push(`- … and ${dangers.length - level.maxDangers} more (see \`brume diff --format json\`)`);
  }
  const renames = report.environments.flatMap((env) => renameFixes(env).map((fix) => `- **${env.stack}** · ${cell(fix)}`));
  if (renames.length > 0) out.push("", `### Probable renames (${renames.length})`, "", ...renames);
  for (const env of report.environments) {
    out.push("", `### ${env.stack}`, "");
    if (!hasChanges(env)) {
      out.push("No changes.");
    } else {
      if (level.mermaid) out.push(mermaidDiagram(env.components), "");
      const important = (ch: ResourceChange) => ch.kind === "replace" || ch.kind === "delete" || env.diff.dangers.some((d) => d.urn === ch.urn);
      const detailed = level.details === "all" ? env.diff.changes : level.details === "important" ? env.diff.changes.filter(important) : [];
      for (const ch of detailed) out.push(resourceDetails(ch));
      const rest = env.diff.changes.filter((ch) => !detailed.includes(ch));
      if (rest.length > 0) {
        const byType = new Map<string, number>();
        for (const ch of rest) byType.set(`${symbol[ch.kind]} ${ch.type}`, (byType.get(`${symbol[ch.kind]} ${ch.type}`) ?? 0) + 1);
        out.push("", `<details><summary>${rest.length} more changes, summarized by type</summary>`, "", "| change | type | count |", "|---|---|---:|");
        for (const [key, count] of [...byType.entries()].sort()) {
          const [sym, type] = key.split(" ");
          out.push(`| \`${sym}\` | \`${type}\` | ${count} |`);
        }
        out.push("", "</details>");
      }
    }
    const pods = podCountNote(env);
    if (env.cost.lines.length > 0 || env.cost.notPriced.length > 0 || pods) {
      out.push("", `<details><summary>Cost: ${formatUsd(env.cost.baseUsd)} → ${formatUsd(env.cost.headUsd)} per month (${formatUsd(env.cost.deltaUsd, true)})</summary>`, "");
      if (env.cost.lines.length > 0) {
        out.push("| resource | before | after | delta |", "|---|---:|---:|---:|");
        const max = level.details === "all" ? Infinity : 30;
        for (const l of env.cost.lines.slice(0, max)) out.push(`| \`${shortType(l.type)}\` ${cell(l.name)} | ${formatUsd(l.baseUsd)} | ${formatUsd(l.headUsd)} | ${formatUsd(l.deltaUsd, true)} |`);
        if (env.cost.lines.length > max) out.push(`| … ${env.cost.lines.length - max} more | | | |`);
      }
      if (env.cost.notPriced.length > 0) {
        const types = [...new Set(env.cost.notPriced.map((n) => n.type))];
        out.push("", `Not priced (${env.cost.notPriced.length}): ${types.map((t) => `\`${t}\``).join(", ")}`);
      }
      if (pods) out.push(...(out.at(-1) === "" ? [] : [""]), `${pods[0]!.toUpperCase()}${pods.slice(1)}.`);
      // Every `name=value` of the lines' usage ("registryGiB=20, scannedImages=4", "natGiB=100 at $0.045/GiB"), once.
      const usage = [...new Set(env.headCost.lines.flatMap((l) => l.usage?.match(/\b\w+=[\d.]+/g) ?? []))];
      out.push("", `Prices: list prices as of ${env.headCost.pricesAsOf}, USD; usage assumptions: ${usage.join(", ") || "none"}.`, "", "</details>");
    }
  }
  out.push("", "<sub>Planned offline by `brume diff` (no cloud credentials): replacements are predicted from a table of immutable inputs; a real `pulumi preview` is authoritative.</sub>");
  return `${out.join("\n")}\n`;
}

/** Markdown for a PR comment, summarized step by step until it fits `limit` characters. */
export function renderMarkdown(report: DiffReport, limit = GITHUB_COMMENT_LIMIT): string {
  let text = "";
  for (const level of levels) {
    text = renderMarkdownAt(report, level);
    if (text.length <= limit) return text;
  }
  const note = "\n\n_…truncated to fit a GitHub comment; run `brume diff --format json` for everything._\n";
  return text.slice(0, limit - note.length) + note;
}
