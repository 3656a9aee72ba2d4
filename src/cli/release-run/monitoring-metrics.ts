/**
 * The canary's traffic as the load balancer counted it, read from Cloud Monitoring with Google's
 * client library (@google-cloud/monitoring; its REST transport when `fallback` is set, which is
 * also how tests reach a fake Monitoring API on loopback). Loaded lazily by the release command only.
 *
 * Metrics (https://cloud.google.com/monitoring/api/metrics_gcp_k_o#gcp-loadbalancing):
 * - `loadbalancing.googleapis.com/https/request_count` on `https_lb_rule` (external Application
 *   Load Balancer; `…/https/internal/request_count` on `internal_http_lb_rule` for the internal
 *   one), with the metric label `response_code_class` (100, 200, …, 500; 0 when no response);
 * - `…/https/total_latencies` (a distribution, milliseconds), whose 95th percentile the
 *   cross-series reducer computes.
 * A version's backends are its network endpoint groups (the resource label `backend_name`), which
 * `BackendResolver` reads from the cluster.
 */
import type { Measurement } from "./analysis.js";
import type { MetricsSource } from "./driver.js";

/** The load-balancer backends that serve one version. */
export interface BackendResolver {
  backendsOf(version: string): Promise<string[]>;
}

export interface MonitoringMetricsOptions {
  project: string;
  backends: BackendResolver;
  /** Which load balancer serves the service: the external or the internal Gateway. */
  scheme: "external" | "internal";
  /** Options for the MetricServiceClient (tests: fallback, apiEndpoint, port, protocol, authClient). */
  clientOptions?: Record<string, any>;
}

const metricTypes = {
  external: { resource: "https_lb_rule", requests: "loadbalancing.googleapis.com/https/request_count", latency: "loadbalancing.googleapis.com/https/total_latencies" },
  internal: {
    resource: "internal_http_lb_rule",
    requests: "loadbalancing.googleapis.com/https/internal/request_count",
    latency: "loadbalancing.googleapis.com/https/internal/total_latencies",
  },
} as const;

/** Monitoring's filter over one metric of the given backends. */
export function backendFilter(metricType: string, resourceType: string, backends: readonly string[]): string {
  const names = backends.map((b) => JSON.stringify(b)).join(", ");
  return `metric.type = "${metricType}" AND resource.type = "${resourceType}" AND resource.labels.backend_name = one_of(${names})`;
}

export class MonitoringMetrics implements MetricsSource {
  private client: Promise<any> | undefined;
  constructor(private readonly options: MonitoringMetricsOptions) {}

  private metricClient(): Promise<any> {
    this.client ??= import("@google-cloud/monitoring").then((m) => new m.default.MetricServiceClient(this.options.clientOptions ?? {}));
    return this.client;
  }

  async measure(window: { version: string; start: Date; end: Date }): Promise<Measurement> {
    const backends = await this.options.backends.backendsOf(window.version);
    if (backends.length === 0) throw new Error(`no load-balancer backend serves version ${window.version} yet`);
    const client = await this.metricClient();
    const types = metricTypes[this.options.scheme];
    const seconds = Math.max(60, Math.ceil((window.end.getTime() - window.start.getTime()) / 1000));
    const interval = { startTime: { seconds: Math.floor(window.start.getTime() / 1000) }, endTime: { seconds: Math.floor(window.end.getTime() / 1000) } };
    const name = `projects/${this.options.project}`;
    const [counts] = await client.listTimeSeries({
      name,
      filter: backendFilter(types.requests, types.resource, backends),
      interval,
      aggregation: {
        alignmentPeriod: { seconds },
        perSeriesAligner: "ALIGN_DELTA",
        crossSeriesReducer: "REDUCE_SUM",
        groupByFields: ["metric.labels.response_code_class"],
      },
      view: "FULL",
    });
    let requests = 0;
    let errors = 0;
    for (const series of counts ?? []) {
      const total = (series.points ?? []).reduce((sum: number, p: any) => sum + Number(p.value?.int64Value ?? p.value?.doubleValue ?? 0), 0);
      requests += total;
      if (String(series.metric?.labels?.response_code_class) === "500") errors += total;
    }
    const [latencies] = await client.listTimeSeries({
      name,
      filter: backendFilter(types.latency, types.resource, backends),
      interval,
      aggregation: { alignmentPeriod: { seconds }, perSeriesAligner: "ALIGN_DELTA", crossSeriesReducer: "REDUCE_PERCENTILE_95" },
      view: "FULL",
    });
    const p95 = (latencies ?? []).flatMap((s: any) => s.points ?? []).map((p: any) => Number(p.value?.doubleValue));
    return { requests, errors, ...(p95.length > 0 && p95.every(Number.isFinite) ? { latencyP95Ms: Math.max(...p95) } : {}) };
  }
}
