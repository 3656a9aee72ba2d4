/**
 * The release step math is pure: property tests over random step sequences. Every reachable config
 * validates, weights sum to 100, and promote / abort / rollback change at most two things among
 * workloads' images and sizes, the route and the callers' Service.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  abort,
  canaryScaling,
  changedKeys,
  deploy,
  deployedReleases,
  fingerprint,
  promote,
  ReleaseError,
  rollback,
  routeOf,
  setWeight,
  versionOfImage,
  workloadName,
  workloadsOf,
} from "../../src/components/strategy/strategy.js";
import { applyReleaseState, parseReleaseState, shadowWarnings } from "../../src/config/schema-release.js";
import { stateOf } from "../../src/cli/release/state-file.js";
import { ConfigError } from "../../src/config/errors.js";
import { validateConfig } from "../../src/config/load.js";
import type { StrategyConfig } from "../../src/config/schema.js";
import { release, serviceConfig } from "./plan-steps.js";

type Move = { kind: "deploy" } | { kind: "weight"; weight: number } | { kind: "promote" } | { kind: "abort" } | { kind: "rollback"; pick: number };

const move: fc.Arbitrary<Move> = fc.oneof(
  fc.constant<Move>({ kind: "deploy" }),
  fc.integer({ min: 0, max: 100 }).map<Move>((weight) => ({ kind: "weight", weight })),
  fc.constant<Move>({ kind: "promote" }),
  fc.constant<Move>({ kind: "abort" }),
  fc.nat(5).map<Move>((pick) => ({ kind: "rollback", pick })),
);

let counter = 1;
function apply(s: StrategyConfig, m: Move): StrategyConfig {
  switch (m.kind) {
    case "deploy":
      return deploy(s, release(`v${++counter}`));
    case "weight":
      return setWeight(s, m.weight);
    case "promote":
      return promote(s);
    case "abort":
      return abort(s);
    case "rollback": {
      const versions = deployedReleases(s).map((r) => r.version);
      return rollback(s, m.pick === 0 ? undefined : versions[m.pick % versions.length]);
    }
  }
}

const config = (strategy: StrategyConfig) => ({
  project: { name: "shop", region: "europe-west1", drRegion: "europe-west4" },
  environments: { prod: { gcpProject: "shop-prod-1234" } },
  services: { api: { ports: [{ name: "http", port: 8080 }], health: { readiness: { path: "/readyz" } }, expose: { domains: ["api.example.com"] }, strategy } },
});

const starts: Record<string, StrategyConfig> = {
  canary: serviceConfig({ type: "canary", stable: release("v1"), keep: 2 }).strategy,
  blueGreen: serviceConfig({ type: "blueGreen", active: "blue", blue: release("v1"), keep: 1 }).strategy,
};

describe.each(Object.entries(starts))("%s step sequences", (_name, start) => {
  it("brume.yaml + the stack's release state always validates; weights sum to 100; capacity before traffic; routes name running versions; a repeated rollback changes nothing", () => {
    let applied = 0;
    fc.assert(
      fc.property(fc.array(move, { maxLength: 12 }), (moves) => {
        let s = start;
        for (const m of moves) {
          let next: StrategyConfig;
          try {
            next = apply(s, m);
          } catch (err) {
            if (err instanceof ReleaseError) continue; // refused with a reason: config unchanged
            throw err;
          }
          applied++;
          // What `brume release` writes (the state keys) over brume.yaml (the first release) validates
          // and is exactly the strategy the step computed.
          const raw = config(start);
          const state = { services: { api: stateOf({ section: "services", name: "api" }, next as Record<string, unknown>) } };
          let loaded;
          try {
            loaded = validateConfig(applyReleaseState(raw, parseReleaseState(state, raw)));
          } catch (err) {
            throw new Error(`${m.kind} produced an invalid config: ${err instanceof ConfigError ? err.message : String(err)}`);
          }
          expect(loaded.services.api!.strategy).toEqual(validateConfig(config(next)).services.api!.strategy);

          const svc = { strategy: next, scaling: { min: 4, max: 20, targetCpu: 70 }, image: undefined };
          const route = routeOf("api", svc, { headerRules: true });
          expect(route.backends.reduce((a, b) => a + b.weight, 0)).toBe(100);
          const workloads = new Map(workloadsOf("api", svc).map((w) => [w.name, w]));
          for (const b of [...route.backends, ...(route.preview?.backends ?? [])]) {
            // No route names a version that is not running.
            expect(workloads.has(b.service)).toBe(true);
          }
          for (const b of route.backends) {
            // Every backend that receives default traffic is sized for its share (its Deployment waits
            // for that many; the header rule's testers are not a share).
            expect(workloads.get(b.service)!.scaling.min).toBeGreaterThanOrEqual(Math.ceil((b.weight * 4) / 100));
          }
          // Every running version is attached to the route (weight 0 when idle).
          expect(new Set(route.backends.map((b) => b.service))).toEqual(new Set(workloads.keys()));
          if (m.kind === "rollback" && m.pick === 0) expect(rollback(next)).toEqual(next);
          if (m.kind === "rollback" || m.kind === "abort") {
            const before = fingerprint("api", { strategy: s, scaling: svc.scaling, image: undefined });
            const added = changedKeys(before, fingerprint("api", svc)).filter((k) => !(k in before));
            expect(added).toEqual([]);
          }
          s = next;
        }
      }),
      { numRuns: 200, seed: 20261202 },
    );
    expect(applied).toBeGreaterThan(200);
  });
});

describe("newcomer 1: promote then rollback with the canary declared in brume.yaml", () => {
  it("the stack's release state drops the canary for good, so rollback and abort work after a promote", () => {
    const raw = config({ type: "canary", stable: release("v1"), canary: release("v2"), weight: 10 } as StrategyConfig);
    const first = validateConfig(raw).services.api!.strategy;
    const promoted = promote(first);
    const state = (x: StrategyConfig) => ({ services: { api: stateOf({ section: "services", name: "api" }, x as Record<string, unknown>) } });
    const afterPromote = validateConfig(applyReleaseState(raw, parseReleaseState(state(promoted), raw))).services.api!.strategy;
    expect(afterPromote).toMatchObject({ stable: { version: "v2" }, weight: 0, retained: [{ version: "v1" }] });
    expect(afterPromote).not.toHaveProperty("canary");
    const rolledBack = rollback(afterPromote);
    expect(validateConfig(applyReleaseState(raw, parseReleaseState(state(rolledBack), raw))).services.api!.strategy).toMatchObject({ version: "v1", bad: ["v2"] });
    expect(rollback(rolledBack)).toEqual(rolledBack);
    expect(shadowWarnings(raw, undefined, parseReleaseState(state(promoted), raw), "prod")).toEqual([
      'services.api.strategy.stable in brume.yaml is {"version":"v1","image":"europe-docker.pkg.dev/shop-prod/apps/api:v1"}, but stack prod runs {"version":"v2","image":"europe-docker.pkg.dev/shop-prod/apps/api:v2"} (Pulumi.prod.yaml brume:release): brume.yaml\'s release keys only seed the first release; move releases with `brume release`, or remove the key from brume.yaml',
      'services.api.strategy.canary in brume.yaml is {"version":"v2","image":"europe-docker.pkg.dev/shop-prod/apps/api:v2"}, but stack prod runs (absent) (Pulumi.prod.yaml brume:release): brume.yaml\'s release keys only seed the first release; move releases with `brume release`, or remove the key from brume.yaml',
      'services.api.strategy.weight in brume.yaml is 10, but stack prod runs 0 (Pulumi.prod.yaml brume:release): brume.yaml\'s release keys only seed the first release; move releases with `brume release`, or remove the key from brume.yaml',
    ]);
  });
});

describe("pure helpers", () => {
  it("canary sizing is proportional, at least one pod, full at 100", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), (min, extra, w) => {
        const full = { min, max: min + extra };
        const c = canaryScaling(full, w);
        expect(c.min).toBeGreaterThanOrEqual(1);
        expect(c.max).toBeGreaterThanOrEqual(c.min);
        expect(c.max).toBeLessThanOrEqual(Math.max(1, full.max));
        if (w === 100) expect(c).toEqual(full);
      }),
    );
    expect(canaryScaling({ min: 4, max: 20 }, 25)).toEqual({ min: 1, max: 5 });
  });

  it("version labels and workload names", () => {
    expect(versionOfImage("us-docker.pkg.dev/p/apps/api:1.14.2")).toBe("1.14.2");
    expect(versionOfImage("localhost:5000/api")).toBe("latest");
    // Digests are prefixed (leading digits would be stripped from names), long tags capped at 63.
    expect(versionOfImage(`api@sha256:0123456789ab${"c".repeat(52)}`)).toBe("sha-0123456789ab");
    const long = versionOfImage(`api:${"t".repeat(100)}`);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^t{56}-[0-9a-f]{6}$/);
    expect(workloadName("api", "1.14.2")).toBe("api-1-14-2");
    expect(workloadName("api", "V2")).toBe("api-v2");
  });

  it("rollback refuses versions that are not retained, and the canary itself", () => {
    const s = deploy(starts.canary!, release("v9"));
    expect(() => rollback(s, "v0")).toThrow(/not retained; deployed versions: v1, v9/);
    expect(() => rollback(s, "v9")).toThrow(/is the canary/);
    expect(() => rollback(starts.canary!)).toThrow(/no previous version is retained/);
  });

  it("promote keeps the previous stable as retained, at most keep", () => {
    let s = starts.canary!;
    for (const v of ["v2", "v3", "v4"]) s = promote(setWeight(deploy(s, release(v)), 100));
    expect(s).toMatchObject({ stable: { version: "v4" }, weight: 0, retained: [{ version: "v3" }, { version: "v2" }] });
    expect(s).not.toHaveProperty("canary");
  });
});
