import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { UsageError, type CliIO, type Command } from "../command.js";
import type { CostAssumptions } from "../../review/cost/prices.js";

/** `--assume natGiB=500` → { natGiB: 500 }; shared by `brume diff` and `brume cost`. */
export async function parseAssumptions(values: string[] | undefined): Promise<Partial<CostAssumptions>> {
  const { defaultAssumptions } = await import("../../review/cost/prices.js");
  const out: Record<string, number> = {};
  for (const item of values ?? []) {
    const m = /^([A-Za-z]+)=(\d+(?:\.\d+)?)$/.exec(item);
    if (!m || !Object.hasOwn(defaultAssumptions, m[1]!)) {
      throw new UsageError(`--assume expects <key>=<number> with key one of ${Object.keys(defaultAssumptions).join(", ")}, got "${item}"`);
    }
    out[m[1]!] = Number(m[2]);
  }
  return out as Partial<CostAssumptions>;
}

export const diffCommand: Command = {
  summary: "Compare a stack's offline plan with a base (git ref or plan JSON): changes, dangers, cost delta",
  usage: `brume diff [--stack <env>]... [--base <git ref | plan.json>] [--format md|json|text] [--config <file>]
           [--project-dir <dir>] [--out <file>] [--assume <key>=<n>]... [--fail-on-danger]
  --stack <env>         Stack to compare; repeat for several (default: prod)
  --base <ref|file>     Git ref whose config files are planned with the current code (default: HEAD),
                        or a plan JSON saved with \`brume plan --format json\` (one stack)
  --format <fmt>        md (PR comment) | json | text (default: text)
  --config <file>       brume.yaml or brume.toml (default: found in the current directory)
  --project-dir <dir>   Directory of Pulumi.yaml and Pulumi.<env>.yaml (default: the config's directory)
  --out <file>          Write to a file instead of stdout
  --assume <key>=<n>    Cost assumption over the config's cost.assumptions: bucketGiB, registryGiB, natGiB, lbGiB, pubsubGiB, logsGiB, networkLogsGiB, scannedImages
  --fail-on-danger      Exit 3 when a change is dangerous`,
  async run(args: string[], io: CliIO) {
    const { values } = parseArgs({
      args,
      options: {
        stack: { type: "string", multiple: true },
        base: { type: "string", default: "HEAD" },
        format: { type: "string", default: "text" },
        config: { type: "string" },
        "project-dir": { type: "string" },
        out: { type: "string" },
        assume: { type: "string", multiple: true },
        "fail-on-danger": { type: "boolean", default: false },
      },
      strict: true,
    });
    const { diffFormats, buildReport, renderReport } = await import("../../review/diff/report.js");
    const format = values.format as string;
    if (!(diffFormats as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${diffFormats.join(", ")}, got "${format}"`);
    const stacks = values.stack && values.stack.length > 0 ? [...new Set(values.stack)] : ["prod"];
    const assumptions = await parseAssumptions(values.assume);
    const base = values.base as string;
    const { BaseError, isPlanFile, planAtGitRef, readPlanFile } = await import("../../review/diff/base.js");
    const { planStack } = await import("../../plan/stack.js");
    const { findConfigFile } = await import("../../config/load.js");
    try {
      const configFile = values.config ?? findConfigFile(".");
      const fromFile = isPlanFile(base);
      if (fromFile && stacks.length > 1) throw new UsageError("a plan JSON base holds one stack: pass one --stack with it");
      const pairs = [];
      for (const stack of stacks) {
        const common = { stack, configFile, ...(values["project-dir"] ? { projectDir: values["project-dir"] } : {}) };
        const basePlan = fromFile ? readPlanFile(base) : await planAtGitRef({ ref: base, ...common });
        if (fromFile && basePlan.stack !== stack) throw new BaseError(`${base} is a plan of stack "${basePlan.stack}", not "${stack}"`);
        // Both sides are priced with the head's assumptions: the delta shows the change, not a new guess.
        const { plan: head, loaded } = await planStack(common);
        pairs.push({ stack, base: basePlan, head, assumptions: loaded.config.cost.assumptions });
        const { versionImageMutations } = await import("../../review/release/image-immutability.js");
        for (const m of versionImageMutations(basePlan, head)) io.stderr(`brume diff: ${stack}: ${m.message}\n`);
      }
      const notes = fromFile
        ? [`Base: the saved plan ${base}.`]
        : [`Base: the config files at \`${base}\`, planned with this branch's code (component code changes are not part of the diff; compare with a saved plan JSON for those).`];
      const report = buildReport(pairs, { base, notes, assumptions });
      const text = renderReport(report, format as "md" | "json" | "text");
      if (values.out) writeFileSync(values.out, text);
      else io.stdout(text);
      return values["fail-on-danger"] && report.environments.some((e) => e.diff.dangers.length > 0) ? 3 : 0;
    } catch (err) {
      if (err instanceof BaseError) {
        io.stderr(`brume diff: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
  },
};
