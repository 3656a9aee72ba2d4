/**
 * The bin's compile cache (src/cli/compile-cache.ts): where it lives, what its key covers, and how a
 * bundle runs through it. Each run is its own Node process (the cache is written at exit), with a
 * tiny CommonJS bundle of the test's own; NODE_DEBUG=brume-compile-cache says what the cache did.
 * The plan of bro-ai through the real bundle, with and without the cache: test/house/cli-bundle.test.ts.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { commandOf, compileCacheDir, compileCacheKey, maxEntries } from "../../src/cli/compile-cache.js";
import { repoRoot } from "../harness.js";

const scratch = mkdtempSync(join(tmpdir(), "brume-compile-cache-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A bundle as esbuild writes one: a `#!` line, strict, CommonJS; it prints what a module sees. */
const bundleSource = `#!/usr/bin/env node
"use strict";
const strict = (function () { return this === undefined; })();
module.exports = { ok: true };
console.log(JSON.stringify({ strict, filename: __filename, dirname: __dirname, path: typeof require("node:path").join, exports: module.exports.ok, args: process.argv.slice(2) }));
`;

/** Runs `bundle` through runBundle in a fresh process, from the repository. */
function runThrough(bundle: string, env: NodeJS.ProcessEnv, args: string[] = ["plan"]) {
  const entry = join(scratch, "entry.ts");
  writeFileSync(entry, `import { commandOf, runBundle } from ${JSON.stringify(join(repoRoot, "src/cli/compile-cache.ts"))};\nrunBundle(${JSON.stringify(bundle)}, commandOf(process.argv.slice(2)));\n`);
  const { NODE_DISABLE_COMPILE_CACHE: _, NODE_COMPILE_CACHE: __, ...rest } = process.env;
  const run = spawnSync(process.execPath, ["--import", "tsx", entry, ...args], { cwd: repoRoot, env: { ...rest, NODE_DEBUG: "brume-compile-cache", ...env }, encoding: "utf8" });
  const events = [...run.stderr.matchAll(/^BRUME-COMPILE-CACHE \d+: (.*)$/gm)].map((m) => m[1]!);
  // The last word of each line: "missing", "written", "accepted", "rejected", "off".
  const outcomes = events.map((e) => e.split(": ").pop()!);
  return { status: run.status, stdout: run.stdout, events, outcomes };
}

function bundleIn(dir: string, source = bundleSource): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "brume.cjs");
  writeFileSync(file, source);
  return file;
}

describe("where the compile cache lives", () => {
  it("follows Node's own variables, then the XDG cache directory, then ~/.cache", () => {
    expect(compileCacheDir({ NODE_DISABLE_COMPILE_CACHE: "1", NODE_COMPILE_CACHE: "/c" })).toBeUndefined();
    expect(compileCacheDir({ NODE_COMPILE_CACHE: "/c", XDG_CACHE_HOME: "/x" })).toBe("/c/brume");
    expect(compileCacheDir({ XDG_CACHE_HOME: "/x" })).toBe("/x/brume/compile-cache");
    expect(compileCacheDir({})).toBe(join(homedir(), ".cache", "brume", "compile-cache"));
  });

  it("keys a cache by the bundle's content and the command", () => {
    const a = Buffer.from("one"), b = Buffer.from("two");
    expect(compileCacheKey(a, "plan", {})).toBe(compileCacheKey(Buffer.from("one"), "plan", {}));
    expect(compileCacheKey(a, "plan", {})).not.toBe(compileCacheKey(b, "plan", {}));
    expect(compileCacheKey(a, "plan", {})).not.toBe(compileCacheKey(a, "diff", {}));
    expect(compileCacheKey(a, "plan", {})).not.toBe(compileCacheKey(a, "plan", { NODE_OPTIONS: "--max-old-space-size=4096" }));
    expect(compileCacheKey(a, "plan", {})).toMatch(/^[0-9a-f]{40}\.v8$/);
    expect([commandOf(["plan", "--stack", "prod"]), commandOf(["--version"]), commandOf([]), commandOf(["../x"])]).toEqual(["plan", "-", "-", "-"]);
  });
});

describe("a bundle run through the cache", () => {
  it("runs as Node runs a CommonJS file, writes its cache at exit and compiles from it next time", () => {
    const dir = join(scratch, "run");
    const bundle = bundleIn(join(dir, "cli"));
    const cache = join(dir, "cache");
    const first = runThrough(bundle, { NODE_COMPILE_CACHE: cache }, ["plan", "--stack", "prod"]);
    expect(first.status).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ strict: true, filename: bundle, dirname: join(dir, "cli"), path: "function", exports: true, args: ["plan", "--stack", "prod"] });
    expect(first.outcomes).toEqual(["missing", "written"]);
    const second = runThrough(bundle, { NODE_COMPILE_CACHE: cache });
    expect(second.outcomes).toEqual(["accepted"]);
    expect(JSON.parse(second.stdout)).toEqual({ ...JSON.parse(first.stdout), args: ["plan"] });
    expect(statSync(join(cache, "brume")).mode & 0o777).toBe(0o700);
    // Another command has a cache of its own; an edited bundle never meets the old cache.
    expect(runThrough(bundle, { NODE_COMPILE_CACHE: cache }, ["diff"]).events.at(-1)).toMatch(/written$/);
    bundleIn(join(dir, "cli"), bundleSource.replace("ok: true", "ok: 1"));
    const edited = runThrough(bundle, { NODE_COMPILE_CACHE: cache });
    expect(edited.outcomes).toEqual(["missing", "written"]);
    expect(JSON.parse(edited.stdout).exports).toBe(1);
    expect(readdirSync(join(cache, "brume")).filter((f) => f.endsWith(".v8"))).toHaveLength(3);
  });

  it("rewrites a cache V8 rejects, and the command runs as without one", () => {
    const dir = join(scratch, "rejected");
    const bundle = bundleIn(join(dir, "cli"));
    const cache = join(dir, "cache");
    expect(runThrough(bundle, { NODE_COMPILE_CACHE: cache }).status).toBe(0);
    const [file] = readdirSync(join(cache, "brume"));
    writeFileSync(join(cache, "brume", file!), "not a code cache");
    const run = runThrough(bundle, { NODE_COMPILE_CACHE: cache });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout).exports).toBe(true);
    expect(run.outcomes).toEqual(["rejected", "written"]);
    expect(runThrough(bundle, { NODE_COMPILE_CACHE: cache }).outcomes).toEqual(["accepted"]);
  });

  it("uses no directory others can write to, and never fails the command", () => {
    const dir = join(scratch, "shared");
    const bundle = bundleIn(join(dir, "cli"));
    const open = join(dir, "open");
    mkdirSync(join(open, "brume"), { recursive: true });
    chmodSync(join(open, "brume"), 0o777);
    const run = runThrough(bundle, { NODE_COMPILE_CACHE: open });
    expect(run.status).toBe(0);
    expect(run.events).toEqual([expect.stringMatching(/not using .*open\/brume: others can write to it \(mode 777\)$/), "no cache directory: off"]);
    expect(readdirSync(join(open, "brume"))).toEqual([]);
    // A path that cannot be a directory: no cache, same output.
    writeFileSync(join(dir, "file"), "");
    const blocked = runThrough(bundle, { NODE_COMPILE_CACHE: join(dir, "file") });
    expect(blocked.status).toBe(0);
    expect(JSON.parse(blocked.stdout).exports).toBe(true);
    expect(runThrough(bundle, { NODE_DISABLE_COMPILE_CACHE: "1", NODE_COMPILE_CACHE: join(dir, "off") }).events).toEqual(["no cache directory: off"]);
  });

  // Only root can give a directory to another user: CI runs as root, elsewhere this is a counted skip.
  it.skipIf(process.getuid?.() !== 0)("uses no directory another user owns", () => {
    const dir = join(scratch, "theirs");
    const bundle = bundleIn(join(dir, "cli"));
    mkdirSync(join(dir, "cache", "brume"), { recursive: true, mode: 0o700 });
    chownSync(join(dir, "cache", "brume"), 65534, 65534);
    const run = runThrough(bundle, { NODE_COMPILE_CACHE: join(dir, "cache") });
    expect(run.status).toBe(0);
    expect(run.events).toEqual([expect.stringMatching(/owned by uid 65534, not 0$/), "no cache directory: off"]);
    expect(readdirSync(join(dir, "cache", "brume"))).toEqual([]);
  });

  it(`keeps at most ${maxEntries} cache files`, () => {
    const dir = join(scratch, "prune");
    const bundle = bundleIn(join(dir, "cli"));
    const cache = join(dir, "cache");
    mkdirSync(join(cache, "brume"), { recursive: true, mode: 0o700 });
    for (let i = 0; i < maxEntries + 5; i++) writeFileSync(join(cache, "brume", `${String(i).padStart(40, "0")}.v8`), "old");
    expect(runThrough(bundle, { NODE_COMPILE_CACHE: cache }).events.at(-1)).toMatch(/written$/);
    const left = readdirSync(join(cache, "brume"));
    expect(left).toHaveLength(maxEntries);
    // The new one stays; the oldest go.
    expect(left.filter((f) => !f.startsWith("0".repeat(30)))).toHaveLength(1);
  });
});
