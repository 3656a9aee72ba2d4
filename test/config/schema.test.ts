/**
 * The JSON Schema editors use: committed, current with the zod schema, referenced by every config
 * file in the repository, and accepting those real configs.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { brumeJsonSchema, schemaId } from "../../src/config/json-schema.js";
import { readConfigFile } from "../../src/config/load.js";
import { brumeConfigSchema } from "../../src/config/schema.js";
import { repoRoot } from "../harness.js";
import { validBase } from "./fixtures.js";

const schemaFile = join(repoRoot, "schema", "brume.schema.json");
const committed = readFileSync(schemaFile, "utf8");

/** brume.yaml / brume.yml / brume.toml at the root and anywhere under examples/ (no node_modules). */
function configFiles(): string[] {
  const found = ["brume.yaml", "brume.yml", "brume.toml"].map((n) => join(repoRoot, n)).filter((f) => existsSync(f));
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/^brume\.(ya?ml|toml)$/.test(entry.name)) found.push(path);
    }
  };
  if (existsSync(join(repoRoot, "examples"))) walk(join(repoRoot, "examples"));
  return found.sort();
}

const files = configFiles();
const yamlFiles = files.filter((f) => !f.endsWith(".toml"));
const tomlFiles = files.filter((f) => f.endsWith(".toml"));
const rel = (f: string) => relative(repoRoot, f);

describe("schema/brume.schema.json", () => {
  it("is exactly what `npm run schema` writes from the zod schema", () => {
    const generated = `${JSON.stringify(brumeJsonSchema(), null, 2)}\n`;
    expect(committed, "schema/brume.schema.json is stale: run `npm run schema` and commit the result").toBe(generated);
  });

  it("describes the config: $id, draft 2020-12, the zod schema's top-level keys, closed objects", () => {
    const schema = JSON.parse(committed) as {
      $id: string;
      $schema: string;
      type: string;
      properties: Record<string, unknown>;
      required: string[];
      additionalProperties: unknown;
    };
    expect(schema.$id).toBe(schemaId);
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.type).toBe("object");
    expect(Object.keys(schema.properties)).toEqual(Object.keys(brumeConfigSchema.shape));
    expect(Object.keys(schema.properties)).toEqual([
      "$schema",
      "project",
      "environments",
      "services",
      "machines",
      "databases",
      "caches",
      "topics",
      "buckets",
      "secrets",
      "ci",
      "observability",
      "access",
      "recovery",
      "cost",
      "gitops",
    ]);
    expect(schema.required).toEqual(["project", "environments"]);
    expect(schema.additionalProperties).toBe(false);
  });
});

describe("config files in the repository", () => {
  it("are found: the root stack and examples/minimal in both formats", () => {
    expect(files.map(rel)).toEqual(expect.arrayContaining(["brume.yaml", "examples/minimal/brume.yaml", "examples/minimal/brume.toml"]));
  });

  it.each(yamlFiles.map((f) => [rel(f), f]))("%s starts with the yaml-language-server $schema line to the committed schema", (_, file) => {
    const first = readFileSync(file, "utf8").split("\n")[0]!;
    const match = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
    expect(match, `first line of ${rel(file)} is ${JSON.stringify(first)}`).not.toBeNull();
    expect(resolve(dirname(file), match![1]!)).toBe(schemaFile);
  });

  it.each(tomlFiles.map((f) => [rel(f), f]))("%s starts with taplo's #:schema line to the committed schema", (_, file) => {
    const first = readFileSync(file, "utf8").split("\n")[0]!;
    const match = /^#:schema (\S+)$/.exec(first);
    expect(match, `first line of ${rel(file)} is ${JSON.stringify(first)}`).not.toBeNull();
    expect(resolve(dirname(file), match![1]!)).toBe(schemaFile);
  });

  describe("validate against the JSON Schema itself", () => {
    // Formats are not checked (zod's "starts_with" is not a standard format; its pattern is).
    const ajv = new Ajv2020({ allErrors: true, strict: true, validateFormats: false });
    const validate = ajv.compile(JSON.parse(committed) as object);
    const errorsOf = (doc: unknown) => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));

    it.each(files.map((f) => [rel(f), f]))("%s", (_, file) => {
      expect(errorsOf(readConfigFile(file))).toEqual([]);
    });

    it("the test base config too, and the schema still rejects what zod rejects by shape", () => {
      expect(errorsOf(validBase())).toEqual([]);
      const typo = validBase();
      typo.services.api.scalng = {};
      expect(errorsOf(typo)).toContain("/services/api must NOT have additional properties");
      const badEnum = validBase();
      badEnum.services.worker.runner = "kubernets";
      expect(errorsOf(badEnum)).toContain("/services/worker/runner must be equal to one of the allowed values");
      const missing = validBase();
      delete missing.project.region;
      expect(errorsOf(missing)).toContain("/project must have required property 'region'");
    });
  });
});
