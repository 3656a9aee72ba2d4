/**
 * The creation-order check on small synthetic plans: the wait graph (what the engine makes a
 * resource wait for) and, for every rule, a plan that passes (the edge is there) and the same plan
 * without the edge, which fails with the rule, the resource and what it misses.
 */
import { describe, expect, it } from "vitest";
import {
  checkCreationOrder,
  checkCreationOrderWith,
  CreationOrderError,
  PlanIndex,
  WaitGraph,
} from "../../src/plan/creation-order.js";
import { creationOrderRules } from "../../src/plan/creation-order-rules.js";
import type { Plan, PlannedResource } from "../../src/plan/run.js";

const urnOf = (type: string, name: string) => `urn:pulumi:test::test::${type}::${name}`;

interface Spec {
  inputs?: Record<string, unknown>;
  deps?: PlannedResource[];
  provider?: PlannedResource;
  parent?: PlannedResource;
  custom?: boolean;
}

function res(type: string, name: string, spec: Spec = {}): PlannedResource {
  return {
    urn: urnOf(type, name),
    type,
    name,
    parent: spec.parent?.urn ?? "",
    inputs: spec.inputs ?? {},
    dependencies: (spec.deps ?? []).map((d) => d.urn).sort(),
    provider: spec.provider?.urn ?? "",
    protect: false,
    custom: spec.custom ?? true,
  };
}

const planOf = (...resources: PlannedResource[]): Plan => ({ project: "test", stack: "test", resources, outputs: {} });

/** A Kubernetes object of `type` with metadata. */
const k8s = (type: string, name: string, namespace: string | undefined, spec: Omit<Spec, "inputs"> & { inputs?: Record<string, unknown> } = {}) =>
  res(type, `${name}-${type.split(":").pop()!.toLowerCase()}`, {
    ...spec,
    inputs: { metadata: { name, ...(namespace ? { namespace } : {}) }, ...spec.inputs },
  });

describe("the wait graph", () => {
  const api = res("gcp:projects/service:Service", "api", { inputs: { service: "container.googleapis.com", project: "p" } });
  const cluster = res("gcp:container/cluster:Cluster", "cluster", { deps: [api] });
  const provider = res("pulumi:providers:kubernetes", "k8s", { deps: [cluster] });
  const component = res("brume:test:Thing", "thing", { deps: [api], custom: false });
  const viaProvider = res("kubernetes:core/v1:ConfigMap", "cm", { provider });
  const viaComponentParent = res("gcp:storage/bucket:Bucket", "bucket", { parent: component });
  const customParent = res("gcp:storage/bucket:Bucket", "outer");
  const viaCustomParent = res("gcp:storage/bucketIAMMember:BucketIAMMember", "member", { parent: customParent });
  const graph = new WaitGraph(new PlanIndex(planOf(api, cluster, provider, component, viaProvider, viaComponentParent, customParent, viaCustomParent)));

  it("follows dependencies transitively", () => {
    expect([...graph.waitsFor(provider.urn)].sort()).toEqual([api.urn, cluster.urn].sort());
  });
  it("follows the provider and what the provider waits for (its kubeconfig's cluster)", () => {
    expect(graph.waits(viaProvider.urn, cluster.urn)).toBe(true);
    expect(graph.waits(viaProvider.urn, api.urn)).toBe(true);
  });
  it("follows the parent: the SDK registers a child after its parent's URN, a component's after its dependencies", () => {
    expect(graph.waits(viaComponentParent.urn, api.urn)).toBe(true);
    expect(graph.waits(viaCustomParent.urn, customParent.urn)).toBe(true);
  });
  it("does not invent waits", () => {
    expect(graph.waits(customParent.urn, api.urn)).toBe(false);
    expect(graph.waitsFor(api.urn).size).toBe(0);
  });
});

interface RuleCase {
  rule: string;
  /** Builds the plan; `edge` says whether the dependent waits for what it needs. */
  build: (edge: boolean) => { plan: Plan; dependent: PlannedResource; missing: RegExp };
}

const gcpProvider = res("pulumi:providers:gcp", "gcp", { inputs: { project: "p" } });

const cases: RuleCase[] = [
  {
    rule: "api-enabled",
    build: (edge) => {
      const storage = res("gcp:projects/service:Service", "apis-storage", { inputs: { project: "p", service: "storage.googleapis.com" } });
      const bucket = res("gcp:storage/bucket:Bucket", "bucket", { inputs: { project: "p", name: "b" }, deps: edge ? [storage] : [] });
      return { plan: planOf(storage, bucket), dependent: bucket, missing: /storage\.googleapis\.com.*apis-storage/ };
    },
  },
  {
    rule: "api-enabled",
    build: (edge) => {
      // The plan enables APIs of the project but not the one the bucket calls: unsatisfiable.
      const compute = res("gcp:projects/service:Service", "apis-compute", { inputs: { project: "p", service: "compute.googleapis.com" } });
      const storage = res("gcp:projects/service:Service", "apis-storage", { inputs: { project: "p", service: "storage.googleapis.com" } });
      const bucket = res("gcp:storage/bucket:Bucket", "bucket", { inputs: { project: "p", name: "b" }, deps: edge ? [compute, storage] : [compute] });
      return { plan: planOf(compute, ...(edge ? [storage] : []), bucket), dependent: bucket, missing: /plan enables APIs of p but not this one/ };
    },
  },
  {
    rule: "api-enabled",
    build: (edge) => {
      // Project IAM is a Cloud Resource Manager call; the project comes from the provider.
      const crm = res("gcp:projects/service:Service", "apis-crm", { inputs: { project: "p", service: "cloudresourcemanager.googleapis.com" } });
      const member = res("gcp:projects/iAMMember:IAMMember", "grant", { inputs: { role: "roles/viewer", member: "user:a@b.c" }, provider: gcpProvider, deps: edge ? [crm] : [] });
      return { plan: planOf(gcpProvider, crm, member), dependent: member, missing: /cloudresourcemanager/ };
    },
  },
  {
    rule: "workload-identity-pool",
    build: (edge) => {
      const cluster = res("gcp:container/cluster:Cluster", "cluster", { inputs: { workloadIdentityConfig: { workloadPool: "p.svc.id.goog" } } });
      const wi = res("gcp:serviceaccount/iAMMember:IAMMember", "wi", {
        inputs: { member: "serviceAccount:p.svc.id.goog[ns/ksa]", role: "roles/iam.workloadIdentityUser", serviceAccountId: "x" },
        deps: edge ? [cluster] : [],
      });
      return { plan: planOf(cluster, wi), dependent: wi, missing: /cluster.*workload pool p\.svc\.id\.goog/ };
    },
  },
  {
    rule: "service-agent-identity",
    build: (edge) => {
      const agent = res("gcp:projects/serviceIdentity:ServiceIdentity", "sm-agent", { inputs: { project: "p", service: "secretmanager.googleapis.com" } });
      const grant = res("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "grant", {
        inputs: { cryptoKeyId: "k", role: "roles/cloudkms.cryptoKeyEncrypterDecrypter", member: "serviceAccount:service-123@gcp-sa-secretmanager.iam.gserviceaccount.com" },
        deps: edge ? [agent] : [],
      });
      return { plan: planOf(agent, grant), dependent: grant, missing: /service-123@gcp-sa-secretmanager.*sm-agent/ };
    },
  },
  {
    rule: "service-agent-identity",
    build: (edge) => {
      // Cloud CDN's fill account exists once a signed URL key was added.
      const key = res("gcp:compute/backendBucketSignedUrlKey:BackendBucketSignedUrlKey", "cdn-key");
      const grant = res("gcp:storage/bucketIAMMember:BucketIAMMember", "fill", {
        inputs: { bucket: "b", role: "roles/storage.objectViewer", member: "serviceAccount:service-1@cloud-cdn-fill.iam.gserviceaccount.com" },
        deps: edge ? [key] : [],
      });
      return { plan: planOf(key, grant), dependent: grant, missing: /cloud-cdn-fill.*cdn-key/ };
    },
  },
  {
    rule: "iam-member-account",
    build: (edge) => {
      const account = res("gcp:serviceaccount/account:Account", "gsa", { inputs: { project: "p", accountId: "app" } });
      const grant = res("gcp:pubsub/topicIAMMember:TopicIAMMember", "pub", { inputs: { topic: "t", role: "roles/pubsub.publisher", member: "serviceAccount:app@p.iam.gserviceaccount.com" }, deps: edge ? [account] : [] });
      return { plan: planOf(account, grant), dependent: grant, missing: /app@p\.iam\.gserviceaccount\.com/ };
    },
  },
  {
    rule: "cmek-grant",
    build: (edge) => {
      const key = res("gcp:kms/cryptoKey:CryptoKey", "key", { inputs: { keyRing: "projects/p/locations/l/keyRings/r", name: "k" } });
      const grant = res("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "key-sm", {
        inputs: { cryptoKeyId: "projects/p/locations/l/keyRings/r/cryptoKeys/k", role: "roles/cloudkms.cryptoKeyEncrypterDecrypter", member: "serviceAccount:service-1@gcp-sa-secretmanager.iam.gserviceaccount.com" },
        deps: [key],
      });
      const secret = res("gcp:secretmanager/secret:Secret", "secret", {
        inputs: { replication: { userManaged: { replicas: [{ location: "l", customerManagedEncryption: { kmsKeyName: "projects/p/locations/l/keyRings/r/cryptoKeys/k" } }] } } },
        deps: edge ? [key, grant] : [key],
      });
      return { plan: planOf(key, grant, secret), dependent: secret, missing: /grant of key .*cryptoKeys\/k to the secretmanager service agent/ };
    },
  },
  {
    rule: "cmek-grant",
    build: (edge) => {
      // A grant of the key to another agent does not count: Cloud SQL needs its own.
      const key = res("gcp:kms/cryptoKey:CryptoKey", "key", { inputs: { keyRing: "projects/p/locations/l/keyRings/r", name: "k" } });
      const member = (agent: string) => ({ cryptoKeyId: "projects/p/locations/l/keyRings/r/cryptoKeys/k", role: "roles/cloudkms.cryptoKeyEncrypterDecrypter", member: `serviceAccount:service-1@${agent}` });
      const smGrant = res("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "key-sm", { inputs: member("gcp-sa-secretmanager.iam.gserviceaccount.com"), deps: [key] });
      const sqlGrant = res("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "key-sql", { inputs: member("gcp-sa-cloud-sql.iam.gserviceaccount.com"), deps: [key] });
      const db = res("gcp:sql/databaseInstance:DatabaseInstance", "db", { inputs: { encryptionKeyName: "projects/p/locations/l/keyRings/r/cryptoKeys/k" }, deps: edge ? [sqlGrant] : [smGrant] });
      return { plan: planOf(key, smGrant, ...(edge ? [sqlGrant] : []), db), dependent: db, missing: /sql service agent .*: the plan creates the key but no such grant/ };
    },
  },
  {
    rule: "private-services-access",
    build: (edge) => {
      const psa = res("gcp:servicenetworking/connection:Connection", "psa", { inputs: { network: "projects/p/global/networks/vpc", service: "servicenetworking.googleapis.com" } });
      const redis = res("gcp:redis/instance:Instance", "redis", { inputs: { connectMode: "PRIVATE_SERVICE_ACCESS", authorizedNetwork: "projects/p/global/networks/vpc" }, deps: edge ? [psa] : [] });
      return { plan: planOf(psa, redis), dependent: redis, missing: /Private Services Access connection of projects\/p\/global\/networks\/vpc/ };
    },
  },
  {
    rule: "private-services-access",
    build: (edge) => {
      const psa = res("gcp:servicenetworking/connection:Connection", "psa", { inputs: { network: "https://www.googleapis.com/compute/v1/projects/p/global/networks/vpc" } });
      const db = res("gcp:sql/databaseInstance:DatabaseInstance", "db", { inputs: { settings: { ipConfiguration: { ipv4Enabled: false, privateNetwork: "projects/p/global/networks/vpc" } } }, deps: edge ? [psa] : [] });
      return { plan: planOf(psa, db), dependent: db, missing: /psa/ };
    },
  },
  {
    rule: "dns-zone",
    build: (edge) => {
      const zone = res("gcp:dns/managedZone:ManagedZone", "zone", { inputs: { project: "p", name: "public", dnsName: "example.com." } });
      const record = res("gcp:dns/recordSet:RecordSet", "a", { inputs: { project: "p", managedZone: "public", name: "www.example.com.", type: "A" }, deps: edge ? [zone] : [] });
      return { plan: planOf(zone, record), dependent: record, missing: /managed zone "public"/ };
    },
  },
  {
    rule: "kubernetes-namespace",
    build: (edge) => {
      const k8sProvider = res("pulumi:providers:kubernetes", "k8s");
      const ns = k8s("kubernetes:core/v1:Namespace", "apps", undefined, { provider: k8sProvider });
      const binding = k8s("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "viewers", "apps", { provider: k8sProvider, deps: edge ? [ns] : [] });
      return { plan: planOf(k8sProvider, ns, binding), dependent: binding, missing: /Namespace "apps"/ };
    },
  },
  {
    rule: "secret-provider-class",
    build: (edge) => {
      const spc = k8s("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass", "api-secrets", "apps");
      const deployment = k8s("kubernetes:apps/v1:Deployment", "api", "apps", {
        inputs: { spec: { template: { spec: { volumes: [{ name: "s", csi: { driver: "secrets-store-gke.csi.k8s.io", volumeAttributes: { secretProviderClass: "api-secrets" } } }] } } } },
        deps: edge ? [spc] : [],
      });
      return { plan: planOf(spc, deployment), dependent: deployment, missing: /SecretProviderClass "api-secrets"/ };
    },
  },
  {
    rule: "httproute-policies",
    build: (edge) => {
      const target = { targetRef: { group: "", kind: "Service", name: "api-v1" } };
      const backend = k8s("kubernetes:networking.gke.io/v1:GCPBackendPolicy", "api-v1", "apps", { inputs: { spec: { ...target, default: {} } } });
      const health = k8s("kubernetes:networking.gke.io/v1:HealthCheckPolicy", "api-v1", "apps", { inputs: { spec: { ...target, default: {} } } });
      const route = k8s("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "api", "apps", {
        inputs: { spec: { rules: [{ backendRefs: [{ kind: "Service", name: "api-v1", port: 80 }] }] } },
        deps: edge ? [backend, health] : [backend],
      });
      return { plan: planOf(backend, health, route), dependent: route, missing: /HealthCheckPolicy "api-v1" of its backend Service "api-v1"/ };
    },
  },
  {
    rule: "httproute-gateway",
    build: (edge) => {
      const gateway = k8s("kubernetes:gateway.networking.k8s.io/v1:Gateway", "external", "apps");
      const route = k8s("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "api", "apps", { inputs: { spec: { parentRefs: [{ kind: "Gateway", name: "external" }] } }, deps: edge ? [gateway] : [] });
      return { plan: planOf(gateway, route), dependent: route, missing: /parent Gateway "external"/ };
    },
  },
  {
    rule: "gateway-named-address",
    build: (edge) => {
      const address = res("gcp:compute/globalAddress:GlobalAddress", "address", { inputs: { name: "shop-prod-gateway-external" } });
      const gateway = k8s("kubernetes:gateway.networking.k8s.io/v1:Gateway", "external", "apps", {
        inputs: { spec: { addresses: [{ type: "NamedAddress", value: "shop-prod-gateway-external" }] } },
        deps: edge ? [address] : [],
      });
      return { plan: planOf(address, gateway), dependent: gateway, missing: /NamedAddress "shop-prod-gateway-external"/ };
    },
  },
  {
    rule: "gateway-ssl-policy",
    build: (edge) => {
      const ssl = res("gcp:compute/regionSslPolicy:RegionSslPolicy", "tls", { inputs: { name: "shop-prod-gateway-internal-tls" } });
      const policy = k8s("kubernetes:networking.gke.io/v1:GCPGatewayPolicy", "internal", "apps", {
        inputs: { spec: { default: { sslPolicy: "shop-prod-gateway-internal-tls" } } },
        deps: edge ? [ssl] : [],
      });
      return { plan: planOf(ssl, policy), dependent: policy, missing: /SSL policy "shop-prod-gateway-internal-tls"/ };
    },
  },
  {
    rule: "crd-managed",
    build: (edge) => {
      const crd = k8s("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", "widgets.example.com", undefined, { inputs: { spec: { group: "example.com", names: { kind: "Widget", plural: "widgets" } } } });
      const widget = k8s("kubernetes:example.com/v1:Widget", "w", "default", { deps: edge ? [crd] : [] });
      return { plan: planOf(crd, widget), dependent: widget, missing: /CustomResourceDefinition of Widget\.example\.com/ };
    },
  },
  {
    rule: "crd-established-gate",
    build: (edge) => {
      const gate = res("pulumi-nodejs:dynamic:Resource", "gateway-crds", { inputs: { establishedCrds: ["httproutes.gateway.networking.k8s.io", "gateways.gateway.networking.k8s.io"] } });
      const provider = res("pulumi:providers:kubernetes", "k8s", { deps: edge ? [gate] : [] });
      const route = k8s("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "api", "apps", { provider });
      return { plan: planOf(gate, provider, route), dependent: route, missing: /gate that waits for the gateway\.networking\.k8s\.io CRDs/ };
    },
  },
  {
    rule: "gke-feature-crd",
    build: (edge) => {
      const cluster = res("gcp:container/cluster:Cluster", "cluster", { inputs: { secretManagerConfig: { enabled: true } } });
      const provider = res("pulumi:providers:kubernetes", "k8s", { deps: edge ? [cluster] : [] });
      const spc = k8s("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass", "s", "apps", { provider });
      return { plan: planOf(cluster, provider, spc), dependent: spc, missing: /secretManagerConfig\.enabled/ };
    },
  },
  {
    rule: "gke-feature-crd",
    build: (edge) => {
      // No cluster of the plan installs the Gateway API: the kinds do not exist.
      const cluster = res("gcp:container/cluster:Cluster", "cluster", { inputs: edge ? { gatewayApiConfig: { channel: "CHANNEL_STANDARD" } } : { gatewayApiConfig: { channel: "CHANNEL_DISABLED" } } });
      const provider = res("pulumi:providers:kubernetes", "k8s", { deps: [cluster] });
      const gateway = k8s("kubernetes:gateway.networking.k8s.io/v1:Gateway", "external", "apps", { provider });
      return { plan: planOf(cluster, provider, gateway), dependent: gateway, missing: /a cluster of the plan that enables gatewayApiConfig/ };
    },
  },
];

describe("every rule has a passing and a failing fixture", () => {
  it("covers every rule of the table", () => {
    expect(new Set(cases.map((c) => c.rule))).toEqual(new Set(creationOrderRules.map((r) => r.id)));
  });
  for (const [i, c] of cases.entries()) {
    it(`${c.rule} #${i}: passes with the edge`, () => {
      expect(checkCreationOrder(c.build(true).plan)).toEqual([]);
    });
    it(`${c.rule} #${i}: fails without it, naming the rule, the resource, what is missing and a fix`, () => {
      const { plan, dependent, missing } = c.build(false);
      const violations = checkCreationOrder(plan);
      expect(violations).toHaveLength(1);
      expect(violations[0]).toMatchObject({ rule: c.rule, urn: dependent.urn, missing: expect.stringMatching(missing), fix: expect.stringMatching(/\w/) });
    });
  }
});

describe("the check's edges", () => {
  it("requires a gate only when the plan manages it", () => {
    const k8sProvider = res("pulumi:providers:kubernetes", "k8s");
    const binding = k8s("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "viewers", "apps", { provider: k8sProvider });
    const record = res("gcp:dns/recordSet:RecordSet", "a", { inputs: { managedZone: "external-zone" } });
    const bucket = res("gcp:storage/bucket:Bucket", "bucket", { inputs: { project: "elsewhere" } });
    expect(checkCreationOrder(planOf(k8sProvider, binding, record, bucket))).toEqual([]);
  });
  it("a Namespace of another cluster does not count", () => {
    const a = res("pulumi:providers:kubernetes", "a");
    const b = res("pulumi:providers:kubernetes", "b");
    const ns = k8s("kubernetes:core/v1:Namespace", "apps", undefined, { provider: a });
    const binding = k8s("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "viewers", "apps", { provider: b });
    expect(checkCreationOrder(planOf(a, b, ns, binding))).toEqual([]);
  });
  it("runs a user's own rule table", () => {
    const bucket = res("gcp:storage/bucket:Bucket", "bucket");
    const rule = { id: "no-buckets", summary: "", source: "", *requirements(index: PlanIndex) { for (const r of index.ofType("gcp:storage/bucket:Bucket")) yield { rule: "no-buckets", dependent: r, required: [], missing: "nothing", fix: "none" }; } };
    expect(checkCreationOrderWith(planOf(bucket), [rule])).toEqual([{ rule: "no-buckets", urn: bucket.urn, missing: "nothing", fix: "none" }]);
  });
  it("a CreationOrderError lists every violation with rule, URN, missing and fix", () => {
    const { plan } = cases[0]!.build(false);
    const err = new CreationOrderError(checkCreationOrder(plan));
    expect(err.message).toContain("[api-enabled] urn:pulumi:test::test::gcp:storage/bucket:Bucket::bucket");
    expect(err.message).toMatch(/missing: the API storage\.googleapis\.com/);
    expect(err.message).toMatch(/fix: make the resource depend on the gcp\.projects\.Service/);
  });
});
