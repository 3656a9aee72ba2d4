import { parseArgs } from "node:util";
import { writeOutput, stackOptions, UsageError, type Command } from "../command.js";

export const quotaCommand: Command = {
  summary: "Peak Compute Engine quota demand of a stack (vCPU per family, SSD GB, addresses) from its offline plan",
  usage: `brume quota [--stack <env>] [--config <file>] [--project-dir <dir>] [--format text|json|md] [--out <file>]
  --stack <env>         Stack to size (default: prod)
  --format <fmt>        text | json | md (default: text)
  Peak = node pools at max in every zone and machine groups at max, plus upgrade surge; or the
  default pool while GKE creates a cluster, whichever is larger. Request these quotas before the
  first apply; \`brume plan\` prints the summary line on stderr.`,
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { ...stackOptions, format: { type: "string", default: "text" }, out: { type: "string" } },
      strict: true,
    });
    const format = values.format as string;
    const { quotaFormats, renderQuota } = await import("../../review/quota/render.js");
    if (!(quotaFormats as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${quotaFormats.join(", ")}, got "${format}"`);
    const { planStack } = await import("../../plan/stack.js");
    const { quotaDemand } = await import("../../review/quota/demand.js");
    const { plan } = await planStack({
      stack: values.stack as string,
      ...(values.config ? { configFile: values.config } : {}),
      ...(values["project-dir"] ? { projectDir: values["project-dir"] } : {}),
    });
    const text = renderQuota(quotaDemand(plan), format as "json" | "text" | "md");
    if (values.out) writeOutput(values.out, text);
    else io.stdout(text);
    return 0;
  },
};
