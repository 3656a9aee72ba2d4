/**
 * Environment presets: data, never code paths. An environment picks a preset (by default from its
 * name) and may override any single value under `environments.<env>.settings`.
 */
import { z } from "zod";
import { strict } from "./primitives.js";

export const presetNames = ["production", "staging", "development"] as const;
export type PresetName = (typeof presetNames)[number];

export const presetSettingsSchema = strict({
  highAvailability: z
    .boolean()
    .meta({ description: "Regional Cloud SQL, STANDARD_HA Redis, multi-zone node pools." }),
  protect: z
    .boolean()
    .meta({ description: "Pulumi `protect` plus the provider's deletion protection on stateful resources." }),
  databaseTier: z.string().regex(/^db-[a-z0-9-]+$/).meta({ description: "Default Cloud SQL tier." }),
  databaseDiskGb: z.int().min(10).meta({ description: "Default Cloud SQL disk size." }),
  backupRetentionCount: z.int().min(1).max(365).meta({ description: "Retained automated backups." }),
  logRetentionDays: z.int().min(1).max(3650).meta({ description: "Cloud SQL transaction log retention (point-in-time recovery window; at most 7 days are used)." }),
  drReplica: z.boolean().meta({ description: "Cross-region read replica in project.drRegion." }),
  cacheMemoryGb: z.int().min(1).max(300).meta({ description: "Default Memorystore size." }),
  nodeMachineType: z.string().meta({ description: "Machine type of the general node pool." }),
  nodesMin: z.int().min(0).max(1000).meta({ description: "Minimum nodes per zone in the general pool." }),
  nodesMax: z.int().min(1).max(1000).meta({ description: "Maximum nodes per zone in the general pool." }),
  spotPool: z.boolean().meta({ description: "Add a spot node pool for non-critical workloads." }),
  flowLogSampling: z.number().min(0).max(1).meta({ description: "VPC flow log sampling rate." }),
  highMemoryPool: z.boolean().meta({ description: "Add an autoscaled high-memory node pool (e2-highmem-4)." }),
  cmek: z.boolean().meta({ description: "Customer-managed KMS keys (90-day rotation) for Secret Manager." }),
  // Logging volume and retention (gcp-review 33-35): every knob that decides what Cloud Logging
  // ingests and keeps is a preset value, priced by `brume cost` as a usage assumption.
  flowLogInterval: z
    .enum(["INTERVAL_5_SEC", "INTERVAL_30_SEC", "INTERVAL_1_MIN", "INTERVAL_5_MIN", "INTERVAL_10_MIN", "INTERVAL_15_MIN"])
    .meta({ description: "VPC flow log aggregation interval: longer intervals mean fewer, cheaper log entries." }),
  flowLogMetadata: z
    .enum(["INCLUDE_ALL_METADATA", "EXCLUDE_ALL_METADATA"])
    .meta({ description: "VPC flow log metadata (VM / GKE names and locations); excluding it makes entries smaller." }),
  dnsQueryLogging: z.boolean().meta({ description: "Log every DNS query of the VPC (CIS GCP 2.12): one log entry per query." }),
  intranodeVisibility: z
    .boolean()
    .meta({ description: "GKE intranode visibility: pod-to-pod traffic on one node goes through the VPC, so flow logs and firewall rules see it (Checkov CKV_GCP_61)." }),
  logBucketRetentionDays: z
    .int()
    .min(1)
    .max(3650)
    .meta({ description: "Retention of the project's _Default log bucket; up to 30 days is included in the ingestion price." }),
  logArchiveRetentionDays: z
    .int()
    .min(1)
    .max(3650)
    .meta({ description: "Retention of the GCS log archive (observability); a retention policy (no earlier deletion) only where the preset protects." }),
  containerScanning: z.boolean().meta({ description: "Artifact Registry vulnerability scanning of pushed images (billed per image scanned)." }),
});

export type PresetSettings = z.output<typeof presetSettingsSchema>;

/** The preset table; the README renders it. */
export const presets: Record<PresetName, PresetSettings> = {
  production: {
    highAvailability: true,
    protect: true,
    databaseTier: "db-custom-2-7680",
    databaseDiskGb: 100,
    backupRetentionCount: 30,
    logRetentionDays: 7,
    drReplica: true,
    cacheMemoryGb: 5,
    nodeMachineType: "e2-standard-4",
    nodesMin: 1,
    nodesMax: 5,
    spotPool: true,
    flowLogSampling: 0.1,
    highMemoryPool: true,
    cmek: true,
    flowLogInterval: "INTERVAL_5_MIN",
    flowLogMetadata: "INCLUDE_ALL_METADATA",
    dnsQueryLogging: true,
    intranodeVisibility: true,
    logBucketRetentionDays: 30,
    logArchiveRetentionDays: 365,
    containerScanning: true,
  },
  staging: {
    highAvailability: false,
    protect: false,
    databaseTier: "db-custom-1-3840",
    databaseDiskGb: 20,
    backupRetentionCount: 7,
    logRetentionDays: 3,
    drReplica: false,
    cacheMemoryGb: 1,
    nodeMachineType: "e2-standard-2",
    nodesMin: 1,
    nodesMax: 3,
    spotPool: true,
    flowLogSampling: 0.1,
    highMemoryPool: false,
    cmek: false,
    // Outside production: fewer, smaller flow log entries, no DNS query or intranode logs (the
    // weaker settings are these explicit values; set them per environment under `settings`).
    flowLogInterval: "INTERVAL_10_MIN",
    flowLogMetadata: "EXCLUDE_ALL_METADATA",
    dnsQueryLogging: false,
    intranodeVisibility: false,
    logBucketRetentionDays: 30,
    logArchiveRetentionDays: 30,
    containerScanning: true,
  },
  development: {
    highAvailability: false,
    protect: false,
    databaseTier: "db-g1-small",
    databaseDiskGb: 10,
    backupRetentionCount: 3,
    logRetentionDays: 1,
    drReplica: false,
    cacheMemoryGb: 1,
    nodeMachineType: "e2-standard-2",
    nodesMin: 0,
    nodesMax: 2,
    spotPool: false,
    flowLogSampling: 0.05,
    highMemoryPool: false,
    cmek: false,
    flowLogInterval: "INTERVAL_15_MIN",
    flowLogMetadata: "EXCLUDE_ALL_METADATA",
    dnsQueryLogging: false,
    intranodeVisibility: false,
    logBucketRetentionDays: 30,
    logArchiveRetentionDays: 7,
    // Development images are rebuilt often; scanning them is billed per push.
    containerScanning: false,
  },
};

/** The preset an environment gets when it names none. */
export function defaultPresetFor(environmentName: string): PresetName {
  if (environmentName === "prod" || environmentName === "production") return "production";
  if (environmentName === "stage" || environmentName === "staging") return "staging";
  return "development";
}
