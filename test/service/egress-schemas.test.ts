/**
 * FQDNNetworkPolicy and SecretProviderClass have no schema package: their JSON Schemas are written
 * from the documentation (test/service/schemas/*.schema.json, each citing its source) and every
 * rendered object is validated against them with ajv — from the bro-ai prod plan, whose cluster
 * enforces FQDN network policies (stage's does not: its egress is an IP rule). The prod plan also
 * carries the example's IAP: admin's GCPBackendPolicy with its OAuth client.
 */
import { Ajv } from "ajv";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { parse as parseYaml } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { fqdnNetworkPolicyManifest, parseEgress } from "../../src/components/service/egress-manifests.js";
import type { Plan } from "../../src/plan/run.js";
import { examplePath, ofType, planDir } from "../harness.js";

const schema = (file: string) => JSON.parse(readFileSync(join(__dirname, "schemas", file), "utf8")) as Record<string, any>;
const ajv = new Ajv({ allErrors: true, strict: true });
const fqdnSchema = schema("fqdn-network-policy.schema.json");
const validFqdn = ajv.compile(fqdnSchema);
const spcSchema = schema("secret-provider-class.schema.json");
const validSpc = ajv.compile(spcSchema);
const validGkeSecrets = ajv.compile(spcSchema.definitions.gkeSecrets);

const T = {
  fqdn: "kubernetes:networking.gke.io/v1alpha1:FQDNNetworkPolicy",
  spc: "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass",
  np: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  cluster: "gcp:container/cluster:Cluster",
  backendPolicy: "kubernetes:networking.gke.io/v1:GCPBackendPolicy",
  route: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
};

describe("the hand-written schemas", () => {
  it("refuse what the documentation refuses (a match with both name and pattern, a two-label wildcard, no provider)", () => {
    const good = fqdnNetworkPolicyManifest({ name: "api-egress", namespace: "n", app: "api", egress: parseEgress(["api.openai.com:443", "*.stripe.com:443"]), labels: {} });
    expect(validFqdn(good), JSON.stringify(validFqdn.errors)).toBe(true);
    const both = structuredClone(good) as any;
    both.spec.egress[0].matches[0] = { name: "a.com", pattern: "*.a.com" };
    expect(validFqdn(both)).toBe(false);
    const deep = structuredClone(good) as any;
    deep.spec.egress[0].matches[0] = { pattern: "*.*.a.com" };
    expect(validFqdn(deep)).toBe(false);
    expect(validSpc({ apiVersion: "secrets-store.csi.x-k8s.io/v1", kind: "SecretProviderClass", metadata: { name: "x", namespace: "n" }, spec: { parameters: { secrets: "" } } })).toBe(false);
    expect(validGkeSecrets([{ resourceName: "projects/shop-prod/secrets/k/versions/latest", path: "K" }])).toBe(true);
    expect(validGkeSecrets([{ resourceName: "projects/shop-prod/secrets/k", path: "K" }])).toBe(false);
  });
});

describe("bro-ai prod: FQDN network policies (cluster.fqdnNetworkPolicy in examples/bro-ai/brume.yaml) and IAP on admin", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planDir(examplePath("bro-ai"), "prod");
  });

  it("enables them on the cluster and allows api exactly api.openai.com:443, valid against the schema", () => {
    expect(ofType(plan, T.cluster)[0]!.inputs).toMatchObject({ datapathProvider: "ADVANCED_DATAPATH", enableFqdnNetworkPolicy: true });
    const policies = ofType(plan, T.fqdn);
    expect(policies.map((p) => (p.inputs.metadata as any).name)).toEqual(["api-egress"]);
    expect(validFqdn(policies[0]!.inputs), JSON.stringify(validFqdn.errors)).toBe(true);
    expect(policies[0]!.inputs.spec).toEqual({
      podSelector: { matchLabels: { "app.kubernetes.io/name": "api" } },
      egress: [{ matches: [{ name: "api.openai.com" }], ports: [{ protocol: "TCP", port: 443 }] }],
    });
    expect(policies[0]!.inputs.metadata).toMatchObject({ namespace: "bro-ai-prod" });
  });

  it("then opens no port to the internet in any NetworkPolicy: Google APIs only through 199.36.153.8/30", () => {
    const np = ofType(plan, T.np).find((p) => (p.inputs.metadata as any).name === "api")!;
    new NetworkPolicy(np.inputs as any).validate();
    const blocks = ofType(plan, T.np).flatMap((p) => (((p.inputs.spec as any).egress ?? []) as any[]).flatMap((e) => (e.to ?? []).map((t: any) => t.ipBlock?.cidr)).filter(Boolean));
    expect(blocks).not.toContain("0.0.0.0/0");
    expect(blocks).toContain("199.36.153.8/30");
  });

  it("admin's GCPBackendPolicy turns IAP on with the OAuth client ID and the Secret holding its secret; the route waits for the policy", () => {
    const policy = ofType(plan, T.backendPolicy).find((p) => p.name === "bro-ai-prod-svc-admin-backend-policy")!;
    expect(policy.inputs.spec).toEqual({
      targetRef: { group: "", kind: "Service", name: "admin" },
      default: {
        timeoutSec: 30,
        connectionDraining: { drainingTimeoutSec: 30 },
        logging: { enabled: true, sampleRate: 100000 },
        iap: { enabled: true, clientID: "804519203417-admin.apps.googleusercontent.com", oauth2ClientSecret: { name: "admin-iap-oauth" } },
      },
    });
    // The Secret it names: the stack's `brume:secrets.admin-iap-client` (a Pulumi secret), never read back from Secret Manager.
    const secret = ofType(plan, "kubernetes:core/v1:Secret").find((r) => (r.inputs.metadata as any).name === "admin-iap-oauth")!;
    expect(secret.inputs).toMatchObject({ type: "Opaque", metadata: { namespace: "bro-ai-prod", annotations: { "brume.dev/kept-by": "pulumi" } }, stringData: "[secret]" });
    expect(policy.dependencies).toContain(secret.urn);
    expect(ofType(plan, "gcp:secretmanager/getSecretVersion:getSecretVersion")).toEqual([]);
    const route = ofType(plan, T.route).find((r) => r.name === "bro-ai-prod-svc-admin-route")!;
    expect(route.dependencies).toContain(policy.urn);
    // Only admin is behind IAP; its uptime check would only see the sign-in redirect, so it has none.
    expect(ofType(plan, T.backendPolicy).filter((p) => (p.inputs.spec as any).default.iap).map((p) => p.name)).toEqual(["bro-ai-prod-svc-admin-backend-policy"]);
  });

  it("every SecretProviderClass validates, and its secrets parameter is a valid list of versioned resources", () => {
    const spcs = ofType(plan, T.spc);
    expect(spcs.length).toBeGreaterThan(0);
    for (const s of spcs) {
      expect(validSpc(s.inputs), JSON.stringify(validSpc.errors)).toBe(true);
      const secrets = parseYaml((s.inputs.spec as any).parameters.secrets);
      expect(validGkeSecrets(secrets), JSON.stringify(validGkeSecrets.errors)).toBe(true);
    }
  });

  it("rotates mounted secrets on the cluster (the add-on re-reads them every 2 minutes)", () => {
    expect(ofType(plan, T.cluster)[0]!.inputs).toMatchObject({ secretManagerConfig: { enabled: true, rotationConfig: { enabled: true, rotationInterval: "120s" } } });
  });
});

describe("bro-ai stage (no FQDN network policies)", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planDir(examplePath("bro-ai"), "stage");
  });

  it("open the internet on 443 only for api, which declares egress; Google APIs through private.googleapis.com", () => {
    expect(ofType(plan, T.fqdn)).toEqual([]);
    expect(ofType(plan, T.cluster)[0]!.inputs.enableFqdnNetworkPolicy).not.toBe(true);
    const open = ofType(plan, T.np)
      .filter((p) => (((p.inputs.spec as any).egress ?? []) as any[]).some((e) => (e.to ?? []).some((t: any) => t.ipBlock?.cidr === "0.0.0.0/0")))
      .map((p) => (p.inputs.metadata as any).name);
    expect(open).toEqual(["api"]);
    const zone = ofType(plan, "gcp:dns/managedZone:ManagedZone").find((z) => z.inputs.dnsName === "googleapis.com.")!;
    expect(zone.inputs).toMatchObject({ visibility: "private" });
    const records = ofType(plan, "gcp:dns/recordSet:RecordSet").filter((r) => r.dependencies.includes(zone.urn));
    expect(records.map((r) => [r.inputs.name, r.inputs.type, r.inputs.rrdatas])).toEqual(
      expect.arrayContaining([
        ["private.googleapis.com.", "A", ["199.36.153.8", "199.36.153.9", "199.36.153.10", "199.36.153.11"]],
        ["*.googleapis.com.", "CNAME", ["private.googleapis.com."]],
      ]),
    );
  });
});
