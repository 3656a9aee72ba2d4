/** Observability, access and backups wired into a real stack (the Bro AI example + operations sections). */
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { alertSpecs, defaultThresholds, type MonitoredInventory, type Thresholds } from "../../src/components/observability/alerts.js";
import { environmentDashboard } from "../../src/components/observability/dashboard.js";
import { kubernetesClusterRole, projectRoles } from "../../src/components/security/access.js";
import type { Plan } from "../../src/plan/run.js";
import { one, ofType } from "../harness.js";
import { planOperations } from "./operations-plan.js";

/** The Monitoring API dashboard fields we use (projects.dashboards, mosaicLayout + xyChart). */
const aggregation = z.strictObject({
  alignmentPeriod: z.string().regex(/^\d+s$/),
  perSeriesAligner: z.enum(["ALIGN_MEAN", "ALIGN_MAX", "ALIGN_RATE", "ALIGN_DELTA", "ALIGN_PERCENTILE_95", "ALIGN_SUM"]),
  crossSeriesReducer: z.enum(["REDUCE_SUM", "REDUCE_MEAN", "REDUCE_MAX"]).optional(),
  groupByFields: z.array(z.string()).optional(),
});
const dashboardSchema = z.strictObject({
  displayName: z.string().min(1).max(512),
  labels: z.record(z.string().regex(/^[a-z0-9_-]{1,63}$/), z.literal("")),
  mosaicLayout: z.strictObject({
    columns: z.int().min(1).max(48),
    tiles: z.array(
      z.strictObject({
        xPos: z.int().min(0),
        yPos: z.int().min(0),
        width: z.int().min(1),
        height: z.int().min(1),
        widget: z.strictObject({
          title: z.string().min(1),
          xyChart: z.strictObject({
            dataSets: z.array(
              z.strictObject({
                timeSeriesQuery: z.strictObject({ timeSeriesFilter: z.strictObject({ filter: z.string().includes("metric.type = "), aggregation }) }),
                plotType: z.enum(["LINE", "STACKED_AREA", "STACKED_BAR", "HEATMAP"]),
                legendTemplate: z.string().optional(),
              }),
            ).min(1),
            yAxis: z.strictObject({ label: z.string(), scale: z.enum(["LINEAR", "LOG10"]) }),
          }),
        }),
      }),
    ).max(200),
  }),
});

const inventory: MonitoredInventory = {
  gcpProject: "p-prod",
  region: "europe-west1",
  databases: [{ key: "main", instance: "p-prod-main", replica: "p-prod-main-replica", highAvailability: true }],
  caches: [{ key: "sessions", instance: "p-prod-sessions" }],
  subscriptions: [{ key: "orders/billing", subscription: "p-prod-orders-billing", deadLetter: "p-prod-orders-billing-dlq" }],
  cluster: "p-prod-gke",
  endpoints: [{ host: "shop.example.com", path: "/" }],
  exposedServices: ["web"],
  machineGroups: ["p-prod-edge"],
};

describe("alert specs and dashboard (pure)", () => {
  it("one alert per watched thing, stable keys", () => {
    expect(alertSpecs(inventory).map((s) => s.key)).toMatchInlineSnapshot(`
      [
        "sql-main-cpu",
        "sql-main-disk",
        "sql-main-failover",
        "sql-main-replica-lag",
        "redis-sessions-memory",
        "gke-container-restarts",
        "gke-unschedulable-pods",
        "pubsub-orders-billing-backlog",
        "pubsub-orders-billing-dead-letters",
        "uptime-shop-example-com",
        "lb-web-5xx",
        "mig-p-prod-edge-unhealthy",
      ]
    `);
  });

  it("the autohealing alert matches the repair event on the group's instances (gce_instance), not on the group manager", () => {
    const mig = alertSpecs(inventory).find((s) => s.key === "mig-p-prod-edge-unhealthy")!;
    expect(mig.conditions).toEqual([
      {
        displayName: "Autohealing recreated an instance",
        conditionMatchedLog: {
          filter:
            'resource.type = "gce_instance" AND protoPayload.methodName = "compute.instances.repair.recreateInstance" AND protoPayload.resourceName =~ "/instances/p-prod-edge-[a-z0-9-]+$"',
        },
      },
    ]);
    const re = /\/instances\/p-prod-edge-[a-z0-9-]+$/;
    expect(re.test("projects/p-prod/zones/europe-west1-b/instances/p-prod-edge-x7kq")).toBe(true);
    expect(re.test("projects/p-prod/zones/europe-west1-b/instances/p-prod-edge-blue-x7kq")).toBe(true);
    expect(re.test("projects/p-prod/zones/europe-west1-b/instances/p-prod-api-x7kq")).toBe(false);
  });

  it("thresholds are overridable and reach the conditions", () => {
    const cpu = (t: Thresholds) => alertSpecs(inventory, t).find((s) => s.key === "sql-main-cpu")!.conditions[0]!;
    expect((cpu(defaultThresholds).conditionThreshold as { thresholdValue: number }).thresholdValue).toBe(0.8);
    expect((cpu({ ...defaultThresholds, sqlCpuPercent: 60 }).conditionThreshold as { thresholdValue: number }).thresholdValue).toBe(0.6);
  });

  it("the specs are deterministic and match the snapshot", () => {
    expect(alertSpecs(inventory)).toEqual(alertSpecs(inventory));
    expect(alertSpecs(inventory)).toMatchSnapshot();
  });

  it("the dashboard matches the Monitoring API shape, golden signals per exposed service", () => {
    const d = environmentDashboard(inventory, "p-prod golden signals", { team: "shop", environment: "prod" });
    expect(dashboardSchema.parse(d)).toEqual(d);
    expect(d.mosaicLayout.tiles.map((t) => t.widget.title).filter((t) => t.startsWith("web:"))).toEqual([
      "web: traffic (req/s)",
      "web: errors (5xx/s)",
      "web: latency p95 (ms)",
      "web: saturation (CPU limit utilization)",
    ]);
    expect(d).toMatchSnapshot();
  });
});

describe("access roles (pure)", () => {
  it("developers write outside production and only read in production; no basic roles anywhere", () => {
    expect(projectRoles("developer", false)).toContain("roles/cloudsql.client");
    expect(projectRoles("developer", true)).not.toContain("roles/cloudsql.client");
    expect(projectRoles("developer", true)).toEqual(projectRoles("viewer", true));
    expect(kubernetesClusterRole("developer", false)).toBe("edit");
    expect(kubernetesClusterRole("developer", true)).toBe("view");
    for (const role of ["owner", "admin", "developer", "viewer"] as const) {
      for (const prod of [true, false]) expect(projectRoles(role, prod).filter((r) => ["roles/owner", "roles/editor", "roles/viewer"].includes(r))).toEqual([]);
    }
  });
});

describe("the Bro AI prod stack with operations", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planOperations("prod");
  });

  it("creates notification channels, one for email and Slack with the token as a secret", () => {
    const channels = ofType(plan, "gcp:monitoring/notificationChannel:NotificationChannel");
    expect(channels.map((c) => c.inputs.type).sort()).toEqual(["email", "slack"]);
    const slack = channels.find((c) => c.inputs.type === "slack")!;
    expect(slack.inputs.labels).toEqual({ channel_name: "#alerts" });
    expect(slack.inputs.sensitiveLabels).toEqual({ authToken: "[secret]" });
    expect(JSON.stringify(plan)).not.toContain("mock-secret-data");
  });

  it("alerts for every data service, exposed domain and service, notifying every channel", () => {
    const alerts = ofType(plan, "gcp:monitoring/alertPolicy:AlertPolicy");
    const names = alerts.map((a) => a.name);
    for (const key of ["sql-main-cpu", "sql-main-replica-lag", "redis-sessions-memory", "pubsub-events-indexer-dead-letters", "uptime-api-bro-ai", "lb-web-5xx", "gke-container-restarts"]) {
      expect(names).toContain(`bro-ai-prod-observability-alert-${key}`);
    }
    const cpu = alerts.find((a) => a.name.endsWith("sql-main-cpu"))!;
    expect((cpu.inputs.conditions as { conditionThreshold: { thresholdValue: number; filter: string } }[])[0]!.conditionThreshold).toMatchObject({
      thresholdValue: 0.75,
      filter: expect.stringContaining('database_id = "bro-ai-prod:bro-ai-prod-main"'),
    });
    const channelUrns = ofType(plan, "gcp:monitoring/notificationChannel:NotificationChannel").map((c) => c.urn);
    for (const a of alerts) expect((a.inputs.notificationChannels as string[]).length).toBe(2);
    for (const urn of channelUrns) expect(cpu.dependencies).toContain(urn);
    expect(cpu.inputs.userLabels).toMatchObject({ project: "bro-ai", environment: "prod", team: "bro-ai" });
  });

  it("uptime checks per public domain, a dashboard, log sinks with writer grants, an error metric", () => {
    expect(ofType(plan, "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig").map((u) => (u.inputs.monitoredResource as { labels: { host: string } }).labels.host).sort()).toEqual([
      "api.bro.ai",
      "bro.ai",
      "www.bro.ai",
    ]);
    const dashboard = one(plan, "gcp:monitoring/dashboard:Dashboard", "bro-ai-prod-observability-dashboard");
    expect(dashboardSchema.safeParse(JSON.parse(String(dashboard.inputs.dashboardJson))).success).toBe(true);
    const sinks = ofType(plan, "gcp:logging/projectSink:ProjectSink");
    expect(sinks.map((s) => s.inputs.destination).sort()).toEqual([
      "bigquery.googleapis.com/projects/bro-ai-prod/datasets/bro_ai_prod_logs",
      expect.stringMatching(/^storage\.googleapis\.com\/bro-ai-prod-/),
    ]);
    const archive = one(plan, "gcp:storage/bucket:Bucket", "bro-ai-prod-observability-logs-archive");
    expect(archive.inputs).toMatchObject({ location: "US-CENTRAL1", retentionPolicy: { retentionPeriod: String(365 * 86400) }, publicAccessPrevention: "enforced" });
    expect(archive.protect).toBe(true);
    expect(one(plan, "gcp:storage/bucketIAMMember:BucketIAMMember", "bro-ai-prod-observability-logs-archive-writer").inputs.member).toMatch(/gcp-sa-logging/);
    // OR binds tighter than AND in the Logging query language: the disjunction is parenthesised (gcp-review 27).
    expect(one(plan, "gcp:logging/metric:Metric", "bro-ai-prod-observability-error-metric").inputs.filter).toBe(
      'severity >= ERROR AND ((resource.type = "k8s_container" AND resource.labels.cluster_name = "bro-ai-prod-gke") OR resource.type != "k8s_container")',
    );
  });

  it("a budget with 50/90/100 % thresholds to the channels and a Pub/Sub topic", () => {
    const budget = one(plan, "gcp:billing/budget:Budget", "bro-ai-prod-observability-budget");
    expect(budget.inputs).toMatchObject({
      billingAccount: "01ABCD-23EF45-67AB89",
      amount: { specifiedAmount: { currencyCode: "USD", units: "5000" } },
      thresholdRules: [{ thresholdPercent: 0.5 }, { thresholdPercent: 0.9 }, { thresholdPercent: 1 }],
      allUpdatesRule: { pubsubTopic: "projects/bro-ai-prod/topics/bro-ai-prod-budget" },
    });
    expect((budget.inputs.budgetFilter as { projects: string[] }).projects[0]).toMatch(/^projects\/\d{12}$/);
    // Cloud Billing may publish to the topic, and the budget waits for that grant.
    const publisher = one(plan, "gcp:pubsub/topicIAMMember:TopicIAMMember", "bro-ai-prod-observability-budget-publisher");
    expect(publisher.inputs).toMatchObject({
      topic: "bro-ai-prod-budget",
      role: "roles/pubsub.publisher",
      member: "serviceAccount:billing-budget-alert@system.gserviceaccount.com",
    });
    expect(budget.dependencies).toContain(publisher.urn);
  });

  it("access: predefined roles only, developers read-only in prod, RBAC in the namespace, audit logs", () => {
    const members = ofType(plan, "gcp:projects/iAMMember:IAMMember").filter((m) => m.name.startsWith("bro-ai-prod-access-"));
    const rolesOf = (p: string) => members.filter((m) => m.inputs.member === p).map((m) => m.inputs.role);
    expect(rolesOf("group:devs@bro.ai")).not.toContain("roles/cloudsql.client");
    expect(rolesOf("group:platform@bro.ai")).toContain("roles/container.admin");
    expect(members.some((m) => ["roles/owner", "roles/editor", "roles/viewer"].includes(String(m.inputs.role)))).toBe(false);
    const bindings = ofType(plan, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding");
    const dev = bindings.find((b) => b.name === "bro-ai-prod-access-rbac-bro-ai-prod-developer")!;
    expect(dev.inputs).toMatchObject({
      metadata: { namespace: "bro-ai-prod", name: "brume-developer" },
      roleRef: { kind: "ClusterRole", name: "view" },
      subjects: [{ kind: "Group", name: "devs@bro.ai" }],
    });
    expect(dev.provider).toMatch(/pulumi:providers:kubernetes/);
    expect(ofType(plan, "gcp:projects/iAMAuditConfig:IAMAuditConfig").map((a) => a.inputs.service).sort()).toEqual([
      "cloudkms.googleapis.com",
      "cloudsql.googleapis.com",
      "secretmanager.googleapis.com",
    ]);
  });

  it("scheduled exports to a versioned bucket in the DR region with a failure alert", () => {
    const bucket = one(plan, "gcp:storage/bucket:Bucket", "bro-ai-prod-backup-main-bucket");
    expect(bucket.inputs).toMatchObject({ location: "US-EAST1", versioning: { enabled: true }, uniformBucketLevelAccess: true });
    expect(bucket.protect).toBe(true);
    const job = one(plan, "gcp:cloudscheduler/job:Job", "bro-ai-prod-backup-main-job-bro");
    const target = job.inputs.httpTarget as { uri: string; body: string; oauthToken: { serviceAccountEmail: string } };
    expect(target.uri).toBe("https://sqladmin.googleapis.com/v1/projects/bro-ai-prod/instances/bro-ai-prod-main/export");
    expect(JSON.parse(Buffer.from(target.body, "base64").toString())).toEqual({
      exportContext: { fileType: "SQL", uri: `gs://${String(bucket.inputs.name)}/bro-ai-prod-main/bro.sql.gz`, databases: ["bro"], offload: true },
    });
    expect(target.oauthToken.serviceAccountEmail).toBe("bro-ai-prod-main-export@bro-ai-prod.iam.gserviceaccount.com");
    expect(one(plan, "gcp:projects/iAMMember:IAMMember", "bro-ai-prod-backup-main-exporter-sql").inputs.role).toBe("roles/cloudsql.viewer");
    const alert = one(plan, "gcp:monitoring/alertPolicy:AlertPolicy", "bro-ai-prod-backup-main-failure-alert");
    expect(alert.inputs.notificationChannels).toHaveLength(2);
    expect(ofType(plan, "gcp:projects/service:Service").map((s) => s.inputs.service)).toEqual(
      expect.arrayContaining(["cloudscheduler.googleapis.com", "bigquery.googleapis.com", "billingbudgets.googleapis.com"]),
    );
  });
});

describe("the Bro AI stage stack with operations", () => {
  it("developers can write outside production", async () => {
    const plan = await planOperations("stage");
    const dev = ofType(plan, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding").find((b) => b.name.endsWith("-developer"))!;
    expect((dev.inputs.roleRef as { name: string }).name).toBe("edit");
    const roles = ofType(plan, "gcp:projects/iAMMember:IAMMember").filter((m) => m.inputs.member === "group:devs@bro.ai").map((m) => m.inputs.role);
    expect(roles).toContain("roles/cloudsql.client");
    expect(one(plan, "gcp:billing/budget:Budget", "bro-ai-stage-observability-budget").inputs.amount).toEqual({ specifiedAmount: { currencyCode: "USD", units: "800" } });
  });
});
