#!/usr/bin/env node
/**
 * The `brume` command line.
 *
 *   brume plan   [--stack <env>] [--config <file>] [--project-dir <dir>] [--format json|md|text] [--out <file>]
 *   brume schema                      print the JSON Schema of brume.yaml / brume.toml
 *   brume validate [--config <file>]  check a config file and list its problems
 *
 * Exit codes: 0 success, 1 invalid config or failed plan (problems listed on stderr), 2 usage error.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ConfigError } from "../config/errors.js";
import { findConfigFile, readConfigFile, validateConfig } from "../config/load.js";
import { brumeJsonSchema } from "../config/json-schema.js";

export const usage = `Usage: brume <command> [options]

Commands:
  plan       Plan a stack offline (no credentials, no Pulumi CLI) and print its resource graph
  schema     Print the JSON Schema of brume.yaml / brume.toml
  validate   Validate a config file and list every problem

Options (plan):
  --stack <env>         Stack to plan; Pulumi.<env>.yaml selects the environment (default: prod)
  --config <file>       brume.yaml or brume.toml (default: found in the current directory)
  --project-dir <dir>   Directory of Pulumi.yaml and Pulumi.<env>.yaml (default: the config's directory)
  --format <fmt>        json | text | md (default: text)
  --out <file>          Write the plan to a file instead of stdout
`;

class UsageError extends Error {}

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const defaultIO: CliIO = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

/** Runs the CLI and returns the exit code; never throws for bad input. */
export async function runCli(argv: string[], io: CliIO = defaultIO): Promise<number> {
  try {
    const [command, ...rest] = argv;
    switch (command) {
      case "plan":
        return await planCommand(rest, io);
      case "schema":
        io.stdout(`${JSON.stringify(brumeJsonSchema(), null, 2)}\n`);
        return 0;
      case "validate":
        return validateCommand(rest, io);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        io.stdout(usage);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`${err.message}\n`);
      return 1;
    }
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.stderr(`brume: ${(err as Error).message}\n\n${usage}`);
      return 2;
    }
    if ((err as Error).name === "PlanError") {
      io.stderr(`${(err as Error).message}\n`);
      return 1;
    }
    throw err;
  }
}

async function planCommand(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      stack: { type: "string", default: "prod" },
      config: { type: "string" },
      "project-dir": { type: "string" },
      format: { type: "string", default: "text" },
      out: { type: "string" },
    },
    strict: true,
  });
  const format = values.format as string;
  const { planFormats, renderPlan } = await import("../plan/format.js");
  if (!(planFormats as readonly string[]).includes(format)) {
    throw new UsageError(`--format must be one of ${planFormats.join(", ")}, got "${format}"`);
  }
  const { planStack } = await import("../plan/stack.js");
  const { plan } = await planStack({
    stack: values.stack as string,
    ...(values.config ? { configFile: values.config } : {}),
    ...(values["project-dir"] ? { projectDir: values["project-dir"] } : {}),
  });
  const text = renderPlan(plan, format as "json" | "text" | "md");
  if (values.out) writeFileSync(values.out, text);
  else io.stdout(text);
  return 0;
}

function validateCommand(args: string[], io: CliIO): number {
  const { values } = parseArgs({ args, options: { config: { type: "string" } }, strict: true });
  const file = values.config ?? findConfigFile(".");
  const config = validateConfig(readConfigFile(file), file);
  const envs = Object.keys(config.environments).join(", ");
  io.stdout(`${file}: valid (${plural(Object.keys(config.services).length, "service")}, environments: ${envs})\n`);
  return 0;
}

// Run when executed directly (bin or tsx), not when imported by tests.
const invoked = process.argv[1] ?? "";
if (/[\\/]cli[\\/]main\.(ts|js)$/.test(invoked) || /[\\/]brume$/.test(invoked)) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`brume: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(70);
    },
  );
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
