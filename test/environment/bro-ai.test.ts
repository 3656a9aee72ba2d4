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
  "gcp:projects/service:Service": 25, // defaults 21 (storage included) + bigquery, billingbudgets (observability), cloudscheduler (recovery exports), cloudtrace (tracing)
  "gcp:projects/serviceIdentity:ServiceIdentity": 2,
  "gcp:compute/network:Network": 1,
  "gcp:compute/subnetwork:Subnetwork": 3,
  "gcp:compute/router:Router": 1,
  "gcp:compute/routerNat:RouterNat": 1,
  "gcp:compute/firewall:Firewall": 5,
  "gcp:compute/globalAddress:GlobalAddress": 3, // + the external Gateway's reserved address, the assets CDN's
  "gcp:compute/address:Address": 1, // the internal Gateway's (SHARED_LOADBALANCER_VIP)
  "gcp:compute/sSLPolicy:SSLPolicy": 2, // external Gateway and the assets CDN: MODERN, TLS 1.2
  // The assets bucket's CDN on its domain (issue 14 item 7): HTTPS and redirect URL maps, proxies, rules.
  "gcp:compute/uRLMap:URLMap": 2,
  "gcp:compute/targetHttpsProxy:TargetHttpsProxy": 1,
  "gcp:compute/targetHttpProxy:TargetHttpProxy": 1,
  "gcp:compute/globalForwardingRule:GlobalForwardingRule": 2,
  "gcp:compute/regionSslPolicy:RegionSslPolicy": 1, // internal Gateway
  "kubernetes:networking.gke.io/v1:GCPGatewayPolicy": 2,
  "gcp:servicenetworking/connection:Connection": 1,
  "gcp:dns/managedZone:ManagedZone": 3, // public, private, googleapis.com (private.googleapis.com)
  "gcp:container/cluster:Cluster": 1,
  "gcp:binaryauthorization/policy:Policy": 1,
  "gcp:serviceaccount/account:Account": 8, // GKE nodes + one per service (api, web, worker, admin, otel-collector) + the backup exporter + the pgAudit activation Job (CI accounts: brume bootstrap)
  "gcp:artifactregistry/repository:Repository": 1,
  "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": 2, // node reader on the own and the shared repository
  "gcp:sql/database:Database": 1,
  "gcp:sql/user:User": 3, // + the api service identity's IAM database login (CLOUD_IAM_SERVICE_ACCOUNT)
  "random:index/randomPassword:RandomPassword": 2,
  "gcp:redis/instance:Instance": 1,
  "gcp:pubsub/topic:Topic": 5, // + the budget topic
  "gcp:pubsub/subscription:Subscription": 6, // + the rotation reminders' and the budget messages' pull subscriptions
  "gcp:pubsub/topicIAMMember:TopicIAMMember": 5, // + api publishes to events; one rotation publisher for both rotating secrets; Cloud Billing publishes to the budget topic
  "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember": 3, // + worker pulls events/indexer
  // Services (issue 5): web blue/green (1 slot), api canary (stable only), worker rolling.
  "gcp:serviceaccount/iAMMember:IAMMember": 6, // Workload Identity of 5 services (admin and the collector included) + the pgAudit Job (CI impersonation: brume bootstrap)
  "gcp:secretmanager/secretIamMember:SecretIamMember": 5, // + worker reads its own database user's password (password mode)
  "gcp:storage/bucketIAMMember:BucketIAMMember": 5, // + the SQL instance writes exports, the log sink writes the archive
  "gcp:compute/securityPolicy:SecurityPolicy": 2,
  // The external Gateway's certificates: one per domain (bro.ai, www.bro.ai, api.bro.ai), a map;
  // the internal Gateway's: one regional certificate (admin); the assets CDN's: one and its map.
  "gcp:certificatemanager/dnsAuthorization:DnsAuthorization": 5,
  "gcp:certificatemanager/certificate:Certificate": 5,
  "gcp:certificatemanager/certificateMap:CertificateMap": 2,
  "gcp:certificatemanager/certificateMapEntry:CertificateMapEntry": 4,
  "kubernetes:core/v1:Namespace": 2, // the services + the pgAudit activation Job's own
  // + admin (build:, internal) and the OpenTelemetry collector (tracing): one more of each per service
  "kubernetes:core/v1:ServiceAccount": 6, // + the pgAudit Job
  "kubernetes:apps/v1:Deployment": 5,
  "kubernetes:core/v1:Service": 7,
  "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": 5,
  "kubernetes:policy/v1:PodDisruptionBudget": 5,
  "kubernetes:networking.k8s.io/v1:NetworkPolicy": 6,
  "kubernetes:gateway.networking.k8s.io/v1:Gateway": 2, // external + internal (admin)
  "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": 5, // + each Gateway's HTTP → HTTPS redirect
  "docker:index/image:Image": 1, // admin, built from services/admin
  // Operations (observability, access, recovery)
  "gcp:monitoring/notificationChannel:NotificationChannel": 2, // on-call email + Slack
  "gcp:logging/projectSink:ProjectSink": 2, // BigQuery + the GCS archive
  "gcp:bigquery/dataset:Dataset": 1,
  "gcp:billing/budget:Budget": 1,
  "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": 3,
  "gcp:projects/iAMAuditConfig:IAMAuditConfig": 3,
  "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": 4, // one per access role in the namespace
  "gcp:cloudscheduler/job:Job": 1, // the export of database bro
  "gcp:storage/bucket:Bucket": 5, // + the exports bucket (DR region) and the log archive
  "gcp:compute/backendBucket:BackendBucket": 1,
  "gcp:secretmanager/secret:Secret": 8, // + slack-token, admin-iap-client
  "gcp:secretmanager/secretVersion:SecretVersion": 6, // + the Slack token and admin's IAP client secret from brume:secrets
  "pulumi:providers:gcp": 2, // + the budget's (billingProject, userProjectOverride)
  "pulumi:providers:kubernetes": 1,
};

describe("examples/bro-ai inventory", () => {
  it("prod: counts per type", () => {
    const counts = Object.fromEntries(countByType(prod));
    expect(counts).toMatchObject({
      ...sharedCounts,
      "gcp:container/nodePool:NodePool": 3, // general + highmem + spot
      // DNS authorization CNAMEs of the 4 domains (3 external, admin), A records of the 3 external in
      // bro.ai and of admin in internal.bro.ai, the 2 records of the googleapis.com zone, and the
      // assets CDN's CNAME and A record (assets.bro.ai)
      "gcp:dns/recordSet:RecordSet": 12,
      "gcp:sql/databaseInstance:DatabaseInstance": 2, // primary + DR replica
      "gcp:kms/keyRing:KeyRing": 2, // CMEK in us-central1 and us-east1
      "gcp:kms/cryptoKey:CryptoKey": 2,
      // nodes 4 + Cloud SQL client of api and worker 2 + CI deploy 18 and preview 16 = 40; access groups 78
      // (owners 32, admins 28, developers 9 read-only in production, viewers 9); backup exporter 1; trace writer 1
      "gcp:projects/iAMMember:IAMMember": 78, // was 118: nodes now 1 role (container.defaultNodeServiceAccount, was 4) + the pgAudit Job's cloudsql.client + the restore test's 3 conditioned roles
      // issue 17: 74 — the CI accounts' 34 grants and the owners' privileged tier move to brume bootstrap; read-only
      // humans get the metadata reader instead of cloudsql.viewer + logging.viewer, and no errorreporting.viewer in production
      // 17 (GKE 2, load balancer 5xx 3, Pub/Sub 4, Redis 1, SQL 4 with failover and replica lag, uptime 3) + the backup failure alert
      "gcp:monitoring/alertPolicy:AlertPolicy": 22, // + unread secret-rotation reminders, + release steps and aborts (api is a canary), + the restore test's failure
      "gcp:dns/policy:Policy": 1, // DNS query logging in production only
      // The restore test (on with the production preset): its GSA, Workload Identity, namespace and KSA.
      "gcp:serviceaccount/account:Account": 9,
      "gcp:serviceaccount/iAMMember:IAMMember": 7,
      "kubernetes:core/v1:Namespace": 3,
      "kubernetes:core/v1:ServiceAccount": 7,
    });
  });

  it("stage: counts per type", () => {
    const counts = Object.fromEntries(countByType(stage));
    expect(counts).toMatchObject({
      ...sharedCounts,
      "gcp:container/nodePool:NodePool": 2,
      "gcp:sql/databaseInstance:DatabaseInstance": 1,
      "gcp:projects/iAMMember:IAMMember": 83, // as prod, but developers get read-write roles outside production (was 125 with the CI accounts' grants)
      "gcp:monitoring/alertPolicy:AlertPolicy": 19, // as prod without SQL failover and replica lag (no HA, no replica)
    });
    expect(counts["gcp:kms/keyRing:KeyRing"]).toBeUndefined();
    expect(counts["gcp:dns/policy:Policy"]).toBeUndefined();
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
    // Buckets call Cloud Storage (gcp-review 32); project IAM calls Cloud Resource Manager.
    expect(deps("gcp:storage/bucket:Bucket", "bro-ai-prod-bucket-logs-bucket")).toEqual(expect.arrayContaining([api("storage")]));
    expect(deps("gcp:projects/iAMMember:IAMMember", "bro-ai-prod-cluster-nodes-container-defaultnodeserviceaccount")).toContain(api("cloudresourcemanager"));
    expect(deps("gcp:projects/iAMMember:IAMMember", "bro-ai-prod-svc-api-db-main")).toContain(api("cloudresourcemanager"));
    expect(deps("gcp:container/cluster:Cluster", "bro-ai-prod-cluster-cluster")).toEqual(expect.arrayContaining([api("container"), api("binaryauthorization")]));
    const edges = prod.resources.reduce((sum, r) => sum + r.dependencies.length, 0);
    // Each API a resource calls is two edges (its Service and that API's readiness wait): well under every API's. (14.7 with
    // the gateway edge, the connection contract and the release waits: routes wait for every version they name.)
    expect(edges / prod.resources.length).toBeLessThan(16);
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
      datapathProvider: "ADVANCED_DATAPATH", // Dataplane V2, the default for new environments
    });
    const stageCluster = one(stage, "gcp:container/cluster:Cluster", "bro-ai-stage-cluster-cluster");
    expect(stageCluster.inputs).toMatchObject({
      deletionProtection: false,
      privateClusterConfig: { masterIpv4CidrBlock: "10.16.80.0/28" },
    });
    const policy = one(prod, "gcp:binaryauthorization/policy:Policy", "bro-ai-prod-cluster-binauthz");
    const patterns = (policy.inputs.admissionWhitelistPatterns as { namePattern: string }[]).map((p) => p.namePattern);
    // gcp-review 4: the own pattern names the repository (`*` does not match `/`).
    // Then the add-ons the stack runs: the trace collector's repository and the pgAudit Job's two images, exactly.
    expect(patterns).toEqual([
      "us-central1-docker.pkg.dev/bro-ai-prod/bro-ai-prod-images/*",
      "us-docker.pkg.dev/bro-ai-shared/apps/*",
      "us-docker.pkg.dev/cloud-ops-agents-artifacts/google-cloud-opentelemetry-collector/*",
      "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.2@sha256:d3f195cb893f2abb2ce8f28a4d3eee9b5589750711b4fbf67c78ce215c520e96",
      "mirror.gcr.io/library/postgres:15-alpine@sha256:fe0737ba566a2c5b2a28f34433c0a423261900ec17b9bf7ad115e1aae7e57f1b",
      // the restore test's gcloud (issue 17 item 7)
      "gcr.io/google.com/cloudsdktool/google-cloud-cli:562.0.0-slim@sha256:0da2de42ae51cd6092b5caf7c96d25003659fd15548760eb4c50c2623e7bf9c2",
    ]);
    // gcp-review 3: the nodes can pull from the shared registry the services' images name.
    const nodeSa = "serviceAccount:bro-ai-prod-gke-nodes@bro-ai-prod.iam.gserviceaccount.com";
    const readers = ofType(prod, "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember").map((m) => m.inputs);
    expect(readers).toEqual(
      expect.arrayContaining([
        { project: "bro-ai-prod", location: "us-central1", repository: "bro-ai-prod-images", role: "roles/artifactregistry.reader", member: nodeSa },
        { project: "bro-ai-shared", location: "us", repository: "apps", role: "roles/artifactregistry.reader", member: nodeSa },
      ]),
    );
  });

  it("Pub/Sub: every subscription dead-letters to a kept DLQ", () => {
    const subs = ofType(prod, "gcp:pubsub/subscription:Subscription");
    // The rotation reminders' and the budget messages' subscriptions are read by people (an alert, a look), not by a consumer: no DLQ.
    const sources = subs.filter((s) => !s.name.endsWith("-dlq") && !["bro-ai-prod-secret-rotation-reminders", "bro-ai-prod-observability-budget-subscription"].includes(s.name));
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
