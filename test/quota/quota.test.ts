/**
 * Quota demand (src/quota): the peaks of the example stacks computed by hand, the machine-type and
 * disk-type tables, the phases (at max, surge, cluster creation) on small synthetic plans, and the
 * CLI (`brume quota`, the summary line of `brume plan`).
 */
import fc from "fast-check";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Plan, PlannedResource } from "../../src/plan/run.js";
import { planStack } from "../../src/plan/stack.js";
import { quotaDemand, quotaLine, type QuotaReport } from "../../src/review/quota/demand.js";
import { diskQuotaMetric, machineVcpus } from "../../src/review/quota/machine-types.js";
import { renderQuota } from "../../src/review/quota/render.js";
import { brume, examplePath, planDir } from "../harness.js";

const r = (type: string, name: string, inputs: Record<string, unknown>, dependencies: string[] = []): PlannedResource => ({
  urn: `urn:pulumi:t::p::${type}::${name}`, type, name, parent: "", inputs, dependencies, provider: "", protect: false, custom: true,
});
const plan = (...resources: PlannedResource[]): Plan => ({ project: "p", stack: "t", resources, outputs: {} });
const peak = (q: QuotaReport, metric: string, scope: string) => quotaLine(q, metric, scope).peak;
const atMax = (q: QuotaReport, metric: string, scope: string) => quotaLine(q, metric, scope).atMax;

describe("the example stacks, by hand", () => {
  let prod: QuotaReport;
  let stage: QuotaReport;
  let machines: QuotaReport;
  beforeAll(async () => {
    prod = quotaDemand(await planDir(examplePath("bro-ai"), "prod"));
    stage = quotaDemand(await planDir(examplePath("bro-ai"), "stage"));
    machines = quotaDemand(await planDir(examplePath("machines"), "prod"));
  });

  it("bro-ai prod at max: 39 nodes, 156 E2 vCPU (CPUS), 3,900 SSD GB; peak 168 vCPU with the upgrade surge", () => {
    // Regional pools (us-central1, 3 zones), production preset:
    //   general e2-standard-4 max 5/zone → 15 nodes × 4 = 60 vCPU, 15 × 100 GB pd-balanced = 1,500 GB
    //   highmem e2-highmem-4 max 3/zone →  9 nodes × 4 = 36 vCPU,  9 × 100 GB             =   900 GB
    //   spot    e2-standard-4 max 5/zone → 15 nodes × 4 = 60 vCPU, 15 × 100 GB             = 1,500 GB
    //   total 39 nodes, 156 vCPU, 3,900 GB. E2 counts against CPUS; pd-balanced against SSD_TOTAL_GB.
    // Surge upgrades: maxSurge 1 per pool → +3 nodes, +12 vCPU, +300 GB → peak 42 nodes, 168 vCPU, 4,200 GB.
    // Creation: the default pool, 1 e2-medium (2 vCPU, 100 GB) per zone = 3 nodes, 6 vCPU, 300 GB,
    // removed before the node pools (which depend on the cluster) are created.
    expect(quotaLine(prod, "INSTANCES", "us-central1")).toMatchObject({ atMax: 39, surge: 3, creation: 3, peak: 42 });
    expect(quotaLine(prod, "CPUS", "us-central1")).toMatchObject({ atMax: 156, surge: 12, creation: 6, peak: 168 });
    expect(quotaLine(prod, "SSD_TOTAL_GB", "us-central1")).toMatchObject({ atMax: 3900, surge: 300, creation: 300, peak: 4200 });
    expect(peak(prod, "CPUS_ALL_REGIONS", "global")).toBe(168);
    expect(peak(prod, "DISKS_TOTAL_GB", "us-central1")).toBe(0);
    expect(prod.groups.filter((g) => g.kind === "node pool").map((g) => [g.machineType, g.nodesAtMax, g.spot])).toEqual([
      ["e2-standard-4", 15, false],
      ["e2-highmem-4", 9, false],
      ["e2-standard-4", 15, true],
    ]);
    // 60 spot vCPU: PREEMPTIBLE_CPUS once granted.
    expect(prod.notes).toContain("60 of the vCPUs at max are spot VMs: they count against PREEMPTIBLE_CPUS instead once the project has that quota");
  });

  it("bro-ai prod addresses and Cloud SQL: the PSA range, the Gateway's address, one NAT IP; primary + DR replica", () => {
    expect(peak(prod, "GLOBAL_INTERNAL_ADDRESSES", "global")).toBe(1); // the Private Services Access /20
    expect(peak(prod, "IN_USE_ADDRESSES", "global")).toBe(2); // the external Gateway's IP + the assets CDN's (its :80 and :443 rules share it)
    expect(peak(prod, "STATIC_ADDRESSES", "global")).toBe(2); // both reserved
    // Cloud NAT: 42 VMs × 64 ports = 2,688 ports < 64,512 per IP → 1 automatic NAT IP; nodes are private.
    expect(peak(prod, "IN_USE_ADDRESSES", "us-central1")).toBe(1);
    expect(prod.sqlInstances.map((s) => [s.role, s.region, s.tier, s.availability])).toEqual([
      ["primary", "us-central1", "db-custom-2-7680", "REGIONAL"],
      ["replica", "us-east1", "db-custom-2-7680", "ZONAL"],
    ]);
    expect(prod.unknown).toEqual([]);
  });

  it("bro-ai stage: 18 nodes, 36 vCPU, 1,800 SSD GB at max; 40 vCPU at peak; one instance, no replica", () => {
    // Staging preset, regional: general e2-standard-2 max 3/zone → 9 nodes, 18 vCPU, 900 GB;
    // spot e2-standard-2 max 3/zone → 9 nodes, 18 vCPU, 900 GB; no high-memory pool.
    // Surge +1 per pool → +2 nodes, +4 vCPU, +200 GB.
    expect(quotaLine(stage, "INSTANCES", "us-central1")).toMatchObject({ atMax: 18, surge: 2, peak: 20 });
    expect(quotaLine(stage, "CPUS", "us-central1")).toMatchObject({ atMax: 36, surge: 4, peak: 40 });
    expect(quotaLine(stage, "SSD_TOTAL_GB", "us-central1")).toMatchObject({ atMax: 1800, surge: 200, peak: 2000 });
    expect(stage.sqlInstances.map((s) => s.role)).toEqual(["primary"]);
  });

  it("machines (tiles prod): GKE pool and both VM groups at size; the load balancer's static IP", () => {
    // Development preset pool: e2-standard-2 max 2/zone × 3 zones = 6 nodes, 12 vCPU, 600 GB.
    // edge: 3 × e2-standard-2 = 6 vCPU, 3 × 20 GB pd-balanced = 60 GB.
    // web:  2 × e2-small (shared core, 2 vCPU each) = 4 vCPU, 2 × 20 GB = 40 GB.
    // At max: 11 VMs, 22 vCPU, 700 GB. Surge: pool +1 node (2 vCPU, 100 GB), each regional MIG
    // maxSurgeFixed 3 (edge +6 vCPU +60 GB, web +6 vCPU +60 GB) → +7 VMs, +14 vCPU, +220 GB.
    expect(quotaLine(machines, "INSTANCES", "europe-west1")).toMatchObject({ atMax: 11, surge: 7, peak: 18 });
    expect(quotaLine(machines, "CPUS", "europe-west1")).toMatchObject({ atMax: 22, surge: 14, peak: 36 });
    expect(quotaLine(machines, "SSD_TOTAL_GB", "europe-west1")).toMatchObject({ atMax: 700, surge: 220, peak: 920 });
    // One reserved global address, shared by the HTTP and HTTPS forwarding rules: in use once.
    expect(peak(machines, "STATIC_ADDRESSES", "global")).toBe(1);
    expect(peak(machines, "IN_USE_ADDRESSES", "global")).toBe(1);
    expect(machines.groups.filter((g) => g.kind === "instance group").map((g) => [g.machineType, g.nodesAtMax, g.surgeNodes, g.diskGbPerNode])).toEqual([
      ["e2-standard-2", 3, 3, 20],
      ["e2-small", 2, 3, 20],
    ]);
  });
});

describe("the tables", () => {
  it("machine types: predefined, custom, shared core; the family's CPU metric", () => {
    expect(machineVcpus("e2-standard-4")).toEqual({ family: "e2", vcpu: 4, metric: "CPUS" });
    expect(machineVcpus("n1-highmem-8")).toEqual({ family: "n1", vcpu: 8, metric: "CPUS" });
    expect(machineVcpus("n2-standard-16")).toEqual({ family: "n2", vcpu: 16, metric: "N2_CPUS" });
    expect(machineVcpus("n2d-highcpu-32")).toEqual({ family: "n2d", vcpu: 32, metric: "N2D_CPUS" });
    expect(machineVcpus("c3-standard-4-lssd")).toEqual({ family: "c3", vcpu: 4, metric: "C3_CPUS" });
    expect(machineVcpus("e2-custom-6-12288")).toEqual({ family: "e2", vcpu: 6, metric: "CPUS" });
    expect(machineVcpus("custom-2-7680")).toEqual({ family: "n1", vcpu: 2, metric: "CPUS" });
    expect(machineVcpus("e2-micro")).toEqual({ family: "e2", vcpu: 2, metric: "CPUS" });
    expect(machineVcpus("g1-small")).toEqual({ family: "g1", vcpu: 1, metric: "CPUS" });
    expect(machineVcpus("z9-standard-4")).toEqual({ family: "z9", vcpu: 4, metric: undefined });
    expect(machineVcpus("mystery")).toBeUndefined();
  });

  it("disk types: pd-balanced and pd-ssd are SSD_TOTAL_GB, pd-standard DISKS_TOTAL_GB", () => {
    expect(["pd-balanced", "pd-ssd", "pd-standard", "hyperdisk-balanced"].map(diskQuotaMetric)).toEqual(["SSD_TOTAL_GB", "SSD_TOTAL_GB", "DISKS_TOTAL_GB", undefined]);
  });
});

describe("synthetic stacks", () => {
  const cluster = (inputs: Record<string, unknown>) => r("gcp:container/cluster:Cluster", "gke", { location: "europe-west1", initialNodeCount: 1, privateClusterConfig: { enablePrivateNodes: true }, ...inputs });
  const pool = (name: string, inputs: Record<string, unknown>, deps: string[]) => r("gcp:container/nodePool:NodePool", name, { location: "europe-west1", ...inputs }, deps);

  it("a kept default pool adds to the pools; a removed one only counts during creation", () => {
    const c = cluster({ removeDefaultNodePool: false });
    const p = pool("n2", { autoscaling: { maxNodeCount: 2 }, nodeConfig: { machineType: "n2-standard-8", diskType: "pd-standard", diskSizeGb: 50 } }, [c.urn]);
    const kept = quotaDemand(plan(c, p));
    // default pool: 3 × e2-medium (CPUS 6, SSD 300 GB); pool: 2/zone × 3 × 8 = 48 N2 vCPU, 6 × 50 GB pd-standard.
    expect(quotaLine(kept, "CPUS", "europe-west1")).toMatchObject({ atMax: 6, peak: 6 });
    expect(quotaLine(kept, "N2_CPUS", "europe-west1")).toMatchObject({ atMax: 48, surge: 8, peak: 56 });
    expect(quotaLine(kept, "DISKS_TOTAL_GB", "europe-west1")).toMatchObject({ atMax: 300, surge: 50, peak: 350 });
    expect(atMax(kept, "INSTANCES", "europe-west1")).toBe(9);
    const removed = quotaDemand(plan(cluster({ removeDefaultNodePool: true, nodeConfig: { machineType: "n2-standard-4" } }), p));
    // The default pool (3 × n2-standard-4 = 12 N2 vCPU) exists only before the pool: peak max(48 + 8, 12).
    expect(quotaLine(removed, "N2_CPUS", "europe-west1")).toMatchObject({ atMax: 48, surge: 8, creation: 12, peak: 56 });
    expect(quotaLine(removed, "INSTANCES", "europe-west1")).toMatchObject({ atMax: 6, creation: 3, peak: 7 });
  });

  it("a default pool larger than the pools sets the peak; a pool not depending on its cluster coexists with it", () => {
    const c = cluster({ removeDefaultNodePool: true, initialNodeCount: 4 });
    const small = pool("tiny", { nodeLocations: ["europe-west1-b"], autoscaling: { maxNodeCount: 1 }, nodeConfig: { machineType: "e2-standard-2" } }, [c.urn]);
    const q = quotaDemand(plan(c, small));
    // creation 12 × e2-medium = 24 vCPU; at max 1 × 2 vCPU, surge +2 → peak 24.
    expect(quotaLine(q, "CPUS", "europe-west1")).toMatchObject({ atMax: 2, surge: 2, creation: 24, peak: 24 });
    const detached = quotaDemand(plan(c, { ...small, dependencies: [] }));
    expect(quotaLine(detached, "CPUS", "europe-west1")).toMatchObject({ atMax: 2, creation: 26, peak: 26 });
  });

  it("public nodes take an external IP each; totalMaxNodeCount caps the whole pool", () => {
    const c = cluster({ removeDefaultNodePool: true, privateClusterConfig: {} });
    const p = pool("pub", { autoscaling: { totalMaxNodeCount: 4 }, nodeConfig: { machineType: "e2-standard-2" } }, [c.urn]);
    const q = quotaDemand(plan(c, p));
    expect(quotaLine(q, "IN_USE_ADDRESSES", "europe-west1")).toMatchObject({ atMax: 4, surge: 1 });
    expect(atMax(q, "CPUS", "europe-west1")).toBe(8);
  });

  it("instance groups: the autoscaler's max, the template's disks and external IPs, the rollout surge", () => {
    const t = r("gcp:compute/instanceTemplate:InstanceTemplate", "tpl", {
      machineType: "c2-standard-8",
      disks: [{ boot: true, diskSizeGb: 30, diskType: "pd-ssd" }, { diskSizeGb: 200 }],
      networkInterfaces: [{ subnetwork: "s", accessConfigs: [{}] }],
    });
    const mig = r("gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager", "mig", { region: "us-east1", targetSize: 2, updatePolicy: { maxSurgeFixed: 3 } }, [t.urn]);
    const as = r("gcp:compute/regionAutoscaler:RegionAutoscaler", "as", { region: "us-east1", autoscalingPolicy: { minReplicas: 2, maxReplicas: 10 } }, [mig.urn]);
    const q = quotaDemand(plan(t, mig, as));
    expect(quotaLine(q, "C2_CPUS", "us-east1")).toMatchObject({ atMax: 80, surge: 24, peak: 104 });
    expect(quotaLine(q, "SSD_TOTAL_GB", "us-east1")).toMatchObject({ atMax: 300, surge: 90 });
    // The data disk without a type is pd-standard (the template default).
    expect(quotaLine(q, "DISKS_TOTAL_GB", "us-east1")).toMatchObject({ atMax: 2000, surge: 600 });
    expect(quotaLine(q, "IN_USE_ADDRESSES", "us-east1")).toMatchObject({ atMax: 10, surge: 3 });
  });

  it("VMs, disks, static addresses, NAT IPs by VM count; unknown machine types are reported, not zero", () => {
    const vms = Array.from({ length: 3 }, (_, k) =>
      r("gcp:compute/instance:Instance", `vm${k}`, { zone: "asia-east1-a", machineType: "n2-standard-2", bootDisk: { initializeParams: { size: 20, type: "pd-balanced" } }, networkInterfaces: [{}] }),
    );
    const q = quotaDemand(
      plan(
        ...vms,
        r("gcp:compute/instance:Instance", "odd", { zone: "asia-east1-a", machineType: "x9-weird" }),
        r("gcp:compute/regionDisk:RegionDisk", "rd", { region: "asia-east1", size: 100, type: "pd-ssd" }),
        r("gcp:compute/address:Address", "ip", { region: "asia-east1" }),
        r("gcp:compute/address:Address", "ilb", { region: "asia-east1", addressType: "INTERNAL" }),
        r("gcp:compute/routerNat:RouterNat", "nat", { region: "asia-east1", minPortsPerVm: 32768 }),
      ),
    );
    expect(atMax(q, "N2_CPUS", "asia-east1")).toBe(6);
    // 3 × 20 GB boot + the regional disk twice (two zones) = 60 + 200.
    expect(atMax(q, "SSD_TOTAL_GB", "asia-east1")).toBe(260);
    expect(atMax(q, "STATIC_ADDRESSES", "asia-east1")).toBe(1);
    expect(atMax(q, "INTERNAL_ADDRESSES", "asia-east1")).toBe(1);
    // 4 VMs × 32,768 ports = 131,072 → 3 NAT IPs of 64,512 ports.
    expect(atMax(q, "IN_USE_ADDRESSES", "asia-east1")).toBe(3);
    expect(q.unknown).toEqual(["machine type x9-weird (odd)"]);
    expect(renderQuota(q, "text")).toContain("not counted: machine type x9-weird (odd) (unknown to the quota tables)");
  });

  it("property: vCPUs at max are Σ max per zone × zones × vCPU per node; the peak is never below at max", () => {
    const types = ["e2-standard-2", "e2-standard-4", "e2-highmem-4", "n2-standard-8"] as const;
    fc.assert(
      fc.property(
        fc.array(fc.record({ type: fc.constantFrom(...types), max: fc.integer({ min: 1, max: 20 }), zones: fc.integer({ min: 1, max: 4 }), surge: fc.integer({ min: 0, max: 5 }) }), { minLength: 1, maxLength: 5 }),
        (specs) => {
          const c = cluster({ removeDefaultNodePool: true });
          const pools = specs.map((s, k) =>
            pool(`p${k}`, { nodeLocations: Array.from({ length: s.zones }, (_, z) => `europe-west1-${"bcde"[z]}`), autoscaling: { maxNodeCount: s.max }, upgradeSettings: { maxSurge: s.surge }, nodeConfig: { machineType: s.type } }, [c.urn]),
          );
          const q = quotaDemand(plan(c, ...pools));
          const expected = (metric: string) => specs.filter((s) => machineVcpus(s.type)!.metric === metric).reduce((sum, s) => sum + s.max * s.zones * machineVcpus(s.type)!.vcpu, 0);
          expect(atMax(q, "N2_CPUS", "europe-west1")).toBe(expected("N2_CPUS"));
          expect(atMax(q, "CPUS", "europe-west1")).toBe(expected("CPUS"));
          for (const l of q.lines) expect(l.peak).toBeGreaterThanOrEqual(l.atMax);
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe("CLI", () => {
  const config = join(examplePath("bro-ai"), "brume.yaml");

  it("brume quota --format json is the report of the stack's plan", async () => {
    const result = await brume("quota", "--stack", "stage", "--config", config, "--format", "json");
    expect(result.code).toBe(0);
    const { plan: stagePlan } = await planStack({ stack: "stage", configFile: config });
    expect(JSON.parse(result.stdout)).toEqual(JSON.parse(JSON.stringify(quotaDemand(stagePlan))));
    expect((await brume("quota", "--format", "xml")).code).toBe(2);
  });

  it("brume plan prints the summary line on stderr (text), the full report with --quota, nothing with --no-quota", async () => {
    // stderr also carries the plan's warnings (secrets nothing gives a value, README "Secret values"): the quota
    // output is every other line.
    const quotaLines = (stderr: string) => stderr.split("\n").filter((l) => l.length > 0 && !l.startsWith("warning: "));
    const text = await brume("plan", "--stack", "stage", "--config", config, "--no-policy");
    expect(text.code).toBe(0);
    expect(quotaLines(text.stderr)).toEqual([
      // + the Gateways' reserved addresses: the internal one (INTERNAL_ADDRESSES), the external global one (STATIC_ADDRESSES);
      // + the assets CDN's load balancer address (STATIC_ADDRESSES, IN_USE_ADDRESSES global)
      "Quota at peak: CPUS 40 (us-central1), INSTANCES 20 (us-central1), INTERNAL_ADDRESSES 1 (us-central1), IN_USE_ADDRESSES 1 (us-central1), SSD_TOTAL_GB 2,000 (us-central1), GLOBAL_INTERNAL_ADDRESSES 1 (global), IN_USE_ADDRESSES 2 (global), STATIC_ADDRESSES 2 (global); Cloud SQL: 1 instance(s). Details: brume quota --stack stage",
    ]);
    const full = await brume("plan", "--stack", "stage", "--config", config, "--no-policy", "--format", "json", "--quota");
    expect(full.stderr).toContain("us-central1    CPUS                       peak     40  (at max 36, surge +4, during creation 6)");
    expect(quotaLines((await brume("plan", "--stack", "stage", "--config", config, "--no-policy", "--no-quota")).stderr)).toEqual([]);
    expect(quotaLines((await brume("plan", "--stack", "stage", "--config", config, "--no-policy", "--format", "json")).stderr)).toEqual([]);
  });
});
