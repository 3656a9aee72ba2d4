import { parseArgs } from "node:util";
import { writeOutput, stackOptions, type Command } from "../command.js";

export const runbookCommand: Command = {
  summary: "Print the Markdown disaster-recovery runbook of a stack, generated from its offline plan",
  usage: `brume runbook [--stack <env>] [--config <file>] [--project-dir <dir>] [--out <file>]
  --stack <env>         Stack (default: prod)
  --config <file>       brume.yaml or brume.toml (default: found in the current directory)
  --project-dir <dir>   Directory of Pulumi.yaml and Pulumi.<env>.yaml (default: the config's directory)
  --out <file>          Write the runbook to a file instead of stdout`,
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        ...stackOptions,
        out: { type: "string" },
      },
      strict: true,
    });
    const { planStack } = await import("../../plan/stack.js");
    const { runbookOf } = await import("../../review/recovery/index.js");
    const { plan, loaded } = await planStack({
      stack: values.stack as string,
      ...(values.config ? { configFile: values.config } : {}),
      ...(values["project-dir"] ? { projectDir: values["project-dir"] } : {}),
    });
    const text = runbookOf(plan, loaded);
    if (values.out) writeOutput(values.out, text);
    else io.stdout(text);
    return 0;
  },
};
