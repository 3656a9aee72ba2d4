/**
 * The override merge rule (Pulumi.<env>.yaml `brume:overrides` over brume.yaml): later wins,
 * objects deep-merge, arrays replace, null removes, and no key can reach a prototype.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/errors.js";
import { loadStack, parseConfigText } from "../../src/config/load.js";
import { deepMerge, isPlainObject, mergeLayers } from "../../src/config/merge.js";
import { planStack, readStackConfig } from "../../src/plan/stack.js";
import { repoRoot } from "../harness.js";

const rootConfig = join(repoRoot, "brume.yaml");

function configErrorOf(f: () => unknown): ConfigError {
  try {
    f();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("deepMerge", () => {
  it("later wins for scalars, including type changes", () => {
    expect(deepMerge({ a: 1, b: "x", c: true }, { a: 2, c: false })).toEqual({ a: 2, b: "x", c: false });
    expect(deepMerge({ a: { deep: 1 } }, { a: "flat" })).toEqual({ a: "flat" });
    expect(deepMerge({ a: "flat" }, { a: { deep: 1 } })).toEqual({ a: { deep: 1 } });
    expect(deepMerge(1, 2)).toBe(2);
  });

  it("deep-merges objects key by key", () => {
    const base = { services: { api: { scaling: { min: 2, max: 10, targetCpu: 65 }, image: "api:1" }, web: { image: "web:1" } } };
    const override = { services: { api: { scaling: { min: 1, max: 3 } }, worker: { image: "worker:1" } } };
    expect(deepMerge(base, override)).toEqual({
      services: {
        api: { scaling: { min: 1, max: 3, targetCpu: 65 }, image: "api:1" },
        web: { image: "web:1" },
        worker: { image: "worker:1" },
      },
    });
  });

  it("replaces arrays, never concatenates or merges them by index", () => {
    expect(deepMerge({ dependsOn: ["a", "b", "c"] }, { dependsOn: ["d"] })).toEqual({ dependsOn: ["d"] });
    expect(deepMerge({ dependsOn: ["a"] }, { dependsOn: [] })).toEqual({ dependsOn: [] });
    expect(deepMerge({ ports: [{ name: "http", port: 80 }] }, { ports: [{ port: 81 }] })).toEqual({ ports: [{ port: 81 }] });
    expect(deepMerge({ x: { a: 1 } }, { x: [1] })).toEqual({ x: [1] });
  });

  it("removes a key overridden with null (back to the default)", () => {
    expect(deepMerge({ a: 1, b: { c: 2, d: 3 } }, { a: null, b: { c: null } })).toEqual({ b: { d: 3 } });
    const merged = deepMerge({ a: 1 }, { a: null }) as Record<string, unknown>;
    expect(Object.hasOwn(merged, "a")).toBe(false);
    // null for a key the base lacks is simply absent.
    expect(deepMerge({ a: 1 }, { z: null })).toEqual({ a: 1 });
    // …also deeper than the base goes: an object over nothing keeps no null.
    expect(deepMerge({ a: 1 }, { s: { type: "canary", canary: null } })).toEqual({ a: 1, s: { type: "canary" } });
    expect(deepMerge({ s: "rolling" }, { s: { canary: null, x: { y: null } } })).toEqual({ s: { x: {} } });
  });

  it("an absent override keeps the base; neither input is mutated", () => {
    const base = { a: { b: 1 }, list: [1, 2] };
    const override = { a: { c: 2 }, list: [3] };
    const baseCopy = structuredClone(base);
    const overrideCopy = structuredClone(override);
    expect(deepMerge(base, undefined)).toBe(base);
    expect(deepMerge(base, override)).toEqual({ a: { b: 1, c: 2 }, list: [3] });
    expect(base).toEqual(baseCopy);
    expect(override).toEqual(overrideCopy);
  });

  it("mergeLayers applies layers left to right", () => {
    expect(mergeLayers({ a: 1, b: { x: 1 } }, { a: 2, b: { y: 2 } }, { a: 3, b: { x: null } })).toEqual({ a: 3, b: { y: 2 } });
    expect(mergeLayers()).toEqual({});
  });

  it("a __proto__ key cannot pollute Object.prototype", () => {
    const override = JSON.parse('{"__proto__": {"polluted": true}, "nested": {"__proto__": {"polluted": true}}}');
    const merged = deepMerge({ nested: { keep: 1 } }, override) as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("polluted");
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect((merged as { polluted?: unknown }).polluted).toBeUndefined();
    // The key stays plain data, where validation reports it as an unknown key.
    expect(Object.getOwnPropertyDescriptor(merged, "__proto__")?.value).toEqual({ polluted: true });
    const nested = merged.nested as Record<string, unknown>;
    expect(Object.getPrototypeOf(nested)).toBe(Object.prototype);
    expect(nested.keep).toBe(1);
    expect(Object.getOwnPropertyDescriptor(nested, "__proto__")?.value).toEqual({ polluted: true });
  });

  it("merges a __proto__ data key of the base with the override's, never with Object.prototype", () => {
    const base = JSON.parse('{"__proto__": {"a": 1}}');
    const override = JSON.parse('{"__proto__": {"b": 2}}');
    const merged = deepMerge(base, override) as Record<string, unknown>;
    expect(Object.getOwnPropertyDescriptor(merged, "__proto__")?.value).toEqual({ a: 1, b: 2 });
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
  });

  it("constructor and prototype keys are data too", () => {
    const merged = deepMerge({}, { constructor: { prototype: { polluted: true } } }) as Record<string, unknown>;
    expect(merged.constructor).toEqual({ prototype: { polluted: true } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("merges parsed YAML and TOML documents (TOML tables have a null prototype) without pollution", () => {
    const yaml = parseConfigText("__proto__: { polluted: true }\nproject: { name: shop }\n", "yaml");
    const toml = parseConfigText('"__proto__" = { polluted = true }\n[project]\nregion = "europe-west1"\n', "toml");
    expect(isPlainObject(toml)).toBe(true);
    const merged = deepMerge(yaml, toml) as Record<string, unknown>;
    expect(merged.project).toEqual({ name: "shop", region: "europe-west1" });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(merged, "__proto__")?.value).toEqual({ polluted: true });
  });
});

describe("brume:overrides end to end", () => {
  const dir = mkdtempSync(join(tmpdir(), "brume-merge-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("Pulumi.stage.yaml's overrides reach loadStack: scaling merges, untouched values stay", () => {
    const stage = readStackConfig(repoRoot, "stage");
    expect(stage.config["brume:overrides"]).toEqual({
      services: { api: { scaling: { min: 1, max: 3 } }, web: { scaling: { min: 1, max: 2 } } },
    });
    const loaded = loadStack({ configFile: rootConfig, environment: "stage", overrides: stage.config["brume:overrides"] });
    expect(loaded.config.services.api!.scaling).toEqual({ min: 1, max: 3, targetCpu: 65 });
    expect(loaded.config.services.web!.scaling).toEqual({ min: 1, max: 2, targetCpu: 70 });
    expect(loaded.config.services.worker!.scaling).toEqual({ min: 1, max: 3, targetCpu: 70 });
    // Everything else is brume.yaml's.
    expect(loaded.config.services.api!.dependsOn).toEqual(["worker"]);
    expect(loaded.config.services.api!.resources).toEqual({ cpu: "500m", memory: "512Mi" });
    expect(loaded.environment.name).toBe("stage");
    expect(loaded.environment.preset).toBe("staging");
  });

  it("planStack applies them from the repo root (stage), and prod has none", async () => {
    const stage = await planStack({ stack: "stage", configFile: rootConfig, projectDir: repoRoot });
    expect(stage.loaded.config.services.api!.scaling).toEqual({ min: 1, max: 3, targetCpu: 65 });
    expect(stage.loaded.config.services.web!.scaling).toEqual({ min: 1, max: 2, targetCpu: 70 });
    expect(stage.plan.outputs).toMatchObject({ environment: "stage", preset: "staging" });
    const prod = await planStack({ stack: "prod", configFile: rootConfig, projectDir: repoRoot });
    expect(prod.loaded.config.services.api!.scaling).toEqual({ min: 2, max: 10, targetCpu: 65 });
  });

  it("null removes and arrays replace through overrides", () => {
    const loaded = loadStack({
      configFile: rootConfig,
      environment: "stage",
      overrides: { services: { api: { expose: null, env: { LOG_LEVEL: "debug" } }, web: { dependsOn: [] } } },
    });
    expect(loaded.config.services.api!.expose).toBeUndefined();
    expect(loaded.config.services.api!.env).toEqual({ LOG_LEVEL: "debug" });
    expect(loaded.config.services.web!.dependsOn).toEqual([]);
    expect(loaded.config.services.web!.expose).toEqual({ public: true, domains: ["shop.example.com"], paths: ["/"], iap: false, timeoutSeconds: 30 });
  });

  it("a bad override value is a path-located ConfigError whose source names brume:overrides", () => {
    const e = configErrorOf(() =>
      loadStack({ configFile: rootConfig, environment: "stage", overrides: { services: { api: { scaling: { max: "lots" } } } } }),
    );
    expect(e.source).toBe(`${rootConfig} + brume:overrides`);
    expect(e.issues).toEqual([{ path: "services.api.scaling.max", message: 'expected number, got string "lots"', value: "lots" }]);
    expect(e.message).toBe(
      `${rootConfig} + brume:overrides: invalid brume config (1 problem):\n  - services.api.scaling.max: expected number, got string "lots"`,
    );
  });

  it("an override that breaks a cross-field rule is located the same way", () => {
    const e = configErrorOf(() => loadStack({ configFile: rootConfig, environment: "stage", overrides: { services: { api: { scaling: { min: 12 } } } } }));
    expect(e.source).toBe(`${rootConfig} + brume:overrides`);
    expect(e.issues.map((i) => [i.path, i.message])).toEqual([
      ["services.api.scaling.min", "min (12) is greater than max (10); lower min or raise max"],
    ]);
  });

  it("planStack rejects bad overrides from a stack file before running anything", async () => {
    writeFileSync(join(dir, "Pulumi.yaml"), "name: merge-test\nruntime: nodejs\n");
    writeFileSync(
      join(dir, "Pulumi.bad.yaml"),
      "config:\n  brume:environment: stage\n  brume:overrides:\n    services:\n      api:\n        scalng: { max: 3 }\n",
    );
    const rejected = await planStack({ stack: "bad", configFile: rootConfig, projectDir: dir }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(rejected).toBeInstanceOf(ConfigError);
    const e = rejected as ConfigError;
    expect(e.source).toContain("brume:overrides");
    expect(e.issues).toEqual([
      { path: "services.api.scalng", message: 'unknown key "scalng" (did you mean "scaling"?)', value: { max: 3 } },
    ]);

    writeFileSync(join(dir, "Pulumi.flat.yaml"), "config:\n  brume:environment: stage\n  brume:overrides: bigger\n");
    const flat = await planStack({ stack: "flat", configFile: rootConfig, projectDir: dir }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(flat).toBeInstanceOf(ConfigError);
    expect((flat as ConfigError).source).toBe(join(dir, "Pulumi.flat.yaml"));
    expect((flat as ConfigError).issues).toEqual([
      { path: "brume:overrides", message: "expected an object deep-merged over the config file", value: "bigger" },
    ]);
  });
});
