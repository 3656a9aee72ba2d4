/**
 * Quota demand of a plan: the peak of every Compute Engine allocation quota (vCPUs per family, SSD
 * and standard disk GB, VM instances, external and internal addresses) that the plan's resources can
 * reach when every autoscaler is at its max, during an upgrade surge, and while GKE creates a
 * cluster's default pool; plus the Cloud SQL instances and replicas per region. Computed from the
 * resources by type (GKE node pools, managed instance groups and their autoscalers, VM instances,
 * disks, addresses, Cloud NAT, Gateways), so it works for users' own stacks too. Pure: a function of
 * the plan.
 *
 * Three phases, because GCP counts what exists at one moment:
 * - `atMax`: every node pool at its autoscaling max in every zone, every managed instance group at
 *   its autoscaler's max (or target size — both groups of a blue/green pair run), every VM, disk,
 *   address;
 * - `surge`: what an upgrade adds on top (node pool `upgradeSettings.maxSurge`, MIG
 *   `updatePolicy.maxSurgeFixed`);
 * - `creation`: a cluster's default pool, which GKE creates with the cluster and deletes before
 *   the call returns when `removeDefaultNodePool` is set (google_container_cluster docs:
 *   "remove_default_node_pool - deletes the default node pool upon cluster creation"). Node pools
 *   that depend on their cluster are created after it, so the default pool never coexists with
 *   them; it only adds to the peak for pools that do not depend on the cluster.
 * The peak of a metric is max(atMax + surge, creation-time demand).
 */
import type { Plan, PlannedResource } from "../../plan/run.js";
import { diskQuotaMetric, machineVcpus } from "./machine-types.js";

/** One quota metric in one scope (a region, or "global" for project-wide quotas). */
export interface QuotaLine {
  metric: string;
  scope: string;
  atMax: number;
  surge: number;
  /** Demand while clusters are being created (default pools instead of the node pools). */
  creation: number;
  /** max(atMax + surge, creation). */
  peak: number;
  /** Resources contributing, with how. */
  sources: string[];
}

export interface NodeGroupDemand {
  name: string;
  kind: "node pool" | "default pool" | "instance group" | "instance";
  region: string;
  machineType: string;
  vcpuPerNode: number | undefined;
  metric: string | undefined;
  /** Nodes at max across its zones. */
  nodesAtMax: number;
  surgeNodes: number;
  diskGbPerNode: number;
  diskType: string;
  spot: boolean;
}

export interface SqlInstanceDemand {
  name: string;
  region: string;
  tier: string;
  /** Primary, or a read replica of another instance. */
  role: "primary" | "replica";
  availability: string;
}

export interface QuotaReport {
  project: string;
  stack: string;
  lines: QuotaLine[];
  groups: NodeGroupDemand[];
  sqlInstances: SqlInstanceDemand[];
  /** Machine types or disk types the tables do not know: reported, never counted as zero. */
  unknown: string[];
  notes: string[];
}

type Phase = "atMax" | "surge" | "creation";
interface Contribution {
  metric: string;
  scope: string;
  phase: Phase;
  amount: number;
  source: string;
  /** URN of the resource the demand comes from. */
  owner: string;
  /** Creation-only demand replaces the atMax demand of these URNs (the cluster's dependent pools). */
  replaces?: string[];
}

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === "string" && v.length > 0 ? v : undefined);
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** Region of a location: `us-central1` of `us-central1` or `us-central1-a`. */
export function regionOf(location: string | undefined): string | undefined {
  if (!location) return undefined;
  const m = /^([a-z]+-[a-z]+\d+)(-[a-z])?$/.exec(location);
  return m ? m[1] : undefined;
}

/** Zones a GKE node pool spans: its node locations, the cluster's, else three for a regional location
 * (GKE: a regional cluster replicates nodes across three zones of the region by default,
 * https://cloud.google.com/kubernetes-engine/docs/concepts/regional-clusters), one for a zone. */
function poolZones(inputs: Record<string, unknown>, cluster: PlannedResource | undefined): number {
  for (const locs of [inputs.nodeLocations, cluster?.inputs.nodeLocations]) if (Array.isArray(locs) && locs.length > 0) return locs.length;
  const loc = str(inputs.location) ?? str(cluster?.inputs.location) ?? "";
  return /^[a-z]+-[a-z]+\d+$/.test(loc) ? 3 : 1;
}

export function quotaDemand(plan: Plan): QuotaReport {
  const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
  const ofType = (type: string) => plan.resources.filter((r) => r.type === type);
  const contributions: Contribution[] = [];
  const groups: NodeGroupDemand[] = [];
  const unknown = new Set<string>();
  const notes: string[] = [];
  const add = (c: Contribution) => {
    if (c.amount > 0) contributions.push(c);
  };

  /** vCPU, instance and disk contributions of `nodes` VMs of one shape. */
  const compute = (g: NodeGroupDemand, owner: string, phase: Phase, nodes: number, source: string, replaces?: string[]) => {
    const extra = { owner, ...(replaces ? { replaces } : {}) };
    if (g.vcpuPerNode === undefined || g.metric === undefined) unknown.add(`machine type ${g.machineType} (${g.name})`);
    else {
      add({ metric: g.metric, scope: g.region, phase, amount: nodes * g.vcpuPerNode, source, ...extra });
      add({ metric: "CPUS_ALL_REGIONS", scope: "global", phase, amount: nodes * g.vcpuPerNode, source, ...extra });
    }
    add({ metric: "INSTANCES", scope: g.region, phase, amount: nodes, source, ...extra });
    const diskMetric = diskQuotaMetric(g.diskType);
    if (diskMetric === undefined) unknown.add(`disk type ${g.diskType} (${g.name})`);
    else add({ metric: diskMetric, scope: g.region, phase, amount: nodes * g.diskGbPerNode, source, ...extra });
  };

  // --- GKE ------------------------------------------------------------------------------------
  const clusters = ofType("gcp:container/cluster:Cluster");
  const pools = ofType("gcp:container/nodePool:NodePool");
  for (const pool of pools) {
    const i = pool.inputs;
    const cluster = clusters.find((c) => pool.dependencies.includes(c.urn));
    const region = regionOf(str(i.location) ?? str(cluster?.inputs.location)) ?? "unknown";
    const zones = poolZones(i, cluster);
    const a = obj(i.autoscaling);
    // totalMaxNodeCount caps the whole pool; maxNodeCount is per zone (NodePool autoscaling docs).
    const nodesAtMax =
      num(a.totalMaxNodeCount) ?? (num(a.maxNodeCount) !== undefined ? num(a.maxNodeCount)! * zones : (num(i.nodeCount) ?? num(i.initialNodeCount) ?? 1) * zones);
    const u = obj(i.upgradeSettings);
    // Surge upgrades add up to maxSurge nodes (default 1) to the pool being upgraded: the setting is
    // "defined for each node pool" (GKE "Configure node upgrade strategies",
    // https://cloud.google.com/kubernetes-engine/docs/how-to/node-pool-upgrade-strategies), and GKE
    // upgrades a regional pool zone by zone, so one pool adds maxSurge nodes at a time. Every pool is
    // counted as if upgraded at once (a manual upgrade of several pools): an upper bound. Blue-green
    // upgrades create a second copy of the pool instead.
    const surgeNodes = str(u.strategy) === "BLUE_GREEN" ? nodesAtMax : (num(u.maxSurge) ?? 1);
    const nc = obj(i.nodeConfig);
    const machineType = str(nc.machineType) ?? "e2-medium";
    const shape = machineVcpus(machineType);
    const g: NodeGroupDemand = {
      name: pool.name,
      kind: "node pool",
      region,
      machineType,
      vcpuPerNode: shape?.vcpu,
      metric: shape?.metric,
      nodesAtMax,
      surgeNodes,
      // GKE boot disk defaults: 100 GB pd-balanced (NodeConfig diskSizeGb / diskType docs).
      diskGbPerNode: num(nc.diskSizeGb) ?? 100,
      diskType: str(nc.diskType) ?? "pd-balanced",
      spot: nc.spot === true || nc.preemptible === true,
    };
    groups.push(g);
    compute(g, pool.urn, "atMax", nodesAtMax, `${pool.name}: ${nodesAtMax} × ${machineType}`);
    compute(g, pool.urn, "surge", surgeNodes, `${pool.name}: upgrade surge ${surgeNodes} × ${machineType}`);
  }
  for (const cluster of clusters) {
    const i = cluster.inputs;
    if (i.enableAutopilot === true) {
      notes.push(`${cluster.name}: Autopilot — nodes are provisioned by GKE and not counted here`);
      continue;
    }
    const region = regionOf(str(i.location)) ?? "unknown";
    const zones = poolZones(i, undefined);
    const nodes = (num(i.initialNodeCount) ?? 1) * zones;
    const nc = obj(i.nodeConfig);
    // Without nodeConfig.machineType GKE creates e2-medium nodes (Cluster nodeConfig docs).
    const machineType = str(nc.machineType) ?? "e2-medium";
    const shape = machineVcpus(machineType);
    const g: NodeGroupDemand = {
      name: cluster.name,
      kind: "default pool",
      region,
      machineType,
      vcpuPerNode: shape?.vcpu,
      metric: shape?.metric,
      nodesAtMax: nodes,
      surgeNodes: 0,
      diskGbPerNode: num(nc.diskSizeGb) ?? 100,
      diskType: str(nc.diskType) ?? "pd-balanced",
      spot: nc.spot === true,
    };
    groups.push(g);
    const dependentPools = pools.filter((p) => p.dependencies.includes(cluster.urn)).map((p) => p.urn);
    if (i.removeDefaultNodePool === true) {
      compute(g, cluster.urn, "creation", nodes, `${cluster.name}: default pool ${nodes} × ${machineType} while the cluster is created`, dependentPools);
    } else {
      compute(g, cluster.urn, "atMax", nodes, `${cluster.name}: default pool ${nodes} × ${machineType}`);
    }
    const pcc = obj(i.privateClusterConfig);
    if (pcc.enablePrivateNodes !== true) {
      notes.push(`${cluster.name}: nodes are not private — each node also takes an external IP (IN_USE_ADDRESSES of ${region})`);
      const clusterPools = groups.filter((x) => x.kind === "node pool" && pools.some((p) => p.name === x.name && p.dependencies.includes(cluster.urn)));
      for (const p of clusterPools) {
        add({ owner: cluster.urn, metric: "IN_USE_ADDRESSES", scope: p.region, phase: "atMax", amount: p.nodesAtMax, source: `${p.name}: node external IPs` });
        add({ owner: cluster.urn, metric: "IN_USE_ADDRESSES", scope: p.region, phase: "surge", amount: p.surgeNodes, source: `${p.name}: surge node external IPs` });
      }
    }
  }

  // --- Managed instance groups and VMs ---------------------------------------------------------
  const templates = new Map(
    [...ofType("gcp:compute/instanceTemplate:InstanceTemplate"), ...ofType("gcp:compute/regionInstanceTemplate:RegionInstanceTemplate")].map((t) => [t.urn, t]),
  );
  const autoscalers = [...ofType("gcp:compute/regionAutoscaler:RegionAutoscaler"), ...ofType("gcp:compute/autoscaler:Autoscaler")];
  const migs = [...ofType("gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager"), ...ofType("gcp:compute/instanceGroupManager:InstanceGroupManager")];
  for (const mig of migs) {
    const i = mig.inputs;
    // The template: the one the group depends on (its `versions[].instanceTemplate` input is the
    // template's self link, an output, so the dependency is in the graph).
    const template = mig.dependencies.map((d) => templates.get(d)).find((t) => t !== undefined);
    const region = regionOf(str(i.region) ?? str(i.zone)) ?? "unknown";
    const autoscaler = autoscalers.find((a) => a.dependencies.includes(mig.urn));
    const max = num(obj(autoscaler?.inputs.autoscalingPolicy).maxReplicas);
    const size = max ?? num(i.targetSize) ?? 0;
    const surgeNodes = num(obj(i.updatePolicy).maxSurgeFixed) ?? (mig.type.includes("region") ? 3 : 1);
    if (!template) {
      unknown.add(`instance template of ${mig.name}`);
      continue;
    }
    const t = template.inputs;
    const machineType = str(t.machineType) ?? "unknown";
    const shape = machineVcpus(machineType);
    const disks = Array.isArray(t.disks) ? (t.disks as Record<string, unknown>[]) : [];
    const g: NodeGroupDemand = {
      name: mig.name,
      kind: "instance group",
      region,
      machineType,
      vcpuPerNode: shape?.vcpu,
      metric: shape?.metric,
      nodesAtMax: size,
      surgeNodes,
      diskGbPerNode: 0,
      diskType: "pd-standard",
      spot: obj(t.scheduling).provisioningModel === "SPOT" || obj(t.scheduling).preemptible === true,
    };
    groups.push(g);
    compute({ ...g, diskGbPerNode: 0 }, mig.urn, "atMax", size, `${mig.name}: ${size} × ${machineType}${max !== undefined ? " (autoscaler max)" : ""}`);
    compute({ ...g, diskGbPerNode: 0 }, mig.urn, "surge", surgeNodes, `${mig.name}: rollout surge ${surgeNodes} × ${machineType}`);
    // Instance template disks default to pd-standard (InstanceTemplate disks.diskType docs); a
    // boot disk without a size takes its image's (10 GB for Debian and COS images).
    for (const d of disks) {
      const diskType = str(d.diskType) ?? "pd-standard";
      const gb = num(d.diskSizeGb) ?? 10;
      const metric = diskQuotaMetric(diskType);
      if (!metric) {
        unknown.add(`disk type ${diskType} (${template.name})`);
        continue;
      }
      add({ owner: mig.urn, metric, scope: region, phase: "atMax", amount: size * gb, source: `${mig.name}: ${size} × ${gb} GB ${diskType}` });
      add({ owner: mig.urn, metric, scope: region, phase: "surge", amount: surgeNodes * gb, source: `${mig.name}: surge ${surgeNodes} × ${gb} GB ${diskType}` });
      if (d.boot === true || disks.length === 1) Object.assign(g, { diskGbPerNode: gb, diskType });
    }
    const external = (Array.isArray(t.networkInterfaces) ? (t.networkInterfaces as Record<string, unknown>[]) : []).filter(
      (n) => Array.isArray(n.accessConfigs) && n.accessConfigs.length > 0,
    ).length;
    if (external > 0) {
      add({ owner: mig.urn, metric: "IN_USE_ADDRESSES", scope: region, phase: "atMax", amount: size * external, source: `${mig.name}: VM external IPs` });
      add({ owner: mig.urn, metric: "IN_USE_ADDRESSES", scope: region, phase: "surge", amount: surgeNodes * external, source: `${mig.name}: surge VM external IPs` });
    }
  }
  for (const vm of ofType("gcp:compute/instance:Instance")) {
    const i = vm.inputs;
    const region = regionOf(str(i.zone)) ?? "unknown";
    const machineType = str(i.machineType) ?? "unknown";
    const shape = machineVcpus(machineType);
    const boot = obj(obj(i.bootDisk).initializeParams);
    const g: NodeGroupDemand = {
      name: vm.name,
      kind: "instance",
      region,
      machineType,
      vcpuPerNode: shape?.vcpu,
      metric: shape?.metric,
      nodesAtMax: 1,
      surgeNodes: 0,
      diskGbPerNode: num(boot.size) ?? 10,
      diskType: str(boot.type) ?? "pd-standard",
      spot: obj(i.scheduling).provisioningModel === "SPOT",
    };
    groups.push(g);
    compute(g, vm.urn, "atMax", 1, `${vm.name}: ${machineType}`);
    const external = (Array.isArray(i.networkInterfaces) ? (i.networkInterfaces as Record<string, unknown>[]) : []).filter(
      (n) => Array.isArray(n.accessConfigs) && n.accessConfigs.length > 0,
    ).length;
    add({ owner: vm.urn, metric: "IN_USE_ADDRESSES", scope: region, phase: "atMax", amount: external, source: `${vm.name}: external IP` });
  }
  for (const disk of [...ofType("gcp:compute/disk:Disk"), ...ofType("gcp:compute/regionDisk:RegionDisk")]) {
    const i = disk.inputs;
    const region = regionOf(str(i.region) ?? str(i.zone)) ?? "unknown";
    const diskType = str(i.type) ?? "pd-standard";
    const metric = diskQuotaMetric(diskType);
    // A regional disk is replicated in two zones and counts twice its size (Disk quotas).
    const gb = (num(i.size) ?? 500) * (disk.type.includes("regionDisk") ? 2 : 1);
    if (!metric) unknown.add(`disk type ${diskType} (${disk.name})`);
    else add({ owner: disk.urn, metric, scope: region, phase: "atMax", amount: gb, source: `${disk.name}: ${gb} GB ${diskType}` });
  }

  // --- Addresses -------------------------------------------------------------------------------
  // Static external addresses count against STATIC_ADDRESSES (regional for `address`, the
  // project-wide one for `globalAddress`) and, once attached, IN_USE_ADDRESSES; internal global
  // ranges (Private Services Access) against GLOBAL_INTERNAL_ADDRESSES (Compute Engine "Allocation
  // quotas", IP addresses; the metrics of `gcloud compute project-info describe`).
  const inUseGlobal = new Set<string>();
  for (const a of ofType("gcp:compute/globalAddress:GlobalAddress")) {
    const external = (str(a.inputs.addressType) ?? "EXTERNAL") === "EXTERNAL";
    add({ owner: a.urn, metric: external ? "STATIC_ADDRESSES" : "GLOBAL_INTERNAL_ADDRESSES", scope: "global", phase: "atMax", amount: 1, source: `${a.name}: ${external ? "static external" : `internal ${str(a.inputs.purpose) ?? ""} range`}` });
  }
  for (const a of ofType("gcp:compute/address:Address")) {
    const region = regionOf(str(a.inputs.region)) ?? "unknown";
    const external = (str(a.inputs.addressType) ?? "EXTERNAL") === "EXTERNAL";
    add({ owner: a.urn, metric: external ? "STATIC_ADDRESSES" : "INTERNAL_ADDRESSES", scope: region, phase: "atMax", amount: 1, source: `${a.name}: static ${external ? "external" : "internal"}` });
  }
  for (const rule of ofType("gcp:compute/globalForwardingRule:GlobalForwardingRule")) {
    const scheme = str(rule.inputs.loadBalancingScheme) ?? "EXTERNAL";
    if (!scheme.startsWith("EXTERNAL")) continue;
    // Rules sharing one address (HTTP and HTTPS) use it once; a rule without one gets an ephemeral IP.
    inUseGlobal.add(str(rule.inputs.ipAddress) ?? rule.urn);
  }
  for (const gw of ofType("kubernetes:gateway.networking.k8s.io/v1:Gateway")) {
    const spec = obj(gw.inputs.spec);
    const cls = str(spec.gatewayClassName) ?? "";
    // GKE's global external Gateway classes allocate an ephemeral global IP unless spec.addresses
    // names a reserved one (GKE "Gateway addresses").
    if (/^gke-l7-(global-external-managed|gxlb)/.test(cls)) {
      const addresses = Array.isArray(spec.addresses) ? (spec.addresses as Record<string, unknown>[]) : [];
      inUseGlobal.add(addresses.length > 0 ? String(addresses[0]!.value) : gw.urn);
    }
  }
  if (inUseGlobal.size > 0) add({ owner: "global load balancers", metric: "IN_USE_ADDRESSES", scope: "global", phase: "atMax", amount: inUseGlobal.size, source: `global load balancers: ${inUseGlobal.size} address(es) in use` });

  // Cloud NAT with automatic allocation adds external IPs as VMs need ports: one IP has 64,512
  // source ports, each VM reserves minPortsPerVm (default 64) (Cloud NAT "Ports and addresses").
  for (const nat of ofType("gcp:compute/routerNat:RouterNat")) {
    const region = regionOf(str(nat.inputs.region)) ?? "unknown";
    if ((str(nat.inputs.natIpAllocateOption) ?? "AUTO_ONLY") !== "AUTO_ONLY") continue;
    const vms = contributions.filter((c) => c.metric === "INSTANCES" && c.scope === region && c.phase !== "creation").reduce((s, c) => s + c.amount, 0);
    const ips = Math.max(1, Math.ceil((vms * (num(nat.inputs.minPortsPerVm) ?? 64)) / 64512));
    add({ owner: nat.urn, metric: "IN_USE_ADDRESSES", scope: region, phase: "atMax", amount: ips, source: `${nat.name}: ${ips} automatic NAT IP(s) for ${vms} VMs at peak` });
  }

  // --- Cloud SQL -------------------------------------------------------------------------------
  const sqlInstances: SqlInstanceDemand[] = ofType("gcp:sql/databaseInstance:DatabaseInstance").map((db) => {
    const s = obj(db.inputs.settings);
    return {
      name: db.name,
      region: str(db.inputs.region) ?? "unknown",
      tier: str(s.tier) ?? "unknown",
      role: db.inputs.masterInstanceName !== undefined ? "replica" : "primary",
      availability: str(s.availabilityType) ?? "ZONAL",
    };
  });

  // --- Totals ----------------------------------------------------------------------------------
  const keys = new Map<string, { metric: string; scope: string }>();
  for (const c of contributions) keys.set(`${c.scope}\u0000${c.metric}`, { metric: c.metric, scope: c.scope });
  const lines: QuotaLine[] = [...keys.values()].map(({ metric, scope }) => {
    const mine = contributions.filter((c) => c.metric === metric && c.scope === scope);
    const sum = (phase: Phase) => mine.filter((c) => c.phase === phase).reduce((s, c) => s + c.amount, 0);
    const atMax = sum("atMax");
    const surge = sum("surge");
    // During creation: everything except the node pools the default pools replace, plus the default pools.
    const replaced = new Set(mine.flatMap((c) => c.replaces ?? []));
    const creationOnly = sum("creation");
    const creation = creationOnly === 0 ? 0 : creationOnly + mine.filter((c) => c.phase === "atMax" && !replaced.has(c.owner)).reduce((s, c) => s + c.amount, 0);
    return { metric, scope, atMax, surge, creation, peak: Math.max(atMax + surge, creation), sources: mine.map((c) => `${c.source}${c.phase === "atMax" ? "" : ` [${c.phase}]`}`) };
  });
  const scopeRank = (s: string) => (s === "global" ? 1 : 0);
  lines.sort((a, b) => scopeRank(a.scope) - scopeRank(b.scope) || (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : 0) || (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0));
  const spotVcpu = groups.filter((g) => g.spot).reduce((s, g) => s + g.nodesAtMax * (g.vcpuPerNode ?? 0), 0);
  if (spotVcpu > 0) notes.push(`${spotVcpu} of the vCPUs at max are spot VMs: they count against PREEMPTIBLE_CPUS instead once the project has that quota`);
  if (byUrn.size === 0) notes.push("empty plan");
  return { project: plan.project, stack: plan.stack, lines, groups, sqlInstances, unknown: [...unknown].sort(), notes };
}

/** The figure of one metric in one scope (0 when the plan does not use it). */
export function quotaLine(report: QuotaReport, metric: string, scope: string): QuotaLine {
  return report.lines.find((l) => l.metric === metric && l.scope === scope) ?? { metric, scope, atMax: 0, surge: 0, creation: 0, peak: 0, sources: [] };
}
