/**
 * Where the waits sit in real plans: after each enabled API, between the KMS grant to the Secret
 * Manager agent and the first CMEK secret, before grants to just-created Google identities. The
 * plan shows what each waits for in its inputs, deterministically.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { apiProbeUrl, defaultWaitBounds, gkeFeatureCrds } from "../../src/components/readiness/readiness.js";
import { checkCreationOrder, PlanIndex, WaitGraph } from "../../src/plan/creation-order.js";
import { mockProjectNumber } from "../../src/plan/mocks.js";
import type { Plan, PlannedResource } from "../../src/plan/run.js";
import { examplePath, one, ofType, planDir, planProgram } from "../harness.js";

const T = {
  service: "gcp:projects/service:Service",
  api: "pulumi-nodejs:dynamic/readiness:ApiReadiness",
  cmek: "pulumi-nodejs:dynamic/readiness:CmekReadiness",
  member: "pulumi-nodejs:dynamic/readiness:IamMemberReadiness",
  crd: "pulumi-nodejs:dynamic/readiness:CrdEstablished",
  secret: "gcp:secretmanager/secret:Secret",
  keyMember: "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
  key: "gcp:kms/cryptoKey:CryptoKey",
  bucketMember: "gcp:storage/bucketIAMMember:BucketIAMMember",
} as const;

const project = "bro-ai-prod";
let plan: Plan;
beforeAll(async () => {
  plan = await planDir(examplePath("bro-ai"), "prod");
}, 120_000);

const dependsOn = (r: PlannedResource, on: PlannedResource) => r.dependencies.includes(on.urn);
const serialized = /^\[serialized dynamic provider\]$/;

describe("ApiReadiness in the bro-ai prod plan", () => {
  it("follows every enabled API, probing that API's own cheap read in the environment's project", () => {
    const services = ofType(plan, T.service);
    expect(services.length).toBeGreaterThan(15);
    expect(ofType(plan, T.api)).toHaveLength(services.length);
    for (const service of services) {
      const ready = one(plan, T.api, `${service.name}-ready`);
      const api = service.inputs.service as string;
      expect(ready.inputs).toEqual({
        __provider: expect.stringMatching(serialized),
        kind: "api",
        what: `${api} to answer in project ${project}`,
        project,
        service: api,
        probeUrl: apiProbeUrl(api, project),
        ...defaultWaitBounds,
      });
      expect(ready.dependencies).toContain(service.urn);
    }
    expect(one(plan, T.api, "bro-ai-prod-apis-secretmanager-ready").inputs.probeUrl).toBe(
      "https://secretmanager.googleapis.com/v1/projects/bro-ai-prod/secrets?pageSize=1",
    );
    expect(one(plan, T.api, "bro-ai-prod-apis-iap-ready").inputs.probeUrl).toBe(
      "https://serviceusage.googleapis.com/v1/projects/bro-ai-prod/services/iap.googleapis.com",
    );
  });

  it("is what resources calling an API wait for (apis.for): every secret waits for Secret Manager to answer", () => {
    const ready = one(plan, T.api, "bro-ai-prod-apis-secretmanager-ready");
    const secrets = ofType(plan, T.secret);
    expect(secrets.length).toBeGreaterThan(0);
    expect(secrets.filter((s) => !dependsOn(s, ready)).map((s) => s.name)).toEqual([]);
  });

  it("shows a marker for the serialized provider, never its source", () => {
    const hashes = new Set(plan.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic")).map((r) => r.inputs.__provider));
    expect(hashes.size).toBe(1);
    expect([...hashes][0]).toMatch(serialized);
  });
});

describe("CMEK: grant → propagation → first CMEK secret", () => {
  it("each CMEK secret waits for Secret Manager to encrypt with the key of each of its replica regions", () => {
    const waits = ofType(plan, T.cmek);
    const regions = waits.map((w) => w.inputs.location).sort();
    expect(regions).toEqual(["us-central1", "us-east1"]);
    for (const wait of waits) {
      const region = wait.inputs.location as string;
      const key = one(plan, T.key, `bro-ai-prod-kms-${region}-secrets`);
      const grant = one(plan, T.keyMember, `bro-ai-prod-kms-${region}-secrets-secretmanager`);
      expect(wait.name).toBe(`bro-ai-prod-kms-${region}-secrets-secretmanager-ready`);
      expect(wait.inputs).toMatchObject({
        kind: "cmek",
        project,
        kmsKeyName: `projects/${project}/locations/${region}/keyRings/bro-ai-prod-keys-${region}/cryptoKeys/secrets`,
        secretManagerUrl: "https://secretmanager.googleapis.com/v1",
        probeSecretId: `bro-ai-prod-keys-${region}-secrets-probe`,
        timeoutSeconds: 600,
      });
      expect(dependsOn(wait, grant) && dependsOn(wait, key)).toBe(true);
    }
    const cmekSecrets = ofType(plan, T.secret).filter((s) => JSON.stringify(s.inputs.replication ?? {}).includes("kmsKeyName"));
    expect(cmekSecrets.length).toBeGreaterThan(0);
    for (const secret of cmekSecrets) {
      expect(waits.filter((w) => !dependsOn(secret, w)).map((w) => `${secret.name} misses ${w.name}`)).toEqual([]);
    }
  });

  it("the grant to the just-generated Secret Manager agent retries until IAM resolves it, on the key's own policy", () => {
    for (const region of ["us-central1", "us-east1"]) {
      const grant = one(plan, T.keyMember, `bro-ai-prod-kms-${region}-secrets-secretmanager`);
      const ready = one(plan, T.member, `bro-ai-prod-kms-${region}-secrets-secretmanager-ready`);
      const keyId = `projects/${project}/locations/${region}/keyRings/bro-ai-prod-keys-${region}/cryptoKeys/secrets`;
      expect(ready.inputs).toMatchObject({
        kind: "iam-member",
        resourceUrl: `https://cloudkms.googleapis.com/v1/${keyId}`,
        policyStyle: "v1",
        role: grant.inputs.role,
        member: grant.inputs.member,
      });
      expect(grant.inputs.member).toBe(`serviceAccount:service-${mockProjectNumber(project)}@gcp-sa-secretmanager.iam.gserviceaccount.com`);
      expect(dependsOn(grant, ready)).toBe(true);
      expect(ready.dependencies).toContain(one(plan, "gcp:projects/serviceIdentity:ServiceIdentity", "bro-ai-prod-apis-secretmanager-agent").urn);
    }
  });
});

describe("the Cloud CDN fill agent", () => {
  it("is granted only once IAM accepts it on the bucket's policy, after the signed URL key created it", async () => {
    const p = "bro-ai-prod-4411";
    const cdnPlan = await planProgram(
      async () => {
        const { Bucket } = await import("../../src/components/storage/bucket.js");
        const { Naming } = await import("../../src/config/naming.js");
        new Bucket("assets", { project: p, naming: Naming.of("bro-ai", "prod"), bucket: "assets", region: "us-central1", cdn: {} });
      },
      { defaultProject: p },
    );
    const fill = one(cdnPlan, T.bucketMember, "assets-cdn-fill");
    const ready = one(cdnPlan, T.member, "assets-cdn-fill-ready");
    const bucket = one(cdnPlan, "gcp:storage/bucket:Bucket", "assets-bucket");
    expect(ready.inputs).toEqual({
      __provider: expect.stringMatching(serialized),
      kind: "iam-member",
      what: `IAM to accept serviceAccount:service-${mockProjectNumber(p)}@cloud-cdn-fill.iam.gserviceaccount.com for roles/storage.objectViewer`,
      project: p,
      resourceUrl: `https://storage.googleapis.com/storage/v1/b/${bucket.inputs.name as string}`,
      policyStyle: "storage",
      role: "roles/storage.objectViewer",
      member: fill.inputs.member,
      ...defaultWaitBounds,
    });
    expect(dependsOn(fill, ready)).toBe(true);
    expect(ready.dependencies).toContain(one(cdnPlan, "gcp:compute/backendBucketSignedUrlKey:BackendBucketSignedUrlKey", "assets-cdn-key").urn);
  });
});

describe("grants to the Pub/Sub and Secret Manager agents", () => {
  it("dead-lettering grants wait until IAM accepts the Pub/Sub agent on the dead-letter topic", () => {
    const publishers = ofType(plan, "gcp:pubsub/topicIAMMember:TopicIAMMember").filter((m) => m.name.endsWith("-dlq-publisher"));
    expect(publishers.length).toBeGreaterThan(0);
    for (const publisher of publishers) {
      const ready = one(plan, T.member, `${publisher.name}-ready`);
      const subscriber = one(plan, "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember", publisher.name.replace(/-publisher$/, "-subscriber"));
      expect(ready.inputs).toMatchObject({
        kind: "iam-member",
        resourceUrl: `https://pubsub.googleapis.com/v1/projects/${project}/topics/${publisher.inputs.topic as string}`,
        policyStyle: "v1",
        role: "roles/pubsub.publisher",
        member: `serviceAccount:service-${mockProjectNumber(project)}@gcp-sa-pubsub.iam.gserviceaccount.com`,
      });
      expect(publisher.inputs.member).toBe(ready.inputs.member);
      expect(dependsOn(publisher, ready) && dependsOn(subscriber, ready)).toBe(true);
    }
  });

  it("the rotation publisher grant waits until IAM accepts the Secret Manager agent on the rotation topic", () => {
    const grants = ofType(plan, "gcp:pubsub/topicIAMMember:TopicIAMMember").filter((m) => m.name.endsWith("-rotation-publisher"));
    expect(grants.length).toBeGreaterThan(0);
    for (const grant of grants) {
      const ready = one(plan, T.member, `${grant.name}-ready`);
      expect(ready.inputs).toMatchObject({
        resourceUrl: `https://pubsub.googleapis.com/v1/${grant.inputs.topic as string}`,
        role: "roles/pubsub.publisher",
        member: `serviceAccount:service-${mockProjectNumber(project)}@gcp-sa-secretmanager.iam.gserviceaccount.com`,
      });
      expect(grant.inputs.topic).toMatch(/^projects\/bro-ai-prod\/topics\//);
      expect(dependsOn(grant, ready)).toBe(true);
    }
  });
});

describe("CrdEstablished in the bro-ai prod plan", () => {
  const builtin = new Set(["", "apps", "batch", "autoscaling", "policy", "networking.k8s.io", "rbac.authorization.k8s.io", "storage.k8s.io"]);
  /** The custom resources of the plan (Kubernetes objects outside the built-in API groups). */
  const customResources = () => {
    const index = new PlanIndex(plan);
    return plan.resources.flatMap((r) => {
      const o = index.kubernetes(r);
      return o && !builtin.has(o.group) ? [{ r, o }] : [];
    });
  };
  // The CRDs' plurals (English: a consonant + y → ies, s → ses).
  const plural = (kind: string) => (/[^aeiou]y$/i.test(kind) ? `${kind.slice(0, -1)}ies` : /s$/.test(kind) ? `${kind}es` : `${kind}s`).toLowerCase();

  it("one gate, after the node pools, against the cluster's endpoint and CA, listing the CRDs GKE installs", () => {
    const [gate, ...more] = ofType(plan, T.crd);
    expect(more).toEqual([]);
    expect(gate!.inputs).toMatchObject({
      __provider: expect.stringMatching(serialized),
      kind: "crd",
      server: expect.stringMatching(/^https:\/\/\S+$/),
      caCertificate: expect.stringMatching(/\S/),
      // bro-ai prod turns FQDN network policies on (cluster.fqdnNetworkPolicy).
      establishedCrds: [...gkeFeatureCrds.gatewayApi, ...gkeFeatureCrds.secretManager, ...gkeFeatureCrds.fqdnNetworkPolicy],
      ...defaultWaitBounds,
    });
    const pools = ofType(plan, "gcp:container/nodePool:NodePool");
    expect(pools.length).toBeGreaterThan(0);
    for (const pool of pools) expect(dependsOn(gate!, pool), pool.name).toBe(true);
  });

  it("lists the CRD of every custom resource kind the stack creates, and every custom resource waits for it", () => {
    const gate = ofType(plan, T.crd)[0]!;
    const crs = customResources();
    const kinds = new Set(crs.map(({ o }) => `${plural(o.kind)}.${o.group}`));
    // Gateway, HTTPRoute, GCPBackendPolicy, HealthCheckPolicy, SecretProviderClass all occur in bro-ai prod.
    expect([...kinds].sort()).toEqual([...(gate.inputs.establishedCrds as string[])].sort());
    const graph = new WaitGraph(new PlanIndex(plan));
    for (const { r } of crs) expect(graph.waitsFor(r.urn).has(gate.urn), r.name).toBe(true);
    expect(checkCreationOrder(plan)).toEqual([]);
  });

  it("without the edges to the gate, the creation-order check fails for every custom resource (crd-established-gate)", () => {
    const gate = ofType(plan, T.crd)[0]!;
    const cut: Plan = { ...plan, resources: plan.resources.map((r) => ({ ...r, dependencies: r.dependencies.filter((d) => d !== gate.urn) })) };
    const violations = checkCreationOrder(cut).filter((v) => v.rule === "crd-established-gate");
    expect(violations.map((v) => v.urn).sort()).toEqual(customResources().map(({ r }) => r.urn).sort());
    expect(violations[0]!.missing).toMatch(/the gate that waits for the .* CRDs to be Established/);
  });
});
