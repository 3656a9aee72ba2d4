/**
 * Which input changes make the provider REPLACE a resource (delete + create) instead of updating
 * it in place. Offline we have no provider to ask (`pulumi preview` would), so this table carries
 * what the providers document. @pulumi/gcp is bridged from the Terraform provider google; its
 * "Forces new resource" / ForceNew fields are listed per resource at
 *   https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/<resource>
 * (checked against provider 6.x, which @pulumi/gcp 9.x bridges). Kubernetes: immutable fields per
 * the Kubernetes API reference (metadata.name/namespace everywhere, Deployment spec.selector, …).
 *
 * Paths use the SDK's camelCase input names as recorded in the plan (`settings.tier`,
 * `privateClusterConfig.masterIpv4CidrBlock`). A rule matches a changed path equal to it or under
 * it (`nodeConfig` matches `nodeConfig.machineType`). `"*"` matches any input change.
 */
import { cidrContains } from "./cidr.js";

export interface ReplacementRule {
  /** Input path (dots, `[i]` for array items); `*` for any change. */
  path: string;
  /**
   * When present, the change replaces only if this returns true for the old and new values at
   * `path` (e.g. a subnet range that does not contain the old one).
   */
  when?: (oldValue: unknown, newValue: unknown) => boolean;
  /** Why, shown in the diff. */
  reason: string;
}

/** Inputs that force replacement of any resource that has them (location / identity). */
const identity = (...paths: string[]): ReplacementRule[] =>
  paths.map((path) => ({ path, reason: `${path} is immutable (forces a new resource)` }));

const anyChange = (reason: string): ReplacementRule[] => [{ path: "*", reason }];

const engine = (version: unknown) => String(version ?? "").split("_")[0];

/**
 * The replacement table: resource type → rules. Types that are not listed are assumed to update
 * in place except for `project` (every GCP resource is created in one project).
 */
export const replacementRules: Readonly<Record<string, readonly ReplacementRule[]>> = {
  // https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/sql_database_instance
  // database_version: in-place major version upgrades since GoogleCloudPlatform/magic-modules#6374 (2022);
  // a change of engine (POSTGRES → MYSQL) cannot be upgraded and needs a new instance.
  "gcp:sql/databaseInstance:DatabaseInstance": [
    ...identity("name", "region", "project", "masterInstanceName", "encryptionKeyName", "replicaConfiguration"),
    {
      path: "databaseVersion",
      when: (a, b) => engine(a) !== engine(b),
      reason: "databaseVersion changes engine (only major upgrades of the same engine run in place)",
    },
    // Disks grow in place and never shrink: the provider plans a new instance for a smaller
    // `settings.diskSize` ("if diskSize is set, future pulumi up calls will attempt to delete the
    // instance in order to resize the disk to the value specified in diskSize if it has been
    // resized", @pulumi/gcp types/input.d.ts, DatabaseInstanceSettings.diskSize). Growth is an
    // update. The Database component ignores `settings.diskSize` after creation (autoresize owns it),
    // so this only matters for instances that do not.
    {
      path: "settings.diskSize",
      when: (a, b) => typeof a === "number" && typeof b === "number" && b < a,
      reason: "settings.diskSize shrinks (Cloud SQL disks only grow; a smaller disk is a new instance)",
    },
  ],
  // https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/sql_database
  "gcp:sql/database:Database": identity("name", "instance", "project"),
  "gcp:sql/user:User": identity("name", "instance", "host", "project", "type"),
  // https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/container_cluster
  "gcp:container/cluster:Cluster": [
    ...identity(
      "name",
      "location",
      "project",
      "network",
      "subnetwork",
      "privateClusterConfig.masterIpv4CidrBlock",
      "privateClusterConfig.enablePrivateEndpoint",
      "ipAllocationPolicy",
      "networkingMode",
      "initialNodeCount",
      "enableAutopilot",
      "enableKubernetesAlpha",
      "description",
      "nodeConfig",
      // Dataplane V2 (ADVANCED_DATAPATH) is chosen at creation: datapath_provider is ForceNew.
      "datapathProvider",
    ),
  ],
  // https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/container_node_pool
  // machine type, disk size/type and image type update in place (nodes are recreated, the pool is kept).
  "gcp:container/nodePool:NodePool": identity(
    "name",
    "location",
    "cluster",
    "project",
    "initialNodeCount",
    "nodeConfig.spot",
    "nodeConfig.preemptible",
    "nodeConfig.serviceAccount",
    "nodeConfig.oauthScopes",
    "nodeConfig.shieldedInstanceConfig",
    "nodeConfig.localSsdCount",
    "nodeConfig.guestAccelerators",
    "networkConfig",
  ),
  // https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/compute_subnetwork
  // ip_cidr_range: expanded in place when the new range is a superset, otherwise a new subnet.
  "gcp:compute/subnetwork:Subnetwork": [
    ...identity("name", "region", "network", "project", "purpose", "stackType"),
    {
      path: "ipCidrRange",
      when: (a, b) => !(typeof a === "string" && typeof b === "string" && cidrContains(b, a)),
      reason: "ipCidrRange shrinks or moves (only expanding to a superset runs in place)",
    },
  ],
  "gcp:compute/network:Network": identity("name", "project", "autoCreateSubnetworks", "enableUlaInternalIpv6"),
  // logConfig (firewall logging on or off, metadata) updates in place, as a subnetwork's flow log
  // logConfig does (not ForceNew in compute_firewall / compute_subnetwork).
  "gcp:compute/firewall:Firewall": identity("name", "network", "direction", "project"),
  "gcp:compute/router:Router": identity("name", "region", "network", "project"),
  "gcp:compute/routerNat:RouterNat": identity("name", "router", "region", "project"),
  // Addresses cannot change at all once reserved.
  "gcp:compute/globalAddress:GlobalAddress": anyChange("a reserved address is immutable"),
  "gcp:compute/address:Address": anyChange("a reserved address is immutable"),
  // Regional forwarding rules: Magic Modules marks ForwardingRule immutable except target / labels /
  // allowGlobalAccess; backend services and health checks keep name and scheme.
  "gcp:compute/forwardingRule:ForwardingRule": identity(
    "name", "region", "project", "ipAddress", "ipProtocol", "ports", "portRange", "allPorts", "backendService",
    "loadBalancingScheme", "networkTier", "network", "subnetwork", "ipVersion", "description",
  ),
  "gcp:compute/regionBackendService:RegionBackendService": identity("name", "region", "project", "loadBalancingScheme"),
  "gcp:compute/backendService:BackendService": identity("name", "project", "loadBalancingScheme"),
  "gcp:compute/healthCheck:HealthCheck": identity("name", "project"),
  // The machine groups' global external Application Load Balancer.
  // https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/compute_global_forwarding_rule:
  // the address, port range, scheme and protocol fix the rule; its target (the proxy) and labels
  // update in place. Only the inputs we are sure of are listed.
  "gcp:compute/globalForwardingRule:GlobalForwardingRule": identity("name", "project", "ipAddress", "ipProtocol", "portRange", "loadBalancingScheme"),
  // Target proxies and URL maps update their certificates, SSL policy, URL map and rules in place.
  "gcp:compute/targetHttpsProxy:TargetHttpsProxy": identity("name", "project"),
  "gcp:compute/targetHttpProxy:TargetHttpProxy": identity("name", "project"),
  "gcp:compute/uRLMap:URLMap": identity("name", "project"),
  "gcp:compute/sSLPolicy:SSLPolicy": identity("name", "project"),
  // A managed certificate is immutable: a new domain list is a new certificate (machines name it
  // after a hash of its domains, so the new one exists before the proxy moves to it).
  "gcp:compute/managedSslCertificate:ManagedSslCertificate": anyChange("SSL certificates are immutable: a change creates a new certificate"),
  // Certificate Manager (Gateway certificates): a certificate's domains and DNS authorizations,
  // an authorization's domain and type, an entry's hostname and map are immutable
  // (google_certificate_manager_* ForceNew); an entry's certificates update in place.
  "gcp:certificatemanager/certificate:Certificate": identity("name", "project", "location", "scope", "managed"),
  "gcp:certificatemanager/dnsAuthorization:DnsAuthorization": identity("name", "project", "location", "domain", "type"),
  "gcp:certificatemanager/certificateMap:CertificateMap": identity("name", "project"),
  "gcp:certificatemanager/certificateMapEntry:CertificateMapEntry": identity("name", "project", "map", "hostname", "matcher"),
  "gcp:compute/regionHealthCheck:RegionHealthCheck": identity("name", "region", "project"),
  "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager": identity("name", "region", "project", "baseInstanceName", "distributionPolicyZones"),
  "gcp:dns/recordSet:RecordSet": identity("name", "type", "managedZone", "project"),
  // https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/compute_instance_template
  "gcp:compute/instanceTemplate:InstanceTemplate": anyChange("instance templates are immutable: every change creates a new template"),
  "gcp:compute/regionInstanceTemplate:RegionInstanceTemplate": anyChange("instance templates are immutable: every change creates a new template"),
  // https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/compute_disk (size grows in place)
  "gcp:compute/disk:Disk": [
    ...identity("name", "zone", "type", "image", "snapshot", "project", "diskEncryptionKey"),
    {
      path: "size",
      when: (a, b) => typeof a === "number" && typeof b === "number" && b < a,
      reason: "size shrinks (disks only grow in place)",
    },
  ],
  "gcp:compute/regionDisk:RegionDisk": identity("name", "region", "type", "replicaZones", "snapshot", "project"),
  "gcp:compute/instance:Instance": identity("name", "zone", "project", "bootDisk", "networkInterfaces"),
  // https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/redis_instance
  "gcp:redis/instance:Instance": identity(
    "name",
    "tier",
    "region",
    "connectMode",
    "authorizedNetwork",
    "locationId",
    "alternativeLocationId",
    "reservedIpRange",
    "transitEncryptionMode",
    "customerManagedKey",
    "project",
  ),
  // https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/storage_bucket
  "gcp:storage/bucket:Bucket": identity("name", "location", "project"),
  // https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/kms_key_ring / kms_crypto_key
  "gcp:kms/keyRing:KeyRing": identity("name", "location", "project"),
  "gcp:kms/cryptoKey:CryptoKey": identity(
    "name",
    "keyRing",
    "purpose",
    "versionTemplate.protectionLevel",
    "importOnly",
    "skipInitialVersionCreation",
    "destroyScheduledDuration",
  ),
  "gcp:artifactregistry/repository:Repository": identity("repositoryId", "location", "format", "mode", "project", "kmsKeyName"),
  "gcp:secretmanager/secret:Secret": identity("secretId", "replication", "project"),
  // A new version replaces the old one (the payload is immutable).
  "gcp:secretmanager/secretVersion:SecretVersion": identity("secret", "secretData"),
  "gcp:pubsub/topic:Topic": identity("name", "project", "kmsKeyName"),
  // https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/pubsub_subscription (filter: ForceNew)
  "gcp:pubsub/subscription:Subscription": identity("name", "topic", "project", "enableMessageOrdering", "filter"),
  // https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/logging_project_bucket_config:
  // project, location and bucket_id identify the bucket; retention_days updates in place.
  "gcp:logging/projectBucketConfig:ProjectBucketConfig": identity("project", "location", "bucketId"),
  "gcp:dns/managedZone:ManagedZone": identity("name", "dnsName", "visibility", "project"),
  "gcp:serviceaccount/account:Account": identity("accountId", "project"),
  "gcp:projects/service:Service": identity("service", "project"),
  "gcp:servicenetworking/connection:Connection": identity("network", "service"),
  // IAM members: every field identifies the grant.
  "gcp:projects/iAMMember:IAMMember": identity("member", "role", "project", "condition"),
  "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": identity("member", "role", "repository", "location", "project", "condition"),
  "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": identity("member", "role", "cryptoKeyId", "condition"),
  "gcp:pubsub/topicIAMMember:TopicIAMMember": identity("member", "role", "topic", "project", "condition"),
  "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember": identity("member", "role", "subscription", "project", "condition"),
  "gcp:secretmanager/secretIamMember:SecretIamMember": identity("member", "role", "secretId", "project", "condition"),
  "gcp:storage/bucketIAMMember:BucketIAMMember": identity("member", "role", "bucket", "condition"),
  "gcp:serviceaccount/iAMMember:IAMMember": identity("member", "role", "serviceAccountId", "condition"),
  // https://www.pulumi.com/registry/packages/random/ : every input change generates a new value.
  "random:index/randomPassword:RandomPassword": anyChange("random values are regenerated when any input changes (a new password)"),
  "random:index/randomId:RandomId": anyChange("random values are regenerated when any input changes"),
  "random:index/randomString:RandomString": anyChange("random values are regenerated when any input changes"),
};

/** Kubernetes objects: immutable fields per kind (Kubernetes API reference). */
const kubernetesRules: Readonly<Record<string, readonly ReplacementRule[]>> = {
  "*": identity("metadata.name", "metadata.namespace"),
  "apps/v1:Deployment": identity("spec.selector"),
  "apps/v1:StatefulSet": identity("spec.selector", "spec.serviceName", "spec.volumeClaimTemplates"),
  "apps/v1:DaemonSet": identity("spec.selector"),
  "batch/v1:Job": identity("spec.template", "spec.selector"),
  "core/v1:Service": identity("spec.clusterIP", "spec.clusterIPs"),
  "core/v1:PersistentVolumeClaim": identity("spec.storageClassName", "spec.accessModes", "spec.selector", "spec.volumeName"),
  "storage.k8s.io/v1:StorageClass": identity("provisioner", "parameters", "reclaimPolicy", "volumeBindingMode"),
};

/** The rules that apply to a resource type (GCP `project` is immutable for every GCP type). */
export function rulesFor(type: string): readonly ReplacementRule[] {
  const own = replacementRules[type];
  if (own) return own;
  if (type.startsWith("kubernetes:")) {
    const kind = type.slice("kubernetes:".length);
    return [...kubernetesRules["*"]!, ...(kubernetesRules[kind] ?? [])];
  }
  if (type.startsWith("gcp:")) return identity("project", "name");
  return [];
}

/** True when `changed` is `rule` or under it. */
export function pathMatches(rule: string, changed: string): boolean {
  if (rule === "*") return true;
  return changed === rule || changed.startsWith(`${rule}.`) || changed.startsWith(`${rule}[`);
}

/** Reads an input path such as `a.b[2].c`. */
export function readPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split(/\.|(?=\[)/)) {
    if (cur === null || typeof cur !== "object") return undefined;
    const m = /^\[(\d+)\]$/.exec(part);
    cur = m ? (cur as unknown[])[Number(m[1])] : (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/**
 * The reasons a set of changed paths replaces a resource of `type` (empty: an in-place update).
 * `oldInputs` / `newInputs` feed the conditional rules.
 */
export function replacementReasons(
  type: string,
  changedPaths: readonly string[],
  oldInputs: Record<string, unknown>,
  newInputs: Record<string, unknown>,
): string[] {
  const reasons: string[] = [];
  for (const rule of rulesFor(type)) {
    if (!changedPaths.some((p) => pathMatches(rule.path, p))) continue;
    if (rule.when && !rule.when(readPath(oldInputs, rule.path), readPath(newInputs, rule.path))) continue;
    if (!reasons.includes(rule.reason)) reasons.push(rule.reason);
  }
  return reasons;
}
