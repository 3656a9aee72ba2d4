/** Each hardening rule with a passing and a failing resource, and the example stacks pass them all. */
import { beforeAll, describe, expect, it } from "vitest";
import { checkPlan, policyRules, unprotectedStateful } from "../../src/review/policy/rules.js";
import type { Plan, PlannedResource } from "../../src/plan/run.js";
import { examplePath, planDir } from "../harness.js";

function resource(type: string, inputs: Record<string, unknown>): PlannedResource {
  return { urn: `urn:pulumi:t::t::${type}::r`, type, name: "r", parent: "", inputs, dependencies: [], provider: "", protect: false, custom: true };
}
const planOf = (...resources: PlannedResource[]): Plan => ({ project: "t", stack: "t", resources, outputs: {} });
const rulesHit = (r: PlannedResource) => [...new Set(checkPlan(planOf(r)).map((v) => v.rule))];

const cases: { rule: string; type: string; good: Record<string, unknown>; bad: Record<string, unknown> }[] = [
  {
    rule: "kubernetes-jobs-bounded",
    type: "kubernetes:batch/v1:CronJob",
    good: { spec: { schedule: "0 5 * * 2", concurrencyPolicy: "Forbid", jobTemplate: { spec: { activeDeadlineSeconds: 7200 } } } },
    bad: { spec: { schedule: "0 5 * * 2", jobTemplate: { spec: {} } } },
  },
  {
    rule: "no-internet-to-admin-or-data-ports",
    type: "gcp:compute/firewall:Firewall",
    good: { direction: "INGRESS", sourceRanges: ["35.235.240.0/20"], allows: [{ protocol: "tcp", ports: ["22"] }] },
    bad: { direction: "INGRESS", sourceRanges: ["0.0.0.0/0"], allows: [{ protocol: "tcp", ports: ["5000-5500"] }] },
  },
  {
    rule: "gke-private-nodes",
    type: "gcp:container/cluster:Cluster",
    good: { privateClusterConfig: { enablePrivateNodes: true }, workloadIdentityConfig: { workloadPool: "p.svc.id.goog" } },
    bad: { privateClusterConfig: { enablePrivateNodes: false }, workloadIdentityConfig: { workloadPool: "p.svc.id.goog" } },
  },
  {
    rule: "gke-node-hardening",
    type: "gcp:container/nodePool:NodePool",
    good: { nodeConfig: { serviceAccount: "nodes@p.iam.gserviceaccount.com", workloadMetadataConfig: { mode: "GKE_METADATA" }, shieldedInstanceConfig: { enableSecureBoot: true }, imageType: "COS_CONTAINERD" } },
    bad: { nodeConfig: { serviceAccount: "123-compute@developer.gserviceaccount.com", workloadMetadataConfig: { mode: "GKE_METADATA" }, shieldedInstanceConfig: { enableSecureBoot: true } } },
  },
  {
    rule: "sql-private-ssl-backups",
    type: "gcp:sql/databaseInstance:DatabaseInstance",
    good: { settings: { ipConfiguration: { ipv4Enabled: false, sslMode: "ENCRYPTED_ONLY" }, backupConfiguration: { enabled: true, pointInTimeRecoveryEnabled: true } } },
    bad: { settings: { ipConfiguration: { ipv4Enabled: true, sslMode: "ALLOW_UNENCRYPTED_AND_ENCRYPTED" }, backupConfiguration: { enabled: true, pointInTimeRecoveryEnabled: true } } },
  },
  {
    rule: "redis-auth-tls",
    type: "gcp:redis/instance:Instance",
    good: { authEnabled: true, transitEncryptionMode: "SERVER_AUTHENTICATION" },
    bad: { authEnabled: true, transitEncryptionMode: "DISABLED" },
  },
  {
    rule: "bucket-ubla-pap",
    type: "gcp:storage/bucket:Bucket",
    good: { uniformBucketLevelAccess: true, publicAccessPrevention: "enforced" },
    bad: { uniformBucketLevelAccess: true, publicAccessPrevention: "inherited" },
  },
  {
    rule: "no-basic-roles-for-service-accounts",
    type: "gcp:projects/iAMMember:IAMMember",
    good: { role: "roles/logging.logWriter", member: "serviceAccount:nodes@p.iam.gserviceaccount.com" },
    bad: { role: "roles/editor", member: "serviceAccount:nodes@p.iam.gserviceaccount.com" },
  },
  {
    rule: "https-proxy-ssl-policy",
    type: "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
    good: { urlMap: "m", sslCertificates: ["c"], sslPolicy: "modern" },
    bad: { urlMap: "m", sslCertificates: ["c"] },
  },
  {
    rule: "ssl-policy-modern",
    type: "gcp:compute/sSLPolicy:SSLPolicy",
    good: { profile: "MODERN", minTlsVersion: "TLS_1_2" },
    bad: { profile: "COMPATIBLE", minTlsVersion: "TLS_1_0" },
  },
  {
    rule: "no-public-ip-on-vms",
    type: "gcp:compute/instanceTemplate:InstanceTemplate",
    good: { networkInterfaces: [{ subnetwork: "s" }] },
    bad: { networkInterfaces: [{ subnetwork: "s", accessConfigs: [{}] }] },
  },
];

describe("policy rules", () => {
  it("every rule has a passing and a failing case here", () => {
    expect(cases.map((c) => c.rule).sort()).toEqual(policyRules.map((r) => r.name).sort());
  });

  it.each(cases)("$rule: passes a compliant resource, names itself on a violating one", ({ rule, type, good, bad }) => {
    expect(rulesHit(resource(type, good))).toEqual([]);
    expect(rulesHit(resource(type, bad))).toEqual([rule]);
    const [violation] = checkPlan(planOf(resource(type, bad)));
    expect(violation!.urn).toBe(`urn:pulumi:t::t::${type}::r`);
    expect(violation!.message.length).toBeGreaterThan(10);
  });

  it("a firewall open to the internet on 443 only is not an admin/data exposure", () => {
    const web = resource("gcp:compute/firewall:Firewall", { sourceRanges: ["0.0.0.0/0"], allows: [{ protocol: "tcp", ports: ["443"] }] });
    expect(rulesHit(web)).toEqual([]);
    const all = resource("gcp:compute/firewall:Firewall", { sourceRanges: ["0.0.0.0/0"], allows: [{ protocol: "all" }] });
    expect(rulesHit(all)).toEqual(["no-internet-to-admin-or-data-ports"]);
  });
});

describe("the example stacks comply", () => {
  let prod: Plan;
  let stage: Plan;
  beforeAll(async () => {
    prod = await planDir(examplePath("bro-ai"), "prod");
    stage = await planDir(examplePath("bro-ai"), "stage");
  });

  it("bro-ai prod and stage have no violation", () => {
    expect(checkPlan(prod)).toEqual([]);
    expect(checkPlan(stage)).toEqual([]);
  });

  it("examples/machines (the machine groups' Application Load Balancer) has no violation, and its TLS is checked", async () => {
    const machines = await planDir(examplePath("machines"), "prod");
    expect(checkPlan(machines)).toEqual([]);
    const types = machines.resources.map((r) => r.type);
    expect(types).toContain("gcp:compute/targetHttpsProxy:TargetHttpsProxy");
    expect(types).toContain("gcp:compute/sSLPolicy:SSLPolicy");
  });

  it("every stateful resource of prod is protected; none of stage is", () => {
    expect(unprotectedStateful(prod).map((r) => r.urn)).toEqual([]);
    expect(unprotectedStateful(stage).length).toBeGreaterThan(0);
  });

  it("no service account or node uses the default compute service account", () => {
    const text = JSON.stringify(prod.resources.map((r) => r.inputs));
    expect(text).not.toMatch(/-compute@developer\.gserviceaccount\.com/);
  });
});
