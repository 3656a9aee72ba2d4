/**
 * Monthly cost of a plan from the price table (./prices.ts): one line per priced resource,
 * totals per component, and the delta between two plans. Resource types without a price are
 * listed as "not priced" — never silently zero; types that cost nothing are listed as free.
 * Usage-dependent lines say so and show the assumption they used.
 */
import type { Plan, PlannedResource } from "../../plan/run.js";
import { cronRunsPerMonth } from "./cron-runs.js";
import {
  defaultAssumptions,
  defaultRegionFactor,
  HOURS_PER_MONTH,
  prices,
  regionFactors,
  type CostAssumptions,
  PRICES_AS_OF,
} from "./prices.js";

export interface CostLine {
  urn: string;
  type: string;
  name: string;
  /** URN of the nearest component ancestor ("" at the top). */
  component: string;
  /** Estimated USD per month (rounded to cents). */
  monthlyUsd: number;
  /** How the figure was computed. */
  detail: string;
  /** Set when the figure depends on usage: the assumption it used. */
  usage?: string;
}

export interface NotPriced {
  urn: string;
  type: string;
  name: string;
  reason: string;
}

export interface CostEstimate {
  project: string;
  stack: string;
  currency: "USD";
  pricesAsOf: string;
  monthlyUsd: number;
  lines: CostLine[];
  byComponent: { component: string; monthlyUsd: number }[];
  /** Number of resources that are free (networks, IAM, components, Kubernetes objects, …). */
  freeCount: number;
  notPriced: NotPriced[];
  assumptions: CostAssumptions;
}

/** Types that cost nothing by themselves (their cost is in another line or in usage). */
const freeTypes: readonly RegExp[] = [
  /^pulumi:providers:/,
  /^random:/,
  /^gcp:compute\/(network|subnetwork|firewall|router|route):/,
  /^gcp:projects\/(service|serviceIdentity):/,
  /^gcp:serviceaccount\/account:/,
  /[iI][aA][mM](Member|Binding|Policy):/,
  /^gcp:sql\/(database|user):/,
  /^gcp:kms\/keyRing:/,
  /^gcp:secretmanager\/secret:/,
  /^gcp:servicenetworking\/connection:/,
  /^gcp:binaryauthorization\//,
  /^gcp:dns\/(policy|recordSet):/,
  /^gcp:compute\/(globalAddress|address):/,
  /^gcp:compute\/managedSslCertificate:/,
  /^gcp:compute\/(backendBucket|backendBucketSignedUrlKey|backendService|regionBackendService|healthCheck|regionHealthCheck|urlMap|instanceTemplate|regionAutoscaler|autoscaler):/,
  // Application Load Balancer pieces (the SDK's tokens: uRLMap, sSLPolicy): billed through the
  // forwarding rules (priced) and data processing, not per resource.
  /^gcp:compute\/(uRLMap|regionUrlMap|sSLPolicy|regionSslPolicy|targetHttpsProxy|targetHttpProxy|regionTargetHttpsProxy|regionTargetHttpProxy):/,
  /^gcp:certificatemanager\//,
  /^gcp:pubsub\/subscription:/,
  /^gcp:artifactregistry\/repositoryIamMember:/,
  /^kubernetes:/,
  // Readiness waits (components/readiness): API reads and IAM writes; the CMEK probe's one secret
  // version lives for seconds.
  /^pulumi-nodejs:dynamic\/readiness:/,
];

const round = (usd: number) => Math.round(usd * 100) / 100;
const money = (usd: number) => `$${usd.toFixed(2)}`;
/** Unit rates keep 4 decimals ($0.0014/h), totals 2. */
const rate = (usd: number) => `$${usd < 1 ? usd.toFixed(4) : usd.toFixed(2)}`;

function regionOf(r: PlannedResource): string | undefined {
  const loc = r.inputs.region ?? r.inputs.location;
  if (typeof loc !== "string") return undefined;
  const m = /^([a-z]+-[a-z]+\d+)(-[a-z])?$/.exec(loc);
  return m ? m[1] : undefined;
}

function factor(region: string | undefined): { factor: number; note: string } {
  if (region === undefined) return { factor: 1, note: "" };
  const f = regionFactors[region];
  return f === undefined ? { factor: defaultRegionFactor, note: ` (${region} not in the price table: ×${defaultRegionFactor} assumed)` } : { factor: f, note: f === 1 ? "" : ` (${region} ×${f})` };
}

/** vCPUs and memory (GB) of a predefined machine type, e.g. e2-standard-4 → 4 vCPU, 16 GB. */
export function machineShape(machineType: string): { family: string; vcpu: number; memoryGb: number } | undefined {
  const custom = /^([a-z0-9]+)-custom-(\d+)-(\d+)$/.exec(machineType);
  if (custom) return { family: custom[1]!, vcpu: Number(custom[2]), memoryGb: Number(custom[3]) / 1024 };
  const m = /^([a-z0-9]+)-(standard|highmem|highcpu)-(\d+)$/.exec(machineType);
  if (!m) return undefined;
  const vcpu = Number(m[3]);
  const perCpu = { standard: m[1] === "n1" ? 3.75 : 4, highmem: m[1] === "n1" ? 6.5 : 8, highcpu: m[1] === "n1" ? 0.9 : 1 }[m[2] as "standard" | "highmem" | "highcpu"];
  return { family: m[1]!, vcpu, memoryGb: vcpu * perCpu };
}

/** On-demand USD per hour of one VM of a machine type, in us-central1; undefined when unknown. */
export function machineHourly(machineType: string): number | undefined {
  const shared = prices.sharedCore[machineType];
  if (shared) return shared.usd;
  const shape = machineShape(machineType);
  const family = shape ? prices.machineFamilies[shape.family] : undefined;
  if (!shape || !family) return undefined;
  return shape.vcpu * family.vcpu.usd + shape.memoryGb * family.memory.usd;
}

/** Zones a node pool spans: its node locations, or three for a regional location. */
function zonesOf(r: PlannedResource): number {
  if (Array.isArray(r.inputs.nodeLocations) && r.inputs.nodeLocations.length > 0) return r.inputs.nodeLocations.length;
  const loc = String(r.inputs.location ?? "");
  return /^[a-z]+-[a-z]+\d+$/.test(loc) ? 3 : 1;
}

/** Minimum node count of a pool across its zones (autoscaling min, else node count). */
export function poolMinNodes(r: PlannedResource): { min: number; max: number | undefined } {
  const a = (r.inputs.autoscaling ?? {}) as Record<string, unknown>;
  const zones = zonesOf(r);
  if (typeof a.totalMinNodeCount === "number") return { min: a.totalMinNodeCount, max: typeof a.totalMaxNodeCount === "number" ? a.totalMaxNodeCount : undefined };
  if (typeof a.minNodeCount === "number") return { min: a.minNodeCount * zones, max: typeof a.maxNodeCount === "number" ? a.maxNodeCount * zones : undefined };
  const count = typeof r.inputs.nodeCount === "number" ? r.inputs.nodeCount : typeof r.inputs.initialNodeCount === "number" ? r.inputs.initialNodeCount : 1;
  return { min: count * zones, max: count * zones };
}

type Pricer = (r: PlannedResource, ctx: Context) => Omit<CostLine, "urn" | "type" | "name" | "component"> | string;

interface Context {
  plan: Plan;
  assumptions: CostAssumptions;
  /** Minimum GKE/VM nodes per region, for Cloud NAT. */
  nodesByRegion: Map<string, number>;
  byUrn: Map<string, PlannedResource>;
}

function nodePool(r: PlannedResource): ReturnType<Pricer> {
  const config = (r.inputs.nodeConfig ?? {}) as Record<string, unknown>;
  const machineType = String(config.machineType ?? "e2-medium");
  const hourly = machineHourly(machineType);
  if (hourly === undefined) return `machine type ${machineType} is not in the price table`;
  const spot = config.spot === true || config.preemptible === true;
  const { factor: f, note } = factor(regionOf(r));
  const perVm = hourly * f * (spot ? prices.spotFactor.usd : 1);
  const diskGb = typeof config.diskSizeGb === "number" ? config.diskSizeGb : 100;
  const diskType = String(config.diskType ?? "pd-balanced");
  const diskPrice = (prices.disks[diskType] ?? prices.disks["pd-balanced"]!).usd * f;
  const { min, max } = poolMinNodes(r);
  const perNode = perVm * HOURS_PER_MONTH + diskGb * diskPrice;
  const monthly = min * perNode;
  const range = max !== undefined && max > min ? `; up to ${max} nodes: ${money(max * perNode)}` : "";
  return {
    monthlyUsd: round(monthly),
    detail: `${min} × ${machineType}${spot ? " spot" : ""} at ${rate(perVm)}/h + ${diskGb} GB ${diskType}${note}${range}`,
  };
}

/** VMs of a managed instance group: the autoscaler's bounds when one targets it, else its target size. */
export function groupSize(r: PlannedResource, byUrn: Map<string, PlannedResource>): { min: number; max: number } {
  for (const other of byUrn.values()) {
    if (!/^gcp:compute\/(region)?[aA]utoscaler:/.test(other.type) || !other.dependencies.includes(r.urn)) continue;
    const policy = (other.inputs.autoscalingPolicy ?? {}) as Record<string, unknown>;
    const min = typeof policy.minReplicas === "number" ? policy.minReplicas : 1;
    return { min, max: typeof policy.maxReplicas === "number" ? policy.maxReplicas : min };
  }
  const size = typeof r.inputs.targetSize === "number" ? r.inputs.targetSize : 0;
  return { min: size, max: size };
}

/**
 * A managed instance group: its size × the VM of its instance template (machine type + boot disk).
 * A canary group's two templates share the group's size; a blue/green pair is two groups, both
 * running (the standby one is what makes a rollback instant), so both are priced.
 */
function instanceGroup(r: PlannedResource, ctx: Context): ReturnType<Pricer> {
  const template = r.dependencies.map((urn) => ctx.byUrn.get(urn)).find((d) => d && /^gcp:compute\/(region)?[iI]nstanceTemplate:/.test(d.type));
  if (!template) return "no instance template among the group's dependencies";
  const machineType = String(template.inputs.machineType ?? "");
  const hourly = machineHourly(machineType);
  if (hourly === undefined) return `machine type ${machineType || "(none)"} is not in the price table`;
  const { factor: f, note } = factor(regionOf(r));
  const disk = ((template.inputs.disks as Record<string, unknown>[] | undefined) ?? [])[0] ?? {};
  const diskGb = typeof disk.diskSizeGb === "number" ? disk.diskSizeGb : 10;
  const diskType = String(disk.diskType ?? "pd-standard");
  const diskPrice = (prices.disks[diskType] ?? prices.disks["pd-balanced"]!).usd * f;
  const perVm = hourly * f * HOURS_PER_MONTH + diskGb * diskPrice;
  const { min, max } = groupSize(r, ctx.byUrn);
  const range = max > min ? `; up to ${max} VMs: ${money(max * perVm)}` : "";
  return {
    monthlyUsd: round(min * perVm),
    detail: `${min} × ${machineType} at ${rate(hourly * f)}/h + ${diskGb} GB ${diskType}${note}${range}`,
  };
}

function sqlInstance(r: PlannedResource): ReturnType<Pricer> {
  const s = (r.inputs.settings ?? {}) as Record<string, unknown>;
  const tier = String(s.tier ?? "");
  if (s.edition === "ENTERPRISE_PLUS") return "Cloud SQL Enterprise Plus is not in the price table";
  const ha = s.availabilityType === "REGIONAL";
  const mult = ha ? 2 : 1;
  const { factor: f, note } = factor(regionOf(r));
  let hourly: number;
  const shared = (prices.cloudSql as Record<string, { usd: number }>)[tier];
  const custom = /^db-custom-(\d+)-(\d+)$/.exec(tier);
  if (tier === "db-f1-micro" || tier === "db-g1-small") hourly = shared!.usd;
  else if (custom) hourly = Number(custom[1]) * prices.cloudSql.vcpu.usd + (Number(custom[2]) / 1024) * prices.cloudSql.memory.usd;
  else return `Cloud SQL tier ${tier || "(none)"} is not in the price table`;
  const diskGb = typeof s.diskSize === "number" ? s.diskSize : 10;
  const storage = s.diskType === "PD_HDD" ? prices.cloudSql.hdd : prices.cloudSql.ssd;
  const compute = hourly * mult * f * HOURS_PER_MONTH;
  const disk = diskGb * storage.usd * mult * f;
  const replica = typeof r.inputs.masterInstanceName === "string" ? "read replica, " : "";
  return {
    monthlyUsd: round(compute + disk),
    detail: `${replica}${tier}${ha ? " HA (×2)" : ""}: ${money(compute)} compute + ${diskGb} GB ${s.diskType === "PD_HDD" ? "HDD" : "SSD"} ${money(disk)}${note}`,
  };
}

function redisInstance(r: PlannedResource): ReturnType<Pricer> {
  const tier = String(r.inputs.tier ?? "BASIC");
  const gb = typeof r.inputs.memorySizeGb === "number" ? r.inputs.memorySizeGb : 1;
  const band = gb <= 4 ? 0 : gb <= 10 ? 1 : gb <= 35 ? 2 : gb <= 100 ? 3 : 4;
  const price = prices.redis[tier]?.[band];
  if (!price) return `Memorystore tier ${tier} is not in the price table`;
  const { factor: f, note } = factor(regionOf(r));
  const replicas = typeof r.inputs.replicaCount === "number" && r.inputs.readReplicasMode === "READ_REPLICAS_ENABLED" ? r.inputs.replicaCount : 0;
  const nodes = 1 + replicas;
  return {
    monthlyUsd: round(gb * price.usd * f * HOURS_PER_MONTH * nodes),
    detail: `${tier} ${gb} GB at ${rate(price.usd * f)}/GB-h${replicas ? ` × ${nodes} nodes (read replicas)` : ""}${note}`,
  };
}

function routerNat(r: PlannedResource, ctx: Context): ReturnType<Pricer> {
  const vms = ctx.nodesByRegion.get(regionOf(r) ?? "") ?? 0;
  const hourly = vms >= 32 ? prices.natGatewayMaxHour.usd : vms * prices.natVmHour.usd;
  // AUTO_ONLY allocates as many addresses as the VMs' ports need, at least one: priced at one.
  const manual = r.inputs.natIpAllocateOption === "MANUAL_ONLY" && Array.isArray(r.inputs.natIps);
  const ips = manual ? Math.max(1, (r.inputs.natIps as unknown[]).length) : 1;
  const data = ctx.assumptions.natGiB * prices.natGiB.usd;
  return {
    monthlyUsd: round((hourly + ips * prices.natIpHour.usd) * HOURS_PER_MONTH + data),
    detail: `${vms} VMs (minimum nodes in the region) × ${rate(prices.natVmHour.usd)}/h + ${ips}${manual ? "" : " (at least; allocated as needed)"} IP × ${rate(prices.natIpHour.usd)}/h + ${ctx.assumptions.natGiB} GiB processed`,
    usage: `natGiB=${ctx.assumptions.natGiB} at ${rate(prices.natGiB.usd)}/GiB`,
  };
}

/**
 * A port-80 rule that shares its address with a rule on another port is the HTTP → HTTPS redirect
 * of one load balancer (the machine groups' frontend): its traffic is the redirects, so the data
 * processed is counted once, on the other rule.
 */
function isRedirectRule(r: PlannedResource, ctx: Context): boolean {
  const address = r.inputs.ipAddress;
  if (r.inputs.portRange !== "80" || typeof address !== "string") return false;
  return ctx.plan.resources.some((o) => o !== r && forwardingRuleTypes.has(o.type) && o.inputs.ipAddress === address && o.inputs.portRange !== "80");
}

function forwardingRule(r: PlannedResource, ctx: Context, index: number): ReturnType<Pricer> {
  const hourly = index < 5 ? prices.forwardingRuleHour.usd : prices.extraForwardingRuleHour.usd;
  if (isRedirectRule(r, ctx)) {
    return {
      monthlyUsd: round(hourly * HOURS_PER_MONTH),
      detail: `forwarding rule ${rate(hourly)}/h (HTTP → HTTPS redirect; data processed counted on the HTTPS rule of the same address)`,
    };
  }
  return {
    monthlyUsd: round(hourly * HOURS_PER_MONTH + ctx.assumptions.lbGiB * prices.lbGiB.usd),
    detail: `forwarding rule ${rate(hourly)}/h + ${ctx.assumptions.lbGiB} GiB processed`,
    usage: `lbGiB=${ctx.assumptions.lbGiB} at ${rate(prices.lbGiB.usd)}/GiB`,
  };
}

function bucket(r: PlannedResource, ctx: Context): ReturnType<Pricer> {
  const cls = String(r.inputs.storageClass ?? "STANDARD");
  const loc = String(r.inputs.location ?? "").toUpperCase();
  const placement = (r.inputs.customPlacementConfig ?? {}) as { dataLocations?: unknown[] };
  // Predefined dual-regions (EUR4, NAM4, ASIA1), configurable ones (a multi-region location with two
  // data locations), and multi-regions (EU, US, ASIA).
  const dual = ["EUR4", "NAM4", "ASIA1"].includes(loc) || /\+/.test(loc) || (Array.isArray(placement.dataLocations) && placement.dataLocations.length === 2);
  const multi = dual || ["US", "EU", "ASIA"].includes(loc);
  const row = prices.storage[cls];
  if (!row) return `storage class ${cls} is not in the price table`;
  const price = dual ? (row.dual ?? row.multi) : multi ? row.multi : row.region;
  const { factor: f, note } = multi ? { factor: 1, note: "" } : factor(regionOf(r));
  const gib = ctx.assumptions.bucketGiB;
  const kind = dual ? (row.dual ? "dual-region" : "dual-region (multi-region price: no dual-region figure for this class)") : multi ? "multi-region" : "regional";
  return {
    monthlyUsd: round(gib * price.usd * f),
    detail: `${cls} ${kind} ${loc}: ${gib} GiB at ${rate(price.usd * f)}/GB-month${note}`,
    usage: `bucketGiB=${gib}`,
  };
}

/**
 * The restore test's CronJob (components/database/restore-test.ts): each run clones the instance
 * it names (same tier, availability and disk: "the same data and settings",
 * https://cloud.google.com/sdk/gcloud/reference/sql/instances/clone) for about the hours it
 * annotates, at the instance's hourly price. Other CronJobs run on the cluster's nodes (priced there).
 */
function restoreTestCronJob(r: PlannedResource, ctx: Context): ReturnType<Pricer> {
  const annotations = ((r.inputs.metadata ?? {}) as { annotations?: Record<string, string> }).annotations ?? {};
  const source = annotations["brume.dev/restores"];
  if (source === undefined) return { monthlyUsd: 0, detail: "runs on the cluster's nodes" };
  const instance = ctx.plan.resources.find((o) => o.type === "gcp:sql/databaseInstance:DatabaseInstance" && o.inputs.name === source);
  if (!instance) return `the restored instance ${source} is not in the plan`;
  const priced = sqlInstance(instance);
  if (typeof priced === "string") return priced;
  const schedule = String((r.inputs.spec as { schedule?: unknown } | undefined)?.schedule ?? "");
  const runs = cronRunsPerMonth(schedule);
  const hours = Number(annotations["brume.dev/clone-hours"] ?? 1);
  const hourly = priced.monthlyUsd / HOURS_PER_MONTH;
  return {
    monthlyUsd: round(runs * hours * hourly),
    detail: `restore test: a clone of ${source} ${hours} h × ${Math.round(runs * 100) / 100} runs/month ("${schedule}") at ${rate(hourly)}/h (up to ${annotations["brume.dev/clone-max-hours"] ?? hours} h when a run hits its deadline)`,
  };
}

const pricers: Record<string, Pricer> = {
  "kubernetes:batch/v1:CronJob": restoreTestCronJob,
  "gcp:monitoring/alertPolicy:AlertPolicy": (r) => {
    const conditions = Array.isArray(r.inputs.conditions) ? r.inputs.conditions.length : 1;
    return { monthlyUsd: round(conditions * prices.alertCondition.usd), detail: `${conditions} alerting condition(s) at ${rate(prices.alertCondition.usd)}/month` };
  },
  "gcp:container/cluster:Cluster": (r) =>
    r.inputs.enableAutopilot === true
      ? "Autopilot bills pods by requested resources (not in the price table)"
      : { monthlyUsd: round(prices.gkeClusterHour.usd * HOURS_PER_MONTH), detail: `management fee ${rate(prices.gkeClusterHour.usd)}/h` },
  "gcp:container/nodePool:NodePool": nodePool,
  "gcp:sql/databaseInstance:DatabaseInstance": sqlInstance,
  "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager": instanceGroup,
  "gcp:compute/instanceGroupManager:InstanceGroupManager": instanceGroup,
  "gcp:redis/instance:Instance": redisInstance,
  "gcp:compute/routerNat:RouterNat": routerNat,
  "gcp:storage/bucket:Bucket": bucket,
  "gcp:artifactregistry/repository:Repository": (r, ctx) => {
    // Vulnerability scanning (containerscanning, gcp-review 35) bills each new digest once.
    const scanning = (r.inputs.vulnerabilityScanningConfig as { enablementConfig?: string } | undefined)?.enablementConfig;
    const scans = scanning !== undefined && scanning !== "DISABLED" ? ctx.assumptions.scannedImages : 0;
    return {
      monthlyUsd: round(Math.max(0, ctx.assumptions.registryGiB - 0.5) * prices.registryGb.usd + scans * prices.imageScan.usd),
      detail: `${ctx.assumptions.registryGiB} GiB of images at ${rate(prices.registryGb.usd)}/GB-month (0.5 GB free)${scans > 0 ? ` + ${scans} images scanned at ${rate(prices.imageScan.usd)}` : ""}`,
      usage: `registryGiB=${ctx.assumptions.registryGiB}${scans > 0 ? `, scannedImages=${scans}` : ""}`,
    };
  },
  "gcp:kms/cryptoKey:CryptoKey": (r) => {
    const hsm = (r.inputs.versionTemplate as Record<string, unknown> | undefined)?.protectionLevel === "HSM";
    const price = hsm ? prices.kmsHsmKeyVersion : prices.kmsSoftwareKeyVersion;
    return { monthlyUsd: round(price.usd), detail: `1 active ${hsm ? "HSM" : "software"} key version (each rotation adds ${money(price.usd)} until old versions are destroyed)` };
  },
  "gcp:secretmanager/secretVersion:SecretVersion": (r, ctx) => {
    const secret = [...ctx.byUrn.values()].find((s) => s.parent === r.parent && s.type === "gcp:secretmanager/secret:Secret");
    const replicas = (secret?.inputs.replication as { userManaged?: { replicas?: unknown[] } } | undefined)?.userManaged?.replicas?.length ?? 1;
    return { monthlyUsd: round(prices.secretVersion.usd * replicas), detail: `1 active version × ${replicas} location${replicas > 1 ? "s" : ""}` };
  },
  "gcp:compute/securityPolicy:SecurityPolicy": (r) => {
    const rules = Array.isArray(r.inputs.rules) ? r.inputs.rules.length : 1;
    return { monthlyUsd: round(prices.armorPolicy.usd + rules * prices.armorRule.usd), detail: `Cloud Armor policy + ${rules} rules (requests extra)` };
  },
  "gcp:dns/managedZone:ManagedZone": () => ({ monthlyUsd: prices.dnsZone.usd, detail: "managed zone (queries extra)" }),
  "gcp:pubsub/topic:Topic": (_r, ctx) => ({
    monthlyUsd: round(ctx.assumptions.pubsubGiB * prices.pubsubGiB.usd),
    detail: `${ctx.assumptions.pubsubGiB} GiB of throughput`,
    usage: `pubsubGiB=${ctx.assumptions.pubsubGiB}`,
  }),
  // Cloud Logging bills ingestion into log buckets and retention beyond 30 days, not the bucket:
  // the line sits on the project's `_Default` bucket config and prices the usage assumptions.
  "gcp:logging/projectBucketConfig:ProjectBucketConfig": (r, ctx) => {
    const { logsGiB, networkLogsGiB } = ctx.assumptions;
    const retentionDays = typeof r.inputs.retentionDays === "number" ? r.inputs.retentionDays : 30;
    const billable = Math.max(0, logsGiB - prices.loggingFreeGiB.usd);
    // Steady state: each month's volume is kept retentionDays; the part past 30 days is billed.
    const retainedGiB = ((logsGiB + networkLogsGiB) * Math.max(0, retentionDays - 30)) / 30;
    return {
      monthlyUsd: round(billable * prices.loggingGiB.usd + networkLogsGiB * prices.networkLogsGiB.usd + retainedGiB * prices.loggingRetentionGiBMonth.usd),
      detail: `${logsGiB} GiB of logs (${prices.loggingFreeGiB.usd} GiB free) at ${rate(prices.loggingGiB.usd)}/GiB + ${networkLogsGiB} GiB of network logs at ${rate(prices.networkLogsGiB.usd)}/GiB, kept ${retentionDays} days${retainedGiB > 0 ? ` (${round(retainedGiB)} GiB past 30 days at ${rate(prices.loggingRetentionGiBMonth.usd)}/GiB-month)` : ""}`,
      usage: `logsGiB=${logsGiB}, networkLogsGiB=${networkLogsGiB}`,
    };
  },
  "gcp:compute/disk:Disk": (r) => {
    const type = String(r.inputs.type ?? "pd-standard");
    const size = typeof r.inputs.size === "number" ? r.inputs.size : 10;
    const price = prices.disks[type];
    if (!price) return `disk type ${type} is not in the price table`;
    const { factor: f, note } = factor(regionOf(r) ?? (typeof r.inputs.zone === "string" ? r.inputs.zone.replace(/-[a-z]$/, "") : undefined));
    return { monthlyUsd: round(size * price.usd * f), detail: `${size} GB ${type}${note}` };
  },
};

const forwardingRuleTypes = new Set([
  "gcp:compute/globalForwardingRule:GlobalForwardingRule",
  "gcp:compute/forwardingRule:ForwardingRule",
  // A GKE Gateway provisions one forwarding rule (and its proxy) per Gateway.
  "kubernetes:gateway.networking.k8s.io/v1:Gateway",
  "kubernetes:gateway.networking.k8s.io/v1beta1:Gateway",
]);

function nearestComponent(byUrn: Map<string, PlannedResource>, r: PlannedResource): string {
  let parent = byUrn.get(r.parent);
  while (parent && parent.custom) parent = byUrn.get(parent.parent);
  return parent?.urn ?? "";
}

/** The monthly estimate of a plan. */
export function estimateCost(plan: Plan, assumptions: Partial<CostAssumptions> = {}): CostEstimate {
  const a: CostAssumptions = { ...defaultAssumptions, ...assumptions };
  const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
  const nodesByRegion = new Map<string, number>();
  for (const r of plan.resources) {
    // VMs without an external IP reach the internet through Cloud NAT: GKE nodes and group VMs.
    const vms = r.type === "gcp:container/nodePool:NodePool" ? poolMinNodes(r).min : /InstanceGroupManager:/.test(r.type) ? groupSize(r, byUrn).min : 0;
    if (vms === 0) continue;
    const region = regionOf(r) ?? "";
    nodesByRegion.set(region, (nodesByRegion.get(region) ?? 0) + vms);
  }
  const ctx: Context = { plan, assumptions: a, nodesByRegion, byUrn };
  const lines: CostLine[] = [];
  const notPriced: NotPriced[] = [];
  let freeCount = 0;
  let ruleIndex = 0;
  for (const r of plan.resources) {
    if (!r.custom) {
      freeCount++;
      continue;
    }
    const base = { urn: r.urn, type: r.type, name: r.name, component: nearestComponent(byUrn, r) };
    let result: ReturnType<Pricer> | undefined;
    if (forwardingRuleTypes.has(r.type)) result = forwardingRule(r, ctx, ruleIndex++);
    else if (pricers[r.type]) result = pricers[r.type]!(r, ctx);
    else if (freeTypes.some((re) => re.test(r.type))) {
      freeCount++;
      continue;
    } else result = "no price for this resource type";
    if (typeof result === "string") notPriced.push({ urn: r.urn, type: r.type, name: r.name, reason: result });
    else lines.push({ ...base, ...result });
  }
  const components = new Map<string, number>();
  for (const l of lines) components.set(l.component, (components.get(l.component) ?? 0) + l.monthlyUsd);
  return {
    project: plan.project,
    stack: plan.stack,
    currency: "USD",
    pricesAsOf: PRICES_AS_OF,
    monthlyUsd: round(lines.reduce((s, l) => s + l.monthlyUsd, 0)),
    lines,
    byComponent: [...components.entries()]
      .map(([component, usd]) => ({ component, monthlyUsd: round(usd) }))
      .sort((x, y) => y.monthlyUsd - x.monthlyUsd || (x.component < y.component ? -1 : 1)),
    freeCount,
    notPriced,
    assumptions: a,
  };
}

export interface CostDeltaLine {
  urn: string;
  type: string;
  name: string;
  baseUsd: number;
  headUsd: number;
  deltaUsd: number;
}

export interface CostDelta {
  baseUsd: number;
  headUsd: number;
  deltaUsd: number;
  /** Lines whose figure changed (created, deleted or repriced), largest change first. */
  lines: CostDeltaLine[];
  /** Not-priced resources of the head (the delta does not include them). */
  notPriced: NotPriced[];
}

/** The monthly cost difference between two plans. */
export function costDelta(base: CostEstimate, head: CostEstimate): CostDelta {
  const before = new Map(base.lines.map((l) => [l.urn, l]));
  const after = new Map(head.lines.map((l) => [l.urn, l]));
  const lines: CostDeltaLine[] = [];
  for (const urn of new Set([...before.keys(), ...after.keys()])) {
    const b = before.get(urn);
    const h = after.get(urn);
    const baseUsd = b?.monthlyUsd ?? 0;
    const headUsd = h?.monthlyUsd ?? 0;
    if (baseUsd === headUsd) continue;
    const l = (h ?? b)!;
    lines.push({ urn, type: l.type, name: l.name, baseUsd, headUsd, deltaUsd: round(headUsd - baseUsd) });
  }
  lines.sort((x, y) => Math.abs(y.deltaUsd) - Math.abs(x.deltaUsd) || (x.urn < y.urn ? -1 : 1));
  return { baseUsd: base.monthlyUsd, headUsd: head.monthlyUsd, deltaUsd: round(head.monthlyUsd - base.monthlyUsd), lines, notPriced: head.notPriced };
}

/** `+$12.34` / `-$5.00` / `$0.00`. */
export function formatUsd(usd: number, signed = false): string {
  const sign = signed ? (usd > 0 ? "+" : usd < 0 ? "-" : "±") : usd < 0 ? "-" : "";
  return `${sign}$${Math.abs(usd).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}
