/**
 * `brume:observability:Observability` — what an environment needs to be operated: notification
 * channels (email; Slack with its token read from Secret Manager), alert policies built from what
 * the environment contains (see ./alerts.ts), uptime checks per public endpoint, a dashboard with
 * the golden signals (./dashboard.ts), log sinks to BigQuery and to a regional GCS archive with
 * retention, a log-based error metric and a billing budget (50 / 90 / 100 %) notifying the channels
 * and a Pub/Sub topic. Every resource carries the environment's cost-allocation labels.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childOptions, statefulOptions } from "../../src/component/options.js";
import { transformed, type Transform } from "../../src/component/transform.js";
import { physicalName, shortHash, type Naming } from "../../src/naming.js";
import { environmentBucketName } from "../storage/bucket.js";
import { alertSpecs, defaultThresholds, errorLogFilter, type AlertSpec, type MonitoredInventory, type Thresholds } from "./alerts.js";
import { environmentDashboard } from "./dashboard.js";

export interface ObservabilityArgs {
  /** GCP project id. */
  project: string;
  /** Region of the log archive bucket and the BigQuery dataset. */
  region: string;
  naming: Naming;
  /** What to watch, by physical name (plain values: they decide which alerts exist). */
  inventory: MonitoredInventory;
  notifications?: {
    /** Email addresses, one channel each. @default [] */
    emails?: string[];
    /**
     * Slack channel and the Secret Manager secret id holding the Slack OAuth token (its latest
     * version is read at deploy time and only ever stored as a secret).
     */
    slack?: { channel: string; tokenSecretId: string };
  };
  /** Alert thresholds; unset values take `defaultThresholds`. @default {} */
  thresholds?: Partial<Thresholds>;
  logs?: {
    /** Sink every log entry to a BigQuery dataset. @default true */
    bigquery?: boolean;
    /** Table / partition expiration in the dataset. @default 90 */
    bigqueryRetentionDays?: number;
    /** Retention policy of the GCS archive: entries cannot be deleted earlier, and are deleted after. @default 365 */
    archiveRetentionDays?: number;
  };
  /** Monthly billing budget of this environment's project; none when absent. */
  budget?: { billingAccount: string; currency: string; amount: number };
  /** Protect the log archive and dataset (production). */
  protect: boolean;
  /** Cost-allocation labels (project, environment, team, …). @default {} */
  labels?: Record<string, string>;
  transform?: {
    channel?: Transform<gcp.monitoring.NotificationChannelArgs>;
    alert?: Transform<gcp.monitoring.AlertPolicyArgs>;
    uptimeCheck?: Transform<gcp.monitoring.UptimeCheckConfigArgs>;
    dashboard?: Transform<gcp.monitoring.DashboardArgs>;
    dataset?: Transform<gcp.bigquery.DatasetArgs>;
    archive?: Transform<gcp.storage.BucketArgs>;
    sink?: Transform<gcp.logging.ProjectSinkArgs>;
    errorMetric?: Transform<gcp.logging.MetricArgs>;
    budgetTopic?: Transform<gcp.pubsub.TopicArgs>;
    budget?: Transform<gcp.billing.BudgetArgs>;
    budgetPublisher?: Transform<gcp.pubsub.TopicIAMMemberArgs>;
  };
}

/** The account Cloud Billing publishes budget notifications with. */
export const budgetPublisherAccount = "billing-budget-alert@system.gserviceaccount.com";

/** Budget thresholds (fractions of the amount). */
export const budgetThresholds = [0.5, 0.9, 1.0] as const;

/** Log sink filter: everything but the sinks' own noise (health checks at the load balancer). */
export const archiveFilter = 'NOT (resource.type = "http_load_balancer" AND httpRequest.status < 400)';

const days = (n: number) => n * 86_400;

/** A stable logical key for an email channel: `email-<local part>-<hash of the address>`. */
export function emailChannelKey(email: string): string {
  return physicalName(["email", email.split("@")[0]!.slice(0, 24), shortHash(email.toLowerCase(), 4)]);
}

export class Observability extends pulumi.ComponentResource {
  /** Notification channels by key (`email-…`, `slack`). */
  readonly channels: Record<string, gcp.monitoring.NotificationChannel>;
  /** Alert policies by spec key (see `alertSpecs`). */
  readonly alerts: Record<string, gcp.monitoring.AlertPolicy>;
  /** Uptime checks by host. */
  readonly uptimeChecks: Record<string, gcp.monitoring.UptimeCheckConfig>;
  readonly dashboard: gcp.monitoring.Dashboard;
  readonly logDataset?: gcp.bigquery.Dataset;
  readonly logDatasetSink?: gcp.logging.ProjectSink;
  readonly logDatasetWriter?: gcp.bigquery.DatasetIamMember;
  readonly logArchive: gcp.storage.Bucket;
  readonly logArchiveSink: gcp.logging.ProjectSink;
  readonly logArchiveWriter: gcp.storage.BucketIAMMember;
  readonly errorMetric: gcp.logging.Metric;
  readonly budgetTopic?: gcp.pubsub.Topic;
  /** Cloud Billing's publisher on the budget topic: without it budget messages are dropped. */
  readonly budgetPublisher?: gcp.pubsub.TopicIAMMember;
  readonly budget?: gcp.billing.Budget;
  /** The alert specs the policies were made from (plain). */
  readonly alertSpecs: AlertSpec[];
  /** Notification channel ids, for other components' alerts (backups). */
  readonly channelIds: pulumi.Output<string>[];

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:observability:Observability", name, {}, opts);
    const thresholds: Thresholds = { ...defaultThresholds, ...definedOnly(args.thresholds ?? {}) };
    this.alertSpecs = alertSpecs(args.inventory, thresholds);

    this.channels = this.createChannels(name, args, opts);
    this.channelIds = Object.values(this.channels).map((c) => c.id);
    this.uptimeChecks = this.createUptimeChecks(name, args, opts);
    // Uptime alerts watch the checks' metrics: create them after the checks exist.
    this.alerts = Object.fromEntries(this.alertSpecs.map((spec) => [spec.key, this.createAlert(name, spec, args, opts)]));
    this.dashboard = this.createDashboard(name, args, opts);
    if (args.logs?.bigquery ?? true) {
      this.logDataset = this.createDataset(name, args, opts);
      this.logDatasetSink = this.createSink(name, "bq", pulumi.interpolate`bigquery.googleapis.com/projects/${args.project}/datasets/${this.logDataset.datasetId}`, args, opts);
      this.logDatasetWriter = this.createDatasetWriter(name, args, opts);
    }
    this.logArchive = this.createArchive(name, args, opts);
    this.logArchiveSink = this.createSink(name, "archive", pulumi.interpolate`storage.googleapis.com/${this.logArchive.name}`, args, opts);
    this.logArchiveWriter = this.createArchiveWriter(name, args, opts);
    this.errorMetric = this.createErrorMetric(name, args, opts);
    if (args.budget) {
      this.budgetTopic = this.createBudgetTopic(name, args, opts);
      this.budgetPublisher = this.createBudgetPublisher(name, args, this.budgetTopic, opts);
      this.budget = this.createBudget(name, args, args.budget, opts);
    }

    this.registerOutputs({ dashboard: this.dashboard.id, logArchive: this.logArchive.name, alerts: Object.keys(this.alerts) });
  }

  private createChannels(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    const out: Record<string, gcp.monitoring.NotificationChannel> = {};
    const labels = args.labels ?? {};
    for (const email of args.notifications?.emails ?? []) {
      const key = emailChannelKey(email);
      out[key] = new gcp.monitoring.NotificationChannel(
        ...transformed(
          args.transform?.channel,
          `${name}-${key}`,
          { project: args.project, type: "email", displayName: `${args.naming.prefix} ${email}`, labels: { email_address: email }, userLabels: labels },
          childOptions(this, opts),
        ),
      );
    }
    const slack = args.notifications?.slack;
    if (slack) {
      // The token never appears in config or code: read from Secret Manager, kept secret in state.
      const token = gcp.secretmanager.getSecretVersionOutput({ project: args.project, secret: slack.tokenSecretId }, { parent: this });
      out.slack = new gcp.monitoring.NotificationChannel(
        ...transformed(
          args.transform?.channel,
          `${name}-slack`,
          {
            project: args.project,
            type: "slack",
            displayName: `${args.naming.prefix} Slack ${slack.channel}`,
            labels: { channel_name: slack.channel },
            sensitiveLabels: { authToken: pulumi.secret(token.secretData) },
            userLabels: labels,
          },
          childOptions(this, opts),
        ),
      );
    }
    return out;
  }

  private createUptimeChecks(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    const out: Record<string, gcp.monitoring.UptimeCheckConfig> = {};
    for (const { host, path } of args.inventory.endpoints) {
      if (out[host]) continue;
      out[host] = new gcp.monitoring.UptimeCheckConfig(
        ...transformed(
          args.transform?.uptimeCheck,
          `${name}-uptime-${host.replace(/\./g, "-")}`,
          {
            project: args.project,
            displayName: `${args.naming.prefix} https://${host}${path}`,
            timeout: "10s",
            period: "60s",
            checkerType: "STATIC_IP_CHECKERS",
            httpCheck: { path, port: 443, useSsl: true, validateSsl: true, requestMethod: "GET", acceptedResponseStatusCodes: [{ statusClass: "STATUS_CLASS_2XX" }] },
            monitoredResource: { type: "uptime_url", labels: { project_id: args.project, host } },
            userLabels: args.labels ?? {},
          },
          childOptions(this, opts),
        ),
      );
    }
    return out;
  }

  private createAlert(name: string, spec: AlertSpec, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    return new gcp.monitoring.AlertPolicy(
      ...transformed(
        args.transform?.alert,
        `${name}-alert-${spec.key}`,
        {
          project: args.project,
          displayName: `[${args.naming.prefix}] ${spec.displayName}`,
          combiner: "OR",
          severity: spec.severity,
          conditions: spec.conditions,
          notificationChannels: this.channelIds,
          documentation: { content: spec.documentation, mimeType: "text/markdown" },
          alertStrategy: spec.logMatch ? { notificationRateLimit: { period: "300s" }, autoClose: "1800s" } : { autoClose: "1800s" },
          userLabels: args.labels ?? {},
        },
        childOptions(this, opts, { dependsOn: Object.values(this.uptimeChecks) }),
      ),
    );
  }

  private createDashboard(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    const dashboard = environmentDashboard(args.inventory, `${args.naming.prefix} golden signals`, args.labels ?? {});
    return new gcp.monitoring.Dashboard(
      ...transformed(args.transform?.dashboard, `${name}-dashboard`, { project: args.project, dashboardJson: JSON.stringify(dashboard) }, childOptions(this, opts)),
    );
  }

  private createDataset(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    const retentionMs = days(args.logs?.bigqueryRetentionDays ?? 90) * 1000;
    return new gcp.bigquery.Dataset(
      ...transformed(
        args.transform?.dataset,
        `${name}-logs-dataset`,
        {
          project: args.project,
          datasetId: `${args.naming.prefix}_logs`.replace(/-/g, "_"),
          friendlyName: `${args.naming.prefix} logs`,
          description: "All log entries of the environment (log sink), partitioned by day.",
          location: args.region,
          defaultTableExpirationMs: retentionMs,
          defaultPartitionExpirationMs: retentionMs,
          deleteContentsOnDestroy: false,
          labels: args.labels ?? {},
        },
        statefulOptions(this, opts, args.protect),
      ),
    );
  }

  private createSink(name: string, part: string, destination: pulumi.Input<string>, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    return new gcp.logging.ProjectSink(
      ...transformed(
        args.transform?.sink,
        `${name}-sink-${part}`,
        {
          project: args.project,
          name: args.naming.name(["logs", part]),
          destination,
          ...(part === "archive" ? { filter: archiveFilter } : { bigqueryOptions: { usePartitionedTables: true } }),
          uniqueWriterIdentity: true,
          description: `Brume ${part === "archive" ? "regional GCS archive" : "BigQuery analytics"} sink`,
        },
        childOptions(this, opts),
      ),
    );
  }

  private createDatasetWriter(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    return new gcp.bigquery.DatasetIamMember(
      `${name}-logs-dataset-writer`,
      { project: args.project, datasetId: this.logDataset!.datasetId, role: "roles/bigquery.dataEditor", member: this.logDatasetSink!.writerIdentity },
      childOptions(this, opts),
    );
  }

  private createArchive(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    const retention = args.logs?.archiveRetentionDays ?? 365;
    return new gcp.storage.Bucket(
      ...transformed(
        args.transform?.archive,
        `${name}-logs-archive`,
        {
          project: args.project,
          name: environmentBucketName(args.project, args.naming, "logs"),
          location: args.region.toUpperCase(),
          storageClass: "STANDARD",
          uniformBucketLevelAccess: true,
          publicAccessPrevention: "enforced",
          retentionPolicy: { retentionPeriod: String(days(retention)), isLocked: false },
          lifecycleRules: [
            { action: { type: "SetStorageClass", storageClass: "COLDLINE" }, condition: { age: 30 } },
            { action: { type: "Delete" }, condition: { age: retention } },
          ],
          forceDestroy: false,
          labels: args.labels ?? {},
        },
        statefulOptions(this, opts, args.protect),
      ),
    );
  }

  private createArchiveWriter(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    return new gcp.storage.BucketIAMMember(
      `${name}-logs-archive-writer`,
      { bucket: this.logArchive.name, role: "roles/storage.objectCreator", member: this.logArchiveSink.writerIdentity },
      childOptions(this, opts),
    );
  }

  private createErrorMetric(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    return new gcp.logging.Metric(
      ...transformed(
        args.transform?.errorMetric,
        `${name}-error-metric`,
        {
          project: args.project,
          name: args.naming.name("error-entries"),
          description: "Log entries with severity ERROR or above, by resource type.",
          filter: errorLogFilter(args.inventory.cluster),
          metricDescriptor: {
            metricKind: "DELTA",
            valueType: "INT64",
            unit: "1",
            labels: [{ key: "resource_type", valueType: "STRING", description: "Monitored resource type" }],
          },
          labelExtractors: { resource_type: "EXTRACT(resource.type)" },
        },
        childOptions(this, opts),
      ),
    );
  }

  private createBudgetTopic(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    return new gcp.pubsub.Topic(
      ...transformed(
        args.transform?.budgetTopic,
        `${name}-budget-topic`,
        { project: args.project, name: args.naming.name("budget", "topic"), messageRetentionDuration: "604800s", labels: args.labels ?? {} },
        childOptions(this, opts),
      ),
    );
  }

  private createBudgetPublisher(name: string, args: ObservabilityArgs, topic: gcp.pubsub.Topic, opts?: pulumi.ComponentResourceOptions) {
    return new gcp.pubsub.TopicIAMMember(
      ...transformed(
        args.transform?.budgetPublisher,
        `${name}-budget-publisher`,
        { project: args.project, topic: topic.name, role: "roles/pubsub.publisher", member: `serviceAccount:${budgetPublisherAccount}` },
        childOptions(this, opts),
      ),
    );
  }

  private createBudget(name: string, args: ObservabilityArgs, budget: NonNullable<ObservabilityArgs["budget"]>, opts?: pulumi.ComponentResourceOptions) {
    const project = gcp.organizations.getProjectOutput({ projectId: args.project }, { parent: this });
    return new gcp.billing.Budget(
      ...transformed(
        args.transform?.budget,
        `${name}-budget`,
        {
          billingAccount: budget.billingAccount,
          displayName: `${args.naming.prefix} monthly`,
          budgetFilter: { projects: [pulumi.interpolate`projects/${project.number}`], calendarPeriod: "MONTH", creditTypesTreatment: "INCLUDE_ALL_CREDITS" },
          amount: { specifiedAmount: { currencyCode: budget.currency, units: String(budget.amount) } },
          thresholdRules: budgetThresholds.map((thresholdPercent) => ({ thresholdPercent, spendBasis: "CURRENT_SPEND" })),
          allUpdatesRule: {
            pubsubTopic: this.budgetTopic!.id,
            schemaVersion: "1.0",
            monitoringNotificationChannels: this.channelIds,
            disableDefaultIamRecipients: false,
          },
        },
        childOptions(this, opts, { dependsOn: this.budgetPublisher ? [this.budgetPublisher] : [] }),
      ),
    );
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
