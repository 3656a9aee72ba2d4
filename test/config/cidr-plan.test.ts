import fc from "fast-check";
import { overlapCidr } from "cidr-tools";
import { describe, expect, it } from "vitest";
import {
  cidrProblems,
  defaultNetworkPlan,
  minimalPrefix,
  rangeNames,
  splitCidr,
  type EnvironmentCapacity,
} from "../../src/config/cidr-plan.js";
import type { PresetSettings } from "../../src/config/presets.js";
import { environmentSchema, type BrumeConfig, type EnvironmentConfig, type NetworkConfig } from "../../src/config/schema.js";

/** A schema-valid environment (the schema applies its defaults) with optional overrides. */
function env(gcpProject: string, extra: { network?: NetworkConfig; settings?: Partial<PresetSettings> } = {}): EnvironmentConfig {
  return environmentSchema.parse({ gcpProject, ...extra });
}

function config(environments: Record<string, EnvironmentConfig>): Pick<BrumeConfig, "environments"> {
  return { environments };
}

const twoEnvs = (prodNetwork: NetworkConfig = {}, stageNetwork: NetworkConfig = {}) =>
  config({
    prod: env("shop-prod-1", { network: prodNetwork }),
    stage: env("shop-stage-1", { network: stageNetwork }),
  });

describe("default CIDR plan", () => {
  it("keeps the published layout of index 0 and 1 exactly", () => {
    expect(defaultNetworkPlan(0)).toEqual({
      nodesCidr: "10.0.0.0/20",
      privateCidr: "10.0.16.0/20",
      proxyCidr: "10.0.32.0/23",
      servicesCidr: "10.0.48.0/20",
      servicesAccessCidr: "10.0.64.0/20",
      masterCidr: "10.0.80.0/28",
      podsCidr: "10.8.0.0/13",
    });
    expect(defaultNetworkPlan(1)).toEqual({
      nodesCidr: "10.16.0.0/20",
      privateCidr: "10.16.16.0/20",
      proxyCidr: "10.16.32.0/23",
      servicesCidr: "10.16.48.0/20",
      servicesAccessCidr: "10.16.64.0/20",
      masterCidr: "10.16.80.0/28",
      podsCidr: "10.24.0.0/13",
    });
  });

  it("never overlaps, across or within environments, for every pair of the 16 indexes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 15 }), (i, j) => {
        const a = defaultNetworkPlan(i);
        const b = defaultNetworkPlan(j);
        for (const ra of rangeNames) {
          for (const rb of rangeNames) {
            if (i === j && ra === rb) continue;
            if (overlapCidr(a[ra], b[rb])) return false;
          }
        }
        return true;
      }),
      { numRuns: 256 },
    );
  });

  it("stays inside each index's 10.(16·i).0.0/12 block and rejects indexes outside 0-15", () => {
    for (let i = 0; i < 16; i++) {
      for (const cidr of Object.values(defaultNetworkPlan(i))) expect(overlapCidr(cidr, `10.${16 * i}.0.0/12`)).toBe(true);
    }
    expect(() => defaultNetworkPlan(16)).toThrow("environment index 16 is outside 0-15");
    expect(() => defaultNetworkPlan(-1)).toThrow(RangeError);
  });

  it("has no problems for the default presets", () => {
    expect(cidrProblems(twoEnvs())).toEqual([]);
  });
});

describe("cidrProblems", () => {
  it("locates an override that overlaps another environment", () => {
    const issues = cidrProblems(twoEnvs({}, { nodesCidr: "10.0.0.0/22" }));
    expect(issues).toEqual([
      {
        path: "environments.stage.network.nodesCidr",
        message: 'nodesCidr "10.0.0.0/22" lies inside environment "prod" nodesCidr "10.0.0.0/20"; choose a disjoint range',
        value: "10.0.0.0/22",
      },
    ]);
  });

  it("locates an override that overlaps a range of the same environment", () => {
    const issues = cidrProblems(twoEnvs({ privateCidr: "10.0.8.0/21" }));
    expect(issues).toEqual([
      {
        path: "environments.prod.network.privateCidr",
        message: 'privateCidr "10.0.8.0/21" lies inside nodesCidr "10.0.0.0/20"; choose a disjoint range',
        value: "10.0.8.0/21",
      },
    ]);
  });

  it("reports a pods range too small for nodesMax × 3 zones, with the minimal prefix", () => {
    // production preset: nodesMax 5 per zone → 15 nodes → 15 × /24 fit in a /20.
    const issues = cidrProblems(twoEnvs({ podsCidr: "10.8.0.0/21" }));
    expect(issues).toEqual([
      {
        path: "environments.prod.network.podsCidr",
        message:
          '"10.8.0.0/21" is too small for podsCidr: 15 nodes (nodesMax 5 × 3 zones) × /24 (110 pods per node) need /20; use /20 or larger',
        value: "10.8.0.0/21",
      },
    ]);
    expect(cidrProblems(twoEnvs({ podsCidr: "10.8.0.0/20" }))).toEqual([]);
  });

  it("reads settings.nodesMax over the preset's", () => {
    const cfg = config({ dev: env("shop-dev-1", { settings: { nodesMax: 100 }, network: { podsCidr: "10.8.0.0/16" } }) });
    expect(cidrProblems(cfg)).toEqual([
      {
        path: "environments.dev.network.podsCidr",
        message:
          '"10.8.0.0/16" is too small for podsCidr: 300 nodes (nodesMax 100 × 3 zones) × /24 (110 pods per node) need /15; use /15 or larger',
        value: "10.8.0.0/16",
      },
    ]);
  });

  it("takes an explicit capacity and checks the nodes range (4 addresses reserved per subnet)", () => {
    const capacity: Record<string, EnvironmentCapacity> = { prod: { maxNodes: 253 } };
    const issues = cidrProblems(twoEnvs({ nodesCidr: "10.0.0.0/24" }), capacity);
    expect(issues).toEqual([
      {
        path: "environments.prod.network.nodesCidr",
        message: '"10.0.0.0/24" is too small for nodesCidr: 253 nodes need /23; use /23 or larger',
        value: "10.0.0.0/24",
      },
    ]);
    expect(cidrProblems(twoEnvs({ nodesCidr: "10.0.0.0/24" }), { prod: { maxNodes: 252 } })).toEqual([]);
  });

  it("locates a capacity problem of a default range at the network key where the fix goes", () => {
    // 3,000 nodes need 3,000 /24s: more than the default /13 pods range (2,048).
    const issues = cidrProblems(twoEnvs(), { prod: { maxNodes: 3000 } });
    expect(issues).toEqual([
      {
        path: "environments.prod.network.podsCidr",
        message: '"10.8.0.0/13" is too small for podsCidr: 3000 nodes × /24 (110 pods per node) need /12; use /12 or larger',
        value: "10.8.0.0/13",
      },
    ]);
  });

  it("keeps the fixed floors: services range at least /24", () => {
    const issues = cidrProblems(twoEnvs({ servicesCidr: "10.0.48.0/25" }));
    expect(issues).toEqual([
      {
        path: "environments.prod.network.servicesCidr",
        message: '"10.0.48.0/25" is too small for servicesCidr: use /24 or larger',
        value: "10.0.48.0/25",
      },
    ]);
  });

  it("rejects an override that is not a network address", () => {
    const issues = cidrProblems(twoEnvs({ servicesAccessCidr: "10.0.64.1/20" }));
    expect(issues).toContainEqual({
      path: "environments.prod.network.servicesAccessCidr",
      message: '"10.0.64.1/20" is not a network address; use "10.0.64.0/20"',
      value: "10.0.64.1/20",
    });
  });
});

describe("capacity arithmetic", () => {
  it.each([
    ["nodesCidr", 1, 24],
    ["nodesCidr", 252, 24],
    ["nodesCidr", 253, 23],
    ["nodesCidr", 4092, 20],
    ["nodesCidr", 4093, 19],
    ["podsCidr", 8, 21],
    ["podsCidr", 9, 20],
    ["podsCidr", 15, 20],
    ["podsCidr", 2048, 13],
    ["servicesCidr", 5000, 24],
  ] as const)("%s for %i nodes needs /%i", (range, nodes, prefix) => {
    expect(minimalPrefix(range, nodes)).toBe(prefix);
  });

  it("splits a CIDR into address and prefix length", () => {
    expect(splitCidr("10.0.64.0/20")).toEqual({ address: "10.0.64.0", prefixLength: 20 });
    expect(() => splitCidr("10.0.64.0")).toThrow('"10.0.64.0" is not an IPv4 CIDR');
  });
});
