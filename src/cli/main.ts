#!/usr/bin/env node
/**
 * The `brume` command line: a table of subcommands (src/cli/commands/*), each returning an exit code.
 * Exit codes: 0 success, 1 invalid config or failed plan (problems listed on stderr), 2 usage error,
 * 3 `brume diff --fail-on-danger` found a dangerous change, 4 `brume diff` would delete a protected
 * resource (Pulumi refuses it at `up`; the diff says how to retire that one resource).
 * Bad input never prints a stack trace.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ConfigError } from "../config/errors.js";
import { suggestKey } from "../config/primitives.js";
import { CliError, UsageError, type CliIO, type Command } from "./command.js";
import { npmRunWarning } from "./npm-run.js";
import { packageVersion } from "./version.js";

export type { CliIO } from "./command.js";

/**
 * Every subcommand, in the order `brume help` lists them, each loaded when it is needed: `brume plan`
 * loads the plan command's modules and no other command's (release, init, render, …).
 */
const commandModules: Record<string, () => Promise<Command>> = {
  plan: async () => (await import("./commands/plan.js")).planCommand,
  diff: async () => (await import("./commands/diff.js")).diffCommand,
  cost: async () => (await import("./commands/cost.js")).costCommand,
  quota: async () => (await import("./commands/quota.js")).quotaCommand,
  validate: async () => (await import("./commands/validate.js")).validateCommand,
  schema: async () => (await import("./commands/schema.js")).schemaCommand,
  release: async () => (await import("./commands/release.js")).releaseCommand,
  history: async () => (await import("./commands/history.js")).historyCommand,
  runbook: async () => (await import("./commands/runbook.js")).runbookCommand,
  render: async () => (await import("./commands/render.js")).renderCommand,
  bootstrap: async () => (await import("./commands/bootstrap.js")).bootstrapCommand,
  init: async () => (await import("./commands/init.js")).initCommand,
  env: async () => (await import("./commands/env.js")).envCommand,
};

/** The names of the subcommands, in the order `brume help` lists them. */
export const commandNames: readonly string[] = Object.keys(commandModules);

/** One subcommand, loaded; undefined for a name that is no command. */
export async function loadCommand(name: string): Promise<Command | undefined> {
  return Object.hasOwn(commandModules, name) ? commandModules[name]!() : undefined;
}

/** Every subcommand, loaded (for the command list). */
export async function loadCommands(): Promise<Record<string, Command>> {
  const loaded = await Promise.all(commandNames.map(async (name) => [name, (await loadCommand(name))!] as const));
  return Object.fromEntries(loaded);
}

export async function usageText(): Promise<string> {
  const commands = await loadCommands();
  const width = Math.max(...Object.keys(commands).map((n) => n.length)) + 3;
  const list = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`);
  return `Usage: brume <command> [options]\n\nCommands:\n${list.join("\n")}\n\nRun "brume <command> --help" for a command's options; "brume --version" prints the version.\n`;
}

export { packageVersion };

const defaultIO: CliIO = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

/** The arguments before `--` (after it everything is a positional). */
const optionArgs = (args: string[]) => (args.includes("--") ? args.slice(0, args.indexOf("--")) : args);

/** The `--long` options a command's usage block lists (its options' one source for messages). */
export function optionsOf(command: Command): string[] {
  return [...new Set(command.usage.match(/--[a-z][a-z-]*/g) ?? [])];
}

/**
 * Checks every command shares before it runs: `--x` with `--no-x` is a contradiction, not "the last
 * one wins"; an `--out` directory that does not exist is refused before minutes of planning.
 */
function checkCommonArgs(args: string[]): void {
  const opts = optionArgs(args);
  const given = new Set(opts.filter((a) => a.startsWith("--")).map((a) => a.split("=")[0]!));
  for (const flag of given) {
    if (flag.startsWith("--no-") && given.has(`--${flag.slice(5)}`)) throw new UsageError(`--${flag.slice(5)} and ${flag} contradict each other; pass one of them`);
  }
  const outAt = opts.indexOf("--out");
  const out = outAt >= 0 ? opts[outAt + 1] : opts.find((a) => a.startsWith("--out="))?.slice(6);
  if (out !== undefined && !out.startsWith("--")) {
    const dir = dirname(resolve(out));
    if (!existsSync(dir)) throw new CliError(`--out ${out}: directory ${dir} does not exist; create it first (mkdir -p ${dir})`);
  }
}

/** One line for a parseArgs error, with a did-you-mean from the command's options. */
function parseArgsMessage(err: Error & { code?: string }, command: Command | undefined): string {
  const unknown = /Unknown option '([^']+)'/.exec(err.message)?.[1];
  if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && unknown) {
    const hint = command ? suggestKey(unknown, optionsOf(command)) : undefined;
    return `unknown option ${unknown}${hint ? ` (did you mean ${hint}?)` : ""}`;
  }
  if (err.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    const extra = /Unexpected argument '([^']+)'/.exec(err.message)?.[1];
    return `unexpected argument${extra ? ` "${extra}"` : ""}: this command takes options only`;
  }
  // "Option '--stack <value>' argument missing" and the like: the first sentence is the message.
  return err.message.split(/\.\s|\n/)[0]!;
}

/** Runs the CLI and returns the exit code; never throws for bad input. */
export async function runCli(argv: string[], io: CliIO = defaultIO): Promise<number> {
  const [name, ...rest] = argv;
  let command: Command | undefined;
  try {
    if (name === "--version" || name === "-V" || name === "version") {
      io.stdout(`${packageVersion()}\n`);
      return 0;
    }
    if (name === undefined || name === "help" || name === "--help" || name === "-h") {
      const topic = name === "help" ? rest[0] : undefined;
      if (topic !== undefined) {
        const target = await loadCommand(topic);
        if (!target) throw new UsageError(unknownCommand(topic));
        io.stdout(`${target.usage}\n`);
        return 0;
      }
      (name === undefined ? io.stderr : io.stdout)(await usageText());
      return name === undefined ? 2 : 0;
    }
    command = await loadCommand(name);
    if (!command) throw new UsageError(unknownCommand(name));
    const opts = optionArgs(rest);
    if (opts.includes("--help") || opts.includes("-h")) {
      io.stdout(`${command.summary}\n\n${command.usage}\n`);
      return 0;
    }
    checkCommonArgs(rest);
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`${err.message}\n`);
      return 1;
    }
    if (err instanceof CliError) {
      io.stderr(`brume: ${err.message}\n`);
      return 1;
    }
    const code = (err as { code?: string }).code;
    if (err instanceof UsageError || code?.startsWith("ERR_PARSE_ARGS")) {
      const message = err instanceof UsageError ? err.message : parseArgsMessage(err as Error, command);
      const hint = command ? `Run "brume ${name} --help" for its options.` : `Run "brume help" for the commands.`;
      io.stderr(`brume${command ? ` ${name}` : ""}: ${message}\n${hint}\n`);
      return 2;
    }
    if ((err as Error).name === "PlanError" || (err as Error).name === "CreationOrderError") {
      io.stderr(`${(err as Error).message}\n`);
      return 1;
    }
    throw err;
  }
}

function unknownCommand(name: string): string {
  const hint = suggestKey(name, [...commandNames]);
  return `unknown command "${name}"${hint ? ` (did you mean "${hint}"?)` : ""}`;
}

// Run when executed directly (bin or tsx), not when imported by tests.
const invoked = process.argv[1] ?? "";
if (/[\\/]cli[\\/]main\.(ts|js)$/.test(invoked) || /[\\/]brume$/.test(invoked)) {
  // A reader that went away (`brume plan | head`) is not an error of ours: stop writing, keep the code.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
  });
  const npmRun = npmRunWarning(process.env, process.cwd());
  if (npmRun) process.stderr.write(npmRun);
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
