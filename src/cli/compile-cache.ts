/**
 * How the `brume` bin runs its bundle (dist/cli/brume.cjs, made by build/cli-bundle.mjs): compiled
 * by V8 from a code cache when one is there, so a command spends its CPU on its own work, not on
 * compiling brume's code again on every run. Measured on `brume plan` of bro-ai prod, compiling
 * the bundle's functions was most of what brume cost above the SDK (bench/whole-process.ts).
 *
 * This is what Node's own compile cache does (`module.enableCompileCache`, Node ≥ 22.8,
 * https://nodejs.org/api/module.html#module-compile-cache, nodejs/node#54501), which tsc's entry
 * points turn on (microsoft/TypeScript#59720: "roughly a 2.5x startup time boost"), as pnpm's and
 * corepack's do. Node 20 has only `vm.Script`'s `cachedData`
 * (https://nodejs.org/api/vm.html#new-vmscriptcode-options), so the bin applies it to its one file
 * itself, on every Node version alike. Only brume's bundle: the Pulumi SDKs and a user's own modules
 * load as Node loads them (so the whole-process bench compares like with like).
 *
 * - Where: `$NODE_COMPILE_CACHE/brume` when set, else `$XDG_CACHE_HOME/brume/compile-cache`, else
 *   `~/.cache/brume/compile-cache`. A code cache is code that will run: the directory is used only
 *   when this user owns it and nobody else can write to it (created 0700).
 * - Key: the bundle's SHA-256, the command (each caches the functions it runs), Node's version and
 *   architecture, and the process's V8 flags (`execArgv`, `NODE_OPTIONS`). V8 checks a cache
 *   against its own version and flags as well and rejects a mismatch (`cachedDataRejected`): the
 *   run then compiles as without a cache and writes a new one.
 * - Written once per key, at exit, so that it holds every function the run compiled (a cache made
 *   when the script is first compiled holds only its top level); atomically (a temporary file,
 *   then a rename), so concurrent runs never read half a file. At most `maxEntries` are kept.
 * - `NODE_DISABLE_COMPILE_CACHE=1` turns it off, as it turns off Node's own. `NODE_DEBUG=brume-compile-cache`
 *   says what happened on stderr (Node's `util.debuglog`).
 * - It never fails a command: a directory that cannot be made or written means no cache.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { debuglog } from "node:util";
import vm from "node:vm";

const debug = debuglog("brume-compile-cache");

/** Cache files kept in the directory (each ≈ 2 MB): older ones are removed when a new one is written. */
export const maxEntries = 24;

/** The cache directory for `env`, or undefined when caching is turned off. */
export function compileCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  if (env.NODE_COMPILE_CACHE) return join(env.NODE_COMPILE_CACHE, "brume");
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "brume", "compile-cache");
}

/**
 * The cache file name of a bundle for one command under this process's Node and V8 flags: a code
 * cache of other source, another Node or other flags never shares a name.
 */
export function compileCacheKey(bundle: Buffer, command: string, env: NodeJS.ProcessEnv = process.env): string {
  const hash = createHash("sha256").update(bundle);
  hash.update(`\0${command}\0${process.version}\0${process.arch}\0${process.execArgv.join(" ")}\0${env.NODE_OPTIONS ?? ""}`);
  return `${hash.digest("hex").slice(0, 40)}.v8`;
}

/** The command a run's arguments name (its cache is its own), or "-" for none (`--version`, a flag). */
export function commandOf(args: readonly string[]): string {
  const first = args[0];
  return first !== undefined && /^[a-z][a-z-]{0,31}$/.test(first) ? first : "-";
}

/**
 * `dir`, made if missing, when this user owns it and no one else may write to it; otherwise
 * undefined (and why, in the debug log).
 */
function privateDirectory(dir: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = statSync(dir);
    const uid = process.getuid?.();
    if (uid !== undefined && stat.uid !== uid) {
      debug("not using %s: owned by uid %d, not %d", dir, stat.uid, uid);
      return undefined;
    }
    if (process.platform !== "win32" && (stat.mode & 0o022) !== 0) {
      debug("not using %s: others can write to it (mode %s)", dir, (stat.mode & 0o777).toString(8));
      return undefined;
    }
    return dir;
  } catch (err) {
    debug("not using %s: %s", dir, (err as Error).message);
    return undefined;
  }
}

/** Keeps the newest `maxEntries` cache files of `dir` (by modification time), `keep` among them. */
function prune(dir: string, keep: string): void {
  const entries = readdirSync(dir)
    .filter((name) => name.endsWith(".v8") && name !== keep)
    .map((name) => ({ name, mtime: statSync(join(dir, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const { name } of entries.slice(maxEntries - 1)) unlinkSync(join(dir, name));
}

/** What `runBundle` did with the cache: for the debug log and the tests. */
export type CacheUse = "off" | "accepted" | "rejected" | "missing";

/**
 * Runs the CommonJS bundle `file` as Node would run it (`require`, `module`, `__filename`,
 * `__dirname` its own), compiled from the code cache of `command` when there is a valid one; at
 * exit, writes the cache when there was none or V8 rejected it.
 */
export function runBundle(file: string, command: string, env: NodeJS.ProcessEnv = process.env): CacheUse {
  const bundle = readFileSync(file);
  let dir: string | undefined;
  try {
    dir = compileCacheDir(env);
  } catch (err) {
    // No home directory to be found (os.homedir() throws): no cache.
    debug("no cache directory: %s", (err as Error).message);
  }
  const cacheDir = dir === undefined ? undefined : privateDirectory(dir);
  const key = cacheDir === undefined ? undefined : compileCacheKey(bundle, command, env);
  const cacheFile = cacheDir !== undefined && key !== undefined ? join(cacheDir, key) : undefined;
  let cachedData: Buffer | undefined;
  if (cacheFile !== undefined) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      cachedData = undefined;
    }
  }
  // Node's CommonJS wrapper; the bundle starts with the bin's `#!` line, which only a file may have.
  const source = `(function (exports, require, module, __filename, __dirname) { ${bundle.toString("utf8").replace(/^#!.*/, "")}\n});`;
  const script = new vm.Script(source, { filename: file, ...(cachedData ? { cachedData } : {}) });
  const use: CacheUse = cacheFile === undefined ? "off" : cachedData === undefined ? "missing" : script.cachedDataRejected ? "rejected" : "accepted";
  debug("%s: %s", cacheFile ?? "no cache directory", use);
  if (cacheFile !== undefined && cacheDir !== undefined && key !== undefined && use !== "accepted") {
    process.once("exit", () => {
      const temporary = `${cacheFile}.${process.pid}.tmp`;
      try {
        writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
        renameSync(temporary, cacheFile);
        prune(cacheDir, key);
        debug("%s: written", cacheFile);
      } catch (err) {
        debug("%s: not written: %s", cacheFile, (err as Error).message);
        // A full disk leaves no half-written temporary file behind (and never an error of its own).
        try {
          rmSync(temporary, { force: true });
        } catch {
          // nothing more to do
        }
      }
    });
  }
  const wrapper = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string) => void;
  const module = { exports: {} };
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return use;
}
