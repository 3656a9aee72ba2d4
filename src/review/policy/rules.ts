/**
 * Hardening rules over planned resources, pure: the same checks our components apply by default
 * (Checkov CKV_GCP_* / Trivy families), run on a plan so they hold for any stack, not only ours.
 * Each rule looks at one resource's inputs; a violation names the rule, the URN and the fix.
 */
import type { Plan, PlannedResource } from "../../plan/run.js";

export interface Violation {
  rule: string;
  urn: string;
  message: string;
}

/** What a rule may know about the stack besides the resource. */
export interface RuleContext {
  /** A production stack: stateful resources must be protected. */
  production?: boolean;
}

export interface PolicyRule {
  name: string;
  description: string;
  /** Resource types the rule looks at. */
  types: readonly string[];
  /** Problems of one resource (empty when it complies). */
  check(resource: PlannedResource, context?: RuleContext): string[];
}

type Inputs = Record<string, unknown>;
const obj = (v: unknown): Inputs => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Inputs) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Ports that must never be open to the internet: SSH, RDP, databases, caches. */
export const adminAndDataPorts = [22, 3389, 5432, 3306, 1433, 6379, 27017, 9200] as const;

function portsOf(allow: Inputs): "all" | [number, number][] {
  const ports = list(allow.ports).map(String);
  if (ports.length === 0) return "all";
  return ports.map((p) => {
    const [from, to] = p.split("-").map(Number) as [number, number?];
    return [from, to ?? from];
  });
}

const internet = (range: unknown) => range === "0.0.0.0/0" || range === "::/0";
const basicRoles = ["roles/owner", "roles/editor", "roles/viewer"];
const isServiceAccount = (member: unknown) => typeof member === "string" && member.startsWith("serviceAccount:");
const isDefaultComputeSa = (email: unknown) =>
  email === "default" || (typeof email === "string" && /-compute@developer\.gserviceaccount\.com$/.test(email));

export const policyRules: readonly PolicyRule[] = [
  {
    name: "no-internet-to-admin-or-data-ports",
    description: "No firewall rule opens SSH, RDP, database or cache ports to 0.0.0.0/0.",
    types: ["gcp:compute/firewall:Firewall"],
    check: ({ inputs }) => {
      if ((inputs.direction ?? "INGRESS") !== "INGRESS" || !list(inputs.sourceRanges).some(internet)) return [];
      const out: string[] = [];
      for (const allow of list(inputs.allows).map(obj)) {
        const ports = portsOf(allow);
        const hit = adminAndDataPorts.filter((p) => ports === "all" || ports.some(([a, b]) => p >= a && p <= b));
        if (hit.length > 0) out.push(`allows ${hit.join(", ")} from the internet; restrict sourceRanges (use IAP 35.235.240.0/20 for SSH)`);
      }
      return out;
    },
  },
  {
    name: "gke-private-nodes",
    description: "GKE clusters have private nodes, Workload Identity and shielded nodes.",
    types: ["gcp:container/cluster:Cluster"],
    check: ({ inputs }) => {
      const out: string[] = [];
      if (obj(inputs.privateClusterConfig).enablePrivateNodes !== true) out.push("privateClusterConfig.enablePrivateNodes must be true");
      if (!obj(inputs.workloadIdentityConfig).workloadPool) out.push("workloadIdentityConfig.workloadPool must be set");
      if (inputs.enableShieldedNodes === false) out.push("enableShieldedNodes must not be false");
      if (inputs.enableLegacyAbac === true) out.push("enableLegacyAbac must be false");
      return out;
    },
  },
  {
    name: "gke-node-hardening",
    description: "Node pools use a dedicated service account, GKE_METADATA, secure boot and COS.",
    types: ["gcp:container/nodePool:NodePool"],
    check: ({ inputs }) => {
      const node = obj(inputs.nodeConfig);
      const out: string[] = [];
      if (!node.serviceAccount || isDefaultComputeSa(node.serviceAccount)) out.push("nodeConfig.serviceAccount must be a dedicated service account, not the default compute SA");
      if (obj(node.workloadMetadataConfig).mode !== "GKE_METADATA") out.push("nodeConfig.workloadMetadataConfig.mode must be GKE_METADATA");
      if (obj(node.shieldedInstanceConfig).enableSecureBoot !== true) out.push("nodeConfig.shieldedInstanceConfig.enableSecureBoot must be true");
      if (node.imageType !== undefined && !String(node.imageType).startsWith("COS")) out.push("nodeConfig.imageType must be COS_CONTAINERD");
      return out;
    },
  },
  {
    name: "sql-private-ssl-backups",
    description: "Cloud SQL: no public IPv4, SSL enforced, backups with point-in-time recovery on primaries.",
    types: ["gcp:sql/databaseInstance:DatabaseInstance"],
    check: ({ inputs }) => {
      const settings = obj(inputs.settings);
      const ip = obj(settings.ipConfiguration);
      const out: string[] = [];
      if (ip.ipv4Enabled !== false) out.push("settings.ipConfiguration.ipv4Enabled must be false (private IP only)");
      if (ip.sslMode !== "ENCRYPTED_ONLY" && ip.sslMode !== "TRUSTED_CLIENT_CERTIFICATE_REQUIRED") out.push("settings.ipConfiguration.sslMode must enforce SSL");
      if (!inputs.masterInstanceName) {
        const backup = obj(settings.backupConfiguration);
        if (backup.enabled !== true) out.push("settings.backupConfiguration.enabled must be true");
        if (backup.pointInTimeRecoveryEnabled !== true) out.push("settings.backupConfiguration.pointInTimeRecoveryEnabled must be true");
      }
      return out;
    },
  },
  {
    name: "redis-auth-tls",
    description: "Memorystore Redis has AUTH and in-transit encryption.",
    types: ["gcp:redis/instance:Instance"],
    check: ({ inputs }) => [
      ...(inputs.authEnabled === true ? [] : ["authEnabled must be true"]),
      ...(inputs.transitEncryptionMode === "SERVER_AUTHENTICATION" ? [] : ["transitEncryptionMode must be SERVER_AUTHENTICATION"]),
    ],
  },
  {
    name: "bucket-ubla-pap",
    description: "Buckets have uniform bucket-level access and enforced public access prevention.",
    types: ["gcp:storage/bucket:Bucket"],
    check: ({ inputs }) => [
      ...(inputs.uniformBucketLevelAccess === true ? [] : ["uniformBucketLevelAccess must be true"]),
      ...(inputs.publicAccessPrevention === "enforced" ? [] : ['publicAccessPrevention must be "enforced"']),
    ],
  },
  {
    name: "no-basic-roles-for-service-accounts",
    description: "No owner / editor / viewer grants to service accounts, at any level.",
    types: [
      "gcp:projects/iAMMember:IAMMember",
      "gcp:projects/iAMBinding:IAMBinding",
      "gcp:storage/bucketIAMMember:BucketIAMMember",
      "gcp:pubsub/topicIAMMember:TopicIAMMember",
      "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember",
      "gcp:secretmanager/secretIamMember:SecretIamMember",
    ],
    check: ({ inputs }) => {
      if (!basicRoles.includes(String(inputs.role))) return [];
      const members = [inputs.member, ...list(inputs.members)];
      return members.some(isServiceAccount) ? [`grants basic role ${String(inputs.role)} to a service account; grant a predefined role on the resource`] : [];
    },
  },
  {
    name: "https-proxy-ssl-policy",
    description: "HTTPS target proxies name an SSL policy (otherwise GCP's COMPATIBLE default allows weak ciphers and TLS 1.0).",
    types: ["gcp:compute/targetHttpsProxy:TargetHttpsProxy", "gcp:compute/regionTargetHttpsProxy:RegionTargetHttpsProxy"],
    check: ({ inputs }) => (inputs.sslPolicy ? [] : ["sslPolicy must name an SSL policy with profile MODERN or RESTRICTED and minTlsVersion TLS_1_2"]),
  },
  {
    name: "ssl-policy-modern",
    description: "SSL policies exclude weak cipher suites: profile MODERN or RESTRICTED (or CUSTOM), minTlsVersion TLS_1_2 or later (Checkov CKV_GCP weak cipher check).",
    types: ["gcp:compute/sSLPolicy:SSLPolicy", "gcp:compute/regionSslPolicy:RegionSslPolicy"],
    check: ({ inputs }) => [
      ...(["MODERN", "RESTRICTED", "CUSTOM"].includes(String(inputs.profile)) ? [] : [`profile must be MODERN or RESTRICTED, not ${String(inputs.profile ?? "COMPATIBLE (the default)")}`]),
      ...(["TLS_1_2", "TLS_1_3"].includes(String(inputs.minTlsVersion)) ? [] : [`minTlsVersion must be TLS_1_2 or later, not ${String(inputs.minTlsVersion ?? "TLS_1_0 (the default)")}`]),
    ],
  },
  {
    name: "kubernetes-jobs-bounded",
    description:
      "Jobs and CronJobs set activeDeadlineSeconds (a hung run never ends, and what it started, such as the restore test's Cloud SQL clone, keeps billing); CronJobs never run twice at once (concurrencyPolicy Forbid or Replace).",
    types: ["kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob"],
    check: ({ type, inputs }) => {
      const spec = obj(inputs.spec);
      const job = type === "kubernetes:batch/v1:CronJob" ? obj(obj(spec.jobTemplate).spec) : spec;
      return [
        ...(typeof job.activeDeadlineSeconds === "number" && job.activeDeadlineSeconds > 0 ? [] : ["activeDeadlineSeconds must bound the run"]),
        ...(type === "kubernetes:batch/v1:CronJob" && !["Forbid", "Replace"].includes(String(spec.concurrencyPolicy))
          ? [`concurrencyPolicy must be Forbid or Replace, not ${String(spec.concurrencyPolicy ?? "Allow (the default)")}`]
          : []),
      ];
    },
  },
  {
    name: "no-public-ip-on-vms",
    description: "Instances and instance templates have no external IP (egress goes through Cloud NAT).",
    types: ["gcp:compute/instance:Instance", "gcp:compute/instanceTemplate:InstanceTemplate"],
    check: ({ inputs }) =>
      list(inputs.networkInterfaces)
        .map(obj)
        .some((nic) => list(nic.accessConfigs).length > 0 || list(nic.ipv6AccessConfigs).length > 0)
        ? ["networkInterfaces must have no accessConfigs (external IPs)"]
        : [],
  },
];

/** Every violation of the rules in a plan, in URN order. */
export function checkPlan(plan: Plan, rules: readonly PolicyRule[] = policyRules, context: RuleContext = {}): Violation[] {
  const out: Violation[] = [];
  for (const resource of plan.resources) {
    for (const rule of rules) {
      if (!rule.types.includes(resource.type)) continue;
      for (const message of rule.check(resource, context)) out.push({ rule: rule.name, urn: resource.urn, message });
    }
  }
  return out;
}

/** Stateful resource types: never replaced or deleted by a service, strategy or machine change. */
export const statefulTypes = [
  "gcp:sql/databaseInstance:DatabaseInstance",
  "gcp:redis/instance:Instance",
  "gcp:storage/bucket:Bucket",
  "gcp:kms/keyRing:KeyRing",
  "gcp:kms/cryptoKey:CryptoKey",
  "gcp:compute/disk:Disk",
  "gcp:secretmanager/secret:Secret",
  "gcp:artifactregistry/repository:Repository",
  "gcp:dns/managedZone:ManagedZone",
] as const;

/** Stateful resources that must carry Pulumi `protect` when the environment protects its data. */
export function unprotectedStateful(plan: Plan): PlannedResource[] {
  const mustProtect = new Set<string>([
    "gcp:sql/databaseInstance:DatabaseInstance",
    "gcp:redis/instance:Instance",
    "gcp:storage/bucket:Bucket",
    "gcp:kms/keyRing:KeyRing",
    "gcp:kms/cryptoKey:CryptoKey",
    "gcp:compute/disk:Disk",
  ]);
  return plan.resources.filter((r) => mustProtect.has(r.type) && !r.protect);
}

/** Types that must carry Pulumi `protect` in production (see `stateful-protected-in-prod`). */
export const protectedInProductionTypes = [
  "gcp:sql/databaseInstance:DatabaseInstance",
  "gcp:redis/instance:Instance",
  "gcp:storage/bucket:Bucket",
  "gcp:kms/keyRing:KeyRing",
  "gcp:kms/cryptoKey:CryptoKey",
  "gcp:compute/disk:Disk",
  "gcp:bigquery/dataset:Dataset",
] as const;

const isPerson = (member: unknown) => typeof member === "string" && /^(user|group|domain):/.test(member);

/**
 * Operations rules (issue 8), on top of `policyRules`: default service accounts, basic roles for
 * people, stateful resources protected in production. `allPolicyRules` is what `brume plan
 * --policy` and the CrossGuard pack (policy/) run.
 */
export const operationsRules: readonly PolicyRule[] = [
  {
    name: "no-default-service-accounts",
    description: "VMs, templates and GKE node configs run as a dedicated service account, never the default compute one.",
    types: ["gcp:compute/instance:Instance", "gcp:compute/instanceTemplate:InstanceTemplate", "gcp:container/cluster:Cluster"],
    check: ({ type, inputs }) => {
      if (type === "gcp:container/cluster:Cluster") {
        const node = obj(inputs.nodeConfig);
        return node.serviceAccount !== undefined && isDefaultComputeSa(node.serviceAccount)
          ? ["nodeConfig.serviceAccount is the default compute service account; use a dedicated one"]
          : [];
      }
      const sa = obj(inputs.serviceAccount);
      if (sa.email === undefined) return ["serviceAccount.email must name a dedicated service account (the default compute SA is used otherwise)"];
      return isDefaultComputeSa(sa.email) ? ["serviceAccount.email is the default compute service account; use a dedicated one"] : [];
    },
  },
  {
    name: "no-basic-roles-for-people",
    description: "People and groups get predefined roles, never owner / editor / viewer on the project.",
    types: ["gcp:projects/iAMMember:IAMMember", "gcp:projects/iAMBinding:IAMBinding"],
    check: ({ inputs }) => {
      if (!basicRoles.includes(String(inputs.role))) return [];
      const members = [inputs.member, ...list(inputs.members)];
      return members.some(isPerson) ? [`grants basic role ${String(inputs.role)} to a person or group; use predefined roles (see src/components/security/access.ts)`] : [];
    },
  },
  {
    name: "stateful-protected-in-prod",
    description: "In production, databases, caches, buckets, datasets, disks and keys carry Pulumi protect.",
    types: protectedInProductionTypes,
    check: (resource, context) =>
      context?.production && !resource.protect ? ["a stateful resource in production must be protected (resource option protect: true)"] : [],
  },
];

/** Every rule: the hardening rules and the operations rules. */
export const allPolicyRules: readonly PolicyRule[] = [...policyRules, ...operationsRules];
