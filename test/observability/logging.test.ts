/**
 * Logging volume and retention under preset control, priced as a usage assumption
 * (gcp-review 33, 34, 35): flow logs, firewall logging, DNS query logging, intranode visibility,
 * sink exclusions, the `_Default` bucket, Data Access audit logs, the log archive's retention.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { auditLogTypesFor } from "../../src/components/security/access.js";
import { presets } from "../../src/config/presets.js";
import { estimateCost } from "../../src/review/cost/estimate.js";
import { replacementReasons } from "../../src/review/diff/replacements.js";
import type { Plan, PlannedResource } from "../../src/plan/run.js";
import { one, ofType } from "../harness.js";
import { planOperations } from "./operations-plan.js";

const T = {
  subnet: "gcp:compute/subnetwork:Subnetwork",
  firewall: "gcp:compute/firewall:Firewall",
  dnsPolicy: "gcp:dns/policy:Policy",
  cluster: "gcp:container/cluster:Cluster",
  repository: "gcp:artifactregistry/repository:Repository",
  sink: "gcp:logging/projectSink:ProjectSink",
  bucketConfig: "gcp:logging/projectBucketConfig:ProjectBucketConfig",
  bucket: "gcp:storage/bucket:Bucket",
  audit: "gcp:projects/iAMAuditConfig:IAMAuditConfig",
};

const exclusions = [
  { name: "exclude-vpc-flows", description: "Not copied by this sink: vpcFlows (kept in the _Default bucket)", filter: 'log_id("compute.googleapis.com/vpc_flows")' },
  { name: "exclude-firewall", description: "Not copied by this sink: firewall (kept in the _Default bucket)", filter: 'log_id("compute.googleapis.com/firewall")' },
  { name: "exclude-dns-queries", description: "Not copied by this sink: dnsQueries (kept in the _Default bucket)", filter: 'log_id("dns.googleapis.com/dns_queries")' },
];

describe("logging volume per preset (examples/bro-ai with operations)", () => {
  let prod: Plan;
  let stage: Plan;
  beforeAll(async () => {
    prod = await planOperations("prod");
    stage = await planOperations("stage");
  });

  it("VPC flow logs: sampling, interval and metadata from the preset", () => {
    for (const name of ["bro-ai-prod-network-nodes", "bro-ai-prod-network-private"]) {
      expect(one(prod, T.subnet, name).inputs.logConfig).toEqual({ flowSampling: 0.1, aggregationInterval: "INTERVAL_5_MIN", metadata: "INCLUDE_ALL_METADATA" });
    }
    for (const name of ["bro-ai-stage-network-nodes", "bro-ai-stage-network-private"]) {
      expect(one(stage, T.subnet, name).inputs.logConfig).toEqual({ flowSampling: 0.1, aggregationInterval: "INTERVAL_10_MIN", metadata: "EXCLUDE_ALL_METADATA" });
    }
    expect(presets.development).toMatchObject({ flowLogSampling: 0.05, flowLogInterval: "INTERVAL_15_MIN", flowLogMetadata: "EXCLUDE_ALL_METADATA" });
  });

  it("firewall logging on the deny rule only", () => {
    for (const plan of [prod, stage]) {
      const logging = ofType(plan, T.firewall).filter((f) => f.inputs.logConfig !== undefined);
      expect(logging.map((f) => [f.name.replace(/^bro-ai-(prod|stage)-network-/, ""), f.inputs.logConfig, Boolean(f.inputs.denies)])).toEqual([
        ["deny-all-ingress", { metadata: "INCLUDE_ALL_METADATA" }, true],
      ]);
      expect(ofType(plan, T.firewall)).toHaveLength(5);
    }
  });

  it("DNS query logging, intranode visibility and image scanning where the preset asks", () => {
    expect(one(prod, T.dnsPolicy, "bro-ai-prod-network-dns-policy").inputs.enableLogging).toBe(true);
    expect(ofType(stage, T.dnsPolicy)).toEqual([]);
    expect(one(prod, T.cluster, "bro-ai-prod-cluster-cluster").inputs.enableIntranodeVisibility).toBe(true);
    expect(one(stage, T.cluster, "bro-ai-stage-cluster-cluster").inputs.enableIntranodeVisibility).toBe(false);
    for (const plan of [prod, stage]) {
      const [repo] = ofType(plan, T.repository);
      expect(repo!.inputs.vulnerabilityScanningConfig).toEqual({ enablementConfig: "INHERITED" });
    }
  });

  it("both sinks filter load-balancer successes and exclude flow, firewall and DNS query logs", () => {
    const sinks = ofType(prod, T.sink);
    expect(sinks.map((s) => s.name).sort()).toEqual(["bro-ai-prod-observability-sink-archive", "bro-ai-prod-observability-sink-bq"]);
    for (const sink of sinks) {
      expect(sink.inputs.filter, sink.name).toBe('NOT (resource.type = "http_load_balancer" AND httpRequest.status < 400)');
      expect(sink.inputs.exclusions, sink.name).toEqual(exclusions);
    }
  });

  it("the _Default bucket's retention is managed from the preset", () => {
    for (const [plan, env] of [
      [prod, "prod"],
      [stage, "stage"],
    ] as const) {
      expect(one(plan, T.bucketConfig, `bro-ai-${env}-logs-default-bucket`).inputs).toEqual({
        project: `bro-ai-${env}`,
        location: "global",
        bucketId: "_Default",
        retentionDays: 30,
      });
    }
  });

  it("the log archive: a 365-day retention policy in prod; in stage 30 days, no policy, destroyable", () => {
    const prodArchive = one(prod, T.bucket, "bro-ai-prod-observability-logs-archive");
    expect(prodArchive.inputs).toMatchObject({
      retentionPolicy: { retentionPeriod: String(365 * 86400), isLocked: false },
      forceDestroy: false,
      lifecycleRules: [
        { action: { type: "SetStorageClass", storageClass: "COLDLINE" }, condition: { age: 30 } },
        { action: { type: "Delete" }, condition: { age: 365 } },
      ],
    });
    expect(prodArchive.protect).toBe(true);
    const stageArchive = one(stage, T.bucket, "bro-ai-stage-observability-logs-archive");
    expect(stageArchive.inputs).not.toHaveProperty("retentionPolicy");
    // 30 days is shorter than Coldline's 90-day minimum: no class change, deleted at 30 days.
    expect(stageArchive.inputs).toMatchObject({ forceDestroy: true, lifecycleRules: [{ action: { type: "Delete" }, condition: { age: 30 } }] });
    expect(stageArchive.inputs.lifecycleRules).toHaveLength(1);
    expect(stageArchive.protect).toBe(false);
  });

  it("Data Access audit logs: DATA_READ for Secret Manager only by default", () => {
    const logTypes = Object.fromEntries(
      ofType(prod, T.audit).map((a) => [a.inputs.service, (a.inputs.auditLogConfigs as { logType: string }[]).map((c) => c.logType)]),
    );
    expect(logTypes).toEqual({
      "cloudkms.googleapis.com": ["ADMIN_READ", "DATA_WRITE"],
      "cloudsql.googleapis.com": ["ADMIN_READ", "DATA_WRITE"],
      "secretmanager.googleapis.com": ["ADMIN_READ", "DATA_READ", "DATA_WRITE"],
    });
    expect(auditLogTypesFor("cloudsql.googleapis.com", ["cloudsql.googleapis.com"])).toEqual(["ADMIN_READ", "DATA_READ", "DATA_WRITE"]);
  });

  it("brume cost prices log ingestion and retention as usage assumptions", () => {
    const line = (plan: Plan, assumptions = {}) => estimateCost(plan, assumptions).lines.find((l) => l.type === T.bucketConfig)!;
    // 100 GiB of logs, 50 free: 50 × $0.50; 20 GiB of network logs × $0.25; 30 days retention is included.
    expect(line(prod)).toMatchObject({ monthlyUsd: 30, usage: "logsGiB=100, networkLogsGiB=20" });
    expect(line(prod, { logsGiB: 40, networkLogsGiB: 0 }).monthlyUsd).toBe(0);
    expect(line(prod, { logsGiB: 250, networkLogsGiB: 100 }).monthlyUsd).toBe(125);
  });

  it("brume cost prices image scanning where the preset scans (containerscanning, per new digest)", () => {
    const repo = estimateCost(prod).lines.find((l) => l.type === T.repository)!;
    // 19.5 GB stored × $0.10 + 60 digests × $0.26
    expect(repo).toMatchObject({ monthlyUsd: 17.55, usage: "registryGiB=20, scannedImages=60" });
    const disabled = { ...ofType(prod, T.repository)[0]!, inputs: { vulnerabilityScanningConfig: { enablementConfig: "DISABLED" } } };
    expect(estimateCost({ ...prod, resources: [disabled] }).lines[0]).toMatchObject({ monthlyUsd: 1.95, usage: "registryGiB=20" });
    expect(presets.development.containerScanning).toBe(false);
  });

  it("retention past 30 days is billed per GiB-month", () => {
    const bucket: PlannedResource = {
      urn: "urn:pulumi:t::p::gcp:logging/projectBucketConfig:ProjectBucketConfig::b",
      type: T.bucketConfig,
      name: "b",
      parent: "",
      inputs: { bucketId: "_Default", location: "global", retentionDays: 90 },
      dependencies: [],
      provider: "",
      protect: false,
      custom: true,
    };
    const e = estimateCost({ project: "p", stack: "t", resources: [bucket], outputs: {} }, { logsGiB: 50, networkLogsGiB: 10 });
    // ingestion 0 (free) + 10 × 0.25 = 2.5; retained: 60 GiB × (90 − 30) / 30 = 120 GiB-month × 0.01 = 1.2
    expect(e.lines[0]).toMatchObject({ monthlyUsd: 3.7 });
  });
});

describe("changing logging settings updates in place", () => {
  it("subnetwork flow logs, firewall logging, bucket retention and sink exclusions never replace", () => {
    expect(
      replacementReasons(T.subnet, ["logConfig.flowSampling", "logConfig.aggregationInterval", "logConfig.metadata"], { logConfig: { flowSampling: 0.5 } }, { logConfig: { flowSampling: 0.1 } }),
    ).toEqual([]);
    expect(replacementReasons(T.firewall, ["logConfig"], { logConfig: { metadata: "INCLUDE_ALL_METADATA" } }, {})).toEqual([]);
    expect(replacementReasons(T.bucketConfig, ["retentionDays"], { retentionDays: 30 }, { retentionDays: 90 })).toEqual([]);
    expect(replacementReasons(T.sink, ["exclusions", "filter"], {}, {})).toEqual([]);
    expect(replacementReasons(T.bucket, ["retentionPolicy", "forceDestroy", "lifecycleRules"], {}, {})).toEqual([]);
  });

  it("a subscription's filter is immutable (a new subscription)", () => {
    expect(replacementReasons("gcp:pubsub/subscription:Subscription", ["filter"], {}, { filter: "x" })).toEqual(["filter is immutable (forces a new resource)"]);
  });
});
