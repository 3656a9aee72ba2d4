import { parseArgs } from "node:util";
import { findConfigFile, readConfigFile, validateConfig } from "../../config/load.js";
import type { Command } from "../command.js";

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

export const validateCommand: Command = {
  summary: "Validate a config file (with --stack: as that stack's overrides change it) and list every problem",
  usage: `brume validate [--config <file>] [--stack <env>] [--project-dir <dir>]
  --config <file>       brume.yaml or brume.toml (default: the stack's brume:configFile, else found in the current directory)
  --stack <env>         Also apply Pulumi.<env>.yaml (brume:overrides, brume:environment) as \`pulumi up\` would
  --project-dir <dir>   Directory of Pulumi.yaml and Pulumi.<env>.yaml (default: the config's directory)`,
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { config: { type: "string" }, stack: { type: "string" }, "project-dir": { type: "string" } },
      strict: true,
    });
    if (values.stack !== undefined) {
      const { loadStackFiles } = await import("../../config/stack-file.js");
      const { inputs, loaded } = loadStackFiles({
        stack: values.stack,
        ...(values.config ? { configFile: values.config } : {}),
        ...(values["project-dir"] ? { projectDir: values["project-dir"] } : {}),
      });
      for (const warning of inputs.stackConfig.warnings) io.stderr(`warning: ${warning}\n`);
      const with_ = inputs.stackConfig.stackFileExists ? ` with ${inputs.stackFile}` : ` (no ${inputs.stackFile}: defaults)`;
      io.stdout(`${inputs.configFile}${with_}: valid for stack ${values.stack} (environment ${loaded.environment.name}, ${plural(Object.keys(loaded.config.services).length, "service")})\n`);
      return 0;
    }
    const file = values.config ?? findConfigFile(".");
    const config = validateConfig(readConfigFile(file), file);
    const envs = Object.keys(config.environments).join(", ");
    io.stdout(`${file}: valid (${plural(Object.keys(config.services).length, "service")}, environments: ${envs})\n`);
    return 0;
  },
};
