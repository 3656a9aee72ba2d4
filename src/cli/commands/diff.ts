import { parseArgs } from "node:util";
import { writeOutput, UsageError, type CliIO, type Command } from "../command.js";
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
  --fail-on-danger      Exit 3 when a change is dangerous
  --no-policy           Skip the policy rules on the head (on by default for production stacks, as \`brume plan\`)

Exit codes: 0 reviewed; 1 invalid config, or the head fails the policy (as \`brume plan\` would);
3 a dangerous change with --fail-on-danger; 4 a protected resource would be deleted (\`pulumi up\`
refuses it; the report says how to retire that one resource). 4 wins over 1, 1 over 3.`,
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
        policy: { type: "boolean" },
        "no-policy": { type: "boolean" },
      },
      strict: true,
    });
    const { diffFormats, buildReport, renderReport } = await import("../../review/diff/report.js");
    const { retireHint } = await import("../../review/diff/diff.js");
    const format = values.format as string;
    if (!(diffFormats as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${diffFormats.join(", ")}, got "${format}"`);
    const stacks = values.stack && values.stack.length > 0 ? [...new Set(values.stack)] : ["prod"];
    const assumptions = await parseAssumptions(values.assume);
    const base = values.base as string;
    const { BaseError, isPlanFile, planAtGitRef, readPlanFile } = await import("../../review/diff/base.js");
    const { planStack } = await import("../../plan/stack.js");
    const { resolveStackInputs } = await import("../../config/stack-file.js");
    const { policyOnByDefault, runGate } = await import("../../review/policy/gate.js");
    const policyTexts: string[] = [];
    let policyFailed = false;
    const policyNotes: string[] = [];
    try {
      const fromFile = isPlanFile(base);
      if (fromFile && stacks.length > 1) throw new UsageError("a plan JSON base holds one stack: pass one --stack with it");
      const pairs = [];
      for (const stack of stacks) {
        // The same files `brume plan` and `pulumi up` use: --config, else the stack's brume:configFile.
        const { configFile, projectDir } = resolveStackInputs({
          stack,
          ...(values.config ? { configFile: values.config } : {}),
          ...(values["project-dir"] ? { projectDir: values["project-dir"] } : {}),
        });
        const common = { stack, configFile, projectDir };
        const basePlan = fromFile ? readPlanFile(base) : await planAtGitRef({ ref: base, ...common });
        if (fromFile && basePlan.stack !== stack) throw new BaseError(`${base} is a plan of stack "${basePlan.stack}", not "${stack}"`);
        // Both sides are priced with the head's assumptions: the delta shows the change, not a new guess.
        const { plan: head, loaded } = await planStack(common);
        // The policy runs on the head: a PR comment never looks fine for a change `brume plan` rejects.
        if (values["no-policy"] ? false : (values.policy ?? policyOnByDefault(loaded))) {
          const gate = runGate(head, loaded);
          policyFailed ||= gate.failed;
          if (gate.failed || values.policy) policyTexts.push(`${stack}: ${gate.text}`);
          policyNotes.push(gate.failed ? `Policy on the head of ${stack}: FAILS (${gate.violations.length} violation(s)${gate.recoveryEnforced && !gate.recovery.met ? ", recovery targets not met" : ""}); \`brume plan --stack ${stack}\` rejects it.` : `Policy on the head of ${stack}: passes.`);
        }
        pairs.push({ stack, base: basePlan, head, assumptions: loaded.config.cost.assumptions });
        const { versionImageMutations } = await import("../../review/release/image-immutability.js");
        for (const m of versionImageMutations(basePlan, head)) io.stderr(`brume diff: ${stack}: ${m.message}\n`);
      }
      const notes = fromFile
        ? [`Base: the saved plan ${base}.`]
        : [`Base: the config files at \`${base}\`, planned with this branch's code (component code changes are not part of the diff; compare with a saved plan JSON for those).`];
      const report = buildReport(pairs, { base, notes: [...notes, ...policyNotes], assumptions });
      const text = renderReport(report, format as "md" | "json" | "text");
      if (values.out) writeOutput(values.out, text);
      else io.stdout(text);
      for (const text of policyTexts) io.stderr(text);
      const protectedDeletes = report.environments.flatMap((e) => e.diff.protectedDeletes.map((urn) => ({ stack: e.stack, urn })));
      if (protectedDeletes.length > 0) {
        io.stderr(`brume diff: ${protectedDeletes.length} protected resource(s) would be deleted; \`pulumi up\` refuses this change:\n`);
        for (const { stack, urn } of protectedDeletes) io.stderr(`  - ${urn}\n    ${retireHint(urn, stack)}\n`);
        return 4;
      }
      if (policyFailed) return 1;
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
