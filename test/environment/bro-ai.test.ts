/**
 * Inventory of the Bro AI example (Cloud Foundation Fabric style): the count of resources per type
 * in prod and stage, and the hardened values each environment's preset implies.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { countByType } from "../../src/plan/format.js";
import type { Plan } from "../../src/plan/run.js";
import { examplePath, one, ofType, planDir } from "../harness.js";

let prod: Plan;
let stage: Plan;
beforeAll(async () => {
  prod = await planDir(examplePath("bro-ai"), "prod");
  stage = await planDir(examplePath("bro-ai"), "stage");
});

/** Counts that differ between the environments come from the preset, never from code paths. */
const sharedCounts: Record<string, number> = {
  "gcp:projects/service:Service": 20,
  "gcp:projects/serviceIdentity:ServiceIdentity": 2,
  "gcp:compute/network:Network": 1,
  "gcp:compute/subnetwork:Subnetwork": 3,
  "gcp:compute/router:Router": 1,
  "gcp:compute/routerNat:RouterNat": 1,
  "gcp:compute/firewall:Firewall": 5,
  "gcp:compute/globalAddress:GlobalAddress": 1,
  "gcp:servicenetworking/connection:Connection": 1,
  "gcp:dns/managedZone:ManagedZone": 2,
  "gcp:dns/policy:Policy": 1,
  "gcp:container/cluster:Cluster": 1,
  "gcp:binaryauthorization/policy:Policy": 1,
  "gcp:serviceaccount/account:Account": 7, // GKE nodes + one per service (issue 5) + CI deploy and preview + pgAudit activation
  "gcp:projects/iAMMember:IAMMember": 41, // nodes 4 + Cloud SQL client of api and worker 2 + CI deploy 18 and preview 16 + pgAudit activation 1
  "gcp:artifactregistry/repository:Repository": 1,
  "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": 1,
  "gcp:sql/database:Database": 1,
  "gcp:sql/user:User": 2,
  "random:index/randomPassword:RandomPassword": 2,
  "gcp:redis/instance:Instance": 1,
  "gcp:pubsub/topic:Topic": 4,
  "gcp:pubsub/subscription:Subscription": 4,
  "gcp:pubsub/topicIAMMember:TopicIAMMember": 5, // + api publishes to events
  "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember": 3, // + worker pulls events/indexer
  // Services (issue 5): web blue/green (1 slot), api canary (stable only), worker rolling.
  "gcp:serviceaccount/iAMMember:IAMMember": 6, // Workload Identity of 3 services + pgAudit activation + CI deploy and preview
  "gcp:secretmanager/secretIamMember:SecretIamMember": 4,
  "gcp:storage/bucketIAMMember:BucketIAMMember": 3,
  "gcp:compute/securityPolicy:SecurityPolicy": 2,
  "gcp:compute/managedSslCertificate:ManagedSslCertificate": 1,
  "kubernetes:core/v1:Namespace": 2, // services + pgAudit activation
  "kubernetes:batch/v1:Job": 1, // pgAudit activation
  "kubernetes:core/v1:ConfigMap": 1,
  "kubernetes:core/v1:Secret": 1,
  "kubernetes:core/v1:ServiceAccount": 4,
  "kubernetes:apps/v1:Deployment": 3,
  "kubernetes:core/v1:Service": 5,
  "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": 3,
  "kubernetes:policy/v1:PodDisruptionBudget": 3,
  "kubernetes:networking.k8s.io/v1:NetworkPolicy": 4,
  "kubernetes:gateway.networking.k8s.io/v1:Gateway": 1,
  "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": 2,
  "gcp:storage/bucket:Bucket": 3,
  "gcp:compute/backendBucket:BackendBucket": 1,
  "gcp:secretmanager/secret:Secret": 6,
  "gcp:secretmanager/secretVersion:SecretVersion": 4,
  "pulumi:providers:gcp": 1,
  "pulumi:providers:kubernetes": 1,
};

describe("examples/bro-ai inventory", () => {
  it("prod: counts per type", () => {
    const counts = Object.fromEntries(countByType(prod));
    expect(counts).toMatchObject({
      ...sharedCounts,
      "gcp:container/nodePool:NodePool": 3, // general + highmem + spot
      "gcp:sql/databaseInstance:DatabaseInstance": 2, // primary + DR replica
      "gcp:kms/keyRing:KeyRing": 2, // CMEK in us-central1 and us-east1
      "gcp:kms/cryptoKey:CryptoKey": 2,
    });
  });

  it("stage: counts per type", () => {
    const counts = Object.fromEntries(countByType(stage));
    expect(counts).toMatchObject({ ...sharedCounts, "gcp:container/nodePool:NodePool": 2, "gcp:sql/databaseInstance:DatabaseInstance": 1 });
    expect(counts["gcp:kms/keyRing:KeyRing"]).toBeUndefined();
  });

  it("each resource waits for the APIs it calls, not for every API", () => {
    const api = (short: string) => one(prod, "gcp:projects/service:Service", `bro-ai-prod-apis-${short}`).urn;
    const deps = (type: string, name: string) => one(prod, type, name).dependencies;
    const sql = deps("gcp:sql/databaseInstance:DatabaseInstance", "bro-ai-prod-db-main-instance");
    expect(sql).toContain(api("sqladmin"));
    expect(sql).toContain(one(prod, "gcp:servicenetworking/connection:Connection", "bro-ai-prod-network-psa-connection").urn);
    expect(sql).not.toContain(api("redis"));
    const redis = deps("gcp:redis/instance:Instance", "bro-ai-prod-cache-sessions-instance");
    expect(redis).toContain(api("redis"));
    expect(redis).not.toContain(api("sqladmin"));
    expect(deps("gcp:pubsub/topic:Topic", "bro-ai-prod-topic-events-topic")).toContain(api("pubsub"));
    expect(deps("gcp:container/cluster:Cluster", "bro-ai-prod-cluster-cluster")).toEqual(expect.arrayContaining([api("container"), api("binaryauthorization")]));
    const edges = prod.resources.reduce((sum, r) => sum + r.dependencies.length, 0);
    expect(edges / prod.resources.length).toBeLessThan(10);
  });

  it("prod: regional HA Cloud SQL with PITR, 30 backups, SSL only, private IP, replica in the DR region, protected", () => {
    const primary = one(prod, "gcp:sql/databaseInstance:DatabaseInstance", "bro-ai-prod-db-main-instance");
    expect(primary.protect).toBe(true);
    expect(primary.inputs).toMatchObject({
      name: "bro-ai-prod-main",
      databaseVersion: "POSTGRES_15",
      region: "us-central1",
      deletionProtection: true,
      settings: {
        tier: "db-custom-2-7680",
        availabilityType: "REGIONAL",
        diskType: "PD_SSD",
        diskSize: 100,
        diskAutoresize: true,
        deletionProtectionEnabled: true,
        backupConfiguration: {
          enabled: true,
          pointInTimeRecoveryEnabled: true,
          transactionLogRetentionDays: 7,
          backupRetentionSettings: { retainedBackups: 30, retentionUnit: "COUNT" },
        },
        ipConfiguration: { ipv4Enabled: false, sslMode: "ENCRYPTED_ONLY" },
      },
    });
    const replica = one(prod, "gcp:sql/databaseInstance:DatabaseInstance", "bro-ai-prod-db-main-replica");
    expect(replica.protect).toBe(true);
    expect(replica.inputs).toMatchObject({ region: "us-east1", databaseVersion: "POSTGRES_15", settings: { ipConfiguration: { ipv4Enabled: false } } });
    expect(replica.dependencies).toContain(primary.urn);
  });

  it("stage: zonal Cloud SQL with 7 backups, unprotected, no replica", () => {
    const primary = one(stage, "gcp:sql/databaseInstance:DatabaseInstance", "bro-ai-stage-db-main-instance");
    expect(primary.protect).toBe(false);
    expect(primary.inputs).toMatchObject({
      deletionProtection: false,
      settings: {
        tier: "db-custom-1-3840",
        availabilityType: "ZONAL",
        backupConfiguration: { pointInTimeRecoveryEnabled: true, backupRetentionSettings: { retainedBackups: 7 } },
        ipConfiguration: { ipv4Enabled: false, sslMode: "ENCRYPTED_ONLY" },
      },
    });
  });

  it("Redis: STANDARD_HA with AUTH and TLS in prod, BASIC in stage, always private service access", () => {
    const common = { authEnabled: true, transitEncryptionMode: "SERVER_AUTHENTICATION", connectMode: "PRIVATE_SERVICE_ACCESS", redisVersion: "REDIS_7_2" };
    const p = one(prod, "gcp:redis/instance:Instance", "bro-ai-prod-cache-sessions-instance");
    expect(p.inputs).toMatchObject({ ...common, tier: "STANDARD_HA", memorySizeGb: 5 });
    expect(p.protect).toBe(true);
    const s = one(stage, "gcp:redis/instance:Instance", "bro-ai-stage-cache-sessions-instance");
    expect(s.inputs).toMatchObject({ ...common, tier: "BASIC", memorySizeGb: 1 });
    expect(s.protect).toBe(false);
  });

  it("GKE: private regional cluster with the environment's control-plane range and authorized networks", () => {
    const cluster = one(prod, "gcp:container/cluster:Cluster", "bro-ai-prod-cluster-cluster");
    expect(cluster.inputs).toMatchObject({
      location: "us-central1",
      removeDefaultNodePool: true,
      deletionProtection: true,
      privateClusterConfig: { enablePrivateNodes: true, masterIpv4CidrBlock: "10.0.80.0/28", masterGlobalAccessConfig: { enabled: true } },
      masterAuthorizedNetworksConfig: { cidrBlocks: [{ cidrBlock: "203.0.113.0/24", displayName: "office-vpn" }] },
      workloadIdentityConfig: { workloadPool: "bro-ai-prod.svc.id.goog" },
      releaseChannel: { channel: "STABLE" },
      networkPolicy: { enabled: true, provider: "CALICO" },
    });
    const stageCluster = one(stage, "gcp:container/cluster:Cluster", "bro-ai-stage-cluster-cluster");
    expect(stageCluster.inputs).toMatchObject({
      deletionProtection: false,
      privateClusterConfig: { masterIpv4CidrBlock: "10.16.80.0/28" },
    });
    const policy = one(prod, "gcp:binaryauthorization/policy:Policy", "bro-ai-prod-cluster-binauthz");
    const patterns = (policy.inputs.admissionWhitelistPatterns as { namePattern: string }[]).map((p) => p.namePattern);
    expect(patterns).toEqual(expect.arrayContaining(["us-central1-docker.pkg.dev/bro-ai-prod/*", "us-docker.pkg.dev/bro-ai-shared/apps/*"]));
  });

  it("Pub/Sub: every subscription dead-letters to a kept DLQ", () => {
    const subs = ofType(prod, "gcp:pubsub/subscription:Subscription");
    const sources = subs.filter((s) => !s.name.endsWith("-dlq"));
    expect(sources.map((s) => s.name).sort()).toEqual(["bro-ai-prod-topic-events-analytics", "bro-ai-prod-topic-events-indexer"]);
    for (const sub of sources) {
      expect(sub.inputs.deadLetterPolicy, sub.name).toMatchObject({ maxDeliveryAttempts: 10 });
      expect(subs.some((s) => s.name === `${sub.name}-dlq`)).toBe(true);
    }
    expect(one(prod, "gcp:pubsub/subscription:Subscription", "bro-ai-prod-topic-events-indexer").inputs).toMatchObject({
      ackDeadlineSeconds: 60,
      enableExactlyOnceDelivery: true,
    });
  });

  it("buckets: multi-region for critical data, regional for logs, all UBLA + public access prevention, protected in prod", () => {
    const location = (name: string) => one(prod, "gcp:storage/bucket:Bucket", `bro-ai-prod-bucket-${name}-bucket`);
    expect(location("user-content").inputs).toMatchObject({ location: "US" });
    expect(location("assets").inputs).toMatchObject({ location: "US" });
    expect(location("logs").inputs).toMatchObject({ location: "US-CENTRAL1" });
    for (const bucket of ofType(prod, "gcp:storage/bucket:Bucket")) {
      expect(bucket.inputs, bucket.name).toMatchObject({ uniformBucketLevelAccess: true, publicAccessPrevention: "enforced" });
      expect(bucket.protect, bucket.name).toBe(true);
    }
  });

  it("secrets: replicated to the primary and DR regions, CMEK in prod only", () => {
    const prodSecret = one(prod, "gcp:secretmanager/secret:Secret", "bro-ai-prod-secret-openai-api-key-secret");
    const replicas = (prodSecret.inputs.replication as { userManaged: { replicas: { location: string; customerManagedEncryption?: unknown }[] } }).userManaged.replicas;
    expect(replicas.map((r) => r.location)).toEqual(["us-central1", "us-east1"]);
    expect(replicas.every((r) => r.customerManagedEncryption !== undefined)).toBe(true);
    expect(prodSecret.inputs).toMatchObject({ rotation: { rotationPeriod: `${90 * 86400}s` } });
    const stageSecret = one(stage, "gcp:secretmanager/secret:Secret", "bro-ai-stage-secret-openai-api-key-secret");
    const stageReplicas = (stageSecret.inputs.replication as typeof prodSecret.inputs.replication as { userManaged: { replicas: object[] } }).userManaged.replicas;
    expect(stageReplicas).toEqual([{ location: "us-central1" }, { location: "us-east1" }]);
  });
});
