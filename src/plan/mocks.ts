/**
 * The one mock implementation of the Pulumi engine in this repo, used by `brume plan` and by every
 * test. Resources get realistic computed outputs (ids, selfLinks, IP addresses, emails, project
 * numbers), derived deterministically from their inputs, so a plan is byte-identical across runs.
 * Any invoke without a mock throws, naming the token: a plan never silently returns nothing.
 *
 * Honest where the real answer depends on state or permissions a plan cannot know (README "What
 * the offline plan can and cannot know"):
 * - `getProject` answers only for the projects the run's credentials belong to (the environment's
 *   `defaultProject`, or the project of the provider the invoke runs through); another project's
 *   number must come from config;
 * - reading a secret's payload (`getSecretVersion`, `getSecretVersionAccess`) of a secret the same
 *   stack creates fails the plan (see `PlanMocks.problems`, checked once the run has registered
 *   everything, because the invoke may run before the Secret registers);
 * - private addresses come from the plan's own ranges: Cloud SQL and Memorystore inside the
 *   Private Services Access range of their network, internal addresses inside their subnetwork.
 */
import type * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { StackReferences, stackReferenceType } from "./stack-references.js";

type State = Record<string, unknown>;
type MockArgs = pulumi.runtime.MockResourceArgs;

/** A deterministic integer from text. */
function hashInt(text: string, modulo: number): number {
  return parseInt(createHash("sha256").update(text).digest("hex").slice(0, 12), 16) % modulo;
}

/** Project number derived from the project id (12 digits, as GCP's are). */
export function mockProjectNumber(projectId: string): string {
  return String(100000000000 + hashInt(`project:${projectId}`, 899999999999));
}

/** A private address inside 10.0.0.0/8 (or the given /16 prefix) derived from a seed. */
export function mockPrivateIp(seed: string, prefix = "10.250"): string {
  const n = hashInt(`ip:${seed}`, 65024) + 256;
  return `${prefix}.${Math.floor(n / 256)}.${n % 256}`;
}

/** A public address from the TEST-NET-3 documentation range (RFC 5737). */
export function mockPublicIp(seed: string): string {
  return `203.0.113.${hashInt(`pub:${seed}`, 254) + 1}`;
}

const str = (v: unknown, fallback: string): string => (typeof v === "string" && v.length > 0 ? v : fallback);

/** `a.b.c.d/n` → its first address and size, or undefined when not an IPv4 CIDR. */
function parseCidr(cidr: string): { base: number; size: number } | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) return undefined;
  const prefix = Number(m[5]);
  if (prefix > 30) return undefined;
  const ip = m.slice(1, 5).reduce((acc, part) => acc * 256 + Number(part), 0);
  const size = 2 ** (32 - prefix);
  return { base: ip - (ip % size), size };
}

const ipText = (n: number) => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");

/**
 * A usable address of `cidr` derived from `seed`, not in `taken` (which it joins). GCP reserves the
 * first two and the last two addresses of every subnet range
 * (https://cloud.google.com/vpc/docs/subnets#unusable-ip-addresses-in-every-subnet), so those are
 * never handed out. Undefined when the text is no IPv4 CIDR.
 */
export function mockAddressIn(cidr: string, seed: string, taken: Set<string> = new Set()): string | undefined {
  const range = parseCidr(cidr);
  if (!range) return undefined;
  const usable = range.size - 4;
  const start = hashInt(`addr:${seed}`, usable);
  for (let i = 0; i < usable; i++) {
    const address = ipText(range.base + 2 + ((start + i) % usable));
    if (!taken.has(address)) {
      taken.add(address);
      return address;
    }
  }
  return undefined;
}

/** `projects/p/global/networks/n` (id or selfLink) or a bare name → `p/n`. */
function networkKey(ref: unknown, project: string): string | undefined {
  if (typeof ref !== "string" || ref === "") return undefined;
  const m = /projects\/([^/]+)\/global\/networks\/([^/]+)$/.exec(ref);
  return m ? `${m[1]}/${m[2]}` : ref.includes("/") ? undefined : `${project}/${ref}`;
}

/** `projects/p/regions/r/subnetworks/n` (id or selfLink) → `p/r/n`; a bare name → `project/region/name`. */
function subnetworkKey(ref: unknown, project: string, region: string): string | undefined {
  if (typeof ref !== "string" || ref === "") return undefined;
  const m = /projects\/([^/]+)\/regions\/([^/]+)\/subnetworks\/([^/]+)$/.exec(ref);
  return m ? `${m[1]}/${m[2]}/${m[3]}` : ref.includes("/") ? undefined : `${project}/${region}/${ref}`;
}

const dig = (value: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((v, key) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined), value);

/** What the computed outputs of one resource may ask of the run so far (ranges registered before it). */
interface MockContext {
  project: string;
  region: string;
  /** An address inside the PSA range of `network` (the named range when given), if one is registered. */
  servicesAccessAddress(network: unknown, rangeName: unknown, seed: string): string | undefined;
  /** An address inside the range of `subnetwork`, if it is registered. */
  subnetworkAddress(subnetwork: unknown, seed: string): string | undefined;
}

/** Computed outputs per resource type, on top of the inputs (which the engine echoes back). */
const computed: Record<string, (args: MockArgs, project: string, region: string, ctx: MockContext) => State> = {
  "gcp:compute/network:Network": ({ inputs, name }, project) => {
    const n = str(inputs.name, name);
    return { selfLink: `https://www.googleapis.com/compute/v1/projects/${project}/global/networks/${n}`, gatewayIpv4: "" };
  },
  "gcp:compute/subnetwork:Subnetwork": ({ inputs, name }, project, region) => {
    const n = str(inputs.name, name);
    const r = str(inputs.region, region);
    const cidr = str(inputs.ipCidrRange, "10.0.0.0/24");
    return {
      selfLink: `https://www.googleapis.com/compute/v1/projects/${project}/regions/${r}/subnetworks/${n}`,
      gatewayAddress: cidr.replace(/\.\d+\/\d+$/, ".1"),
    };
  },
  "gcp:compute/globalAddress:GlobalAddress": ({ inputs, name }) => ({
    address: str(inputs.address, inputs.addressType === "INTERNAL" ? mockPrivateIp(name, "10.255") : mockPublicIp(name)),
  }),
  // An internal address is taken from its subnetwork's range (the API refuses one outside it).
  "gcp:compute/address:Address": ({ inputs, name }, _project, _region, ctx) => ({
    address: str(
      inputs.address,
      inputs.addressType === "INTERNAL" ? (ctx.subnetworkAddress(inputs.subnetwork, `address:${name}`) ?? mockPrivateIp(name)) : mockPublicIp(name),
    ),
  }),
  "gcp:compute/router:Router": ({ inputs, name }, project, region) => ({
    selfLink: `https://www.googleapis.com/compute/v1/projects/${project}/regions/${str(inputs.region, region)}/routers/${str(inputs.name, name)}`,
  }),
  "gcp:compute/firewall:Firewall": ({ inputs, name }, project) => ({
    selfLink: `https://www.googleapis.com/compute/v1/projects/${project}/global/firewalls/${str(inputs.name, name)}`,
  }),
  "gcp:servicenetworking/connection:Connection": () => ({ peering: "servicenetworking-googleapis-com" }),
  "gcp:serviceaccount/account:Account": ({ inputs, name }, project) => {
    const accountId = str(inputs.accountId, name);
    const email = `${accountId}@${project}.iam.gserviceaccount.com`;
    return { email, member: `serviceAccount:${email}`, name: `projects/${project}/serviceAccounts/${email}`, uniqueId: String(hashInt(email, 1e15)) };
  },
  // A private-IP instance gets its address from the PSA range allocated to its network (the named
  // `allocatedIpRange` when set): https://cloud.google.com/sql/docs/postgres/configure-private-services-access
  "gcp:sql/databaseInstance:DatabaseInstance": ({ inputs, name }, project, region, ctx) => {
    const n = str(inputs.name, name);
    const ipConfiguration = dig(inputs, "settings", "ipConfiguration");
    const ip =
      ctx.servicesAccessAddress(dig(ipConfiguration, "privateNetwork"), dig(ipConfiguration, "allocatedIpRange"), `sql:${n}`) ?? mockPrivateIp(n, "10.254");
    return {
      connectionName: `${project}:${str(inputs.region, region)}:${n}`,
      privateIpAddress: ip,
      ipAddresses: [{ ipAddress: ip, type: "PRIVATE" }],
      selfLink: `https://sqladmin.googleapis.com/sql/v1beta4/projects/${project}/instances/${n}`,
      serviceAccountEmailAddress: `p${mockProjectNumber(project)}-abcdef@gcp-sa-cloud-sql.iam.gserviceaccount.com`,
    };
  },
  // PRIVATE_SERVICE_ACCESS: the host is in the network's PSA range (`reservedIpRange` names it);
  // DIRECT_PEERING: `reservedIpRange` is a CIDR of its own
  // (https://cloud.google.com/memorystore/docs/redis/networking#connection_modes).
  "gcp:redis/instance:Instance": ({ inputs, name }, _project, _region, ctx) => ({
    host:
      (inputs.connectMode === "PRIVATE_SERVICE_ACCESS"
        ? ctx.servicesAccessAddress(inputs.authorizedNetwork, inputs.reservedIpRange, `redis:${str(inputs.name, name)}`)
        : typeof inputs.reservedIpRange === "string"
          ? mockAddressIn(inputs.reservedIpRange, `redis:${str(inputs.name, name)}`)
          : undefined) ?? mockPrivateIp(str(inputs.name, name), "10.253"),
    port: 6378,
    currentLocationId: "",
    // The real provider marks authString secret (additionalSecretOutputs); mocks do not, so
    // components must wrap it in pulumi.secret themselves.
    authString: `mock-redis-auth:${name}`,
    serverCaCerts: [
      {
        cert: `-----BEGIN CERTIFICATE-----\nmock-redis-ca:${name}\n-----END CERTIFICATE-----`,
        serialNumber: "0",
        sha1Fingerprint: "0000000000000000000000000000000000000000",
        createTime: "2024-01-01T00:00:00Z",
        expireTime: "2034-01-01T00:00:00Z",
      },
    ],
  }),
  "random:index/randomPassword:RandomPassword": ({ name }) => ({
    // Not secret under mocks (the engine, absent here, applies additionalSecretOutputs).
    result: `mock-random-password:${name}`,
    bcryptHash: `$2a$10$mock-bcrypt:${name}`,
  }),
  // A private cluster's control plane has an internal address in its masterIpv4CidrBlock; `endpoint`
  // is that address only with enablePrivateEndpoint, else the public one
  // (https://cloud.google.com/kubernetes-engine/docs/concepts/private-cluster-concept#endpoints_in_private_clusters).
  "gcp:container/cluster:Cluster": ({ inputs, name }, project, region) => {
    const n = str(inputs.name, name);
    const privateCluster = dig(inputs, "privateClusterConfig") as Record<string, unknown> | undefined;
    const masterCidr = dig(privateCluster, "masterIpv4CidrBlock");
    const privateEndpoint = (typeof masterCidr === "string" ? mockAddressIn(masterCidr, `master:${n}`) : undefined) ?? mockPrivateIp(n, "172.16");
    const publicEndpoint = mockPublicIp(`master:${n}`);
    return {
      endpoint: dig(privateCluster, "enablePrivateEndpoint") === true ? privateEndpoint : publicEndpoint,
      ...(privateCluster ? { privateClusterConfig: { ...privateCluster, privateEndpoint, publicEndpoint } } : {}),
      masterAuth: { clusterCaCertificate: Buffer.from(`mock-ca:${name}`).toString("base64") },
      // The DNS-based endpoint: `gke-<hash>-<project number>.<region>.gke.goog`
      // (https://cloud.google.com/kubernetes-engine/docs/concepts/network-isolation#dns-based_endpoint).
      ...(dig(inputs, "controlPlaneEndpointsConfig", "dnsEndpointConfig") !== undefined
        ? {
            controlPlaneEndpointsConfig: {
              ...(dig(inputs, "controlPlaneEndpointsConfig") as Record<string, unknown>),
              dnsEndpointConfig: {
                ...(dig(inputs, "controlPlaneEndpointsConfig", "dnsEndpointConfig") as Record<string, unknown>),
                endpoint: `gke-${createHash("sha256").update(n).digest("hex").slice(0, 32)}-${mockProjectNumber(str(inputs.project, project))}.${str(inputs.location, region)}.gke.goog`,
              },
            },
          }
        : {}),
    };
  },
  "gcp:storage/bucket:Bucket": ({ inputs, name }) => ({
    url: `gs://${str(inputs.name, name)}`,
    selfLink: `https://www.googleapis.com/storage/v1/b/${str(inputs.name, name)}`,
  }),
  "gcp:artifactregistry/repository:Repository": ({ inputs, name }, project) => ({
    registryUri: `${str(inputs.location, "europe")}-docker.pkg.dev/${project}/${str(inputs.repositoryId, name)}`,
  }),
  "gcp:secretmanager/secret:Secret": ({ inputs, name }, project) => ({
    name: `projects/${mockProjectNumber(project)}/secrets/${str(inputs.secretId, name)}`,
  }),
  "gcp:pubsub/topic:Topic": ({ inputs, name }, project) => ({
    id: `projects/${project}/topics/${str(inputs.name, name)}`,
  }),
  "gcp:pubsub/subscription:Subscription": ({ inputs, name }, project) => ({
    id: `projects/${project}/subscriptions/${str(inputs.name, name)}`,
  }),
  // PER_PROJECT_RECORD authorizations answer with a CNAME `_acme-challenge_<id>.<domain>.` →
  // `<id>.<n>.authorize.certificatemanager.goog.` (Certificate Manager "DNS authorization").
  "gcp:certificatemanager/dnsAuthorization:DnsAuthorization": ({ inputs, name }, project) => {
    const domain = str(inputs.domain, name);
    const id = createHash("sha256").update(`${project}/${domain}`).digest("hex").slice(0, 12);
    return { dnsResourceRecords: [{ name: `_acme-challenge_${id}.${domain}.`, type: "CNAME", data: `${id}.${hashInt(domain, 10)}.authorize.certificatemanager.goog.` }] };
  },
  "docker:index/image:Image": ({ inputs, name }) => {
    const imageName = str(inputs.imageName, name);
    return { repoDigest: `${imageName.replace(/:[^/:]+$/, "")}@sha256:${createHash("sha256").update(imageName).digest("hex")}` };
  },
  "gcp:dns/managedZone:ManagedZone": ({ inputs }) => ({
    nameServers: ["ns-cloud-a1.googledomains.com.", "ns-cloud-a2.googledomains.com."].map((s) =>
      inputs.visibility === "private" ? "" : s,
    ),
  }),
  "gcp:projects/serviceIdentity:ServiceIdentity": ({ inputs }, project) => {
    const email = `service-${mockProjectNumber(project)}@gcp-sa-${str(inputs.service, "x").split(".")[0]}.iam.gserviceaccount.com`;
    return { email, member: `serviceAccount:${email}` };
  },
  // A custom role's `name` is `projects/<project>/roles/<roleId>` (IAM REST, projects.roles).
  "gcp:projects/iAMCustomRole:IAMCustomRole": ({ inputs, name }, project) => ({
    name: `projects/${str(inputs.project, project)}/roles/${str(inputs.roleId, name)}`,
  }),
  "gcp:kms/keyRing:KeyRing": ({ inputs, name }, project, region) => ({
    id: `projects/${project}/locations/${str(inputs.location, region)}/keyRings/${str(inputs.name, name)}`,
  }),
  "gcp:kms/cryptoKey:CryptoKey": ({ inputs, name }) => ({
    id: `${str(inputs.keyRing, "projects/x/locations/x/keyRings/x")}/cryptoKeys/${str(inputs.name, name)}`,
  }),
  "gcp:compute/securityPolicy:SecurityPolicy": ({ inputs, name }, project) => ({
    selfLink: `https://www.googleapis.com/compute/v1/projects/${project}/global/securityPolicies/${str(inputs.name, name)}`,
  }),
  "gcp:compute/backendBucket:BackendBucket": ({ inputs, name }, project) => ({
    selfLink: `https://www.googleapis.com/compute/v1/projects/${project}/global/backendBuckets/${str(inputs.name, name)}`,
  }),
  "gcp:logging/projectSink:ProjectSink": ({ inputs, name }, project) => ({
    writerIdentity: `serviceAccount:service-${mockProjectNumber(project)}@gcp-sa-logging.iam.gserviceaccount.com`,
    id: `projects/${project}/sinks/${str(inputs.name, name)}`,
  }),
  "gcp:monitoring/notificationChannel:NotificationChannel": ({ name }, project) => ({
    id: `projects/${project}/notificationChannels/${hashInt(`channel:${name}`, 1e15)}`,
  }),
  "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": ({ name }) => ({ uptimeCheckId: `${name}-${hashInt(name, 1e6)}` }),
  // Machine groups: a template's name is its prefix plus a suffix; selfLinkUnique changes with
  // its content (a new template), as the provider's does on replacement.
  "gcp:compute/instanceTemplate:InstanceTemplate": ({ inputs, name }, project) => {
    const n = `${str(inputs.namePrefix, name)}${createHash("sha256").update(name).digest("hex").slice(0, 12)}`;
    const selfLink = `https://www.googleapis.com/compute/v1/projects/${project}/global/instanceTemplates/${n}`;
    return { name: n, selfLink, selfLinkUnique: `${selfLink}?uniqueId=${hashInt(JSON.stringify(inputs), 1e15)}` };
  },
  "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager": ({ inputs, name }, project, region) => ({
    instanceGroup: `https://www.googleapis.com/compute/v1/projects/${project}/regions/${str(inputs.region, region)}/instanceGroups/${str(inputs.name, name)}`,
    selfLink: `https://www.googleapis.com/compute/v1/projects/${project}/regions/${str(inputs.region, region)}/instanceGroupManagers/${str(inputs.name, name)}`,
  }),
  "gcp:compute/healthCheck:HealthCheck": ({ inputs, name }, project) => ({
    selfLink: `https://www.googleapis.com/compute/v1/projects/${project}/global/healthChecks/${str(inputs.name, name)}`,
  }),
  // The machine groups' global external Application Load Balancer (its GlobalAddress is mocked
  // above): what a URL map, proxy or forwarding rule would reference besides the id.
  "gcp:compute/backendService:BackendService": ({ inputs, name }, project) => ({
    selfLink: `https://www.googleapis.com/compute/v1/projects/${project}/global/backendServices/${str(inputs.name, name)}`,
  }),
  "gcp:compute/managedSslCertificate:ManagedSslCertificate": ({ inputs, name }, project) => ({
    selfLink: `https://www.googleapis.com/compute/v1/projects/${project}/global/sslCertificates/${str(inputs.name, name)}`,
    certificateId: hashInt(`cert:${str(inputs.name, name)}`, 1e15),
    type: "MANAGED",
  }),
  "gcp:compute/sSLPolicy:SSLPolicy": ({ inputs, name }, project) => ({
    selfLink: `https://www.googleapis.com/compute/v1/projects/${project}/global/sslPolicies/${str(inputs.name, name)}`,
  }),
  "gcp:compute/uRLMap:URLMap": ({ inputs, name }, project) => ({
    selfLink: `https://www.googleapis.com/compute/v1/projects/${project}/global/urlMaps/${str(inputs.name, name)}`,
  }),
  "gcp:compute/targetHttpsProxy:TargetHttpsProxy": ({ inputs, name }, project) => ({
    selfLink: `https://www.googleapis.com/compute/v1/projects/${project}/global/targetHttpsProxies/${str(inputs.name, name)}`,
  }),
  "gcp:compute/targetHttpProxy:TargetHttpProxy": ({ inputs, name }, project) => ({
    selfLink: `https://www.googleapis.com/compute/v1/projects/${project}/global/targetHttpProxies/${str(inputs.name, name)}`,
  }),
  "gcp:compute/globalForwardingRule:GlobalForwardingRule": ({ inputs, name }, project) => ({
    selfLink: `https://www.googleapis.com/compute/v1/projects/${project}/global/forwardingRules/${str(inputs.name, name)}`,
  }),
  // Regional load-balancer pieces (generic; no component of ours creates them today).
  "gcp:compute/regionHealthCheck:RegionHealthCheck": ({ inputs, name }, project, region) => ({
    selfLink: `https://www.googleapis.com/compute/v1/projects/${project}/regions/${str(inputs.region, region)}/healthChecks/${str(inputs.name, name)}`,
  }),
  "gcp:compute/regionBackendService:RegionBackendService": ({ inputs, name }, project, region) => ({
    selfLink: `https://www.googleapis.com/compute/v1/projects/${project}/regions/${str(inputs.region, region)}/backendServices/${str(inputs.name, name)}`,
  }),
  "gcp:compute/forwardingRule:ForwardingRule": ({ inputs, name }, project, region) => ({
    selfLink: `https://www.googleapis.com/compute/v1/projects/${project}/regions/${str(inputs.region, region)}/forwardingRules/${str(inputs.name, name)}`,
  }),
  "random:index/randomBytes:RandomBytes": ({ inputs, name }) => {
    const bytes = createHash("sha256").update(`bytes:${name}`).digest().subarray(0, Number(inputs.length ?? 16));
    return { base64: bytes.toString("base64"), hex: bytes.toString("hex") };
  },
};

/** Physical id per type: what the provider would return as `id`. */
function mockId(args: MockArgs, project: string, region: string): string {
  const n = str(args.inputs.name, args.name);
  switch (args.type) {
    case "gcp:compute/network:Network":
      return `projects/${project}/global/networks/${n}`;
    case "gcp:compute/subnetwork:Subnetwork":
      return `projects/${project}/regions/${str(args.inputs.region, region)}/subnetworks/${n}`;
    case "gcp:serviceaccount/account:Account":
      return `projects/${project}/serviceAccounts/${str(args.inputs.accountId, n)}@${project}.iam.gserviceaccount.com`;
    default:
      return `${n}-id`;
  }
}

/** What an invoke mock knows of its call: the project its credentials belong to. */
interface InvokeContext {
  /** The project of the provider the invoke runs through (the run's default for the default provider). */
  project: string;
}

/** A secret payload read (getSecretVersion / getSecretVersionAccess), checked at the end of the run. */
interface SecretRead {
  token: string;
  /** `project/secretId`, the project as given (id or number). */
  key: string;
  secret: string;
}

const secretVersionResult = (inputs: Record<string, unknown>, ctx: InvokeContext) => ({
  project: str(inputs.project, ctx.project),
  secret: inputs.secret,
  version: str(inputs.version, "1"),
  secretData: `mock-secret-data:${String(inputs.secret)}`,
  name: `projects/${mockProjectNumber(str(inputs.project, ctx.project))}/secrets/${String(inputs.secret)}/versions/${str(inputs.version, "1")}`,
  enabled: true,
});

/** Invokes we mock; anything else throws. */
const invokes: Record<string, (inputs: Record<string, unknown>, ctx: InvokeContext) => Record<string, unknown>> = {
  "gcp:organizations/getProject:getProject": (inputs, ctx) => {
    const projectId = str(inputs.projectId, ctx.project);
    return { projectId, number: mockProjectNumber(projectId), name: projectId, id: `projects/${projectId}` };
  },
  "gcp:secretmanager/getSecretVersion:getSecretVersion": secretVersionResult,
  "gcp:secretmanager/getSecretVersionAccess:getSecretVersionAccess": secretVersionResult,
  "gcp:organizations/getClientConfig:getClientConfig": (_inputs, ctx) => ({
    project: ctx.project,
    accessToken: "mock-access-token",
    region: "",
    zone: "",
    id: "mock",
  }),
};

/** Invokes that read a secret's payload. */
const secretPayloadReads = new Set(["gcp:secretmanager/getSecretVersion:getSecretVersion", "gcp:secretmanager/getSecretVersionAccess:getSecretVersionAccess"]);

export class UnmockedInvokeError extends Error {
  override readonly name = "UnmockedInvokeError";
}

/** An invoke whose real answer depends on state or permissions the plan cannot know. */
export class UnknowableInvokeError extends Error {
  override readonly name = "UnknowableInvokeError";
}

export interface PlanMocksOptions {
  /** Project used for resources that name none (the provider default): the environment's project. */
  defaultProject?: string;
  defaultRegion?: string;
  /**
   * Outputs of the stacks the program reads with `new pulumi.StackReference(name)`, by stack name
   * (`org/project/stack`). A reference to a stack not listed fails the plan, as `pulumi up` fails
   * when the stack does not exist.
   */
  stackReferences?: Record<string, Record<string, unknown>>;
}

/** A PSA range registered in the run: a GlobalAddress with purpose VPC_PEERING. */
interface ServicesAccessRange {
  name: string;
  cidr: string;
}

/** Deterministic mocks for the GCP and Kubernetes providers. */
export class PlanMocks implements pulumi.runtime.Mocks {
  private readonly project: string;
  private readonly region: string;

  private readonly stackReferences: StackReferences;

  constructor(options: PlanMocksOptions = {}) {
    this.project = options.defaultProject ?? "mock-project";
    this.region = options.defaultRegion ?? "europe-west1";
    this.stackReferences = new StackReferences(options.stackReferences);
  }

  /** Provider id → its project, so resources that name none get their provider's. */
  private readonly providerProjects = new Map<string, string>();
  /** Network (`p/n`) → its PSA ranges, in registration order. */
  private readonly servicesAccessRanges = new Map<string, ServicesAccessRange[]>();
  /** Subnetwork (`p/r/n`) → its primary range. */
  private readonly subnetworkRanges = new Map<string, string>();
  /** Addresses handed out per range, so two instances never share one. */
  private readonly taken = new Map<string, Set<string>>();
  /** Secrets the stack creates, as `project/secretId` with the project both as id and as number. */
  private readonly createdSecrets = new Set<string>();
  private readonly secretReads: SecretRead[] = [];

  private takenIn(cidr: string): Set<string> {
    let set = this.taken.get(cidr);
    if (!set) this.taken.set(cidr, (set = new Set()));
    return set;
  }

  private readonly context = (project: string, region: string): MockContext => ({
    project,
    region,
    servicesAccessAddress: (network, rangeName, seed) => {
      const key = networkKey(network, project);
      const ranges = key ? this.servicesAccessRanges.get(key) : undefined;
      const range = typeof rangeName === "string" && rangeName !== "" ? ranges?.find((r) => r.name === rangeName) : ranges?.[0];
      return range ? mockAddressIn(range.cidr, seed, this.takenIn(range.cidr)) : undefined;
    },
    subnetworkAddress: (subnetwork, seed) => {
      const key = subnetworkKey(subnetwork, project, region);
      const cidr = key ? this.subnetworkRanges.get(key) : undefined;
      return cidr ? mockAddressIn(cidr, seed, this.takenIn(cidr)) : undefined;
    },
  });

  /** The project a registration or invoke runs as: its provider's, else the run's default. */
  private providerProject(provider: string | undefined): string {
    const providerId = provider ? provider.slice(provider.lastIndexOf("::") + 2) : "";
    return this.providerProjects.get(providerId) ?? this.project;
  }

  newResource(args: MockArgs): { id: string | undefined; state: State } {
    if (args.type === stackReferenceType) return this.stackReferences.read(args.inputs, args.name);
    if (args.type.startsWith("pulumi:providers:")) {
      const id = `${args.name}-${createHash("sha256").update(JSON.stringify(args.inputs)).digest("hex").slice(0, 8)}`;
      if (typeof args.inputs.project === "string") this.providerProjects.set(id, args.inputs.project);
      return { id, state: { ...args.inputs } };
    }
    const project = str(args.inputs.project, this.providerProject(args.provider));
    this.remember(args, project);
    const extra = computed[args.type]?.(args, project, this.region, this.context(project, str(args.inputs.region, this.region))) ?? {};
    const id = (extra.id as string | undefined) ?? mockId(args, project, this.region);
    return { id, state: { ...args.inputs, ...extra } };
  }

  /** Records what later registrations and the end-of-run checks need: ranges and secrets. */
  private remember(args: MockArgs, project: string): void {
    const { inputs } = args;
    if (args.type === "gcp:compute/globalAddress:GlobalAddress" && inputs.purpose === "VPC_PEERING" && typeof inputs.address === "string") {
      const key = networkKey(inputs.network, project);
      if (key && typeof inputs.prefixLength === "number") {
        const ranges = this.servicesAccessRanges.get(key) ?? [];
        ranges.push({ name: str(inputs.name, args.name), cidr: `${inputs.address}/${inputs.prefixLength}` });
        this.servicesAccessRanges.set(key, ranges);
      }
    }
    if (args.type === "gcp:compute/subnetwork:Subnetwork" && typeof inputs.ipCidrRange === "string") {
      this.subnetworkRanges.set(`${project}/${str(inputs.region, this.region)}/${str(inputs.name, args.name)}`, inputs.ipCidrRange);
    }
    if (args.type === "gcp:secretmanager/secret:Secret") {
      const secretId = str(inputs.secretId, args.name);
      this.createdSecrets.add(`${project}/${secretId}`);
      this.createdSecrets.add(`${mockProjectNumber(project)}/${secretId}`);
    }
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    const mock = invokes[args.token];
    if (!mock) {
      throw new UnmockedInvokeError(
        `unmocked invoke "${args.token}" (inputs ${JSON.stringify(args.inputs)}); add a mock to src/plan/mocks.ts`,
      );
    }
    const inputs = (args.inputs ?? {}) as Record<string, unknown>;
    const ctx: InvokeContext = { project: this.providerProject(args.provider) };
    if (args.token === "gcp:organizations/getProject:getProject") this.refuseForeignProject(inputs, ctx);
    if (secretPayloadReads.has(args.token)) this.secretReads.push(secretRead(args.token, inputs, ctx));
    return mock(inputs, ctx);
  }

  /**
   * `projects.get` of another project needs `resourcemanager.projects.get` there (roles/browser),
   * which an environment's deploy and preview identities do not hold: the real invoke 403s
   * (https://cloud.google.com/resource-manager/reference/rest/v3/projects/get, gcp-review 6).
   */
  private refuseForeignProject(inputs: Record<string, unknown>, ctx: InvokeContext): void {
    const projectId = str(inputs.projectId, ctx.project);
    if (projectId === ctx.project || projectId === this.project) return;
    throw new UnknowableInvokeError(
      `getProject("${projectId}") runs with the credentials of project "${ctx.project}", which cannot read another project ` +
        `(resourcemanager.projects.get on ${projectId}); the plan cannot know its number: take the project number from config ` +
        `(e.g. ci.github.poolProjectNumber) instead of looking it up`,
    );
  }

  /**
   * What the run asked that a real first apply or preview could not answer, known only once every
   * resource registered: payload reads of secrets the same stack creates (on the first apply the
   * secret has no version yet, and previews hold no `secretmanager.versions.access`).
   */
  problems(): Error[] {
    const seen = new Set<string>();
    const out: Error[] = this.stackReferences.problems();
    for (const read of this.secretReads) {
      if (!this.createdSecrets.has(read.key) || seen.has(`${read.token}|${read.key}`)) continue;
      seen.add(`${read.token}|${read.key}`);
      const fn = read.token.slice(read.token.lastIndexOf(":") + 1);
      out.push(
        new UnknowableInvokeError(
          `${fn}("${read.secret}") reads the payload of a secret this stack creates: on the first apply it has no version yet, ` +
            `and previews cannot read payloads; take the value from Pulumi secret config (pulumi config set --secret) instead of reading it back`,
        ),
      );
    }
    return out;
  }
}

/** `secret` as id or `projects/<p>/secrets/<id>[/versions/<v>]`, with the project it lives in. */
function secretRead(token: string, inputs: Record<string, unknown>, ctx: InvokeContext): SecretRead {
  const secret = String(inputs.secret ?? "");
  const m = /^projects\/([^/]+)\/secrets\/([^/]+)/.exec(secret);
  const key = m ? `${m[1]}/${m[2]}` : `${str(inputs.project, ctx.project)}/${secret}`;
  return { token, key, secret };
}
