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
