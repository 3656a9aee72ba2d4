/**
 * The price table behind `brume cost` and the cost delta of `brume diff`: public list prices in
 * USD for the Google Cloud SKUs brume creates, without discounts, free tiers or taxes.
 *
 * Source and date: each entry names its pricing page; the figures are us-central1 list prices
 * first typed from memory (`PRICES_AS_OF`, 2025-06). On 2026-11-23 every entry was compared with
 * the copies of Google's pricing pages that the project's search tool has stored (not the live
 * pages): an entry that matched, or was corrected, carries `checked` and a `note` saying which
 * stored copy and what date it shows; an entry for which no stored page gave the figure keeps its
 * value and says "not verified against a stored page". For Compute Engine VMs, Cloud SQL and
 * Memorystore the stored copies hold only the pages' introductions, not their price tables; for
 * persistent disks and Cloud Armor no stored copy with the figures was found.
 *
 * Other regions apply `regionFactors`, an approximation of the published regional premium for
 * compute-like SKUs (VMs, disks, Cloud SQL, Memorystore, storage). Global SKUs (GKE fee, KMS,
 * Secret Manager, Cloud DNS, Cloud NAT, forwarding rules) have one price everywhere. This is an
 * estimate for reviewing changes, not a bill: check the Google Cloud pricing calculator before
 * quoting a figure.
 */

import type { z } from "zod";
import { costAssumptionsSchema } from "../../config/schema.js";

export interface Price {
  usd: number;
  unit: string;
  source: string;
  /** Day the figure was last compared with a stored copy of its pricing page; absent when no stored page gave it. */
  checked?: string;
  /** What that comparison found (the stored copy and its date), or "not verified against a stored page". */
  note?: string;
}

/** Hours in a billing month, as Google's calculator uses. */
export const HOURS_PER_MONTH = 730;
/** When the figures were first typed; per-entry `checked` dates record the later spot-check. */
export const PRICES_AS_OF = "2025-06";

const CHECKED = "2026-11-23";
const NOT_VERIFIED = "not verified against a stored page";
/** A figure found on a stored copy of its pricing page on `CHECKED`. */
const seen = (usd: number, unit: string, source: string, note: string): Price => ({ usd, unit, source, checked: CHECKED, note });
/** A figure no stored page gave: kept as typed. */
const unverified = (usd: number, unit: string, source: string, why?: string): Price => ({
  usd,
  unit,
  source,
  note: why ? `${NOT_VERIFIED} (${why})` : NOT_VERIFIED,
});

const gke = "https://cloud.google.com/kubernetes-engine/pricing";
const vm = "https://cloud.google.com/compute/vm-instance-pricing";
const disk = "https://cloud.google.com/compute/disks-image-pricing";
const sql = "https://cloud.google.com/sql/pricing";
const redis = "https://cloud.google.com/memorystore/docs/redis/pricing";
const nat = "https://cloud.google.com/nat/pricing";
const lb = "https://cloud.google.com/load-balancing/pricing";
const gcs = "https://cloud.google.com/storage/pricing";
const ar = "https://cloud.google.com/artifact-registry/pricing";
const kms = "https://cloud.google.com/kms/pricing";
const sm = "https://cloud.google.com/secret-manager/pricing";
const dns = "https://cloud.google.com/dns/pricing";
const pubsub = "https://cloud.google.com/pubsub/pricing";
const armor = "https://cloud.google.com/armor/pricing";
const logging = "https://cloud.google.com/stackdriver/pricing";
const loggingStored =
  "as stored by the search tool: undated mirror copies of cloud.google.com/stackdriver/pricing (they list an October 1, 2024 effective date, so 2024 or later)";

/** Why the VM and Memorystore entries could not be checked. */
const jsTables = "the stored copies of this page hold only its introduction, not the price tables";
const vmNote = (usd: number, unit: string): Price => unverified(usd, unit, vm, jsTables);
const noDiskPage = "no stored copy of this page was found";
const sqlStored = "stored copies of the page (one scraped 2025-02-23) hold only its introduction";
const gcsRegion =
  "as stored by the search tool: web.archive.org snapshot of 2022-12-30 and an undated later copy list Iowa (us-central1) Standard $0.020, Nearline $0.010, Coldline $0.004, Archive $0.0012 per GB-month";
const gcsMulti = (perGiBHour: string) =>
  `as stored by the search tool: undated copy of docs.cloud.google.com/storage/pricing (lists europe-north2, so 2025 or later), multi-region table of the default location, ${perGiBHour} per GiB-hour × 730 h; EU/ASIA rows not in the stored text`;

export const prices = {
  gkeClusterHour: seen(
    0.1,
    "cluster-hour",
    `${gke} (cluster management fee; the monthly free-tier credit of one cluster is not applied)`,
    "as stored by the search tool, page undated: $0.10 per cluster per hour for every cluster; free tier $74.40/month per billing account",
  ),
  /** Per vCPU-hour and GB-hour of predefined machine families (on demand). */
  machineFamilies: {
    e2: { vcpu: vmNote(0.021811, "vCPU-hour"), memory: vmNote(0.002923, "GB-hour") },
    n2: { vcpu: vmNote(0.031611, "vCPU-hour"), memory: vmNote(0.004237, "GB-hour") },
    n2d: { vcpu: vmNote(0.027502, "vCPU-hour"), memory: vmNote(0.003686, "GB-hour") },
    t2d: { vcpu: vmNote(0.027502, "vCPU-hour"), memory: vmNote(0.003686, "GB-hour") },
    n1: { vcpu: vmNote(0.031611, "vCPU-hour"), memory: vmNote(0.004237, "GB-hour") },
    c3: { vcpu: vmNote(0.03398, "vCPU-hour"), memory: vmNote(0.00455, "GB-hour") },
  } as Record<string, { vcpu: Price; memory: Price }>,
  /** Shared-core machine types, whole VM per hour. */
  sharedCore: {
    "e2-micro": vmNote(0.008376, "VM-hour"),
    "e2-small": vmNote(0.016751, "VM-hour"),
    "e2-medium": vmNote(0.033503, "VM-hour"),
  } as Record<string, Price>,
  /** Spot VMs: fraction of the on-demand price (spot discounts are 60–91 % and change up to monthly; 0.3 is a typical figure). */
  spotFactor: unverified(
    0.3,
    "× on-demand",
    `${vm} (spot prices vary; assumption)`,
    `0.3 is an assumption; the stored ${gke} copy (archived 2023-04-08) confirms only the 60–91 % discount range`,
  ),
  disks: {
    "pd-standard": unverified(0.04, "GB-month", disk, noDiskPage),
    "pd-balanced": unverified(0.1, "GB-month", disk, `${noDiskPage}; a stored Google pricing-calculator estimate of 2023-05-18 shows Iowa zonal balanced PD at $3.00 for 30 GiB`),
    "pd-ssd": unverified(0.17, "GB-month", disk, `${noDiskPage}; the same calculator estimate shows Iowa zonal SSD PD at $47.60 for 280 GiB`),
  } as Record<string, Price>,
  cloudSql: {
    vcpu: unverified(0.0413, "vCPU-hour", `${sql} (Enterprise edition; HA instances are billed twice)`, `${sqlStored}; a third-party guide (May 2026) quotes the same figure`),
    memory: unverified(0.007, "GB-hour", sql, `${sqlStored}; a third-party guide (May 2026) quotes the same figure`),
    ssd: unverified(0.17, "GB-month", sql, sqlStored),
    hdd: unverified(0.09, "GB-month", sql, sqlStored),
    "db-f1-micro": unverified(0.0105, "instance-hour", sql, sqlStored),
    "db-g1-small": unverified(0.035, "instance-hour", sql, sqlStored),
  },
  /** Memorystore for Redis per GB-hour by capacity tier M1 (1–4 GB) … M5 (> 100 GB). */
  redis: {
    BASIC: [0.049, 0.027, 0.023, 0.019, 0.016].map((usd) => unverified(usd, "GB-hour", redis, jsTables)),
    STANDARD_HA: [0.064, 0.054, 0.046, 0.037, 0.03].map((usd) => unverified(usd, "GB-hour", redis, jsTables)),
  } as Record<string, Price[]>,
  natVmHour: seen(
    0.0014,
    "VM-hour",
    `${nat} (per VM using the gateway, up to 32 VMs)`,
    "as stored by the search tool, page undated: $0.0014 × VMs using the gateway per hour, up to 32 VMs",
  ),
  natIpHour: seen(0.005, "IP-hour", `${nat} (per external IP address the gateway uses)`, "as stored by the search tool, page undated: $0.005 per hour per NAT IP address"),
  natGatewayMaxHour: seen(0.044, "gateway-hour", `${nat} (32 VMs or more)`, "as stored by the search tool, page undated: $0.044 per hour for more than 32 VMs"),
  natGiB: seen(0.045, "GiB processed", nat, "as stored by the search tool, page undated: $0.045 per GiB processed, inbound and outbound, all regions"),
  forwardingRuleHour: seen(
    0.025,
    "rule-hour",
    `${lb} (first 5 rules of a project)`,
    "as stored by the search tool (mirror copy), page undated: first 5 forwarding rules $0.025 per hour; previously cited vpc/network-pricing#lb",
  ),
  extraForwardingRuleHour: seen(0.01, "rule-hour", `${lb} (each rule after 5)`, "as stored by the search tool (mirror copy), page undated: per additional forwarding rule $0.01 per hour"),
  lbGiB: seen(0.008, "GiB processed", lb, "as stored by the search tool (mirror copy), page undated: inbound and outbound data processed by load balancer $0.008 per GiB each"),
  storage: {
    STANDARD: {
      region: seen(0.02, "GB-month", gcs, gcsRegion),
      multi: seen(0.026, "GB-month", gcs, gcsMulti("$0.000035616")),
      dual: seen(0.022, "GB-month", gcs, "as stored by the search tool: the same copy lists dual-region Standard storage at $0.022 per GB-month"),
    },
    NEARLINE: { region: seen(0.01, "GB-month", gcs, gcsRegion), multi: seen(0.015, "GB-month", gcs, `${gcsMulti("$0.000020548")}; was 0.01`) },
    COLDLINE: { region: seen(0.004, "GB-month", gcs, gcsRegion), multi: seen(0.00875, "GB-month", gcs, `${gcsMulti("$0.000011986")}; was 0.007`) },
    ARCHIVE: { region: seen(0.0012, "GB-month", gcs, gcsRegion), multi: seen(0.003, "GB-month", gcs, `${gcsMulti("$0.00000411")}; was 0.0024`) },
  } as Record<string, { region: Price; multi: Price; /** Dual-region, where a stored page gave it. */ dual?: Price }>,
  registryGb: seen(
    0.1,
    "GB-month",
    `${ar} (after 0.5 GB free)`,
    "as stored by the search tool, page undated: up to 0.5 GB free, over 0.5 GB $0.10 per GB-month, same for regional and multi-regional repositories",
  ),
  kmsSoftwareKeyVersion: seen(0.06, "key version-month", kms, "as stored by the search tool, page states prices effective 2025-03-17: $0.06 per active SOFTWARE key version per month"),
  kmsHsmKeyVersion: seen(
    1.0,
    "key version-month",
    kms,
    "as stored by the search tool, page states prices effective 2025-03-17: $1.00 per active HSM AES-256/RSA 2048 key version per month ($2.50 for the first 2,000 RSA 3072+/EC versions)",
  ),
  secretVersion: seen(
    0.06,
    "active version-location-month",
    sm,
    "as stored by the search tool, page undated: $0.06 per active secret version per location per month (6 versions a month free per billing account, not applied)",
  ),
  armorPolicy: unverified(5, "policy-month", `${armor} (Standard tier)`, "the stored Cloud Armor pages say only 'per policy, per rule, per request'"),
  armorRule: unverified(1, "rule-month", `${armor} (Standard tier; requests $0.75 per million extra)`, "the stored Cloud Armor pages say only 'per policy, per rule, per request'"),
  alertCondition: unverified(
    1.5,
    "condition-month",
    "https://cloud.google.com/stackdriver/pricing (Cloud Monitoring alerting; time series returned extra)",
    "the stored cost-control page says only 'Alerting charges a per-condition cost' (https://cloud.google.com/monitoring/alerts/cost-control)",
  ),
  dnsZone: seen(
    0.2,
    "zone-month",
    `${dns} (first 25 zones)`,
    "not a stored copy of the page itself: a verbatim transcription of it read 2026-09-20 (github.com/api-evangelist/google-cloud-dns, plans/google-cloud-dns-plans-pricing.yml) gives $0.000273973 per zone-hour for zones 0–25, i.e. $0.20 per 730 h",
  ),
  pubsubGiB: seen(
    40 / 1024,
    "GiB of throughput",
    `${pubsub} ($40 per TiB)`,
    "as stored by the search tool, page undated: first 10 GiB a month free (not applied), then $40 per TiB in all regions",
  ),
  imageScan: seen(
    0.26,
    "image digest scanned",
    "https://cloud.google.com/artifact-analysis/pricing (automatic scanning, once per new digest)",
    "as stored by the search tool, page undated: automatic scanning $0.26 per scanned container image; only the initial scan of a digest is billed",
  ),
  loggingGiB: seen(
    0.5,
    "GiB ingested",
    `${logging} (Cloud Logging storage, includes 30 days in log buckets; first 50 GiB per project per month free)`,
    `${loggingStored}: Logging storage except vended network logs $0.50/GiB, first 50 GiB/project/month free`,
  ),
  /** The free monthly allotment of `loggingGiB`, per project. */
  loggingFreeGiB: seen(50, "GiB per project-month", logging, `${loggingStored}: first 50 GiB/project/month`),
  networkLogsGiB: seen(
    0.25,
    "GiB ingested",
    `${logging} (vended network logs: VPC Flow Logs, Firewall Rules Logging, Cloud NAT; no free allotment)`,
    `${loggingStored}: vended network logs storage $0.25/GiB, effective October 1, 2024, free allotment not applicable`,
  ),
  loggingRetentionGiBMonth: seen(
    0.01,
    "GiB-month retained past 30 days",
    logging,
    `${loggingStored}: Logging retention $0.01 per GiB per month for logs retained more than 30 days`,
  ),
} as const;

/**
 * Regional premium over us-central1 for compute-like SKUs (approximate, from the same pages).
 * Regions not listed use `defaultRegionFactor` and are flagged in the estimate.
 *
 * Not verified against a stored page (2026-11-23): no stored copy gave regional VM, Cloud SQL or
 * Memorystore prices. The stored Cloud Storage page does give regional rows, and for storage they
 * differ from these blended factors: europe-west1 and europe-north1 cost the same as us-central1
 * ($0.020 Standard), us-east4, europe-west2 and europe-west3 $0.023 (×1.15).
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

/**
 * Usage-dependent quantities the plan cannot know: `cost.assumptions` in brume.yaml (defaults in
 * the config schema, the one source of them), overridable per run (`brume cost --assume key=value`).
 */
export type CostAssumptions = z.output<typeof costAssumptionsSchema>;

export const defaultAssumptions: CostAssumptions = costAssumptionsSchema.parse({});
