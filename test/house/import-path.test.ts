/**
 * What an import loads, at run time (dynamic imports and node_modules included, which the layering
 * rule's static graph does not see): a stack importing `@brume/infra` or `@brume/infra/components`
 * loads no CLI, offline-plan, review or test-kit module, no cloud client (@google-cloud/*,
 * googleapis), no JSON Schema generator and no TOML parser (stacks without machines or brume.toml
 * never need it); `brume --version` and `brume validate` load no Pulumi SDK; `brume plan` loads its
 * own command module and no other command's. Each case is a fresh Node process with a loader hook
 * recording every ES module resolved and, at exit, every CommonJS module in require's cache.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { examplePath, repoRoot } from "../harness.js";
import { loadedFiles, packagesOf } from "./loaded-files.js";

const dir = mkdtempSync(join(tmpdir(), "brume-imports-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Repo-relative source files and node_modules packages a fresh process loaded for `args`. */
function loaded(name: string, args: string[]): { sources: string[]; packages: string[] } {
  const run = loadedFiles(dir, name, args, { cwd: repoRoot, preload: ["--import", "tsx"] });
  if (run.status !== 0) throw new Error(`node ${args.join(" ")} failed:\n${run.stderr}`);
  const sources = run.files.filter((file) => !file.includes("/node_modules/") && file.startsWith(join(repoRoot, "src"))).map((file) => relative(repoRoot, file));
  return { sources: [...new Set(sources)].sort(), packages: packagesOf(run.files) };
}

const notForStacks = /^src\/(cli|plan|review|testing)\//;
const cloudClients = /^(@google-cloud\/|googleapis|google-auth-library|zod-to-json-schema|@pulumi\/policy|smol-toml|dependency-cruiser)/;

describe("what an import loads (fresh processes)", () => {
  for (const entry of ["src/index.ts", "src/components/index.ts"]) {
    it(`${entry} loads components and config, no CLI, plan, review or test-kit code, no cloud client`, () => {
      const { sources, packages } = loaded(entry.replace(/\W/g, "-"), ["--input-type=module", "-e", `await import(${JSON.stringify(join(repoRoot, entry))});`]);
      expect(sources).toContain("src/components/environment/environment.ts");
      expect(packages).toContain("@pulumi/gcp");
      expect(sources.filter((f) => notForStacks.test(f))).toEqual([]);
      expect(packages.filter((p) => cloudClients.test(p))).toEqual([]);
    });
  }

  it("brume --version and brume validate load no Pulumi SDK and no command but their own", () => {
    const version = loaded("version", ["src/cli/main.ts", "--version"]);
    expect(version.packages.filter((p) => p.startsWith("@pulumi/"))).toEqual([]);
    expect(version.sources.filter((f) => f.startsWith("src/cli/commands/"))).toEqual([]);
    const validate = loaded("validate", ["src/cli/main.ts", "validate", "--config", examplePath("bro-ai", "brume.yaml")]);
    expect(validate.packages.filter((p) => p.startsWith("@pulumi/"))).toEqual([]);
    expect(validate.sources.filter((f) => f.startsWith("src/cli/commands/"))).toEqual(["src/cli/commands/validate.ts"]);
  });

  it("brume plan loads the plan command only, and no cloud client", () => {
    const out = join(dir, "plan.json");
    const plan = loaded("plan", ["src/cli/main.ts", "plan", "--stack", "prod", "--config", examplePath("bro-ai", "brume.yaml"), "--format", "json", "--out", out]);
    expect(JSON.parse(readFileSync(out, "utf8")).resources.length).toBeGreaterThan(300);
    expect(plan.sources.filter((f) => f.startsWith("src/cli/commands/"))).toEqual(["src/cli/commands/plan.ts"]);
    expect(plan.sources.filter((f) => f.startsWith("src/cli/release"))).toEqual([]);
    expect(plan.packages.filter((p) => cloudClients.test(p))).toEqual([]);
  });
});
