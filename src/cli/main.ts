#!/usr/bin/env node
/**
 * The `brume` command line: a table of subcommands (src/cli/commands/*), each returning an exit code.
 * Exit codes: 0 success, 1 invalid config or failed plan (problems listed on stderr), 2 usage error.
 * Bad input never prints a stack trace.
 */
import { ConfigError } from "../config/errors.js";
import { UsageError, type CliIO, type Command } from "./command.js";
import { costCommand } from "./commands/cost.js";
import { diffCommand } from "./commands/diff.js";
import { envCommand } from "./commands/env.js";
import { historyCommand } from "./commands/history.js";
import { planCommand } from "./commands/plan.js";
import { quotaCommand } from "./commands/quota.js";
import { releaseCommand } from "./commands/release.js";
import { runbookCommand } from "./commands/runbook.js";
import { schemaCommand } from "./commands/schema.js";
import { validateCommand } from "./commands/validate.js";

export type { CliIO } from "./command.js";

/** Every subcommand, in the order `brume help` lists them. */
export const commands: Record<string, Command> = {
  plan: planCommand,
  diff: diffCommand,
  cost: costCommand,
  quota: quotaCommand,
  validate: validateCommand,
  schema: schemaCommand,
  release: releaseCommand,
  history: historyCommand,
  runbook: runbookCommand,
  env: envCommand,
};

export function usageText(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length)) + 3;
  const list = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`);
  const details = Object.values(commands).map((c) => c.usage);
  return `Usage: brume <command> [options]\n\nCommands:\n${list.join("\n")}\n\n${details.join("\n\n")}\n`;
}

const defaultIO: CliIO = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

/** Runs the CLI and returns the exit code; never throws for bad input. */
export async function runCli(argv: string[], io: CliIO = defaultIO): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === "help" || name === "--help" || name === "-h") {
      io.stdout(usageText());
      return name === undefined ? 2 : 0;
    }
    const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
    if (!command) throw new UsageError(`unknown command "${name}"`);
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`${err.message}\n`);
      return 1;
    }
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.stderr(`brume: ${(err as Error).message}\n\n${usageText()}`);
      return 2;
    }
    if ((err as Error).name === "PlanError" || (err as Error).name === "CreationOrderError") {
      io.stderr(`${(err as Error).message}\n`);
      return 1;
    }
    throw err;
  }
}

// Run when executed directly (bin or tsx), not when imported by tests.
const invoked = process.argv[1] ?? "";
if (/[\\/]cli[\\/]main\.(ts|js)$/.test(invoked) || /[\\/]brume$/.test(invoked)) {
  // A reader that went away (`brume plan | head`) is not an error of ours: stop writing, keep the code.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
  });
  runCli(process.argv.slice(2)).then(
    (code) => exitAfterFlush(code),
    (err) => {
      process.stderr.write(`brume: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
      exitAfterFlush(70);
    },
  );
}

/**
 * Exits once stdout and stderr have handed everything to the OS. `process.exit` right after a large
 * write to a pipe drops what the pipe has not taken yet (Node writes to pipes asynchronously): a
 * `brume plan | jq` used to lose everything past 64 KiB and still exit 0. A write's callback runs
 * after every earlier write of the stream, so an empty write marks the end.
 */
function exitAfterFlush(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.destroyed || !stream.writable) done();
    else stream.write("", done);
  }
}
