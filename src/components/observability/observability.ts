/**
 * `brume:observability:Observability` — what an environment needs to be operated: notification
 * channels (email; Slack with its token from Pulumi secret config), alert policies built from what
 * the environment contains (see ./alerts.ts), uptime checks per public endpoint, a dashboard with
 * the golden signals (./dashboard.ts), log sinks to BigQuery and to a regional GCS archive with
 * retention, a log-based error metric and a billing budget (50 / 90 / 100 %) notifying the channels
 * and a Pub/Sub topic with a retained pull subscription. Every resource carries the environment's
 * cost-allocation labels.
 *
 * The budget needs, besides `billingbudgets.googleapis.com`: a provider with `billingProject` and
 * `userProjectOverride` (created here, see `createBudgetProvider`), and for the identity that runs
 * `pulumi up`, `roles/billing.costsManager` (or `roles/billing.admin`) on the *billing account*. A
 * project-level grant cannot give it: budgets belong to the billing account, and the billing roles'
 * "lowest-level resource where you can grant this role" is the Billing Account
 * (https://cloud.google.com/billing/docs/how-to/budget-api-access-control,
 * https://cloud.google.com/iam/docs/roles-permissions/billing); a billing-account
 * administrator grants it once (`gcloud billing accounts add-iam-policy-binding <account>
 * --member=serviceAccount:<deploy SA> --role=roles/billing.costsManager`).
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childOptions, statefulOptions } from "../child-resources/options.js";
import { transformed, type Transform } from "../child-resources/transform.js";
import { physicalName, shortHash, type Naming } from "../../config/naming.js";
import { environmentBucketName } from "../storage/bucket.js";
import { alertSpecs, defaultThresholds, errorLogFilter, type AlertSpec, type MonitoredInventory, type Thresholds } from "./alerts.js";
import { environmentDashboard } from "./dashboard.js";
import { maxBudgetChannels } from "../../config/cloud-limits.js";

export { maxBudgetChannels };

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
     * Slack channel and the Slack app's OAuth token (marked secret whatever the caller passed).
     * Pass the token from Pulumi secret config: reading it back from Secret Manager fails on the
     * first apply (no version yet) and in every preview (no payload access) — gcp-review 9.
     */
    slack?: { channel: string; token: pulumi.Input<string> };
  };
  /** Alert thresholds; unset values take `defaultThresholds`. @default {} */
  thresholds?: Partial<Thresholds>;
  logs?: {
    /** Sink every log entry to a BigQuery dataset. @default true */
    bigquery?: boolean;
    /** Table / partition expiration in the dataset. @default 90 */
    bigqueryRetentionDays?: number;
    /**
     * Days the GCS archive keeps entries (then a lifecycle rule deletes them). With `protect`
     * (production) it is also the bucket's retention policy: entries cannot be deleted earlier.
     * Without, there is no retention policy and `pulumi destroy` empties the bucket — a 365-day
     * policy on a stage archive would block its destroy for a year (gcp-review 35).
     * @default 365
     */
    archiveRetentionDays?: number;
    /**
     * High-volume logs the sinks do not copy to BigQuery and the archive (they stay in `_Default`):
     * VPC flow logs, firewall rule logs, DNS queries (gcp-review 34).
     * @default ["vpcFlows", "firewall", "dnsQueries"]
     */
    sinkExclusions?: SinkExclusion[];
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
    budgetSubscription?: Transform<gcp.pubsub.SubscriptionArgs>;
    budgetProvider?: Transform<gcp.ProviderArgs>;
  };
}

/** The account Cloud Billing publishes budget notifications with. */
export const budgetPublisherAccount = "billing-budget-alert@system.gserviceaccount.com";


/** Budget thresholds (fractions of the amount). */
export const budgetThresholds = [0.5, 0.9, 1.0] as const;

/** Retention of the notification subscriptions (budget, secret rotation): 7 days, as their topics. */
export const notificationRetention = "604800s";

/** Log sink filter: everything but the sinks' own noise (health checks at the load balancer). */
export const archiveFilter = 'NOT (resource.type = "http_load_balancer" AND httpRequest.status < 400)';

/**
 * Sink exclusions by name: the log ids of the network logs (VPC flow logs
 * `compute.googleapis.com/vpc_flows`, firewall rules logging `compute.googleapis.com/firewall`,
 * Cloud DNS query logs `dns.googleapis.com/dns_queries`; https://cloud.google.com/logging/docs/view/logging-query-language#functions
 * for `log_id`). Routing is free, but each copy is billed where it lands (BigQuery ingestion and
 * storage, GCS storage), and these are the largest streams of a GKE estate.
 */
export const sinkExclusionFilters = {
  vpcFlows: 'log_id("compute.googleapis.com/vpc_flows")',
  firewall: 'log_id("compute.googleapis.com/firewall")',
  dnsQueries: 'log_id("dns.googleapis.com/dns_queries")',
} as const;

export type SinkExclusion = keyof typeof sinkExclusionFilters;
export const defaultSinkExclusions: SinkExclusion[] = ["vpcFlows", "firewall", "dnsQueries"];

const days = (n: number) => n * 86_400;

/** A stable logical key for an email channel: `email-<local part>-<hash of the address>`. */
export function emailChannelKey(email: string): string {
  return physicalName(["email", email.split("@")[0]!.slice(0, 24), shortHash(email.toLowerCase(), 4)]);
}

/**
 * `brume:observability:Observability` — what operating an environment needs: notification channels, alert
 * policies, uptime checks, a dashboard, log sinks to BigQuery and a GCS archive, a log-based error metric
 * and a billing budget with its Pub/Sub topic. See `docs/operations.md`.
 */
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
  /**
   * A retained pull subscription on the budget topic: Pub/Sub drops messages published to a topic
   * without subscriptions, so without it budget notifications reach no one programmatically.
   */
  readonly budgetSubscription?: gcp.pubsub.Subscription;
  /** The provider the budget is created through (`billingProject` + `userProjectOverride`). */
  readonly budgetProvider?: gcp.Provider;
  readonly budget?: gcp.billing.Budget;
  /** The alert specs the policies were made from (plain). */
  readonly alertSpecs: AlertSpec[];
  /** Notification channel ids, for other components' alerts (backups). */
  readonly channelIds: pulumi.Output<string>[];

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:observability:Observability", name, {}, opts);
    const thresholds: Thresholds = { ...defaultThresholds, ...definedOnly(args.thresholds ?? {}) };
    this.alertSpecs = alertSpecs(args.inventory, thresholds);
    const channelCount = (args.notifications?.emails?.length ?? 0) + (args.notifications?.slack ? 1 : 0);
    if (args.budget && channelCount > maxBudgetChannels) {
      // The budget notifies every channel and the API takes at most 5 (see src/config/rules.ts).
      throw new Error(`${name}: a budget notifies at most ${maxBudgetChannels} notification channels, got ${channelCount}; use a group address or fewer emails`);
    }

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
      this.budgetSubscription = this.createBudgetSubscription(name, args, this.budgetTopic, opts);
      this.budgetProvider = this.createBudgetProvider(name, args);
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
      // The token never appears in plain config or code: Pulumi secret config, kept secret in state.
      out.slack = new gcp.monitoring.NotificationChannel(
        ...transformed(
          args.transform?.channel,
          `${name}-slack`,
          {
            project: args.project,
            type: "slack",
            displayName: `${args.naming.prefix} Slack ${slack.channel}`,
            labels: { channel_name: slack.channel },
            sensitiveLabels: { authToken: pulumi.secret(slack.token) },
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
          filter: archiveFilter,
          exclusions: (args.logs?.sinkExclusions ?? defaultSinkExclusions).map((key) => ({
            name: `exclude-${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
            description: `Not copied by this sink: ${key} (kept in the _Default bucket)`,
            filter: sinkExclusionFilters[key],
          })),
          ...(part === "archive" ? {} : { bigqueryOptions: { usePartitionedTables: true } }),
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
    // Coldline has a 90-day minimum storage duration: move entries there only if they stay longer.
    const coldlineAfter = 30;
    const coldline = retention >= coldlineAfter + 90;
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
          // Outside production no retention policy (so destroy can empty the bucket) and forceDestroy.
          ...(args.protect ? { retentionPolicy: { retentionPeriod: String(days(retention)), isLocked: false } } : {}),
          lifecycleRules: [
            ...(coldline ? [{ action: { type: "SetStorageClass", storageClass: "COLDLINE" }, condition: { age: coldlineAfter } }] : []),
            { action: { type: "Delete" }, condition: { age: retention } },
          ],
          forceDestroy: !args.protect,
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

  /**
   * Budget notifications are published several times a day with the current spend; the channels
   * already get the threshold crossings from the budget itself (`allUpdatesRule`), so this
   * subscription has no alert (it would page all day): it keeps 7 days of messages for whoever
   * automates on them (`gcloud pubsub subscriptions pull <name>`), and never expires — an idle
   * subscription is deleted after 31 days by default (`expirationPolicy.ttl` empty = never).
   * https://cloud.google.com/billing/docs/how-to/budgets-programmatic-notifications
   */
  private createBudgetSubscription(name: string, args: ObservabilityArgs, topic: gcp.pubsub.Topic, opts?: pulumi.ComponentResourceOptions) {
    return new gcp.pubsub.Subscription(
      ...transformed(
        args.transform?.budgetSubscription,
        `${name}-budget-subscription`,
        {
          project: args.project,
          name: args.naming.name(["budget", "notifications"], "topic"),
          topic: topic.id,
          ackDeadlineSeconds: 60,
          messageRetentionDuration: notificationRetention,
          retainAckedMessages: false,
          expirationPolicy: { ttl: "" },
          labels: args.labels ?? {},
        },
        childOptions(this, opts),
      ),
    );
  }

  /**
   * The Billing Budgets API is called on the billing account, not on a project; with user ADC it
   * answers 403 unless the provider names a quota project: "If you are using User ADCs … you must
   * specify a `billingProject` and set `userProjectOverride` to true in the provider configuration.
   * Otherwise the Billing Budgets API will return a 403 error" (@pulumi/gcp 9.37
   * billing/budget.d.ts:12-16; GoogleCloudPlatform/cloud-foundation-fabric#3360,
   * terraform-google-modules/terraform-example-foundation#353). The quota project is the
   * environment's own (billingbudgets is enabled there); the caller needs
   * `serviceusage.services.use` on it, which the deploy identity has.
   *
   * Upgrade: an existing budget moves from the environment's provider to this one, which Pulumi
   * does by replacing it (a budget holds no data; the month's threshold notifications may repeat).
   */
  private createBudgetProvider(name: string, args: ObservabilityArgs) {
    return new gcp.Provider(
      ...transformed(
        args.transform?.budgetProvider,
        `${name}-budget-provider`,
        { project: args.project, billingProject: args.project, userProjectOverride: true },
        { parent: this },
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
        childOptions(this, opts, { dependsOn: this.budgetPublisher ? [this.budgetPublisher] : [], provider: this.budgetProvider! }),
      ),
    );
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
