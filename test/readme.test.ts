/**
 * The README and docs/*.md are executed: the config example is the file the tests plan, the preset
 * table is rendered from the presets, the TypeScript examples run under the mocks, and the README's
 * two commands exist. (test/docs.test.ts runs, plans or typechecks every other block.)
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { presetNames, presets } from "../src/config/presets.js";
import { brumeConfigSchema } from "../src/config/schema.js";
import { planContract } from "../src/plan/contract.js";
import { one, planDir, planProgram, repoRoot } from "./harness.js";

const readmeOnly = readFileSync(join(repoRoot, "README.md"), "utf8");
/** README.md and every docs page, one text: the sections moved to docs/ keep their markers. */
const readme = [readmeOnly, ...readdirSync(join(repoRoot, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => readFileSync(join(repoRoot, "docs", f), "utf8"))].join("\n");

/** The fenced block of `lang` that follows `marker`. */
function blockAfter(marker: string, lang: string): string {
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README has no ${marker}`);
  const match = readme.slice(at).match(new RegExp("```" + lang + "\\n([\\s\\S]*?)```"));
  if (!match) throw new Error(`no \`\`\`${lang} block after ${marker}`);
  return match[1]!;
}

describe("README", () => {
  it("shows examples/minimal/brume.yaml verbatim, and that example plans", async () => {
    const shown = blockAfter("<!-- readme-example: examples/minimal/brume.yaml -->", "yaml");
    expect(shown).toBe(readFileSync(join(repoRoot, "examples/minimal/brume.yaml"), "utf8"));
    const plan = await planDir(join(repoRoot, "examples/minimal"), "prod");
    expect(one(plan, "pulumi:providers:gcp", "hello-gcp").inputs).toMatchObject({ project: "hello-prod-4821" });
  });

  it("names every top-level key of the config schema in the model table", () => {
    const table = readme.slice(readme.indexOf("## The model"), readme.indexOf("Objects are strict"));
    const documented = [...table.matchAll(/^\| ([^|]+) \|/gm)].flatMap((m) => [...m[1]!.matchAll(/`([a-z]+)[.`]/g)].map((k) => k[1]!));
    const keys = Object.keys(brumeConfigSchema.shape).filter((k) => k !== "$schema");
    expect(keys.filter((k) => !documented.includes(k))).toEqual([]);
  });

  it("renders the preset table from src/config/presets.ts", () => {
    const start = readme.indexOf("<!-- presets-table -->");
    const end = readme.indexOf("<!-- /presets-table -->");
    const table = readme.slice(start, end).split("\n").filter((l) => l.startsWith("|"));
    const expected = [
      `| setting | ${presetNames.join(" | ")} |`,
      `|---|${presetNames.map(() => "---").join("|")}|`,
      ...Object.keys(presets.production).map(
        (key) => `| ${key} | ${presetNames.map((p) => String(presets[p][key as keyof (typeof presets)["production"]])).join(" | ")} |`,
      ),
    ];
    expect(table).toEqual(expected);
  });

  it("runs the TypeScript import example under the mocks", async () => {
    const code = blockAfter("# Importing components into another TypeScript stack", "ts").replace(
      /from "@brume\/infra"/,
      `from ${JSON.stringify(join(repoRoot, "src/index.js"))}`,
    );
    const dir = join(repoRoot, "test/.readme-snippets");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "import-example.ts"), code);
    const plan = await planProgram(async () => (await import(join(dir, "import-example.ts"))).default(), { stack: "prod" });
    expect(one(plan, "gcp:compute/network:Network", "core-vpc").inputs).toMatchObject({ name: "acme-prod-vpc", project: "acme-prod-1234" });
    expect(plan.outputs).toEqual({ networkId: "projects/acme-prod-1234/global/networks/acme-prod-vpc" });
  });

  it("runs the creation-order example: it finds the bucket that races its API", async () => {
    const code = blockAfter("## Creation order", "ts").replace(/from "@brume\/infra\/plan"/, `from ${JSON.stringify(join(repoRoot, "src/plan/index.js"))}`);
    const dir = join(repoRoot, "test/.readme-snippets");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "creation-order-example.ts"), code);
    const { violations } = await import(join(dir, "creation-order-example.ts"));
    expect(violations).toEqual([
      {
        rule: "api-enabled",
        urn: "urn:pulumi:prod::acme::gcp:storage/bucket:Bucket::assets",
        missing: "the API storage.googleapis.com it calls (storage-api)",
        fix: "make the resource depend on the gcp.projects.Service of its API (Apis.for)",
      },
    ]);
  });

  it("names the two commands, and package.json defines them", () => {
    const quickStart = readmeOnly.slice(readmeOnly.indexOf("## Quick start"));
    expect(quickStart.indexOf("npm ci && npm run plan")).toBeLessThan(quickStart.indexOf("## Your own repository"));
    expect(readmeOnly).toContain("bash .ci/install-tools.sh && npm ci && npm test");
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"));
    // The built CLI (npm ci builds dist/ through `prepare`): what users run, not tsx.
    expect(pkg.scripts.plan).toBe("node dist/cli/main.js plan --stack prod");
    expect(pkg.scripts.prepare).toMatch(/tsc -p tsconfig.build.json && node build\/cli-bundle.mjs/);
    expect(pkg.scripts.test).toBe("vitest run");
  });

  it("documents every field of the plan JSON contract", () => {
    const documented = JSON.parse(blockAfter("# The plan JSON contract", "json"));
    expect(Object.keys(documented).sort()).toEqual(Object.keys(planContract.shape).sort());
    // Optional fields appear only on the resources that have them: every field on some example resource.
    const fields = new Set((documented.resources as Record<string, unknown>[]).flatMap((r) => Object.keys(r)));
    expect([...fields].sort()).toEqual(Object.keys(planContract.shape.resources.element.shape).sort());
    expect(() => planContract.parse(documented)).not.toThrow();
  });

  afterAll(() => rmSync(join(repoRoot, "test/.readme-snippets"), { recursive: true, force: true }));
});
