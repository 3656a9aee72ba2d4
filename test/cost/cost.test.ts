/**
 * Cost estimates: hand-computed figures for a small synthetic stack, the example stacks' lines,
 * HA doubling, spot discount, not-priced types, and the delta of a tier change.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { costDelta, estimateCost, formatUsd, machineHourly, machineShape } from "../../src/review/cost/estimate.js";
import { renderCost } from "../../src/review/cost/render.js";
import type { Plan, PlannedResource } from "../../src/plan/run.js";
import { planDir, repoRoot } from "../harness.js";

const r = (type: string, name: string, inputs: Record<string, unknown>): PlannedResource => ({
  urn: `urn:pulumi:t::p::${type}::${name}`, type, name, parent: "", inputs, dependencies: [], provider: "", protect: false, custom: true,
});
const plan = (...resources: PlannedResource[]): Plan => ({ project: "p", stack: "t", resources, outputs: {} });
const sql = (availabilityType: string, tier = "db-custom-2-7680") =>
  r("gcp:sql/databaseInstance:DatabaseInstance", "db", { region: "us-central1", settings: { tier, availabilityType, diskSize: 10, diskType: "PD_SSD" } });

describe("a small stack, by hand (us-central1 list prices, 730 h)", () => {
  it("prices every line", () => {
    const e = estimateCost(
      plan(
        r("gcp:container/cluster:Cluster", "gke", { location: "us-central1" }),
        // 1 node per zone × 3 zones of e2-standard-2 (2 × 0.021811 + 8 × 0.002923 = 0.067006 $/h) + 50 GB pd-balanced ($5)
        r("gcp:container/nodePool:NodePool", "pool", { location: "us-central1", autoscaling: { minNodeCount: 1, maxNodeCount: 2 }, nodeConfig: { machineType: "e2-standard-2", diskSizeGb: 50, diskType: "pd-balanced" } }),
        sql("ZONAL"),
        r("gcp:redis/instance:Instance", "cache", { region: "us-central1", tier: "BASIC", memorySizeGb: 2 }),
        r("gcp:compute/routerNat:RouterNat", "nat", { region: "us-central1" }),
        r("gcp:kms/cryptoKey:CryptoKey", "key", {}),
        r("gcp:compute/network:Network", "vpc", {}),
        r("gcp:vertex/aiEndpoint:AiEndpoint", "mystery", {}),
      ),
      { natGiB: 0 },
    );
    const line = Object.fromEntries(e.lines.map((l) => [l.name, l.monthlyUsd]));
    expect(line).toEqual({
      gke: 73, // 0.10 × 730
      pool: 161.74, // 3 × (0.067006 × 730 + 50 × 0.10) = 3 × 53.91438
      db: 100.32, // (2 × 0.0413 + 7.5 × 0.007) × 730 + 10 × 0.17
      cache: 71.54, // 2 GB × 0.049 × 730
      nat: 6.72, // (3 VMs × 0.0014 + 1 NAT IP × 0.005) × 730 = 3.066 + 3.65
      key: 0.06,
    });
    expect(e.monthlyUsd).toBe(413.38);
    expect(e.freeCount).toBe(1);
    expect(e.notPriced).toEqual([{ urn: "urn:pulumi:t::p::gcp:vertex/aiEndpoint:AiEndpoint::mystery", type: "gcp:vertex/aiEndpoint:AiEndpoint", name: "mystery", reason: "no price for this resource type" }]);
  });

  it("prices buckets by class and placement: regional, multi-region, dual-region (predefined or configurable)", () => {
    const bucket = (name: string, inputs: Record<string, unknown>) => r("gcp:storage/bucket:Bucket", name, { storageClass: "STANDARD", ...inputs });
    const e = estimateCost(
      plan(
        bucket("regional", { location: "US-CENTRAL1" }),
        bucket("multi", { location: "EU" }),
        bucket("dual", { location: "EUR4" }),
        bucket("custom-dual", { location: "EU", customPlacementConfig: { dataLocations: ["EUROPE-WEST1", "EUROPE-WEST4"] } }),
        bucket("dual-nearline", { location: "EUR4", storageClass: "NEARLINE" }),
      ),
      { bucketGiB: 100 },
    );
    const line = Object.fromEntries(e.lines.map((l) => [l.name, l.monthlyUsd]));
    expect(line).toEqual({
      regional: 2, // 100 × 0.02
      multi: 2.6, // 100 × 0.026
      dual: 2.2, // 100 × 0.022
      "custom-dual": 2.2,
      "dual-nearline": 1.5, // no dual-region Nearline figure: the multi-region one, 100 × 0.015, and the detail says so
    });
    expect(e.lines.find((l) => l.name === "dual-nearline")!.detail).toContain("multi-region price: no dual-region figure for this class");
  });

  it("prices a managed instance group as its size × its template's VM, and counts its VMs for Cloud NAT", () => {
    const template = r("gcp:compute/instanceTemplate:InstanceTemplate", "tpl", { region: "us-central1", machineType: "e2-standard-2", disks: [{ boot: true, diskSizeGb: 20, diskType: "pd-balanced" }] });
    const mig = { ...r("gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager", "edge", { region: "us-central1", targetSize: 3 }), dependencies: [template.urn] };
    const nat = r("gcp:compute/routerNat:RouterNat", "nat", { region: "us-central1" });
    const fixed = estimateCost(plan(template, mig, nat), { natGiB: 0 });
    const line = Object.fromEntries(fixed.lines.map((l) => [l.name, l.monthlyUsd]));
    expect(line).toEqual({
      edge: 152.74, // 3 × (0.067006 × 730 + 20 GB × 0.10) = 3 × 50.91438
      nat: 6.72, // (3 VMs × 0.0014 + 1 NAT IP × 0.005) × 730 = 3.066 + 3.65
    });
    // An autoscaler targeting the group sets the size: its minimum, with the maximum in the detail.
    const autoscaler = { ...r("gcp:compute/regionAutoscaler:RegionAutoscaler", "edge-autoscaler", { region: "us-central1", autoscalingPolicy: { minReplicas: 2, maxReplicas: 5 } }), dependencies: [mig.urn] };
    const scaled = estimateCost(plan(template, { ...mig, inputs: { region: "us-central1" } }, autoscaler));
    const edge = scaled.lines.find((l) => l.name === "edge")!;
    expect(edge.monthlyUsd).toBe(101.83); // 2 × 50.91438
    expect(edge.detail).toContain("up to 5 VMs: $254.57");
  });

  it("prices the machine groups' Application Load Balancer: two forwarding rules, data counted once; its other pieces free", () => {
    const ip = "203.0.113.7";
    const e = estimateCost(
      plan(
        r("gcp:compute/globalForwardingRule:GlobalForwardingRule", "https", { ipAddress: ip, portRange: "443", loadBalancingScheme: "EXTERNAL_MANAGED" }),
        r("gcp:compute/globalForwardingRule:GlobalForwardingRule", "http", { ipAddress: ip, portRange: "80", loadBalancingScheme: "EXTERNAL_MANAGED" }),
        r("gcp:compute/globalAddress:GlobalAddress", "address", {}),
        r("gcp:compute/managedSslCertificate:ManagedSslCertificate", "cert", {}),
        r("gcp:compute/sSLPolicy:SSLPolicy", "tls", {}),
        r("gcp:compute/uRLMap:URLMap", "map", {}),
        r("gcp:compute/uRLMap:URLMap", "redirect", {}),
        r("gcp:compute/targetHttpsProxy:TargetHttpsProxy", "https-proxy", {}),
        r("gcp:compute/targetHttpProxy:TargetHttpProxy", "http-proxy", {}),
        r("gcp:compute/backendService:BackendService", "backend", {}),
      ),
      { lbGiB: 100 },
    );
    const line = Object.fromEntries(e.lines.map((l) => [l.name, l.monthlyUsd]));
    expect(line).toEqual({
      https: 19.05, // 0.025 × 730 + 100 GiB × 0.008
      http: 18.25, // 0.025 × 730: the redirect's traffic is the HTTPS rule's
    });
    expect(e.lines.find((l) => l.name === "http")!.detail).toContain("HTTP → HTTPS redirect");
    expect(e.freeCount).toBe(8);
    expect(e.notPriced).toEqual([]);
  });

  it("doubles the SQL line for HA, discounts spot nodes, and prices usage from assumptions", () => {
    const zonal = estimateCost(plan(sql("ZONAL"))).monthlyUsd;
    const ha = estimateCost(plan(sql("REGIONAL"))).monthlyUsd;
    expect(ha).toBeCloseTo(zonal * 2, 1);
    const pool = (spot: boolean) => estimateCost(plan(r("gcp:container/nodePool:NodePool", "p", { location: "us-central1-a", nodeCount: 1, nodeConfig: { machineType: "e2-standard-4", diskSizeGb: 0, spot } }))).monthlyUsd;
    expect(pool(true)).toBeCloseTo(pool(false) * 0.3, 1);
    const bucket = (bucketGiB: number) => estimateCost(plan(r("gcp:storage/bucket:Bucket", "b", { location: "EU", storageClass: "STANDARD" })), { bucketGiB }).lines[0]!;
    expect(bucket(100).monthlyUsd).toBe(2.6);
    expect(bucket(100).usage).toBe("bucketGiB=100");
  });

  it("knows machine shapes", () => {
    expect(machineShape("e2-highmem-4")).toEqual({ family: "e2", vcpu: 4, memoryGb: 32 });
    expect(machineShape("n1-standard-2")).toEqual({ family: "n1", vcpu: 2, memoryGb: 7.5 });
    expect(machineHourly("e2-medium")).toBe(0.033503);
    expect(machineHourly("z9-weird-1")).toBeUndefined();
    expect(formatUsd(1234.5)).toBe("$1,234.50");
    expect(formatUsd(-3, true)).toBe("-$3.00");
  });
});

describe("the example stacks", () => {
  let prod: ReturnType<typeof estimateCost>;
  let stage: ReturnType<typeof estimateCost>;
  beforeAll(async () => {
    prod = estimateCost(await planDir(repoRoot, "prod"));
    stage = estimateCost(await planDir(repoRoot, "stage"));
  }, 30_000);

  it("prices the stateful and compute lines of prod (europe-west1 ×1.1)", () => {
    const line = (name: string) => prod.lines.find((l) => l.name === name)?.monthlyUsd;
    expect(line("shop-prod-db-main-instance")).toBe(254.37); // db-custom-2-7680 HA ×2 + 100 GB SSD ×2, ×1.1
    expect(line("shop-prod-db-main-replica")).toBe(127.19); // same tier, zonal, europe-west4
    expect(line("shop-prod-cache-sessions-instance")).toBe(216.81); // STANDARD_HA 5 GB × 0.054 × 1.1 × 730
    expect(line("shop-prod-cluster-cluster")).toBe(73);
    expect(line("shop-prod-cluster-pool-general")).toBe(355.83); // 3 × e2-standard-4 + 100 GB pd-balanced
    expect(prod.notPriced).toEqual([]);
    expect(prod.monthlyUsd).toBeCloseTo(prod.lines.reduce((s, l) => s + l.monthlyUsd, 0), 1);
  });

  it("makes prod more expensive than stage and shows the delta", () => {
    expect(prod.monthlyUsd).toBeGreaterThan(stage.monthlyUsd * 2);
    const delta = costDelta(stage, prod);
    expect(delta.deltaUsd).toBeCloseTo(prod.monthlyUsd - stage.monthlyUsd, 1);
    expect(renderCost(prod, "md")).toContain(`Monthly cost of \`brume/prod\`: ${formatUsd(prod.monthlyUsd)}`);
  });

  it("prices the bro-ai example; anything unknown is listed, never zero", async () => {
    const planned = await planDir(`${repoRoot}/examples/bro-ai`, "prod");
    const e = estimateCost(planned);
    const custom = planned.resources.filter((x) => x.custom).length;
    // Every cloud resource is accounted for: priced, free by rule, or listed as not priced.
    expect(e.lines.length + e.notPriced.length + e.freeCount - planned.resources.filter((x) => !x.custom).length).toBe(custom);
    for (const n of e.notPriced) expect(n.reason).toMatch(/not in the price table|no price/);
    expect(e.lines.some((l) => l.type === "gcp:sql/databaseInstance:DatabaseInstance")).toBe(true);
    expect(e.monthlyUsd).toBeGreaterThan(0);
  }, 30_000);
});

describe("cost delta", () => {
  it("shows the tier change of one instance", () => {
    const d = costDelta(estimateCost(plan(sql("ZONAL", "db-custom-1-3840"))), estimateCost(plan(sql("ZONAL", "db-custom-2-7680"))));
    // (1 × 0.0413 + 3.75 × 0.007) × 730 + 1.7 = 51.01 → 100.32
    expect(d).toMatchObject({ baseUsd: 51.01, headUsd: 100.32, deltaUsd: 49.31 });
    expect(d.lines).toHaveLength(1);
  });
});
