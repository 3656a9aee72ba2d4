import { parseArgs } from "node:util";
import { writeOutput, stackOptions, UsageError, type Command } from "../command.js";

export const planCommand: Command = {
  summary: "Plan a stack offline (no credentials, no Pulumi CLI) and print its resource graph",
  usage: `brume plan [--stack <env>] [--config <file>] [--project-dir <dir>] [--format json|md|text] [--out <file>]
  --stack <env>         Stack to plan; Pulumi.<env>.yaml selects the environment (default: prod)
  --config <file>       brume.yaml or brume.toml (default: found in the current directory)
  --project-dir <dir>   Directory of Pulumi.yaml and Pulumi.<env>.yaml (default: the config's directory)
  --format <fmt>        json | text | md (default: text)
  --out <file>          Write the plan to a file instead of stdout
  --policy / --no-policy  Check the policy rules and recovery targets (default: on for production stacks);
                        --policy prints the report (per rule, per stateful resource) on stderr; violations and
                        unmet targets are listed with rule and URN and fail the plan
  --quota / --no-quota  Peak quota demand (vCPU per family, SSD GB, addresses): --quota prints the full report
                        (\`brume quota\`) on stderr; by default the text format prints its summary line there
  --no-creation-order   Skip the creation-order check (on by default: a resource the engine would create
                        before something it needs fails the plan with the rule, the resource and the fix)

Warnings (a secret a workload reads that nothing gives a value, with the command that sets it) go to stderr.`,
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        ...stackOptions,
        format: { type: "string", default: "text" },
        out: { type: "string" },
        policy: { type: "boolean" },
        "no-policy": { type: "boolean" },
        quota: { type: "boolean" },
        "no-quota": { type: "boolean" },
        "no-creation-order": { type: "boolean" },
      },
      strict: true,
    });
    const format = values.format as string;
    const { planFormats, renderPlan } = await import("../../plan/format.js");
    if (!(planFormats as readonly string[]).includes(format)) {
      throw new UsageError(`--format must be one of ${planFormats.join(", ")}, got "${format}"`);
    }
    const { planStack } = await import("../../plan/stack.js");
    const { plan, loaded, warnings } = await planStack({
      stack: values.stack as string,
      ...(values.config ? { configFile: values.config } : {}),
      ...(values["project-dir"] ? { projectDir: values["project-dir"] } : {}),
      ...(values["no-creation-order"] ? { creationOrder: false } : {}),
    });
    // What the plan accepts but the environment would not run as declared (secrets without a value).
    for (const warning of warnings) io.stderr(`warning: ${warning}\n`);
    const text = renderPlan(plan, format as "json" | "text" | "md");
    if (values.out) writeOutput(values.out, text);
    else io.stdout(text);
    if (!values["no-quota"] && (values.quota || format === "text")) {
      const [{ quotaDemand }, { quotaSummary, renderQuota }] = await Promise.all([import("../../review/quota/demand.js"), import("../../review/quota/render.js")]);
      const report = quotaDemand(plan);
      io.stderr(values.quota ? renderQuota(report, "text") : quotaSummary(report));
    }
    const { policyOnByDefault, runGate } = await import("../../review/policy/gate.js");
    if (values["no-policy"] ? false : (values.policy ?? policyOnByDefault(loaded))) {
      const gate = runGate(plan, loaded);
      // The full report when asked for (--policy) or failing; silence when a default check passes.
      if (values.policy || gate.failed) io.stderr(gate.text);
      if (gate.failed) return 1;
    }
    return 0;
  },
};
