/** Recovery targets checked on plans, the generated runbook, and the CLI (`brume plan --policy`, `brume runbook`). */
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadStack } from "../../src/config/load.js";
import { checkRecovery, cronIntervalMinutes, defaultRecoveryTargets, exportBucketOf } from "../../src/review/recovery/check.js";
import { runbookOf } from "../../src/review/recovery/index.js";
import type { Plan, PlannedResource } from "../../src/plan/run.js";
import { allPolicyRules, checkPlan } from "../../src/review/policy/rules.js";
import { runGate } from "../../src/review/policy/gate.js";
import { brume, examplePath } from "../harness.js";
import { operationsOverrides, planOperations } from "../observability/operations-plan.js";

const res = (type: string, name: string, inputs: Record<string, unknown>): PlannedResource => ({
  urn: `urn:pulumi:prod::t::${type}::${name}`, type, name, parent: "", inputs: { name, ...inputs }, dependencies: [], provider: "", protect: true, custom: true,
});
const planOf = (...resources: PlannedResource[]): Plan => ({ project: "t", stack: "prod", resources, outputs: {} });
const sql = "gcp:sql/databaseInstance:DatabaseInstance";
const pitr = { settings: { backupConfiguration: { enabled: true, pointInTimeRecoveryEnabled: true, transactionLogRetentionDays: 7 } }, region: "europe-west1" };

const cli = (argv: string[]) => brume(...argv);

describe("recovery check (pure)", () => {
  it("cron intervals", () => {
    expect(cronIntervalMinutes("0 */6 * * *")).toBe(360);
    expect(cronIntervalMinutes("*/10 * * * *")).toBe(10);
    expect(cronIntervalMinutes("0 2,14 * * *")).toBe(720);
    expect(cronIntervalMinutes("0 3 * * *")).toBe(1440);
  });

  it("PITR + a replica in the DR region meets RPO 15 min / RTO 4 h", () => {
    const report = checkRecovery(planOf(res(sql, "db", pitr), res(sql, "db-replica", { masterInstanceName: "db", region: "europe-west4" })), defaultRecoveryTargets, "europe-west4");
    expect(report.met).toBe(true);
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({ rpoMinutes: 5, rtoHours: 0.5, regionLoss: "covered", related: { replica: "db-replica", replicaRegion: "europe-west4" } });
  });

  it("without PITR, or without any copy in the DR region, the targets are not met", () => {
    const noPitr = checkRecovery(planOf(res(sql, "db", { settings: { backupConfiguration: { enabled: true } } })), defaultRecoveryTargets);
    expect(noPitr.met).toBe(false);
    expect(noPitr.findings[0]!.problems.join()).toMatch(/point-in-time recovery is off/);
    const noCopy = checkRecovery(planOf(res(sql, "db", pitr)), defaultRecoveryTargets, "europe-west4");
    expect(noCopy.findings[0]!.problems).toEqual(["no copy in the DR region europe-west4: enable drReplica or recovery exports"]);
  });

  it("exports alone cover a region loss only as often as they run", () => {
    const body = Buffer.from(JSON.stringify({ exportContext: { uri: "gs://exports/db/app.sql.gz" } })).toString("base64");
    expect(exportBucketOf(body)).toBe("exports");
    const job = res("gcp:cloudscheduler/job:Job", "db-app-export", { schedule: "0 */6 * * *", httpTarget: { uri: "https://sqladmin.googleapis.com/v1/projects/p/instances/db/export", body } });
    const bucket = res("gcp:storage/bucket:Bucket", "exports", { location: "EUROPE-WEST4", versioning: { enabled: true } });
    const report = checkRecovery(planOf(res(sql, "db", pitr), job, bucket), defaultRecoveryTargets, "europe-west4");
    const db = report.findings.find((f) => f.kind === "database")!;
    expect(db.regionLoss).toBe("covered");
    expect(db.related).toEqual({ exportJobs: ["db-app-export"], exportBucket: "exports" });
    expect(db.problems).toEqual(["after a region loss the recovery point is the last export (every 360 min), beyond the RPO 15 min: add a DR replica"]);
    expect(checkRecovery(planOf(res(sql, "db", pitr), job, bucket), { ...defaultRecoveryTargets, rpoMinutes: 360 }, "europe-west4").met).toBe(true);
  });

  it("caches need persistence within the cache RPO; buckets need versioning, soft delete or retention", () => {
    const redis = (period?: string) => res("gcp:redis/instance:Instance", "c", period ? { persistenceConfig: { persistenceMode: "RDB", rdbSnapshotPeriod: period } } : {});
    expect(checkRecovery(planOf(redis("ONE_HOUR"))).met).toBe(true);
    expect(checkRecovery(planOf(redis("TWELVE_HOURS"))).met).toBe(false);
    expect(checkRecovery(planOf(redis())).findings[0]!.problems[0]).toMatch(/no persistence/);
    const bucket = (inputs: Record<string, unknown>) => checkRecovery(planOf(res("gcp:storage/bucket:Bucket", "b", { location: "EUROPE-WEST1", ...inputs }))).findings[0]!;
    expect(bucket({}).problems).toHaveLength(1);
    expect(bucket({ softDeletePolicy: { retentionDurationSeconds: 604800 } })).toMatchObject({ problems: [], regionLoss: "accepted" });
    expect(bucket({ location: "EU", versioning: { enabled: true } })).toMatchObject({ problems: [], regionLoss: "covered" });
  });
});

describe("the Bro AI prod stack with operations: policy, recovery, runbook", () => {
  let plan: Plan;
  const loaded = () => loadStack({ configFile: join(examplePath("bro-ai"), "brume.yaml"), environment: "prod", overrides: operationsOverrides });
  beforeAll(async () => {
    plan = await planOperations("prod");
  });

  it("passes every policy rule and meets the recovery targets, exports included", () => {
    expect(checkPlan(plan, allPolicyRules, { production: true })).toEqual([]);
    const gate = runGate(plan, loaded());
    expect(gate.failed).toBe(false);
    const db = gate.recovery.findings.find((f) => f.kind === "database")!;
    expect(db.related).toMatchObject({ replica: "bro-ai-prod-main-replica", exportJobs: ["bro-ai-prod-main-bro-export"] });
  });

  it("the runbook lists the exact commands, in order", () => {
    const md = runbookOf(plan, loaded());
    expect(md).toContain("gcloud sql instances clone bro-ai-prod-main bro-ai-prod-main-pitr --point-in-time '<YYYY-MM-DDTHH:MM:SSZ>' --project bro-ai-prod");
    expect(md).toContain("gcloud sql instances promote-replica bro-ai-prod-main-replica --project bro-ai-prod");
    expect(md).toMatch(/gcloud sql import sql bro-ai-prod-main-restore gs:\/\/[a-z0-9-]+\/bro-ai-prod-main\/<database>\.sql\.gz/);
    expect(md).toContain("kubectl -n bro-ai-prod rollout restart deployment");
    expect(md.indexOf("Cloud SQL `bro-ai-prod-main`")).toBeLessThan(md.indexOf("Memorystore `bro-ai-prod-sessions`"));
    expect(md).toContain("- `database main`: api, worker");
    expect(runbookOf(plan, loaded())).toBe(md);
    expect(md).toMatchSnapshot();
  });
});

describe("CLI", () => {
  it("brume runbook prints Markdown; brume plan --policy passes the example prod stack", async () => {
    const runbook = await cli(["runbook", "--stack", "prod", "--config", join(examplePath("minimal"), "brume.yaml")]);
    expect(runbook.code).toBe(0);
    expect(runbook.stdout).toMatch(/^# Disaster recovery runbook — prod \(hello-prod-4821\)/);
    const plan = await cli(["plan", "--stack", "prod", "--config", join(examplePath("minimal"), "brume.yaml"), "--format", "json", "--policy"]);
    expect(plan.code).toBe(0);
    expect(plan.stderr).toContain("no violation");
    expect(plan.stderr).toContain("Recovery targets: RPO 15 min, RTO 4 h");
  });

  it("brume plan fails for prod when a target is unmet, naming the resource URN; --no-policy skips the check", async () => {
    const dir = mkdtempSync(join(tmpdir(), "brume-dr-"));
    copyFileSync(join(examplePath("minimal"), "brume.yaml"), join(dir, "brume.yaml"));
    writeFileSync(join(dir, "Pulumi.yaml"), "name: minimal\nruntime: nodejs\n");
    writeFileSync(
      join(dir, "Pulumi.prod.yaml"),
      "config:\n  brume:environment: prod\n  brume:overrides:\n    databases: { main: {} }\n    environments: { prod: { settings: { drReplica: false } } }\n",
    );
    const failed = await cli(["plan", "--stack", "prod", "--config", join(dir, "brume.yaml")]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/FAIL database hello-prod-main: .*region loss not covered/);
    expect(failed.stderr).toContain("no copy in the DR region europe-west4");
    expect(failed.stderr).toContain("(urn:pulumi:prod::minimal::");
    expect((await cli(["plan", "--stack", "prod", "--config", join(dir, "brume.yaml"), "--no-policy"])).code).toBe(0);
  });
});
