/**
 * What a fresh Node process loads: a loader hook records every ES module resolved and, at exit,
 * every CommonJS module in require's cache. Used by import-path.test.ts (the sources under tsx)
 * and cli-bundle.test.ts (the bundled bin).
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const recorderSource = `import { register, createRequire } from "node:module";
import { appendFileSync } from "node:fs";
register("data:text/javascript," + encodeURIComponent(\`
import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.BRUME_IMPORTS_LOG, result.url + "\\\\n");
  return result;
}\`));
const require = createRequire(import.meta.url);
process.on("exit", () => appendFileSync(process.env.BRUME_IMPORTS_LOG, Object.keys(require.cache).join("\\n") + "\\n"));
`;

export interface LoadedFiles {
  /** Absolute paths (real paths, as Node reports them), each once. */
  files: string[];
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node <preload…> --import <recorder> <args…>` in `cwd`, the recorder's script and log in
 * `dir`. A loader in `preload` (tsx) is registered before the recorder, so the recorder sees the
 * URLs that loader resolves to.
 */
export function loadedFiles(dir: string, name: string, args: string[], options: { cwd: string; preload?: string[]; env?: NodeJS.ProcessEnv }): LoadedFiles {
  const recorder = join(dir, "record.mjs");
  writeFileSync(recorder, recorderSource);
  const log = join(dir, `${name}.log`);
  writeFileSync(log, "");
  const run = spawnSync(process.execPath, [...(options.preload ?? []), "--import", recorder, ...args], { cwd: options.cwd, env: { ...process.env, ...options.env, BRUME_IMPORTS_LOG: log }, encoding: "utf8", maxBuffer: 1 << 26 });
  const files = readFileSync(log, "utf8")
    .split("\n")
    .filter((line) => line.startsWith("file://") || line.startsWith("/"))
    .map((line) => (line.startsWith("file://") ? fileURLToPath(line) : line));
  return { files: [...new Set(files)], status: run.status ?? 1, stdout: run.stdout, stderr: run.stderr };
}

/** The node_modules packages among `files` (`@scope/name` or `name`). */
export function packagesOf(files: string[]): string[] {
  const packages = new Set<string>();
  for (const file of files) {
    const at = file.lastIndexOf("node_modules/");
    if (at < 0) continue;
    const [scope, name] = file.slice(at + "node_modules/".length).split("/");
    packages.add(scope!.startsWith("@") ? `${scope}/${name}` : scope!);
  }
  return [...packages].sort();
}
