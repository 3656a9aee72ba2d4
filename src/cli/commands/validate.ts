import { parseArgs } from "node:util";
import { findConfigFile, readConfigFile, validateConfig } from "../../config/load.js";
import type { Command } from "../command.js";

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

export const validateCommand: Command = {
  summary: "Validate a config file and list every problem",
  usage: `brume validate [--config <file>]
  --config <file>       brume.yaml or brume.toml (default: found in the current directory)`,
  run(args, io) {
    const { values } = parseArgs({ args, options: { config: { type: "string" } }, strict: true });
    const file = values.config ?? findConfigFile(".");
    const config = validateConfig(readConfigFile(file), file);
    const envs = Object.keys(config.environments).join(", ");
    io.stdout(`${file}: valid (${plural(Object.keys(config.services).length, "service")}, environments: ${envs})\n`);
    return 0;
  },
};
