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
} from "../../src/components/strategy/strategy.js";
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
  it("every reachable config validates, weights sum to 100, routing steps change at most 2 things", () => {
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
          try {
            validateConfig(config(next));
          } catch (err) {
            throw new Error(`${m.kind} produced an invalid config: ${err instanceof ConfigError ? err.message : String(err)}`);
          }
          const svc = { strategy: next, scaling: { min: 4, max: 20, targetCpu: 70 }, image: undefined };
          const route = routeOf("api", svc);
          expect(route.backends.reduce((a, b) => a + b.weight, 0)).toBe(100);
          const before = fingerprint("api", { strategy: s, scaling: svc.scaling, image: undefined });
          const after = fingerprint("api", svc);
          const changed = changedKeys(before, after);
          const grewOrShrank = changed.some((k) => !(k in before) || !(k in after));
          if (m.kind === "rollback" || m.kind === "abort") {
            expect(changed.length).toBeLessThanOrEqual(2);
            expect(grewOrShrank).toBe(false);
          }
          if (m.kind === "promote") {
            // A promote may drop the oldest retained version beyond `keep`; otherwise routing only.
            const kept = changed.filter((k) => k in before && k in after);
            expect(kept.length).toBeLessThanOrEqual(3);
            if (s.type === "canary" && s.weight === 100 && s.retained.length < s.keep) expect(changed.length).toBeLessThanOrEqual(2);
            if (s.type === "blueGreen") expect(changed.length).toBeLessThanOrEqual(2);
          }
          s = next;
        }
      }),
      { numRuns: 200 },
    );
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
