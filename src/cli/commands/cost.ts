import { parseArgs } from "node:util";
import { writeOutput, stackOptions, UsageError, type Command } from "../command.js";
import { parseAssumptions } from "./diff.js";

export const costCommand: Command = {
  summary: "Estimate a stack's monthly cost from its offline plan and the price table",
  usage: `brume cost [--stack <env>] [--config <file>] [--project-dir <dir>] [--format md|json|text] [--assume <key>=<n>]... [--out <file>]
  --stack <env>         Stack to price (default: prod)
  --format <fmt>        md | json | text (default: text)
  --assume <key>=<n>    Usage assumption over the config's cost.assumptions: bucketGiB, registryGiB, natGiB, lbGiB, pubsubGiB, logsGiB, networkLogsGiB, scannedImages`,
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        ...stackOptions,
        format: { type: "string", default: "text" },
        assume: { type: "string", multiple: true },
        out: { type: "string" },
      },
      strict: true,
    });
    const format = values.format as string;
    const { renderCost, costFormats } = await import("../../review/cost/render.js");
    if (!(costFormats as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${costFormats.join(", ")}, got "${format}"`);
    const assumptions = await parseAssumptions(values.assume);
    const { planStack } = await import("../../plan/stack.js");
    const { estimateCost } = await import("../../review/cost/estimate.js");
    const { plan, loaded } = await planStack({
      stack: values.stack as string,
      ...(values.config ? { configFile: values.config } : {}),
      ...(values["project-dir"] ? { projectDir: values["project-dir"] } : {}),
    });
    // The config's cost.assumptions, then --assume over them.
    const text = renderCost(estimateCost(plan, { ...loaded.config.cost.assumptions, ...assumptions }), format as "md" | "json" | "text");
    if (values.out) writeOutput(values.out, text);
    else io.stdout(text);
    return 0;
  },
};
