/**
 * Alert policies as data: what an environment contains (a plain inventory) and the thresholds →
 * one AlertSpec per alert. Pure, deterministic and snapshot-tested; the Observability component
 * turns each spec into a `gcp.monitoring.AlertPolicy`.
 */
import type * as gcp from "@pulumi/gcp";
import { alertThresholdsSchema } from "../../config/schema.js";

export type AlertCondition = gcp.types.input.monitoring.AlertPolicyCondition;

/** Default thresholds: the config schema's defaults (one source). */
export const defaultThresholds = alertThresholdsSchema.parse({});

export type Thresholds = typeof defaultThresholds;

/** What the environment contains, by physical name: everything an alert filter needs, plain. */
export interface MonitoredInventory {
  gcpProject: string;
  region: string;
  /** Cloud SQL instances: config key, instance name, DR replica name, regional (HA) or not. */
  databases: { key: string; instance: string; replica?: string; highAvailability: boolean }[];
  /** Memorystore instances: config key and instance name. */
  caches: { key: string; instance: string }[];
  /** Pub/Sub subscriptions: "<topic>/<sub>" key, subscription id and its dead-letter subscription id. */
  subscriptions: { key: string; subscription: string; deadLetter: string }[];
  /** GKE cluster name. */
  cluster?: string;
  /**
   * Notification subscriptions a person must read (secret rotation reminders): an alert while one
   * holds an undelivered message. @default []
   */
  notifications?: { key: string; subscription: string; what: string }[];
  /** Public endpoints (uptime checks): host and the path checked. */
  endpoints: { host: string; path: string }[];
  /** Kubernetes service names exposed through the load balancer. */
  exposedServices: string[];
  /** Managed instance groups: the prefix of their instances' names (the groups' baseInstanceName). */
  machineGroups: string[];
  /** Services released as canaries: their release announcements notify the channels. @default [] */
  releasedServices?: string[];
}

/**
 * The log `brume release run` announces steps in (src/cli/release-run/notifier.ts); a log-match
 * policy turns its entries into notifications, so the driver needs no channel credentials.
 */
export const releaseLogId = "brume-release";

export type Severity = "CRITICAL" | "ERROR" | "WARNING";

export interface AlertSpec {
  /** Stable key: the logical name suffix of the policy (`${name}-alert-<key>`). */
  key: string;
  displayName: string;
  severity: Severity;
  conditions: AlertCondition[];
  /** Markdown shown in the incident: what it means and what to do. */
  documentation: string;
  /** Log-match conditions need a notification rate limit. */
  logMatch?: boolean;
}

function threshold(
  displayName: string,
  filter: string,
  value: number,
  options: { duration?: string; aligner?: string; period?: string; reducer?: string; groupBy?: string[]; comparison?: string } = {},
): AlertCondition {
  return {
    displayName,
    conditionThreshold: {
      filter,
      comparison: options.comparison ?? "COMPARISON_GT",
      thresholdValue: value,
      duration: options.duration ?? "300s",
      aggregations: [
        {
          alignmentPeriod: options.period ?? "60s",
          perSeriesAligner: options.aligner ?? "ALIGN_MEAN",
          ...(options.reducer ? { crossSeriesReducer: options.reducer, groupByFields: options.groupBy ?? [] } : {}),
        },
      ],
      trigger: { count: 1 },
    },
  };
}

const logMatch = (displayName: string, filter: string): AlertCondition => ({ displayName, conditionMatchedLog: { filter } });

/** Every alert for an inventory, in a stable order. */
export function alertSpecs(inv: MonitoredInventory, t: Thresholds = defaultThresholds): AlertSpec[] {
  const out: AlertSpec[] = [];
  const p = inv.gcpProject;
  for (const db of inv.databases) {
    const sql = (instance: string, metric: string) =>
      `resource.type = "cloudsql_database" AND resource.labels.database_id = "${p}:${instance}" AND metric.type = "cloudsql.googleapis.com/database/${metric}"`;
    out.push({
      key: `sql-${db.key}-cpu`,
      displayName: `Cloud SQL ${db.instance}: CPU above ${t.sqlCpuPercent}%`,
      severity: "WARNING",
      conditions: [threshold("CPU utilization", sql(db.instance, "cpu/utilization"), t.sqlCpuPercent / 100, { duration: "600s" })],
      documentation: `CPU of ${db.instance} stayed above ${t.sqlCpuPercent}% for 10 minutes. Look for slow queries (Query Insights) or raise the tier.`,
    });
    out.push({
      key: `sql-${db.key}-disk`,
      displayName: `Cloud SQL ${db.instance}: disk above ${t.sqlDiskPercent}%`,
      severity: "ERROR",
      conditions: [threshold("Disk utilization", sql(db.instance, "disk/utilization"), t.sqlDiskPercent / 100)],
      documentation: `Disk of ${db.instance} is above ${t.sqlDiskPercent}%. Autoresize grows it; check the autoresize limit and the growth rate.`,
    });
    if (db.highAvailability) {
      out.push({
        key: `sql-${db.key}-failover`,
        displayName: `Cloud SQL ${db.instance}: standby not available for failover`,
        severity: "ERROR",
        conditions: [
          threshold("Available for failover", sql(db.instance, "available_for_failover"), 1, { comparison: "COMPARISON_LT", aligner: "ALIGN_MIN", duration: "600s" }),
        ],
        documentation: `The regional instance ${db.instance} cannot fail over (standby unavailable or a failover is in progress).`,
      });
    }
    if (db.replica) {
      out.push({
        key: `sql-${db.key}-replica-lag`,
        displayName: `Cloud SQL ${db.replica}: replication lag above ${t.sqlReplicationLagSeconds}s`,
        severity: "ERROR",
        conditions: [threshold("Replica lag", sql(db.replica, "replication/replica_lag"), t.sqlReplicationLagSeconds, { aligner: "ALIGN_MAX" })],
        documentation: `The DR replica ${db.replica} lags its primary: the recovery point after a promotion would be older than the RPO.`,
      });
    }
  }
  for (const cache of inv.caches) {
    out.push({
      key: `redis-${cache.key}-memory`,
      displayName: `Memorystore ${cache.instance}: memory above ${t.redisMemoryPercent}%`,
      severity: "WARNING",
      conditions: [
        threshold(
          "Memory usage ratio",
          `resource.type = "redis_instance" AND resource.labels.instance_id = "projects/${p}/locations/${inv.region}/instances/${cache.instance}" AND metric.type = "redis.googleapis.com/stats/memory/usage_ratio"`,
          t.redisMemoryPercent / 100,
        ),
      ],
      documentation: `Memory of ${cache.instance} is above ${t.redisMemoryPercent}%: keys are evicted soon. Raise memoryGb or shorten TTLs.`,
    });
  }
  if (inv.cluster) {
    out.push({
      key: "gke-container-restarts",
      displayName: `GKE ${inv.cluster}: containers restarting`,
      severity: "ERROR",
      conditions: [
        threshold(
          `More than ${t.containerRestarts} restarts in 15 min`,
          `resource.type = "k8s_container" AND resource.labels.cluster_name = "${inv.cluster}" AND metric.type = "kubernetes.io/container/restart_count"`,
          t.containerRestarts,
          { aligner: "ALIGN_DELTA", period: "900s", duration: "0s", reducer: "REDUCE_SUM", groupBy: ["resource.label.namespace_name", "resource.label.pod_name", "resource.label.container_name"] },
        ),
      ],
      documentation: "A container restarts repeatedly (crash loop or OOM kill). `kubectl describe pod` and the container logs tell why.",
    });
    out.push({
      key: "gke-unschedulable-pods",
      displayName: `GKE ${inv.cluster}: pods cannot be scheduled`,
      severity: "ERROR",
      logMatch: true,
      conditions: [
        logMatch(
          "FailedScheduling events",
          `resource.type = "k8s_pod" AND resource.labels.cluster_name = "${inv.cluster}" AND jsonPayload.reason = "FailedScheduling"`,
        ),
      ],
      documentation: "The scheduler cannot place pods: node pools are at their maximum, or requests/affinities cannot be met.",
    });
  }
  for (const sub of inv.subscriptions) {
    const key = sub.key.replace("/", "-");
    out.push({
      key: `pubsub-${key}-backlog`,
      displayName: `Pub/Sub ${sub.subscription}: oldest unacked message older than ${t.pubsubOldestUnackedSeconds}s`,
      severity: "WARNING",
      conditions: [
        threshold(
          "Oldest unacked message age",
          `resource.type = "pubsub_subscription" AND resource.labels.subscription_id = "${sub.subscription}" AND metric.type = "pubsub.googleapis.com/subscription/oldest_unacked_message_age"`,
          t.pubsubOldestUnackedSeconds,
          { aligner: "ALIGN_MAX" },
        ),
      ],
      documentation: `Consumers of ${sub.subscription} fall behind. Scale the subscriber or look for a poison message.`,
    });
    out.push({
      key: `pubsub-${key}-dead-letters`,
      displayName: `Pub/Sub ${sub.deadLetter}: dead-lettered messages`,
      severity: "ERROR",
      conditions: [
        threshold(
          "Undelivered messages in the dead-letter subscription",
          `resource.type = "pubsub_subscription" AND resource.labels.subscription_id = "${sub.deadLetter}" AND metric.type = "pubsub.googleapis.com/subscription/num_undelivered_messages"`,
          0,
          { aligner: "ALIGN_MAX", duration: "0s" },
        ),
      ],
      documentation: `Messages of ${sub.subscription} exhausted their delivery attempts. Inspect ${sub.deadLetter}, fix, then replay.`,
    });
  }
  for (const n of inv.notifications ?? []) {
    out.push({
      key: `pubsub-${n.key}-unread`,
      displayName: `${n.what}: unread in ${n.subscription}`,
      severity: "WARNING",
      conditions: [
        threshold(
          "Undelivered messages",
          `resource.type = "pubsub_subscription" AND resource.labels.subscription_id = "${n.subscription}" AND metric.type = "pubsub.googleapis.com/subscription/num_undelivered_messages"`,
          0,
          { aligner: "ALIGN_MAX", duration: "0s", period: "300s" },
        ),
      ],
      documentation: `${n.what}. Read the message (its attributes name the secret), act, then acknowledge it: \`gcloud pubsub subscriptions pull ${n.subscription} --auto-ack --limit=10\`. The alert closes once nothing is left unread.`,
    });
  }
  for (const domain of [...new Set(inv.endpoints.map((e) => e.host))]) {
    out.push({
      key: `uptime-${domain.replace(/\./g, "-")}`,
      displayName: `Uptime ${domain}: check failing`,
      severity: "CRITICAL",
      conditions: [
        threshold(
          "Uptime check failing from 2+ regions",
          `resource.type = "uptime_url" AND resource.labels.host = "${domain}" AND metric.type = "monitoring.googleapis.com/uptime_check/check_passed"`,
          1,
          { aligner: "ALIGN_NEXT_OLDER", period: "1200s", reducer: "REDUCE_COUNT_FALSE", groupBy: ["resource.label.host"], duration: "60s" },
        ),
      ],
      documentation: `https://${domain} fails its uptime check from more than one region.`,
    });
  }
  for (const service of inv.exposedServices) {
    const lb = `resource.type = "https_lb_rule" AND metric.type = "loadbalancing.googleapis.com/https/request_count" AND resource.labels.backend_target_name = monitoring.regex.full_match(".*-${service}-.*")`;
    out.push({
      key: `lb-${service}-5xx`,
      displayName: `Load balancer ${service}: 5xx above ${t.lb5xxPercent}%`,
      severity: "CRITICAL",
      conditions: [
        {
          displayName: "5xx ratio",
          conditionThreshold: {
            filter: `${lb} AND metric.labels.response_code_class = 500`,
            denominatorFilter: lb,
            comparison: "COMPARISON_GT",
            thresholdValue: t.lb5xxPercent / 100,
            duration: "300s",
            aggregations: [{ alignmentPeriod: "60s", perSeriesAligner: "ALIGN_RATE", crossSeriesReducer: "REDUCE_SUM", groupByFields: [] }],
            denominatorAggregations: [{ alignmentPeriod: "60s", perSeriesAligner: "ALIGN_RATE", crossSeriesReducer: "REDUCE_SUM", groupByFields: [] }],
            trigger: { count: 1 },
          },
        },
      ],
      documentation: `More than ${t.lb5xxPercent}% of the requests to ${service} fail with a 5xx at the load balancer.`,
    });
  }
  if ((inv.releasedServices ?? []).length > 0) {
    // Log-match conditions (https://cloud.google.com/monitoring/alerts/log-based-alerts): one
    // incident per announcement, at most one notification per rate-limit period (300 s).
    const releases = `logName = "projects/${p}/logs/${releaseLogId}"`;
    out.push({
      key: "release-steps",
      displayName: `Releases: a canary step of ${inv.releasedServices!.join(", ")}`,
      severity: "WARNING",
      logMatch: true,
      conditions: [logMatch("brume release run announced a step", `${releases} AND severity = "NOTICE"`)],
      documentation: "`brume release run` moved a canary to its next step or promoted it. The entry says which service, stack and share.",
    });
    out.push({
      key: "release-aborted",
      displayName: `Releases: a canary of ${inv.releasedServices!.join(", ")} was aborted`,
      severity: "ERROR",
      logMatch: true,
      conditions: [logMatch("brume release run aborted a canary", `${releases} AND severity >= ERROR`)],
      documentation: "The canary's analysis failed (5xx share, latency, or too little traffic) and `brume release abort` was applied: traffic is back on the stable version. The entry has the measurements; fix and start a new version.",
    });
  }
  for (const group of inv.machineGroups) {
    out.push({
      key: `mig-${group}-unhealthy`,
      displayName: `Instance group ${group}: unhealthy instance repaired`,
      severity: "ERROR",
      logMatch: true,
      conditions: [logMatch("Autohealing recreated an instance", migRepairFilter(group))],
      documentation: `An instance of ${group} failed its health check and was recreated by autohealing.`,
    });
  }
  return out;
}

/**
 * Filter of the log-based error metric: error entries of the environment's workloads and services
 * (the cluster's containers, and every non-container resource).
 *
 * The inner disjunction is parenthesised on purpose: in the Logging query language OR binds
 * tighter than AND — `"a" OR NOT "b" AND NOT "c" OR "d"` means `("a" OR (NOT "b")) AND ((NOT "c")
 * OR "d")` (https://cloud.google.com/logging/docs/view/logging-query-language#boolean-operators).
 * Without the parentheses `type = k8s_container AND cluster = X OR type != k8s_container` reads as
 * `type = k8s_container AND (cluster = X OR type != k8s_container)`: only GKE errors (gcp-review 27).
 */
export function errorLogFilter(cluster?: string): string {
  return cluster
    ? `severity >= ERROR AND ((resource.type = "k8s_container" AND resource.labels.cluster_name = "${cluster}") OR resource.type != "k8s_container")`
    : "severity >= ERROR";
}

/**
 * Log filter of a group's autohealing repairs. Compute Engine writes the
 * `compute.instances.repair.recreateInstance` system event against the *instance*
 * (`resource.type = "gce_instance"`, labels `instance_id` and `zone` only, principal
 * `system@google.com`, `protoPayload.resourceName = "projects/<p>/zones/<z>/instances/<vm>"`; Compute
 * Engine audit logging, https://cloud.google.com/compute/docs/logging/audit-logging, and the
 * entries quoted in gcp-review 28), not against `gce_instance_group_manager`, which carries only the
 * group's own events. The instances of a group are named `<baseInstanceName>-<4 chars>`, so the
 * group is matched by that prefix in the resource name (`basePrefix` is the group's
 * baseInstanceName, or the common prefix of its slots' base names).
 */
export function migRepairFilter(basePrefix: string): string {
  return `resource.type = "gce_instance" AND protoPayload.methodName = "compute.instances.repair.recreateInstance" AND protoPayload.resourceName =~ "/instances/${basePrefix}-[a-z0-9-]+$"`;
}
