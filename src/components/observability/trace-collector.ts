/**
 * The OpenTelemetry collector of an environment's services (`observability.tracing`): a brume
 * service of its own in the services' namespace (hardened Deployment, HPA, PDB, NetworkPolicy,
 * Workload Identity) that receives OTLP from the services and exports traces to Cloud Trace.
 * Pure: the collector's config and its service definition; the wiring creates the Service.
 */
import { stringify } from "yaml";
import { serviceSchema, type ServiceConfig } from "../../config/schema.js";

/** Name of the collector service in the namespace; services reach it at `http://otel-collector:4317`. */
export const collectorName = "otel-collector";
export const otlpPorts = { grpc: 4317, http: 4318, health: 13133 } as const;
/** The only role the collector's service account gets: write spans. */
export const traceWriterRole = "roles/cloudtrace.agent";

/** The collector's configuration: OTLP in, memory limit, sampling, batching, Cloud Trace out. */
export function collectorConfig(o: { project: string; samplingPercent: number }): string {
  return stringify({
    receivers: { otlp: { protocols: { grpc: { endpoint: `0.0.0.0:${otlpPorts.grpc}` }, http: { endpoint: `0.0.0.0:${otlpPorts.http}` } } } },
    processors: {
      memory_limiter: { check_interval: "1s", limit_percentage: 80, spike_limit_percentage: 20 },
      probabilistic_sampler: { sampling_percentage: o.samplingPercent },
      batch: {},
    },
    exporters: { googlecloud: { project: o.project } },
    extensions: { health_check: { endpoint: `0.0.0.0:${otlpPorts.health}` } },
    service: {
      extensions: ["health_check"],
      pipelines: { traces: { receivers: ["otlp"], processors: ["memory_limiter", "probabilistic_sampler", "batch"], exporters: ["googlecloud"] } },
    },
  });
}

/** The collector as a brume service (validated by the same schema as the user's services). */
export function collectorService(o: { project: string; image: string; samplingPercent: number }): ServiceConfig {
  return serviceSchema.parse({
    image: o.image,
    command: ["/otelcol-google", "--config=env:OTEL_COLLECTOR_CONFIG"],
    ports: [
      { name: "otlp-grpc", port: otlpPorts.grpc },
      { name: "otlp-http", port: otlpPorts.http },
    ],
    env: { OTEL_COLLECTOR_CONFIG: collectorConfig(o) },
    resources: { cpu: "250m", memory: "512Mi" },
    health: {
      readiness: { path: "/", port: otlpPorts.health },
      liveness: { path: "/", port: otlpPorts.health, periodSeconds: 20 },
    },
    scaling: { min: 2, max: 6, targetCpu: 70 },
  });
}

/** What each traced service gets: where to send spans. */
export function tracingEnv(): Record<string, string> {
  return { OTEL_EXPORTER_OTLP_ENDPOINT: `http://${collectorName}:${otlpPorts.grpc}`, OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" };
}
