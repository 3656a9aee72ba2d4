/**
 * The one mock implementation of the Pulumi engine in this repo, used by `brume plan` and by every
 * test. Resources get realistic computed outputs (ids, selfLinks, IP addresses, emails, project
 * numbers), derived deterministically from their inputs, so a plan is byte-identical across runs.
 * Any invoke without a mock throws, naming the token: a plan never silently returns nothing.
 */
import type * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";

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

/** Computed outputs per resource type, on top of the inputs (which the engine echoes back). */
const computed: Record<string, (args: MockArgs, project: string, region: string) => State> = {
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
  "gcp:compute/address:Address": ({ inputs, name }) => ({
    address: str(inputs.address, inputs.addressType === "INTERNAL" ? mockPrivateIp(name) : mockPublicIp(name)),
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
  "gcp:sql/databaseInstance:DatabaseInstance": ({ inputs, name }, project, region) => {
    const n = str(inputs.name, name);
    const ip = mockPrivateIp(n, "10.254");
    return {
      connectionName: `${project}:${str(inputs.region, region)}:${n}`,
      privateIpAddress: ip,
      ipAddresses: [{ ipAddress: ip, type: "PRIVATE" }],
      selfLink: `https://sqladmin.googleapis.com/sql/v1beta4/projects/${project}/instances/${n}`,
      serviceAccountEmailAddress: `p${mockProjectNumber(project)}-abcdef@gcp-sa-cloud-sql.iam.gserviceaccount.com`,
    };
  },
  "gcp:redis/instance:Instance": ({ inputs, name }) => ({
    host: mockPrivateIp(str(inputs.name, name), "10.253"),
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
  "gcp:container/cluster:Cluster": ({ inputs, name }) => ({
    endpoint: mockPrivateIp(str(inputs.name, name), "172.16"),
    masterAuth: { clusterCaCertificate: Buffer.from(`mock-ca:${name}`).toString("base64") },
  }),
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

/** Invokes we mock; anything else throws. */
const invokes: Record<string, (inputs: Record<string, unknown>, defaults: { project: string }) => Record<string, unknown>> = {
  "gcp:organizations/getProject:getProject": (inputs, defaults) => {
    const projectId = str(inputs.projectId, defaults.project);
    return { projectId, number: mockProjectNumber(projectId), name: projectId, id: `projects/${projectId}` };
  },
  "gcp:secretmanager/getSecretVersion:getSecretVersion": (inputs, defaults) => ({
    project: str(inputs.project, defaults.project),
    secret: inputs.secret,
    version: "1",
    secretData: `mock-secret-data:${String(inputs.secret)}`,
    name: `projects/${mockProjectNumber(str(inputs.project, defaults.project))}/secrets/${String(inputs.secret)}/versions/1`,
    enabled: true,
  }),
  "gcp:organizations/getClientConfig:getClientConfig": (_inputs, defaults) => ({
    project: defaults.project,
    accessToken: "mock-access-token",
    region: "",
    zone: "",
    id: "mock",
  }),
};

export class UnmockedInvokeError extends Error {
  override readonly name = "UnmockedInvokeError";
}

export interface PlanMocksOptions {
  /** Project used for resources that name none (the provider default). */
  defaultProject?: string;
  defaultRegion?: string;
}

/** Deterministic mocks for the GCP and Kubernetes providers. */
export class PlanMocks implements pulumi.runtime.Mocks {
  private readonly project: string;
  private readonly region: string;

  constructor(options: PlanMocksOptions = {}) {
    this.project = options.defaultProject ?? "mock-project";
    this.region = options.defaultRegion ?? "europe-west1";
  }

  /** Provider id → its project, so resources that name none get their provider's. */
  private readonly providerProjects = new Map<string, string>();

  newResource(args: MockArgs): { id: string | undefined; state: State } {
    if (args.type.startsWith("pulumi:providers:")) {
      const id = `${args.name}-${createHash("sha256").update(JSON.stringify(args.inputs)).digest("hex").slice(0, 8)}`;
      if (typeof args.inputs.project === "string") this.providerProjects.set(id, args.inputs.project);
      return { id, state: { ...args.inputs } };
    }
    const providerId = args.provider ? args.provider.slice(args.provider.lastIndexOf("::") + 2) : "";
    const project = str(args.inputs.project, this.providerProjects.get(providerId) ?? this.project);
    const extra = computed[args.type]?.(args, project, this.region) ?? {};
    const id = (extra.id as string | undefined) ?? mockId(args, project, this.region);
    return { id, state: { ...args.inputs, ...extra } };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    const mock = invokes[args.token];
    if (!mock) {
      throw new UnmockedInvokeError(
        `unmocked invoke "${args.token}" (inputs ${JSON.stringify(args.inputs)}); add a mock to src/plan/mocks.ts`,
      );
    }
    return mock(args.inputs as Record<string, unknown>, { project: this.project });
  }
}
