/**
 * The services of examples/bro-ai (web → api → worker) planned as `pulumi up` would run them:
 * NetworkPolicy pairs, Workload Identity bindings exactly as `uses` implies, secrets never in
 * plaintext, every Kubernetes object through the cluster's provider.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Plan, PlannedResource } from "../../src/plan/run.js";
import { examplePath, ofType, one, planDir } from "../harness.js";

let prod: Plan;
beforeAll(async () => {
  prod = await planDir(examplePath("bro-ai"), "prod");
});

const policy = (app: string) => one(prod, "kubernetes:networking.k8s.io/v1:NetworkPolicy", `bro-ai-prod-svc-${app}-network-policy`).inputs.spec as any;
const appOf = (peer: any): string | undefined => peer.podSelector?.matchLabels?.["app.kubernetes.io/name"];

/** (from, to) pairs the policies allow: ingress of `to` names `from` and egress of `from` names `to`. */
function allowed(from: string, to: string): boolean {
  const ingress = (policy(to).ingress ?? []).some((rule: any) => (rule.from ?? []).some((p: any) => appOf(p) === from));
  const egress = (policy(from).egress ?? []).some((rule: any) => (rule.to ?? []).some((p: any) => appOf(p) === to));
  return ingress && egress;
}

describe("NetworkPolicy for web → api → worker", () => {
  it("default deny in the namespace", () => {
    const deny = one(prod, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "bro-ai-prod-apps-default-deny");
    expect(deny.inputs).toMatchObject({ metadata: { namespace: "bro-ai-prod" }, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } });
  });

  it("allows exactly the declared pairs", () => {
    const apps = ["web", "api", "worker"];
    const pairs = apps.flatMap((a) => apps.filter((b) => b !== a && allowed(a, b)).map((b) => `${a}→${b}`));
    expect(pairs).toEqual(["web→api", "api→worker"]);
    expect(allowed("web", "worker")).toBe(false);
    expect(allowed("worker", "api")).toBe(false);
  });

  it("gateway ranges reach exposed services only; data ranges only where used", () => {
    const cidrs = (rules: any[]) => rules.flatMap((r: any) => [...(r.from ?? []), ...(r.to ?? [])]).map((p: any) => p.ipBlock?.cidr).filter(Boolean);
    expect(cidrs(policy("web").ingress)).toContain("35.191.0.0/16");
    expect(cidrs(policy("worker").ingress)).toEqual([]);
    const apiEgress = policy("api").egress as any[];
    expect(apiEgress.filter((r) => r.to[0].ipBlock?.cidr === "10.0.64.0/20").map((r) => r.ports.map((p: any) => p.port))).toEqual([[5432, 3307], [6378]]);
    expect(cidrs(policy("web").egress)).not.toContain("10.0.64.0/20");
  });
});

describe("Workload Identity", () => {
  const memberOf = (svc: string) => `serviceAccount:bro-ai-prod-${svc}@bro-ai-prod.iam.gserviceaccount.com`;
  const grantsOf = (svc: string) =>
    prod.resources
      .filter((r) => r.parent.endsWith(`::bro-ai-prod-svc-${svc}`) && /Iam|IAM/.test(r.type))
      .filter((r) => r.type !== "gcp:serviceaccount/iAMMember:IAMMember")
      .map((r: PlannedResource) => `${r.type.split(":")[1]} ${r.inputs.role} ${String(r.inputs.secretId ?? r.inputs.topic ?? r.inputs.subscription ?? r.inputs.bucket ?? (r.inputs.condition as any)?.expression)}`)
      .sort();

  it("KSA annotated with its GSA, bound by roles/iam.workloadIdentityUser", () => {
    const ksa = one(prod, "kubernetes:core/v1:ServiceAccount", "bro-ai-prod-svc-api-ksa");
    expect(ksa.inputs.metadata).toMatchObject({ name: "api", namespace: "bro-ai-prod", annotations: { "iam.gke.io/gcp-service-account": "bro-ai-prod-api@bro-ai-prod.iam.gserviceaccount.com" } });
    const wi = one(prod, "gcp:serviceaccount/iAMMember:IAMMember", "bro-ai-prod-svc-api-workload-identity");
    expect(wi.inputs).toMatchObject({ role: "roles/iam.workloadIdentityUser", member: "serviceAccount:bro-ai-prod.svc.id.goog[bro-ai-prod/api]" });
    const gsa = one(prod, "gcp:serviceaccount/account:Account", "bro-ai-prod-svc-api-gsa");
    expect(gsa.inputs).toMatchObject({ accountId: "bro-ai-prod-api", project: "bro-ai-prod" });
  });

  it("grants are exactly those implied by uses, each scoped to its resource", () => {
    expect(grantsOf("web")).toEqual([]);
    expect(grantsOf("api")).toEqual([
      'projects/iAMMember roles/cloudsql.client resource.type == "sqladmin.googleapis.com/Instance" && resource.name == "projects/bro-ai-prod/instances/bro-ai-prod-main"',
      'projects/iAMMember roles/cloudsql.instanceUser resource.type == "sqladmin.googleapis.com/Instance" && resource.name == "projects/bro-ai-prod/instances/bro-ai-prod-main"',
      "pubsub/topicIAMMember roles/pubsub.publisher bro-ai-prod-events",
      "secretmanager/secretIamMember roles/secretmanager.secretAccessor bro-ai-prod-jwt-signing-key",
      "secretmanager/secretIamMember roles/secretmanager.secretAccessor bro-ai-prod-openai-api-key",
      "secretmanager/secretIamMember roles/secretmanager.secretAccessor bro-ai-prod-sessions-auth",
      "secretmanager/secretIamMember roles/secretmanager.secretAccessor bro-ai-prod-sessions-ca",
      "storage/bucketIAMMember roles/storage.objectUser bro-ai-prod-user-content",
    ]);
    expect(grantsOf("worker")).toEqual([
      'projects/iAMMember roles/cloudsql.client resource.type == "sqladmin.googleapis.com/Instance" && resource.name == "projects/bro-ai-prod/instances/bro-ai-prod-main"',
      "pubsub/subscriptionIAMMember roles/pubsub.subscriber bro-ai-prod-events-indexer",
      // Password mode (uses.databaseAuth: password): its own user's password, nobody else's.
      "secretmanager/secretIamMember roles/secretmanager.secretAccessor bro-ai-prod-main-worker-password",
      "storage/bucketIAMMember roles/storage.objectUser bro-ai-prod-user-content",
    ]);
    for (const r of prod.resources.filter((r) => r.parent.endsWith("::bro-ai-prod-svc-api") && "member" in r.inputs && r.type !== "gcp:serviceaccount/iAMMember:IAMMember")) {
      expect(r.inputs.member).toBe(memberOf("api"));
    }
  });
});

describe("secrets and providers", () => {
  it("secrets reach pods as Secret Manager files, never as values", () => {
    const spc = ofType(prod, "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass");
    // api (its secrets and the cache's AUTH/CA) and worker (its database password).
    expect(spc.map((r) => r.name).sort()).toEqual(["bro-ai-prod-svc-api-secrets", "bro-ai-prod-svc-worker-secrets"]);
    expect((spc[0]!.inputs.spec as any).provider).toBe("gke");
    // The versions Pulumi.prod.yaml pins (brume:secretVersions; docs/secrets.md).
    expect((spc[0]!.inputs.spec as any).parameters.secrets).toContain("projects/bro-ai-prod/secrets/bro-ai-prod-openai-api-key/versions/2");
    const text = JSON.stringify(prod.resources.filter((r) => r.type.startsWith("kubernetes:")).map((r) => r.inputs));
    expect(text).not.toMatch(/mock-random-password|mock-redis-auth|BEGIN CERTIFICATE/);
    expect(JSON.stringify(prod.outputs)).not.toMatch(/mock-random-password|mock-redis-auth/);
  });

  it("every Kubernetes object goes through the cluster's provider", () => {
    const provider = ofType(prod, "pulumi:providers:kubernetes")[0]!.urn;
    const k8s = prod.resources.filter((r) => r.type.startsWith("kubernetes:"));
    expect(k8s.length).toBeGreaterThan(30);
    for (const r of k8s) expect(r.provider, r.urn).toBe(provider);
  });
});
