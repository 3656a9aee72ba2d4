/**
 * The `brume` bin is a bundle (build/cli-bundle.mjs → dist/cli/main.js, which runs dist/cli/brume.cjs
 * through the compile cache of src/cli/compile-cache.ts): it must plan exactly what the sources plan,
 * with the cache and without it, load no command's external packages at another's start, keep the
 * Pulumi SDKs external (one @pulumi/pulumi shared with the runtime: two copies break the mocks and a
 * real `pulumi up`) and hold no zod locale but English. The test builds its own bundle (with
 * esbuild's metafile) into node_modules/.cache, inside the repository so that the external packages
 * resolve from its node_modules as they do from dist/cli; its compile cache is a directory of its own.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { brume, examplePath, repoRoot } from "../harness.js";
import { loadedFiles, packagesOf } from "./loaded-files.js";

// …/cli/main.js: the path src/cli/main.ts recognises as being run (not imported).
const cache = join(repoRoot, "node_modules", ".cache", `brume-cli-bundle-${process.pid}`);
const out = join(cache, "cli");
const scratch = mkdtempSync(join(tmpdir(), "brume-bundle-"));
const metaFile = join(scratch, "meta.json");
const compileCache = join(scratch, "compile-cache");
let meta: { inputs: Record<string, unknown>; outputs: Record<string, { inputs: Record<string, unknown>; entryPoint?: string; imports: { path: string; kind: string }[] }> };

beforeAll(() => {
  execFileSync(process.execPath, [join(repoRoot, "build", "cli-bundle.mjs"), out], { env: { ...process.env, BRUME_BUNDLE_META: metaFile }, stdio: "pipe" });
  meta = JSON.parse(readFileSync(metaFile, "utf8"));
}, 60_000);
afterAll(() => {
  rmSync(cache, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

/** A fresh process of the bundle for `args`: what it loaded, printed and exited with. */
function run(args: string[], env: NodeJS.ProcessEnv = {}): { loaded: string[]; stdout: string; stderr: string; status: number } {
  const result = loadedFiles(scratch, "bundle", [join(out, "main.js"), ...args], { cwd: repoRoot, env: { NODE_COMPILE_CACHE: compileCache, NODE_DEBUG: "brume-compile-cache", ...env } });
  return { loaded: result.files, stdout: result.stdout, stderr: result.stderr, status: result.status };
}

/** What the compile cache did in a run (NODE_DEBUG=brume-compile-cache): "missing", "accepted", "written", …. */
const cacheEvents = (stderr: string) => [...stderr.matchAll(/^BRUME-COMPILE-CACHE \d+: .*?(?:\.v8)?: (\w+)/gm)].map((m) => m[1]);

describe("the bundled brume CLI (dist/cli/main.js)", () => {
  it("is the package's bin, and builds what `npm ci` (prepare) and `npm run build` build", () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"));
    expect(pkg.bin).toEqual({ brume: "./dist/cli/main.js" });
    expect(pkg.files).toContain("dist/cli");
    for (const script of [pkg.scripts.prepare, pkg.scripts.build]) expect(script).toBe("tsc -p tsconfig.build.json && node build/cli-bundle.mjs");
    expect(readdirSync(out).sort()).toEqual(["brume.cjs", "brume.cjs.map", "main.js", "main.js.map"]);
    // A classic script, strict as the ES modules it comes from; no `import()` left (a vm.Script has no module loader).
    const bundle = readFileSync(join(out, "brume.cjs"), "utf8");
    expect(bundle.split("\n").slice(0, 2)).toEqual(["#!/usr/bin/env node", '"use strict";']);
    expect(bundle.match(/[^.\w]import\(\s*["'`]/g)).toBeNull();
  });

  it("plans bro-ai prod byte for byte as the sources do, compiling from its cache or without one", async () => {
    const args = (file: string) => ["plan", "--stack", "prod", "--config", join(examplePath("bro-ai"), "brume.yaml"), "--format", "json", "--out", file];
    const fromSources = await brume("plan", "--stack", "prod", "--config", join(examplePath("bro-ai"), "brume.yaml"), "--format", "json");
    expect(fromSources.code).toBe(0);
    expect(JSON.parse(fromSources.stdout).resources.length).toBeGreaterThan(400);
    rmSync(compileCache, { recursive: true, force: true });
    // First run: no cache, written at exit; second: compiled from it; then with the cache off.
    const runs = [run(args(join(scratch, "plan-1.json"))), run(args(join(scratch, "plan-2.json"))), run(args(join(scratch, "plan-3.json")), { NODE_DISABLE_COMPILE_CACHE: "1" })];
    expect(runs.map((r) => r.status)).toEqual([0, 0, 0]);
    expect(runs.map((r) => cacheEvents(r.stderr))).toEqual([["missing", "written"], ["accepted"], ["off"]]);
    for (const n of [1, 2, 3]) expect(readFileSync(join(scratch, `plan-${n}.json`), "utf8")).toBe(fromSources.stdout);
    // One private file per command: the directory is this user's alone.
    expect(readdirSync(join(compileCache, "brume")).filter((f) => f.endsWith(".v8"))).toHaveLength(1);
    expect(statSync(join(compileCache, "brume")).mode & 0o777).toBe(0o700);
  }, 120_000);

  it("loads only what a command needs: --version and validate no Pulumi SDK, plan no review client", () => {
    const version = run(["--version"]);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).version);
    expect(packagesOf(version.loaded).filter((p) => p.startsWith("@pulumi/"))).toEqual([]);

    const validate = run(["validate", "--stack", "prod", "--config", join(examplePath("bro-ai"), "brume.yaml")]);
    expect(validate.status).toBe(0);
    expect(packagesOf(validate.loaded).filter((p) => p.startsWith("@pulumi/") || p.startsWith("@google-cloud/"))).toEqual([]);

    const plan = run(["plan", "--stack", "prod", "--config", join(examplePath("bro-ai"), "brume.yaml"), "--format", "json", "--out", join(scratch, "p.json")]);
    expect(plan.status).toBe(0);
    // Each command's modules are initialised when it runs: plan requires no client of the review
    // tools (Cloud Monitoring).
    expect(packagesOf(plan.loaded).filter((p) => p.startsWith("@google-cloud/"))).toEqual([]);
    // The SDKs come from node_modules, as the program's own imports resolve them: one copy.
    expect(packagesOf(plan.loaded)).toEqual(expect.arrayContaining(["@pulumi/pulumi", "@pulumi/gcp", "@pulumi/kubernetes"]));
  }, 60_000);

  it("keeps the Pulumi SDKs and Google's clients external, and zod's English locale only", () => {
    const bundled = Object.keys(meta.inputs);
    expect(bundled.filter((i) => /node_modules\/@(pulumi|google-cloud)\//.test(i))).toEqual([]);
    expect(bundled.filter((i) => /node_modules\/zod\/v4\/locales\//.test(i)).map((i) => i.replace(/.*\//, "")).sort()).toEqual(["en.js", "index.js"]);
    // brume's own modules and the pure-JS dependencies are inside: nothing of them is resolved at run time.
    expect(bundled).toEqual(expect.arrayContaining(["src/cli/main.ts", "src/config/schema.ts", "src/components/environment/environment.ts"]));
    expect(bundled.some((i) => /node_modules\/zod\/v4\/core\//.test(i))).toBe(true);
    expect(bundled.some((i) => /node_modules\/yaml\//.test(i))).toBe(true);
  });
});
