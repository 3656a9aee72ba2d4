/**
 * The dependency fixes the creation-order check forced, asserted on the inputs and edges a real
 * apply depends on (gcp-review findings 1, 11, 32; k8s-review 10), in bro-ai with every operations
 * section on (examples/bro-ai).
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../src/plan/run.js";
import { examplePath, one, ofType, planDir } from "../harness.js";

let plan: Plan;
beforeAll(async () => {
  plan = await planDir(examplePath("bro-ai"), "prod");
}, 120_000);

const api = (short: string) => one(plan, "gcp:projects/service:Service", `bro-ai-prod-apis-${short}`);

describe("finding 1: Workload Identity members come from the cluster's workload pool", () => {
  it("every KSA→GSA grant depends on the cluster that creates the pool, the collector's too", () => {
    const cluster = one(plan, "gcp:container/cluster:Cluster", "bro-ai-prod-cluster-cluster");
    const grants = ofType(plan, "gcp:serviceaccount/iAMMember:IAMMember").filter((r) => r.name.endsWith("-workload-identity"));
    expect(grants.map((g) => g.name).sort()).toEqual([
      "bro-ai-prod-db-main-audit-workload-identity", // the pgAudit activation Job, in its own namespace
      "bro-ai-prod-db-main-restore-test-workload-identity", // the restore test's CronJob (issue 17 item 7)
      "bro-ai-prod-svc-admin-workload-identity",
      "bro-ai-prod-svc-api-workload-identity",
      "bro-ai-prod-svc-otel-collector-workload-identity",
      "bro-ai-prod-svc-web-workload-identity",
      "bro-ai-prod-svc-worker-workload-identity",
    ]);
    for (const g of grants) {
      expect(g.dependencies).toContain(cluster.urn);
      expect(g.inputs.member).toMatch(/^serviceAccount:bro-ai-prod\.svc\.id\.goog\[bro-ai-prod(-[a-z-]+)?\/[a-z-]+\]$/);
    }
  });
});

describe("finding 11: Access RoleBindings wait for the namespace", () => {
  it("each RoleBinding of the services' namespace depends on the Namespace", () => {
    const ns = one(plan, "kubernetes:core/v1:Namespace", "bro-ai-prod-apps-namespace");
    const bindings = ofType(plan, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding");
    expect(bindings.map((b) => b.name).sort()).toEqual(["owner", "admin", "developer", "viewer"].map((r) => `bro-ai-prod-access-rbac-bro-ai-prod-${r}`).sort());
    for (const b of bindings) {
      expect((b.inputs.metadata as { namespace: string }).namespace).toBe("bro-ai-prod");
      expect(b.dependencies).toContain(ns.urn);
    }
  });
});

describe("finding 32: APIs", () => {
  it("enables storage.googleapis.com and cloudtrace.googleapis.com (tracing on)", () => {
    expect(api("storage").inputs).toMatchObject({ service: "storage.googleapis.com", project: "bro-ai-prod", disableOnDestroy: false });
    expect(api("cloudtrace").inputs).toMatchObject({ service: "cloudtrace.googleapis.com", project: "bro-ai-prod" });
  });
  it("every bucket waits for the Cloud Storage API", () => {
    const buckets = ofType(plan, "gcp:storage/bucket:Bucket");
    expect(buckets.length).toBeGreaterThanOrEqual(4);
    for (const b of buckets) expect(b.dependencies, b.name).toContain(api("storage").urn);
  });
  it("project IAM members wait for cloudresourcemanager; the trace writer for Cloud Trace too", () => {
    const members = ofType(plan, "gcp:projects/iAMMember:IAMMember").filter((m) => m.inputs.project === "bro-ai-prod" && !m.name.includes("-ci-"));
    expect(members.length).toBeGreaterThan(5);
    for (const m of members) expect(m.dependencies, m.name).toContain(api("cloudresourcemanager").urn);
    const writer = one(plan, "gcp:projects/iAMMember:IAMMember", "bro-ai-prod-otel-collector-trace-writer");
    expect(writer.inputs.role).toBe("roles/cloudtrace.agent");
    expect(writer.dependencies).toEqual(expect.arrayContaining([api("cloudtrace").urn, api("cloudresourcemanager").urn]));
  });
});

describe("k8s-review 10: routes wait for their policies", () => {
  it("each HTTPRoute depends on the GCPBackendPolicy and HealthCheckPolicy of every backend", () => {
    const route = one(plan, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "bro-ai-prod-svc-api-route");
    const backends = ((route.inputs.spec as { rules: Array<{ backendRefs: Array<{ name: string }> }> }).rules).flatMap((r) => r.backendRefs.map((b) => b.name));
    expect(backends).toEqual(["api-v1-14-2"]);
    expect(route.dependencies).toEqual(
      expect.arrayContaining([
        one(plan, "kubernetes:networking.gke.io/v1:GCPBackendPolicy", "bro-ai-prod-svc-api-v1-14-2-backend-policy").urn,
        one(plan, "kubernetes:networking.gke.io/v1:HealthCheckPolicy", "bro-ai-prod-svc-api-v1-14-2-health-check").urn,
      ]),
    );
  });
});
