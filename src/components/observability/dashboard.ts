/**
 * The environment dashboard as data (Cloud Monitoring `projects.dashboards` JSON): the golden
 * signals per exposed service (traffic, errors, latency, saturation), then the data services.
 * Pure; a test validates it against a zod schema of the API fields we use.
 */
import type { MonitoredInventory } from "./alerts.js";

interface TimeSeriesFilter {
  filter: string;
  aggregation: { alignmentPeriod: string; perSeriesAligner: string; crossSeriesReducer?: string; groupByFields?: string[] };
}

export interface DashboardWidget {
  title: string;
  xyChart: {
    dataSets: { timeSeriesQuery: { timeSeriesFilter: TimeSeriesFilter }; plotType: "LINE" | "STACKED_AREA"; legendTemplate?: string }[];
    yAxis: { label: string; scale: "LINEAR" };
  };
}

export interface Dashboard {
  displayName: string;
  labels: Record<string, string>;
  mosaicLayout: { columns: number; tiles: { xPos: number; yPos: number; width: number; height: number; widget: DashboardWidget }[] };
}

function chart(title: string, yLabel: string, filter: string, aligner: string, reducer?: string, groupBy?: string[]): DashboardWidget {
  return {
    title,
    xyChart: {
      dataSets: [
        {
          timeSeriesQuery: {
            timeSeriesFilter: {
              filter,
              aggregation: {
                alignmentPeriod: "60s",
                perSeriesAligner: aligner,
                ...(reducer ? { crossSeriesReducer: reducer, groupByFields: groupBy ?? [] } : {}),
              },
            },
          },
          plotType: "LINE",
        },
      ],
      yAxis: { label: yLabel, scale: "LINEAR" },
    },
  };
}

/** Widgets in reading order: per service the four golden signals, then databases, caches, queues. */
export function dashboardWidgets(inv: MonitoredInventory): DashboardWidget[] {
  const widgets: DashboardWidget[] = [];
  for (const svc of inv.exposedServices) {
    const lb = `resource.type = "https_lb_rule" AND resource.labels.backend_target_name = monitoring.regex.full_match(".*-${svc}-.*")`;
    widgets.push(
      chart(`${svc}: traffic (req/s)`, "req/s", `${lb} AND metric.type = "loadbalancing.googleapis.com/https/request_count"`, "ALIGN_RATE", "REDUCE_SUM", ["metric.label.response_code_class"]),
      chart(`${svc}: errors (5xx/s)`, "5xx/s", `${lb} AND metric.type = "loadbalancing.googleapis.com/https/request_count" AND metric.labels.response_code_class = 500`, "ALIGN_RATE", "REDUCE_SUM"),
      chart(`${svc}: latency p95 (ms)`, "ms", `${lb} AND metric.type = "loadbalancing.googleapis.com/https/total_latencies"`, "ALIGN_PERCENTILE_95", "REDUCE_MAX"),
      ...(inv.cluster
        ? [
            chart(
              `${svc}: saturation (CPU limit utilization)`,
              "ratio",
              `resource.type = "k8s_container" AND resource.labels.cluster_name = "${inv.cluster}" AND resource.labels.container_name = "${svc}" AND metric.type = "kubernetes.io/container/cpu/limit_utilization"`,
              "ALIGN_MEAN",
              "REDUCE_MEAN",
              ["resource.label.namespace_name"],
            ),
          ]
        : []),
    );
  }
  for (const db of inv.databases) {
    const f = (m: string) => `resource.type = "cloudsql_database" AND resource.labels.database_id = "${inv.gcpProject}:${db.instance}" AND metric.type = "cloudsql.googleapis.com/database/${m}"`;
    widgets.push(
      chart(`Cloud SQL ${db.key}: CPU`, "ratio", f("cpu/utilization"), "ALIGN_MEAN"),
      chart(`Cloud SQL ${db.key}: connections`, "connections", f("postgresql/num_backends"), "ALIGN_MEAN", "REDUCE_SUM"),
    );
  }
  for (const cache of inv.caches) {
    widgets.push(
      chart(
        `Memorystore ${cache.key}: memory usage`,
        "ratio",
        `resource.type = "redis_instance" AND resource.labels.instance_id = "projects/${inv.gcpProject}/locations/${inv.region}/instances/${cache.instance}" AND metric.type = "redis.googleapis.com/stats/memory/usage_ratio"`,
        "ALIGN_MEAN",
      ),
    );
  }
  for (const sub of inv.subscriptions) {
    widgets.push(
      chart(
        `Pub/Sub ${sub.key}: oldest unacked (s)`,
        "s",
        `resource.type = "pubsub_subscription" AND resource.labels.subscription_id = "${sub.subscription}" AND metric.type = "pubsub.googleapis.com/subscription/oldest_unacked_message_age"`,
        "ALIGN_MAX",
      ),
    );
  }
  return widgets;
}

/** The dashboard: a 12-column mosaic, two widgets per row. */
export function environmentDashboard(inv: MonitoredInventory, displayName: string, labels: Record<string, string> = {}): Dashboard {
  const tiles = dashboardWidgets(inv).map((widget, i) => ({ xPos: (i % 2) * 6, yPos: Math.floor(i / 2) * 4, width: 6, height: 4, widget }));
  // Dashboard labels are used as keys only in the console: "<key>-<value>" with an empty value.
  const keys = Object.entries(labels).map(([k, v]) => `${k}-${v}`.toLowerCase().replace(/[^a-z0-9_-]/g, "_"));
  return { displayName, labels: Object.fromEntries(keys.sort().map((k) => [k, ""])), mosaicLayout: { columns: 12, tiles } };
}
