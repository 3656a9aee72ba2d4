/**
 * Property: for any canary or blue/green machine strategy and any release step that applies to it
 * (promote, abort, rollback — what `brume release --machines` writes), planning before and after
 * changes at most 2 resources, replaces none, adds none, and never touches the shared frontend
 * (address, certificate, URL maps, proxies, forwarding rules, DNS) or a stateful resource.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { abortMachines, MachineReleaseError, promoteMachines, rollbackMachines, type MachineStrategy } from "../../src/components/machine/releases.js";
import { diffPlans } from "../../src/review/release/step-diff.js";
import type { Plan } from "../../src/plan/run.js";
import { machinesExample, planMachines } from "./fixtures.js";

const version = fc.constantFrom("v1", "v2", "v3", "2024-06-01", "r42");
const image = fc.constantFrom("1.0.0", "1.1.0", "2.0.0").map((v) => `europe-west1-docker.pkg.dev/tiles-prod-7310/apps/site:${v}`);
const release = fc.record({ version, services: fc.option(fc.record({ site: fc.record({ image }) }), { nil: undefined }) }, { requiredKeys: ["version"] });

/** Valid strategies only: distinct versions where the schema's rules ask for them. */
const strategy: fc.Arbitrary<MachineStrategy> = fc.oneof(
  fc
    .record({ stable: release, canary: fc.option(release, { nil: undefined }), percent: fc.integer({ min: 0, max: 100 }) })
    .filter((s) => s.canary === undefined || s.canary.version !== s.stable.version)
    .map((s) => ({ type: "canary" as const, stable: s.stable, ...(s.canary ? { canary: s.canary } : {}), percent: s.percent })),
  fc
    .record({ active: fc.constantFrom("blue" as const, "green" as const), blue: release, green: fc.option(release, { nil: undefined }) })
    .filter((s) => s.green === undefined || s.green.version !== s.blue.version)
    .map((s) => ({ type: "blueGreen" as const, active: s.green ? s.active : ("blue" as const), blue: s.blue, ...(s.green ? { green: s.green } : {}) })),
);
const step = fc.constantFrom("promote", "abort", "rollback") as fc.Arbitrary<"promote" | "abort" | "rollback">;

function planWith(web: MachineStrategy): Promise<Plan> {
  const doc = machinesExample();
  doc.machines.web.strategy = web;
  return planMachines(doc);
}

const frontendTypes = ["globalAddress", "managedSslCertificate", "uRLMap", "targetHttpsProxy", "targetHttpProxy", "globalForwardingRule", "sSLPolicy", "recordSet"];

describe("machine release steps (property)", () => {
  it("change at most 2 resources of the group, replace and add none, leave the frontend alone (40 runs)", async () => {
    let applied = 0;
    await fc.assert(
      fc.asyncProperty(strategy, step, async (s, move) => {
        let next: MachineStrategy;
        try {
          next = move === "promote" ? promoteMachines(s) : move === "abort" ? abortMachines(s) : rollbackMachines(s);
        } catch (err) {
          // A step that does not apply says why, and the CLI turns that into a located error.
          expect(err).toBeInstanceOf(MachineReleaseError);
          return;
        }
        applied++;
        const d = diffPlans(await planWith(s), await planWith(next));
        expect(d.replaced).toEqual([]);
        expect(d.added).toEqual([]);
        expect(d.changed.length + d.removed.length).toBeLessThanOrEqual(2);
        const touched = [...d.changed, ...d.removed];
        expect(touched.filter((u) => frontendTypes.some((t) => u.includes(`/${t}:`)))).toEqual([]);
        expect(touched.every((u) => u.includes("::m-web-"))).toBe(true);
      }),
      { numRuns: 40, seed: 20261123 },
    );
    // Most draws are steps that apply (the rest are refusals, checked above).
    expect(applied).toBeGreaterThan(15);
  }, 120_000);
});
