/**
 * The price table behind `brume cost` and the cost delta of `brume diff`: public list prices in
 * USD for the Google Cloud SKUs brume creates, without discounts, free tiers or taxes.
 *
 * Source and date: each entry names its pricing page; the figures are us-central1 list prices
 * transcribed from those pages (as of 2025-06, re-checked when this table was written in 2026-11
 * only for the structure, not every figure). Other regions apply `regionFactors`, an approximation
 * of the published regional premium for compute-like SKUs (VMs, disks, Cloud SQL, Memorystore,
 * storage). Global SKUs (GKE fee, KMS, Secret Manager, Cloud DNS, Cloud NAT, forwarding rules)
 * have one price everywhere. This is an estimate for reviewing changes, not a bill: check the
 * Google Cloud pricing calculator before quoting a figure.
 */

export interface Price {
  usd: number;
  unit: string;
  source: string;
}

/** Hours in a billing month, as Google's calculator uses. */
export const HOURS_PER_MONTH = 730;
export const PRICES_AS_OF = "2025-06";

const p = (usd: number, unit: string, source: string): Price => ({ usd, unit, source });
const gke = "https://cloud.google.com/kubernetes-engine/pricing";
const vm = "https://cloud.google.com/compute/vm-instance-pricing";
const disk = "https://cloud.google.com/compute/disks-image-pricing";
const sql = "https://cloud.google.com/sql/pricing";
const redis = "https://cloud.google.com/memorystore/docs/redis/pricing";
const nat = "https://cloud.google.com/nat/pricing";
const lb = "https://cloud.google.com/vpc/network-pricing#lb";
const gcs = "https://cloud.google.com/storage/pricing";
const ar = "https://cloud.google.com/artifact-registry/pricing";
const kms = "https://cloud.google.com/kms/pricing";
const sm = "https://cloud.google.com/secret-manager/pricing";
const dns = "https://cloud.google.com/dns/pricing";
const pubsub = "https://cloud.google.com/pubsub/pricing";

export const prices = {
  gkeClusterHour: p(0.1, "cluster-hour", `${gke} (cluster management fee; the monthly free-tier credit of one cluster is not applied)`),
  /** Per vCPU-hour and GB-hour of predefined machine families (on demand). */
  machineFamilies: {
    e2: { vcpu: p(0.021811, "vCPU-hour", vm), memory: p(0.002923, "GB-hour", vm) },
    n2: { vcpu: p(0.031611, "vCPU-hour", vm), memory: p(0.004237, "GB-hour", vm) },
    n2d: { vcpu: p(0.027502, "vCPU-hour", vm), memory: p(0.003686, "GB-hour", vm) },
    t2d: { vcpu: p(0.027502, "vCPU-hour", vm), memory: p(0.003686, "GB-hour", vm) },
    n1: { vcpu: p(0.031611, "vCPU-hour", vm), memory: p(0.004237, "GB-hour", vm) },
    c3: { vcpu: p(0.03398, "vCPU-hour", vm), memory: p(0.00455, "GB-hour", vm) },
  } as Record<string, { vcpu: Price; memory: Price }>,
  /** Shared-core machine types, whole VM per hour. */
  sharedCore: {
    "e2-micro": p(0.008376, "VM-hour", vm),
    "e2-small": p(0.016751, "VM-hour", vm),
    "e2-medium": p(0.033503, "VM-hour", vm),
  } as Record<string, Price>,
  /** Spot VMs: fraction of the on-demand price (E2/N2 spot discounts are 60–91 % and change monthly; 0.3 is a typical figure). */
  spotFactor: p(0.3, "× on-demand", `${vm} (spot prices vary; assumption)`),
  disks: {
    "pd-standard": p(0.04, "GB-month", disk),
    "pd-balanced": p(0.1, "GB-month", disk),
    "pd-ssd": p(0.17, "GB-month", disk),
  } as Record<string, Price>,
  cloudSql: {
    vcpu: p(0.0413, "vCPU-hour", `${sql} (Enterprise edition; HA instances are billed twice)`),
    memory: p(0.007, "GB-hour", sql),
    ssd: p(0.17, "GB-month", sql),
    hdd: p(0.09, "GB-month", sql),
    "db-f1-micro": p(0.0105, "instance-hour", sql),
    "db-g1-small": p(0.035, "instance-hour", sql),
  },
  /** Memorystore for Redis per GB-hour by capacity tier M1 (1–4 GB) … M5 (> 100 GB). */
  redis: {
    BASIC: [p(0.049, "GB-hour", redis), p(0.027, "GB-hour", redis), p(0.023, "GB-hour", redis), p(0.019, "GB-hour", redis), p(0.016, "GB-hour", redis)],
    STANDARD_HA: [p(0.064, "GB-hour", redis), p(0.054, "GB-hour", redis), p(0.046, "GB-hour", redis), p(0.037, "GB-hour", redis), p(0.03, "GB-hour", redis)],
  } as Record<string, Price[]>,
  natVmHour: p(0.0014, "VM-hour", `${nat} (per VM using the gateway, up to 32 VMs)`),
  natGatewayMaxHour: p(0.044, "gateway-hour", `${nat} (32 VMs or more)`),
  natGiB: p(0.045, "GiB processed", nat),
  forwardingRuleHour: p(0.025, "rule-hour", `${lb} (first 5 rules of a project)`),
  extraForwardingRuleHour: p(0.01, "rule-hour", `${lb} (each rule after 5)`),
  lbGiB: p(0.008, "GiB processed", lb),
  storage: {
    STANDARD: { region: p(0.02, "GB-month", gcs), multi: p(0.026, "GB-month", gcs) },
    NEARLINE: { region: p(0.01, "GB-month", gcs), multi: p(0.01, "GB-month", gcs) },
    COLDLINE: { region: p(0.004, "GB-month", gcs), multi: p(0.007, "GB-month", gcs) },
    ARCHIVE: { region: p(0.0012, "GB-month", gcs), multi: p(0.0024, "GB-month", gcs) },
  } as Record<string, { region: Price; multi: Price }>,
  registryGb: p(0.1, "GB-month", `${ar} (after 0.5 GB free)`),
  kmsSoftwareKeyVersion: p(0.06, "key version-month", kms),
  kmsHsmKeyVersion: p(1.0, "key version-month", kms),
  secretVersion: p(0.06, "active version-location-month", sm),
  armorPolicy: p(5, "policy-month", "https://cloud.google.com/armor/pricing (Standard tier)"),
  armorRule: p(1, "rule-month", "https://cloud.google.com/armor/pricing (Standard tier; requests $0.75 per million extra)"),
  dnsZone: p(0.2, "zone-month", `${dns} (first 25 zones)`),
  pubsubGiB: p(40 / 1024, "GiB of throughput", `${pubsub} ($40 per TiB)`),
} as const;

/**
 * Regional premium over us-central1 for compute-like SKUs (approximate, from the same pages).
 * Regions not listed use `defaultRegionFactor` and are flagged in the estimate.
 */
export const regionFactors: Readonly<Record<string, number>> = {
  "us-central1": 1,
  "us-east1": 1,
  "us-west1": 1,
  "us-east4": 1.13,
  "europe-west1": 1.1,
  "europe-west4": 1.1,
  "europe-north1": 1.1,
  "europe-west2": 1.17,
  "europe-west3": 1.2,
  "europe-west9": 1.17,
  "asia-northeast1": 1.28,
  "asia-southeast1": 1.23,
};
export const defaultRegionFactor = 1.15;

/** Usage-dependent quantities the plan cannot know; overridable (`brume cost --assume key=value`). */
export interface CostAssumptions {
  /** Stored data per bucket, GiB. */
  bucketGiB: number;
  /** Images stored per Artifact Registry repository, GiB. */
  registryGiB: number;
  /** Data processed by each Cloud NAT gateway per month, GiB. */
  natGiB: number;
  /** Data processed by each load balancer (Gateway) per month, GiB. */
  lbGiB: number;
  /** Throughput per Pub/Sub topic per month, GiB. */
  pubsubGiB: number;
}

export const defaultAssumptions: CostAssumptions = {
  bucketGiB: 50,
  registryGiB: 20,
  natGiB: 100,
  lbGiB: 100,
  pubsubGiB: 10,
};
