/**
 * The `brume` bin is a bundle (build/cli-bundle.mjs → dist/cli/main.js): it must plan exactly what
 * the sources plan, keep each command's modules out of the others' start (code splitting), keep
 * the Pulumi SDKs external (one @pulumi/pulumi shared with the runtime: two copies break the
 * mocks and a real `pulumi up`) and hold no zod locale but English. The test builds its own bundle
 * (with esbuild's metafile) into node_modules/.cache, inside the repository so that the external
 * packages resolve from its node_modules as they do from dist/cli.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync } from "node:fs";
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
function run(args: string[]): { loaded: string[]; stdout: string; status: number } {
  const result = loadedFiles(scratch, "bundle", [join(out, "main.js"), ...args], { cwd: repoRoot });
  return { loaded: result.files, stdout: result.stdout, status: result.status };
}

/** Bundle files loaded, relative to the bundle (Node reports real paths: node_modules may be a link). */
const chunksOf = (files: string[]) => {
  const real = realpathSync(out);
  return files.filter((f) => f.startsWith(real)).map((f) => f.slice(real.length + 1));
};

describe("the bundled brume CLI (dist/cli/main.js)", () => {
  it("is the package's bin, and builds what `npm ci` (prepare) and `npm run build` build", () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"));
    expect(pkg.bin).toEqual({ brume: "./dist/cli/main.js" });
    expect(pkg.files).toContain("dist/cli");
    for (const script of [pkg.scripts.prepare, pkg.scripts.build]) expect(script).toBe("tsc -p tsconfig.build.json && node build/cli-bundle.mjs");
    expect(existsSync(join(out, "main.js"))).toBe(true);
  });

  it("plans bro-ai prod byte for byte as the sources do", async () => {
    const file = join(scratch, "plan.json");
    const bundled = run(["plan", "--stack", "prod", "--config", join(examplePath("bro-ai"), "brume.yaml"), "--format", "json", "--out", file]);
    expect(bundled.status).toBe(0);
    const fromSources = await brume("plan", "--stack", "prod", "--config", join(examplePath("bro-ai"), "brume.yaml"), "--format", "json");
    expect(fromSources.code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(fromSources.stdout);
    expect(JSON.parse(fromSources.stdout).resources.length).toBeGreaterThan(400);
  }, 60_000);

  it("loads only what a command needs: --version and validate no Pulumi SDK, plan no other command", () => {
    const version = run(["--version"]);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).version);
    expect(packagesOf(version.loaded).filter((p) => p.startsWith("@pulumi/"))).toEqual([]);

    const validate = run(["validate", "--stack", "prod", "--config", join(examplePath("bro-ai"), "brume.yaml")]);
    expect(validate.status).toBe(0);
    expect(packagesOf(validate.loaded).filter((p) => p.startsWith("@pulumi/") || p.startsWith("@google-cloud/"))).toEqual([]);

    const plan = run(["plan", "--stack", "prod", "--config", join(examplePath("bro-ai"), "brume.yaml"), "--format", "json", "--out", join(scratch, "p.json")]);
    expect(plan.status).toBe(0);
    // The command chunks: one per src/cli/commands/*.ts, loaded by name (esbuild names a dynamic
    // import's chunk after its module).
    const commands = readdirSync(join(repoRoot, "src", "cli", "commands")).map((f) => f.replace(/\.ts$/, ""));
    const loadedCommands = chunksOf(plan.loaded)
      .map((c) => c.replace(/^chunks\//, "").replace(/-[A-Z0-9]{8}\.js$/, ""))
      .filter((name) => commands.includes(name));
    expect(loadedCommands).toEqual(["plan"]);
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
