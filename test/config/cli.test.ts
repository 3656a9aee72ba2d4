/**
 * The config side of the `brume` CLI: validate, schema, usage errors and environment selection,
 * in process with captured output (test/harness.ts `brume`); exit codes: 0 ok, 1 invalid config, 2 usage.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { usageText } from "../../src/cli/main.js";
import { schemaId } from "../../src/config/json-schema.js";
import { renderPlan } from "../../src/plan/format.js";
import { planStack } from "../../src/plan/stack.js";
import { brume, examplePath, repoRoot } from "../harness.js";

const usage = await usageText();
const cli = brume;

const rootConfig = join(repoRoot, "brume.yaml");
const dir = mkdtempSync(join(tmpdir(), "brume-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("brume validate", () => {
  it("accepts a valid file: exit 0 and a one-line summary", async () => {
    const root = await cli("validate", "--config", rootConfig);
    expect(root).toEqual({ code: 0, stdout: `${rootConfig}: valid (3 services, environments: prod, stage)\n`, stderr: "" });
    const toml = examplePath("minimal", "brume.toml");
    const minimal = await cli("validate", "--config", toml);
    expect(minimal.code).toBe(0);
    expect(minimal.stderr).toBe("");
    expect(minimal.stdout).toMatch(new RegExp(`^${escapeRegExp(toml)}: valid \\(1 service, environments: prod\\)\\n$`));
  });

  it("rejects an invalid file: exit 1 and every problem on stderr with its path", async () => {
    const file = join(dir, "invalid.yaml");
    writeFileSync(
      file,
      [
        "project: { name: shop, region: europe-west1, drRegion: europe-west4 }",
        "environments:",
        "  prod: { gcpProject: shop-prod-1234 }",
        "services:",
        "  api:",
        "    image: api:1",
        "    scalng: { max: 3 }",
        "    runner: kubernets",
        "    ports: [{ name: http, port: 70000 }]",
        "",
      ].join("\n"),
    );
    const result = await cli("validate", "--config", file);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      [
        `${file}: invalid brume config (3 problems):`,
        '  - services.api.runner: expected one of "kubernetes", "container", "process", got "kubernets" (did you mean "kubernetes"?)',
        "  - services.api.ports[0].port: expected at most 65535, got 70000",
        '  - services.api.scalng: unknown key "scalng" (did you mean "scaling"?)',
        "",
      ].join("\n"),
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("reports cross-field problems the same way", async () => {
    const file = join(dir, "rules.yaml");
    writeFileSync(
      file,
      "project: { name: shop, region: europe-west1, drRegion: europe-west4 }\nenvironments: { prod: { gcpProject: shop-prod-1234 } }\nservices:\n  api: { image: api:1, dependsOn: [wrker] }\n  worker: { image: w:1, runner: container }\n",
    );
    const result = await cli("validate", "--config", file);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      [
        `${file}: invalid brume config (2 problems):`,
        '  - services.api.dependsOn[0]: unknown service "wrker" (did you mean "worker"?); declared services: api, worker',
        '  - services.worker.machines: runner "container" needs a machine group; set machines to one of: (declare one under machines)',
        "",
      ].join("\n"),
    );
  });

  it("locates syntax errors by line and column, in YAML and TOML", async () => {
    const yaml = join(dir, "syntax.yaml");
    writeFileSync(yaml, "project:\n  name: shop\n  name: cafe\n");
    const y = await cli("validate", "--config", yaml);
    expect(y).toEqual({
      code: 1,
      stdout: "",
      stderr: `${yaml}: invalid brume config (1 problem):\n  - (line 3, column 3): YAML syntax error: Map keys must be unique\n`,
    });
    const toml = join(dir, "syntax.toml");
    writeFileSync(toml, '[project]\nname = "shop"\nregion =\n');
    const t = await cli("validate", "--config", toml);
    expect(t.code).toBe(1);
    expect(t.stderr).toBe(`${toml}: invalid brume config (1 problem):\n  - (line 3, column 9): TOML syntax error: Invalid TOML document: invalid value\n`);
  });

  it("a missing file or an unknown option is not a crash", async () => {
    const missing = join(dir, "nope.yaml");
    expect(await cli("validate", "--config", missing)).toEqual({
      code: 1,
      stdout: "",
      stderr: `${missing}: invalid brume config (1 problem):\n  - (file): config file not found: ${missing}\n`,
    });
    const unknownOption = await cli("validate", "--confg", rootConfig);
    expect(unknownOption.code).toBe(2);
    // One line with a did-you-mean and a hint, not the help of every command (newcomer 17).
    expect(unknownOption.stderr).toBe('brume validate: unknown option --confg (did you mean --config?)\nRun "brume validate --help" for its options.\n');
  });
});

describe("brume schema", () => {
  it("prints the JSON Schema with its $id, exactly the committed file", async () => {
    const result = await cli("schema");
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const schema = JSON.parse(result.stdout) as { $id: string; title: string };
    expect(schema.$id).toBe(schemaId);
    expect(schema.$id).toBe("https://brume.dev/schema/brume.schema.json");
    expect(schema.title).toBe("brume config");
    expect(result.stdout).toBe(readFileSync(join(repoRoot, "schema", "brume.schema.json"), "utf8"));
  });
});

describe("usage errors exit 2 with one line and a hint", () => {
  it("plan --format xml", async () => {
    const result = await cli("plan", "--format", "xml");
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(`brume plan: --format must be one of json, text, md, got "xml"\nRun "brume plan --help" for its options.\n`);
  });

  it("an unknown command, and no command at all", async () => {
    const unknown = await cli("deploy");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(`brume: unknown command "deploy"\nRun "brume help" for the commands.\n`);
    const none = await cli();
    expect(none).toEqual({ code: 2, stdout: "", stderr: usage });
    expect(await cli("--help")).toEqual({ code: 0, stdout: usage, stderr: "" });
  });
});

describe("brume plan: environment selection", () => {
  it("brume:environment naming a missing environment gives a did-you-mean", async () => {
    writeFileSync(join(dir, "Pulumi.yaml"), "name: cli-test\nruntime: nodejs\n");
    writeFileSync(join(dir, "Pulumi.qa.yaml"), "config:\n  brume:environment: prd\n");
    const result = await cli("plan", "--stack", "qa", "--config", rootConfig, "--project-dir", dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      `invalid brume config (1 problem):\n  - brume:environment in ${join(dir, "Pulumi.qa.yaml")}: unknown environment "prd" (did you mean "prod"?); declared environments: prod, stage\n`,
    );
  });

  it("without brume:environment the stack name is the environment", async () => {
    const result = await cli("plan", "--stack", "stag", "--config", rootConfig, "--project-dir", dir);
    expect(result.code).toBe(1);
    // The user wrote --stack, not brume:environment: the message says so (newcomer 17).
    expect(result.stderr).toContain('  - --stack stag: unknown environment "stag" (did you mean "stage"?)');
  });

  it("an environment named like an Object.prototype key is unknown, not a crash", async () => {
    writeFileSync(join(dir, "Pulumi.proto.yaml"), "config:\n  brume:environment: constructor\n");
    const result = await cli("plan", "--stack", "proto", "--config", rootConfig, "--project-dir", dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`  - brume:environment in ${join(dir, "Pulumi.proto.yaml")}: unknown environment "constructor"; declared environments: prod, stage`);
  });

  it("a valid environment plans: --format json is the plan of planStack", async () => {
    const config = examplePath("minimal", "brume.yaml");
    const result = await cli("plan", "--stack", "prod", "--config", config, "--format", "json");
    expect(result.code).toBe(0);
    // minimal has no `domain`, so its one domain is outside any zone: the only warning (issue 14).
    expect(result.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^warning: domain "hello\.example\.com" of the external Gateway is outside/)]);
    const { plan } = await planStack({ stack: "prod", configFile: config });
    expect(result.stdout).toBe(renderPlan(plan, "json"));
    expect(JSON.parse(result.stdout)).toMatchObject({ project: "minimal", stack: "prod", outputs: { environment: "prod", gcpProject: "hello-prod-4821" } });
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
