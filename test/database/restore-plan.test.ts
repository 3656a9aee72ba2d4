/**
 * The restore test in the plans (issue 17 item 7): examples/bro-ai prod contains it with exact
 * values (schedule, roles, conditions, namespace, alert channels, admitted images), stage does not
 * (not the production preset) unless its overrides turn it on, bootstrap creates exactly the custom
 * roles the environment binds, and a check database or user the instance does not declare is refused.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/errors.js";
import { loadStack, validateConfig } from "../../src/config/load.js";
import { environmentFacts, planBootstrap } from "../../src/cli/commands/bootstrap.js";
import { restoreTestRoles } from "../../src/components/database/restore-test.js";
import { runProgram, type Plan } from "../../src/plan/run.js";
import { bootstrapProgram } from "../../src/program/bootstrap.js";
import { gcloudImage, restoreCheckScript, restoreTestScript } from "../../src/render/restore-test.js";
import { psqlImage } from "../../src/render/pgaudit.js";
import { examplePath, ofType, one, planDir } from "../harness.js";
import { planOperations } from "../observability/operations-plan.js";

const dir = examplePath("bro-ai");
let prod: Plan;
let stage: Plan;
beforeAll(async () => {
  prod = await planDir(dir, "prod");
  stage = await planDir(dir, "stage");
}, 300_000);

const inComponent = (plan: Plan) => plan.resources.filter((r) => r.name.startsWith("bro-ai-prod-db-main-restore-test") || r.name.startsWith("bro-ai-stage-db-main-restore-test"));

describe("bro-ai prod plan", () => {
  it("has one RestoreTest with its service account, three grants, Workload Identity, namespace, account, CronJob and alert", () => {
    expect(ofType(prod, "brume:database:RestoreTest").map((r) => r.name)).toEqual(["bro-ai-prod-db-main-restore-test"]);
    expect(inComponent(prod).map((r) => `${r.type} ${r.name}`).sort()).toEqual([
      "brume:database:RestoreTest bro-ai-prod-db-main-restore-test",
      "gcp:monitoring/alertPolicy:AlertPolicy bro-ai-prod-db-main-restore-test-failure-alert",
      "gcp:projects/iAMMember:IAMMember bro-ai-prod-db-main-restore-test-clones",
      "gcp:projects/iAMMember:IAMMember bro-ai-prod-db-main-restore-test-observer",
      "gcp:projects/iAMMember:IAMMember bro-ai-prod-db-main-restore-test-source",
      "gcp:serviceaccount/account:Account bro-ai-prod-db-main-restore-test-gsa",
      "gcp:serviceaccount/iAMMember:IAMMember bro-ai-prod-db-main-restore-test-workload-identity",
      "kubernetes:batch/v1:CronJob bro-ai-prod-db-main-restore-test-cronjob",
      "kubernetes:core/v1:Namespace bro-ai-prod-db-main-restore-test-namespace",
      "kubernetes:core/v1:ServiceAccount bro-ai-prod-db-main-restore-test-ksa",
    ]);
  });

  it("grants the custom roles with conditions on the instance and on the clones' prefix", () => {
    const member = "serviceAccount:bro-ai-prod-main-restore@bro-ai-prod.iam.gserviceaccount.com";
    expect(one(prod, "gcp:projects/iAMMember:IAMMember", "bro-ai-prod-db-main-restore-test-source").inputs).toEqual({
      project: "bro-ai-prod",
      role: "projects/bro-ai-prod/roles/brumeRestoreTestSource",
      member,
      condition: {
        title: "brume-bro-ai-prod-main-restore-source",
        description: "Restore test: clone bro-ai-prod-main only",
        expression: 'resource.name == "projects/bro-ai-prod/instances/bro-ai-prod-main" || resource.name.startsWith("projects/bro-ai-prod/instances/bro-ai-prod-main/")',
      },
    });
    expect(one(prod, "gcp:projects/iAMMember:IAMMember", "bro-ai-prod-db-main-restore-test-clones").inputs).toEqual({
      project: "bro-ai-prod",
      role: "projects/bro-ai-prod/roles/brumeRestoreTestClones",
      member,
      condition: {
        title: "brume-bro-ai-prod-main-restore-clones",
        description: "Restore test: only instances named bro-ai-prod-main-rt-*",
        expression: 'resource.name.startsWith("projects/bro-ai-prod/instances/bro-ai-prod-main-rt-")',
      },
    });
    expect(one(prod, "gcp:projects/iAMMember:IAMMember", "bro-ai-prod-db-main-restore-test-observer").inputs).toEqual({
      project: "bro-ai-prod",
      role: "projects/bro-ai-prod/roles/brumeRestoreTestObserver",
      member,
    });
    // The prefix never matches the instance itself, its replica or another database's instance.
    for (const name of ["bro-ai-prod-main", "bro-ai-prod-main-replica"]) expect(`projects/bro-ai-prod/instances/${name}`.startsWith("projects/bro-ai-prod/instances/bro-ai-prod-main-rt-")).toBe(false);
    expect(one(prod, "gcp:serviceaccount/iAMMember:IAMMember", "bro-ai-prod-db-main-restore-test-workload-identity").inputs).toMatchObject({
      role: "roles/iam.workloadIdentityUser",
      member: "serviceAccount:bro-ai-prod.svc.id.goog[bro-ai-prod-main-restore/restore-test]",
    });
  });

  it("runs the rendered scripts weekly in its own restricted namespace, as the Workload Identity account", () => {
    const ns = one(prod, "kubernetes:core/v1:Namespace", "bro-ai-prod-db-main-restore-test-namespace");
    expect(ns.inputs.metadata).toMatchObject({ name: "bro-ai-prod-main-restore", labels: { "pod-security.kubernetes.io/enforce": "restricted" } });
    const ksa = one(prod, "kubernetes:core/v1:ServiceAccount", "bro-ai-prod-db-main-restore-test-ksa");
    expect(ksa.inputs.metadata).toMatchObject({ name: "restore-test", namespace: "bro-ai-prod-main-restore", annotations: { "iam.gke.io/gcp-service-account": "bro-ai-prod-main-restore@bro-ai-prod.iam.gserviceaccount.com" } });
    const cron = one(prod, "kubernetes:batch/v1:CronJob", "bro-ai-prod-db-main-restore-test-cronjob");
    const spec = cron.inputs.spec as any;
    expect(spec).toMatchObject({ schedule: "0 5 * * 2", timeZone: "Etc/UTC", concurrencyPolicy: "Forbid" });
    expect(spec.jobTemplate.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 7200 });
    const [restore, check] = spec.jobTemplate.spec.template.spec.containers;
    expect(restore.image).toBe(gcloudImage);
    expect(check.image).toBe(psqlImage);
    const expected = restoreTestScript({
      project: "bro-ai-prod",
      instance: "bro-ai-prod-main",
      prefix: "bro-ai-prod-main-rt-",
      database: "bro",
      user: "api",
      minimum: 1,
      maxBackupAgeHours: 26,
      maxRecoveryLagMinutes: 15,
      workSeconds: 6300,
      relaxClientCertificates: false,
    });
    expect(restore.command).toEqual(["/bin/sh", "-c", expected]);
    expect(check.command).toEqual(["/bin/sh", "-c", restoreCheckScript({ query: "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", waitSeconds: 6300 })]);
    // It waits for its identity and roles (a run before them fails on permissions).
    for (const dep of ["ksa", "workload-identity", "source", "clones", "observer"]) {
      expect(cron.dependencies).toContain(prod.resources.find((r) => r.name === `bro-ai-prod-db-main-restore-test-${dep}`)!.urn);
    }
  });

  it("alerts the environment's channels on the failure line, and Binary Authorization admits both images", () => {
    const alert = one(prod, "gcp:monitoring/alertPolicy:AlertPolicy", "bro-ai-prod-db-main-restore-test-failure-alert");
    expect((alert.inputs.conditions as any)[0].conditionMatchedLog.filter).toBe(
      'resource.type = "k8s_container" AND resource.labels.project_id = "bro-ai-prod" AND resource.labels.namespace_name = "bro-ai-prod-main-restore" AND jsonPayload.event = "brume.restore-test" AND severity >= ERROR',
    );
    const channels = ofType(prod, "gcp:monitoring/notificationChannel:NotificationChannel");
    expect(channels.length).toBeGreaterThanOrEqual(2);
    expect((alert.inputs.notificationChannels as string[]).length).toBe(channels.length);
    for (const c of channels) expect(alert.dependencies).toContain(c.urn);
    const policy = ofType(prod, "gcp:binaryauthorization/policy:Policy")[0]!;
    const patterns = (policy.inputs.admissionWhitelistPatterns as { namePattern: string }[]).map((p) => p.namePattern);
    expect(patterns).toEqual(expect.arrayContaining([gcloudImage, psqlImage]));
  });

  it("bootstrap creates exactly the three custom roles the environment binds", async () => {
    const loaded = loadStack({ configFile: join(dir, "brume.yaml"), environment: "prod" });
    const boot = await planBootstrap(runProgram, bootstrapProgram, loaded.config, "prod", "prod", environmentFacts(prod), "bro-ai-prod", "us-central1");
    const roles = ofType(boot, "gcp:projects/iAMCustomRole:IAMCustomRole").filter((r) => String(r.inputs.roleId).startsWith("brumeRestoreTest"));
    expect(roles.map((r) => [r.inputs.roleId, r.inputs.permissions]).sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual([
      ["brumeRestoreTestClones", ["cloudsql.instances.create", "cloudsql.instances.delete", "cloudsql.instances.update", "cloudsql.users.update"]],
      ["brumeRestoreTestObserver", ["cloudsql.instances.get", "cloudsql.instances.list"]],
      ["brumeRestoreTestSource", ["cloudsql.backupRuns.get", "cloudsql.backupRuns.list", "cloudsql.instances.clone"]],
    ]);
    // No export, connect or data permission in any of them.
    for (const role of Object.values(restoreTestRoles)) expect(role.permissions.filter((p) => /export|connect|login|import/.test(p))).toEqual([]);
    const stageLoaded = loadStack({ configFile: join(dir, "brume.yaml"), environment: "stage" });
    const stageBoot = await planBootstrap(runProgram, bootstrapProgram, stageLoaded.config, "stage", "stage", environmentFacts(stage), "bro-ai-stage", "us-central1");
    expect(ofType(stageBoot, "gcp:projects/iAMCustomRole:IAMCustomRole").filter((r) => String(r.inputs.roleId).startsWith("brumeRestoreTest"))).toEqual([]);
  }, 120_000);
});

describe("per environment", () => {
  it("stage (not the production preset) has none; its overrides turn it on", async () => {
    expect(inComponent(stage)).toEqual([]);
    const on = await planOperations("stage", { databases: { main: { restoreTest: { enabled: true, schedule: "30 6 * * 0" } } } });
    const cron = one(on, "kubernetes:batch/v1:CronJob", "bro-ai-stage-db-main-restore-test-cronjob");
    expect((cron.inputs.spec as any).schedule).toBe("30 6 * * 0");
    // Turned on for an instance that exists, cloning its data is an IAM widening brume diff shows
    // (the read-only observer role is not); on a new environment it is not (test/diff/danger.test.ts).
    const { diffPlans } = await import("../../src/review/diff/diff.js");
    const widenings = diffPlans(stage, on).dangers.filter((d) => d.kind === "iam-widening").map((d) => d.name);
    expect(widenings).toEqual(["bro-ai-stage-db-main-restore-test-clones", "bro-ai-stage-db-main-restore-test-source"]);
    const off = await planOperations("prod", { databases: { main: { restoreTest: { enabled: false } } } });
    expect(ofType(off, "brume:database:RestoreTest")).toEqual([]);
  }, 120_000);

  it("refuses a check database or user the instance does not declare, with the path and the fix", () => {
    const doc = parse(readFileSync(join(dir, "brume.yaml"), "utf8"));
    doc.databases.main.restoreTest = { database: "orders", user: "admin" };
    let issues: { path: string; message: string; value?: unknown }[] = [];
    try {
      validateConfig(doc);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues = err.issues;
    }
    expect(issues).toEqual([
      { path: "databases.main.restoreTest.database", message: "the check query runs in a database of this instance; declared: bro. Use one of them or add it to databases.main.databases", value: "orders" },
      { path: "databases.main.restoreTest.user", message: "the check logs in as a built-in user of this instance; declared: api, worker. Use one of them or add it to databases.main.users", value: "admin" },
    ]);
  });
});

describe("cost", () => {
  it("prices each run's clone at the instance's hourly price × runs per month", async () => {
    const { estimateCost } = await import("../../src/review/cost/estimate.js");
    const { cronRunsPerMonth } = await import("../../src/review/cost/cron-runs.js");
    expect(cronRunsPerMonth("0 5 * * 2")).toBeCloseTo(30.44 / 7, 5);
    expect(cronRunsPerMonth("0 */6 * * *")).toBeCloseTo(4 * 30.44, 5);
    expect(cronRunsPerMonth("0 3 1,15 * *")).toBe(2);
    expect(cronRunsPerMonth("0 5 * 1-6 0,7")).toBeCloseTo(((30.44 / 7) * 6) / 12, 5);
    expect(() => cronRunsPerMonth("@weekly")).toThrow(/five fields/);
    const e = estimateCost(prod);
    const instance = e.lines.find((l) => l.name === "bro-ai-prod-db-main-instance")!;
    const line = e.lines.find((l) => l.name === "bro-ai-prod-db-main-restore-test-cronjob")!;
    expect(line.monthlyUsd).toBeCloseTo((instance.monthlyUsd / 730) * (30.44 / 7), 1);
    expect(line.detail).toMatch(/^restore test: a clone of bro-ai-prod-main 1 h × 4\.35 runs\/month \("0 5 \* \* 2"\) at \$\d+\.\d+\/h \(up to 2 h when a run hits its deadline\)$/);
    expect(e.notPriced.filter((n) => n.type === "kubernetes:batch/v1:CronJob")).toEqual([]);
  });
});
