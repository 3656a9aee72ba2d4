/**
 * What an import loads, at run time (dynamic imports and node_modules included, which the layering
 * rule's static graph does not see): a stack importing `@brume/infra` or `@brume/infra/components`
 * loads no CLI, offline-plan, review or test-kit module, no cloud client (@google-cloud/*,
 * googleapis), no JSON Schema generator and no TOML parser (stacks without machines or brume.toml
 * never need it); `brume --version` and `brume validate` load no Pulumi SDK; `brume plan` loads its
 * own command module and no other command's. Each case is a fresh Node process with a loader hook
 * recording every ES module resolved and, at exit, every CommonJS module in require's cache.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { examplePath, repoRoot } from "../harness.js";

const dir = mkdtempSync(join(tmpdir(), "brume-imports-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const recorder = join(dir, "record.mjs");
writeFileSync(
  recorder,
  `import { register, createRequire } from "node:module";
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
`,
);

/** Repo-relative source files and node_modules packages a fresh process loaded for `args`. */
function loaded(name: string, args: string[]): { sources: string[]; packages: string[] } {
  const log = join(dir, `${name}.log`);
  writeFileSync(log, "");
  execFileSync(process.execPath, ["--import", "tsx", "--import", recorder, ...args], {
    cwd: repoRoot,
    env: { ...process.env, BRUME_IMPORTS_LOG: log },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const files = new Set(
    readFileSync(log, "utf8")
      .split("\n")
      .filter((line) => line.startsWith("file://") || line.startsWith("/"))
      .map((line) => (line.startsWith("file://") ? fileURLToPath(line) : line)),
  );
  const sources = new Set<string>();
  const packages = new Set<string>();
  for (const file of files) {
    const at = file.lastIndexOf("node_modules/");
    if (at >= 0) {
      const [scope, name] = file.slice(at + "node_modules/".length).split("/");
      packages.add(scope!.startsWith("@") ? `${scope}/${name}` : scope!);
    } else if (file.startsWith(join(repoRoot, "src"))) sources.add(relative(repoRoot, file));
  }
  return { sources: [...sources].sort(), packages: [...packages].sort() };
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
