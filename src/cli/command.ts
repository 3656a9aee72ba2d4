import { existsSync, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
/** What every `brume` subcommand is: a name, a usage block and a function returning an exit code. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface Command {
  /** One line for the command list. */
  summary: string;
  /** Options block shown by `brume help <command>` and on usage errors. */
  usage: string;
  /** Runs with the arguments after the command name; returns the exit code. */
  run(args: string[], io: CliIO): Promise<number> | number;
}

/** Bad command-line usage: exit code 2 with the usage text. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Options of every command that plans one stack (parseArgs descriptors). */
export const stackOptions = {
  stack: { type: "string", default: "prod" },
  config: { type: "string" },
  "project-dir": { type: "string" },
} as const;

/** A refusal that is neither a config problem nor a usage error (an unwritable `--out`): one line, exit 1. */
export class CliError extends Error {
  override readonly name = "CliError";
}

/**
 * Writes a command's output file: a missing directory or an unwritable path is a one-line error
 * naming the path, never an ENOENT stack trace.
 */
export function writeOutput(file: string, text: string): void {
  const dir = dirname(resolve(file));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliError(`--out ${file}: directory ${dir} does not exist; create it first (mkdir -p ${dir})`);
  try {
    writeFileSync(file, text);
  } catch (err) {
    throw new CliError(`--out ${file}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
