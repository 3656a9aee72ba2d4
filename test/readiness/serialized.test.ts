/**
 * The provider as `pulumi up` runs it: Pulumi serializes the provider object's closure
 * (`pulumi.runtime.serializeFunction`, what `pulumi.dynamic.Resource` calls) and the dynamic
 * provider process evaluates that text with `require-from-string` and calls `.handler()`
 * (@pulumi/pulumi cmd/dynamic-provider). We do the same with the module loaded as ESM (the source
 * and an ES module build, by `import` and by Node 20's `require(esm)`) and as CommonJS, and run
 * the deserialized provider's `create` against a loopback fake.
 */
import * as pulumi from "@pulumi/pulumi";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import * as source from "../../src/components/readiness/runtime.js";
import { repoRoot } from "../harness.js";
import { fakeGoogle, selfSigned, serviceDisabled, type FakeGoogle } from "./fake-google.js";

const require = createRequire(import.meta.url);
const requireFromString = createRequire(require.resolve("@pulumi/pulumi"))("require-from-string") as (code: string) => { handler(): typeof source.readinessProvider };

type Provider = typeof source.readinessProvider;

/** runtime.ts compiled the way a consumer gets it: as an ES module and as CommonJS. */
function compiled(): { esm: string; cjs: string } {
  const text = readFileSync(join(repoRoot, "src/components/readiness/runtime.ts"), "utf8");
  const dir = mkdtempSync(join(tmpdir(), "readiness-"));
  const out = (module: ts.ModuleKind, file: string) => {
    const js = ts.transpileModule(text, { compilerOptions: { target: ts.ScriptTarget.ES2022, module } }).outputText;
    writeFileSync(join(dir, file), js);
    return join(dir, file);
  };
  return { esm: out(ts.ModuleKind.ES2022, "runtime.mjs"), cjs: out(ts.ModuleKind.CommonJS, "runtime.cjs") };
}

let fake: FakeGoogle;
let loads: [string, () => Promise<Provider>][];
beforeAll(async () => {
  fake = await fakeGoogle({
    "GET /v1/projects/p/topics": (_req, n) => (n < 2 ? serviceDisabled("pubsub.googleapis.com") : { status: 200, body: {} }),
  });
  process.env["GOOGLE_OAUTH_ACCESS_TOKEN"] = "ya29.serialized";
  const { esm, cjs } = compiled();
  loads = [
    ["the TypeScript source (ESM)", async () => source.readinessProvider],
    ["an ES module build, by import", async () => ((await import(pathToFileURL(esm).href)) as typeof source).readinessProvider],
    ["an ES module build, by require(esm)", async () => (require(esm) as typeof source).readinessProvider],
    ["a CommonJS build, by require", async () => (require(cjs) as typeof source).readinessProvider],
  ];
});
afterAll(async () => {
  delete process.env["GOOGLE_OAUTH_ACCESS_TOKEN"];
  await fake.close();
});

describe("the serialized readiness provider", () => {
  test("runs the same wait from every way of loading the module", async () => {
    const results: Record<string, unknown> = {};
    for (const [how, load] of loads) {
      const provider = await load();
      const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
      // No module of ours is required at run time: the text stands alone.
      expect(serialized.text).not.toMatch(/require\(["'][./]/);
      const deserialized = requireFromString(serialized.text).handler();
      const before = fake.requests.length;
      const inputs: source.WaitInputs = {
        kind: "api",
        what: "pubsub.googleapis.com to answer in project p",
        project: "p",
        service: "pubsub.googleapis.com",
        probeUrl: `${fake.url}/v1/projects/p/topics?pageSize=1`,
        // Real clock, tiny bounded delays: the deserialized provider uses setTimeout.
        timeoutSeconds: 60,
        maxPolls: 5,
        initialDelayMs: 1,
        maxDelayMs: 2,
      };
      const created = await deserialized.create(inputs);
      results[how] = { id: created.id, polls: created.outs.polls, observed: created.outs.observed };
      expect(fake.requests.slice(before).map((r) => r.headers.authorization)).toEqual(Array(3).fill("Bearer ya29.serialized"));
      // Reset the fake's per-route count for the next load.
      fake.requests.length = 0;
      await fake.close();
      fake = await fakeGoogle({
        "GET /v1/projects/p/topics": (_req, n) => (n < 2 ? serviceDisabled("pubsub.googleapis.com") : { status: 200, body: {} }),
      });
      inputs.probeUrl = `${fake.url}/v1/projects/p/topics?pageSize=1`;
    }
    const expected = { id: "api:pubsub.googleapis.com to answer in project p", polls: 3, observed: "HTTP 200" };
    expect(results).toEqual(Object.fromEntries(loads.map(([how]) => [how, expected])));
  });

  test("the CRD wait runs from every way of loading the module: node:https loaded at call time, the cluster CA trusted", async () => {
    const ca = selfSigned("cluster-ca");
    const name = "gateways.gateway.networking.k8s.io";
    const path = `GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`;
    const established = { status: 200, body: { status: { conditions: [{ type: "Established", status: "True" }] } } };
    for (const [how, load] of loads) {
      const api = await fakeGoogle({ [path]: (_req, n) => (n < 1 ? { status: 404, body: {} } : established) }, ca);
      try {
        const provider = await load();
        const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
        const deserialized = requireFromString(serialized.text).handler();
        const inputs: source.WaitInputs = {
          kind: "crd",
          what: `the CRDs ${name} to be Established in cluster gke`,
          server: api.url,
          caCertificate: ca.caBase64,
          establishedCrds: [name],
          timeoutSeconds: 60,
          maxPolls: 5,
          initialDelayMs: 1,
          maxDelayMs: 2,
        };
        const created = await deserialized.create(inputs);
        expect({ how, polls: created.outs.polls, observed: created.outs.observed }).toEqual({ how, polls: 2, observed: "1 CRDs Established" });
        expect(api.requests.map((r) => r.headers.authorization)).toEqual(["Bearer ya29.serialized", "Bearer ya29.serialized"]);
      } finally {
        await api.close();
      }
    }
  });

  test("diff re-runs the wait only when what it waits for changes, not its bounds", async () => {
    const p = source.readinessProvider;
    const olds = { kind: "api", project: "p", service: "a", probeUrl: "u", timeoutSeconds: 600 };
    expect(await p.diff("id", olds, { ...olds, timeoutSeconds: 60 })).toEqual({ changes: false });
    expect(await p.diff("id", olds, { ...olds, probeUrl: "v" })).toEqual({ changes: true });
  });
});
