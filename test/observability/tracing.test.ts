/** observability.tracing: an OpenTelemetry collector in the namespace, every service wired to it. */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { collectorConfig } from "../../src/components/observability/trace-collector.js";
import { deepMerge } from "../../src/config/merge.js";
import { validateConfig } from "../../src/config/load.js";
import type { Plan, PlannedResource } from "../../src/plan/run.js";
import { examplePath, one, ofType, planProgram } from "../harness.js";

let plan: Plan;
beforeAll(async () => {
  const base = parse(readFileSync(examplePath("bro-ai", "brume.yaml"), "utf8"));
  const config = validateConfig(deepMerge(base, { observability: { tracing: { samplingPercent: 25 } } }));
  plan = await planProgram(
    async () => {
      const { Project } = await import("../../src/components/project/project.js");
      // The example's Slack channel takes its token from brume:secrets (the stack's secret config).
      const pulumi = await import("@pulumi/pulumi");
      new Project("bro-ai", { config, environment: "prod", baseDir: examplePath("bro-ai"), secretValues: { "slack-token": pulumi.secret("xoxb-test"), "admin-iap-client": pulumi.secret("iap-test") } });
    },
    { project: "bro-ai", stack: "prod" },
  );
});

type Container = { name: string; image: string; command?: string[]; env?: { name: string; value?: string }[] };
const containersOf = (d: PlannedResource) => (d.inputs.spec as { template: { spec: { containers: Container[] } } }).template.spec.containers;
const envOf = (c: Container) => Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
const deploymentOf = (app: string) =>
  ofType(plan, "kubernetes:apps/v1:Deployment").filter((d) => (d.inputs.metadata as { labels: Record<string, string> }).labels["app.kubernetes.io/name"] === app);

describe("tracing", () => {
  it("runs the Google-built collector with OTLP in and Cloud Trace out", () => {
    const [collector] = deploymentOf("otel-collector");
    const container = containersOf(collector!)[0]!;
    expect(container.image).toBe("us-docker.pkg.dev/cloud-ops-agents-artifacts/google-cloud-opentelemetry-collector/otelcol-google:0.121.0");
    expect(container.command).toEqual(["/otelcol-google", "--config=env:OTEL_COLLECTOR_CONFIG"]);
    const config = parse(envOf(container).OTEL_COLLECTOR_CONFIG!);
    expect(config.exporters).toEqual({ googlecloud: { project: "bro-ai-prod" } });
    expect(config.processors.probabilistic_sampler).toEqual({ sampling_percentage: 25 });
    expect(config.service.pipelines.traces).toEqual({ receivers: ["otlp"], processors: ["memory_limiter", "probabilistic_sampler", "batch"], exporters: ["googlecloud"] });
  });

  it("points every service at the collector, and lets only them reach it", () => {
    for (const app of ["web", "api", "worker"]) {
      for (const d of deploymentOf(app)) {
        expect(envOf(containersOf(d)[0]!), `${app} ${d.name}`).toMatchObject({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://otel-collector:4317" });
      }
    }
    const policies = ofType(plan, "kubernetes:networking.k8s.io/v1:NetworkPolicy");
    const policyOf = (app: string) => policies.find((p) => (p.inputs.spec as { podSelector: { matchLabels?: Record<string, string> } }).podSelector.matchLabels?.["app.kubernetes.io/name"] === app)!;
    const apiEgress = (policyOf("api").inputs.spec as { egress: { to: { podSelector?: { matchLabels: Record<string, string> } }[]; ports: { port: number }[] }[] }).egress;
    expect(apiEgress).toContainEqual({ to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "otel-collector" } } }], ports: [{ port: 4317, protocol: "TCP" }, { port: 4318, protocol: "TCP" }] });
    const collectorIngress = (policyOf("otel-collector").inputs.spec as { ingress: { from: { podSelector: { matchLabels: Record<string, string> } }[] }[] }).ingress[0]!;
    expect(collectorIngress.from.map((f) => f.podSelector.matchLabels["app.kubernetes.io/name"])).toEqual(["admin", "api", "web", "worker"]);
  });

  it("the collector's identity may only write spans; Binary Authorization admits its image", () => {
    const writer = one(plan, "gcp:projects/iAMMember:IAMMember", "bro-ai-prod-otel-collector-trace-writer");
    expect(writer.inputs).toMatchObject({ project: "bro-ai-prod", role: "roles/cloudtrace.agent" });
    expect(writer.provider).toBe(one(plan, "pulumi:providers:gcp", "bro-ai-gcp").urn);
    expect(String(writer.inputs.member)).toMatch(/^serviceAccount:.*otel-collector.*@bro-ai-prod\.iam\.gserviceaccount\.com$/);
    const policy = one(plan, "gcp:binaryauthorization/policy:Policy", "bro-ai-prod-cluster-binauthz");
    const patterns = (policy.inputs.admissionWhitelistPatterns as { namePattern: string }[]).map((p) => p.namePattern);
    expect(patterns).toContain("us-docker.pkg.dev/cloud-ops-agents-artifacts/google-cloud-opentelemetry-collector/*");
  });

  it("renders a stable collector config", () => {
    expect(collectorConfig({ project: "p", samplingPercent: 10 })).toMatchInlineSnapshot(`
      "receivers:
        otlp:
          protocols:
            grpc:
              endpoint: 0.0.0.0:4317
            http:
              endpoint: 0.0.0.0:4318
      processors:
        memory_limiter:
          check_interval: 1s
          limit_percentage: 80
          spike_limit_percentage: 20
        probabilistic_sampler:
          sampling_percentage: 10
        batch: {}
      exporters:
        googlecloud:
          project: p
      extensions:
        health_check:
          endpoint: 0.0.0.0:13133
      service:
        extensions:
          - health_check
        pipelines:
          traces:
            receivers:
              - otlp
            processors:
              - memory_limiter
              - probabilistic_sampler
              - batch
            exporters:
              - googlecloud
      "
    `);
  });
});
