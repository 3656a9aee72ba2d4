/**
 * Random mutations of valid configs: whatever users write, validation answers with a ConfigError
 * whose issues are located and worded, never with a TypeError from our code, and the CLI exits 0
 * or 1 without a stack trace.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { stringify as stringifyToml } from "smol-toml";
import { afterAll, describe, expect, it } from "vitest";
import { stringify as stringifyYaml } from "yaml";
import { runCli } from "../../src/cli/main.js";
import { ConfigError, formatPath, type ConfigIssue } from "../../src/config/errors.js";
import { readConfigFile, validateConfig } from "../../src/config/load.js";
import { examplePath, repoRoot } from "../harness.js";
import { validBase } from "./fixtures.js";

type Path = (string | number)[];
type Container = Record<string, unknown> | unknown[];

const bases: (() => unknown)[] = [
  validBase,
  () => readConfigFile(join(repoRoot, "brume.yaml")),
  () => readConfigFile(examplePath("minimal", "brume.toml")),
];

const isContainer = (v: unknown): v is Container => v !== null && typeof v === "object" && !(v instanceof Date);

/** Every node of a document with its path, parents before children. */
function nodes(doc: unknown, path: Path = [], out: { path: Path; value: unknown }[] = []) {
  out.push({ path, value: doc });
  if (Array.isArray(doc)) doc.forEach((v, i) => nodes(v, [...path, i], out));
  else if (isContainer(doc)) for (const key of Object.keys(doc)) nodes((doc as Record<string, unknown>)[key], [...path, key], out);
  return out;
}

const leaves = (doc: unknown) => nodes(doc).filter((n) => !isContainer(n.value));
const objects = (doc: unknown) => nodes(doc).filter((n) => isContainer(n.value) && !Array.isArray(n.value));
const children = (doc: unknown) => nodes(doc).filter((n) => n.path.length > 0);

function parentOf(doc: unknown, path: Path): Container {
  let cur = doc;
  for (const part of path.slice(0, -1)) cur = (cur as Record<string | number, unknown>)[part];
  return cur as Container;
}

/** Sets a key as plain data: "__proto__" becomes an own key, as YAML and TOML parsers make it. */
function setKey(target: Container, key: string | number, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function setAt(doc: unknown, path: Path, value: unknown): void {
  setKey(parentOf(doc, path), path[path.length - 1]!, value);
}

function deleteAt(doc: unknown, path: Path): void {
  const parent = parentOf(doc, path);
  const key = path[path.length - 1]!;
  if (Array.isArray(parent)) parent.splice(key as number, 1);
  else delete parent[key as string];
}

/** Objects that are maps of user-chosen names (any key allowed there); every other object is strict. */
const recordPaths = [
  /^(environments|services|machines|databases|caches|topics|buckets|secrets)$/,
  /^project\.labels$/,
  /^services\.[^.]+\.(env|secrets)$/,
  /^services\.[^.]+\.build\.args$/,
  /^topics\.[^.]+\.subscriptions$/,
];
const isRecordPath = (path: Path) => recordPaths.some((re) => re.test(formatPath(path)));

const specialKeys = ["__proto__", "constructor", "toString", "prototype", "hasOwnProperty", "", " ", "a.b", "x[0]", "ÿ"];
const keyArb = fc.oneof(fc.constantFrom(...specialKeys), fc.string({ maxLength: 12 }));
const unknownKeyArb = fc.oneof(fc.constantFrom(...specialKeys), fc.string({ maxLength: 8 }).map((s) => `zz${s}`));

const specialNumbers = [-1, 0, -0, 0.5, 1.5, 101, 366, 65536, 1e6, 2 ** 53 + 2, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
const numberArb = fc.oneof(fc.constantFrom(...specialNumbers), fc.integer({ min: -100_000, max: 100_000 }), fc.double());
const stringArb = fc.oneof(
  fc.constantFrom("", " ", "constructor", "__proto__", "UPPER", "a/b", "10.0.0.0/8", "250m", "-x-", "x".repeat(300), "nul\u0000l", "é"),
  fc.string({ maxLength: 20 }),
);
const anyValueArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  numberArb,
  stringArb,
  fc.date({ noInvalidDate: true }),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
  fc.dictionary(keyArb, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
);
/** Values no scalar leaf of the schema accepts, whatever its type. */
const wrongKindPool: unknown[] = [null, true, false, [], ["x"], {}, { a: 1 }, [{ b: null }]];

type Mutation =
  | { kind: "wrongKind"; at: number; pick: number }
  | { kind: "anyLeaf"; at: number; value: unknown }
  | { kind: "number"; at: number; value: number }
  | { kind: "string"; at: number; value: string }
  | { kind: "delete"; at: number }
  | { kind: "addKey"; at: number; key: string; value: unknown }
  | { kind: "anyNode"; at: number; value: unknown }
  | { kind: "root"; value: unknown };

const at = fc.nat();
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("wrongKind" as const), at, pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("anyLeaf" as const), at, value: anyValueArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("number" as const), at, value: numberArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("string" as const), at, value: stringArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("delete" as const), at }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("addKey" as const), at, key: keyArb, value: anyValueArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("anyNode" as const), at, value: anyValueArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("root" as const), value: anyValueArb }) },
);

/** Applies a mutation in place (the root as a box); returns the mutated path, or undefined for a no-op. */
function apply(box: { doc: unknown }, m: Mutation): Path | undefined {
  const pick = <T>(list: T[], i: number): T | undefined => (list.length === 0 ? undefined : list[i % list.length]);
  switch (m.kind) {
    case "root":
      box.doc = m.value;
      return [];
    case "wrongKind":
    case "anyLeaf": {
      const leaf = pick(leaves(box.doc).filter((n) => n.path.length > 0), m.at);
      if (!leaf) return undefined;
      const value = m.kind === "anyLeaf" ? m.value : wrongKindFor(leaf.value, m.pick);
      setAt(box.doc, leaf.path, value);
      return leaf.path;
    }
    case "number": {
      const leaf = pick(leaves(box.doc).filter((n) => n.path.length > 0 && typeof n.value === "number"), m.at);
      if (!leaf) return undefined;
      setAt(box.doc, leaf.path, m.value);
      return leaf.path;
    }
    case "string": {
      const leaf = pick(leaves(box.doc).filter((n) => n.path.length > 0 && typeof n.value === "string"), m.at);
      if (!leaf) return undefined;
      setAt(box.doc, leaf.path, m.value);
      return leaf.path;
    }
    case "delete": {
      const node = pick(children(box.doc), m.at);
      if (!node) return undefined;
      deleteAt(box.doc, node.path);
      return node.path;
    }
    case "addKey": {
      const obj = pick(objects(box.doc), m.at);
      if (!obj) return undefined;
      setKey(obj.value as Container, m.key, m.value);
      return [...obj.path, m.key];
    }
    case "anyNode": {
      const node = pick(children(box.doc), m.at);
      if (!node) return undefined;
      setAt(box.doc, node.path, m.value);
      return node.path;
    }
  }
}

function wrongKindFor(original: unknown, i: number): unknown {
  const pool = typeof original === "boolean" ? [...wrongKindPool.filter((v) => typeof v !== "boolean"), "yes", 1] : wrongKindPool;
  return structuredClone(pool[i % pool.length]);
}

/** validateConfig's answer: "valid", or the ConfigError; anything else thrown fails the property. */
function outcome(doc: unknown): "valid" | ConfigError {
  try {
    validateConfig(doc);
    return "valid";
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw new Error(`validateConfig threw ${String(err)} instead of a ConfigError`, { cause: err });
  }
}

function within(issue: ConfigIssue, path: Path): boolean {
  const prefix = formatPath(path);
  return issue.path === prefix || issue.path.startsWith(`${prefix}.`) || issue.path.startsWith(`${prefix}[`);
}

function checkIssues(error: ConfigError, rootMayBeWrong: boolean): void {
  expect(error.issues.length).toBeGreaterThan(0);
  for (const issue of error.issues) {
    expect(typeof issue.path).toBe("string");
    expect(issue.path.length).toBeGreaterThan(0);
    if (!rootMayBeWrong) expect(issue.path).not.toBe("(root)");
    expect(typeof issue.message).toBe("string");
    expect(issue.message.trim().length).toBeGreaterThan(0);
    expect(issue.message).not.toContain("[object Object]");
    expect(error.message).toContain(`\n  - ${issue.path}: ${issue.message}`);
  }
  expect(error.message).toContain(`invalid brume config (${error.issues.length} problem`);
}

describe("property: random mutations of valid configs", () => {
  it("validateConfig returns or throws a located, worded ConfigError (1,000 runs)", () => {
    let invalid = 0;
    let runs = 0;
    fc.assert(
      fc.property(fc.nat(bases.length - 1), fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (baseIndex, mutations) => {
        runs++;
        const box = { doc: bases[baseIndex]!() };
        let rootReplaced = false;
        for (const m of mutations) if (apply(box, m)?.length === 0) rootReplaced = true;
        const before = structuredClone(box.doc);
        const result = outcome(box.doc);
        // Validation never writes to its input.
        expect(box.doc).toEqual(before);
        if (result === "valid") return;
        invalid++;
        checkIssues(result, rootReplaced);
      }),
      { numRuns: 1000 },
    );
    expect(runs).toBe(1000);
    // Most mutations break something: the property is not vacuously about valid configs.
    expect(invalid).toBeGreaterThan(600);
  });

  it("a wrong-kind value at any leaf is reported at that leaf and nowhere else (300 runs)", () => {
    fc.assert(
      fc.property(fc.nat(bases.length - 1), fc.nat(), fc.nat(), (baseIndex, leafIndex, pick) => {
        const box = { doc: bases[baseIndex]!() };
        const path = apply(box, { kind: "wrongKind", at: leafIndex, pick })!;
        const result = outcome(box.doc);
        expect(result, `${formatPath(path)} = ${JSON.stringify(wrongKindFor(undefined, pick))}`).toBeInstanceOf(ConfigError);
        const issues = (result as ConfigError).issues;
        for (const issue of issues) expect(within(issue, path), `${issue.path} is outside ${formatPath(path)}`).toBe(true);
        checkIssues(result as ConfigError, false);
      }),
      { numRuns: 300 },
    );
  });

  it("an unknown key in any strict object is reported at that key (300 runs)", () => {
    fc.assert(
      fc.property(fc.nat(bases.length - 1), fc.nat(), unknownKeyArb, anyValueArb, (baseIndex, objectIndex, key, value) => {
        const box = { doc: bases[baseIndex]!() };
        const strictObjects = objects(box.doc).filter((n) => !isRecordPath(n.path));
        const target = strictObjects[objectIndex % strictObjects.length]!;
        setKey(target.value as Container, key, value);
        const result = outcome(box.doc);
        expect(result).toBeInstanceOf(ConfigError);
        const issues = (result as ConfigError).issues;
        const path = formatPath([...target.path, key]);
        expect(issues.map((i) => i.path)).toContain(path);
        expect(issues.find((i) => i.path === path)!.message).toMatch(new RegExp(`^unknown key ${escapeRegExp(JSON.stringify(key))}`));
        checkIssues(result as ConfigError, false);
      }),
      { numRuns: 300 },
    );
  });
});

describe("property: brume validate on random files", () => {
  const dir = mkdtempSync(join(tmpdir(), "brume-prop-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("exits 0 or 1 with the problems listed and no stack trace (60 runs, YAML and TOML)", async () => {
    let n = 0;
    const codes = new Set<number>();
    await fc.assert(
      fc.asyncProperty(fc.nat(bases.length - 1), fc.array(mutationArb, { minLength: 1, maxLength: 2 }), fc.boolean(), async (baseIndex, mutations, asToml) => {
        const box = { doc: bases[baseIndex]!() };
        for (const m of mutations) apply(box, m);
        let file = join(dir, `case-${n++}.yaml`);
        let text = stringifyYaml(box.doc);
        if (asToml && isContainer(box.doc) && !Array.isArray(box.doc)) {
          try {
            text = stringifyToml(box.doc);
            file = file.replace(/\.yaml$/, ".toml");
          } catch {
            // null and other values TOML cannot hold: keep the YAML
          }
        }
        writeFileSync(file, text);
        let stdout = "";
        let stderr = "";
        const code = await runCli(["validate", "--config", file], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
        codes.add(code);
        expect([0, 1]).toContain(code);
        expect(stderr).not.toMatch(/\n\s+at /);
        if (code === 0) {
          expect(stderr).toBe("");
          expect(stdout).toMatch(new RegExp(`^${escapeRegExp(file)}: valid \\(\\d+ services?, environments: `));
        } else {
          expect(stdout).toBe("");
          expect(stderr).toMatch(new RegExp(`^${escapeRegExp(file)}: invalid brume config \\(\\d+ problems?\\):\n  - `));
        }
      }),
      { numRuns: 60 },
    );
    expect(n).toBe(60);
    expect(codes.has(1)).toBe(true);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
