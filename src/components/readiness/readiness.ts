/**
 * Readiness waits: dynamic resources (`pulumi-nodejs:dynamic:Resource`) that, in a real
 * `pulumi up`, poll what Google makes observable until an eventually consistent change has taken
 * effect, with bounded exponential backoff and a timeout error naming what they waited for. No
 * sleep: a wait ends at the first ready answer. What each observes and why the Google provider's
 * own retries do not cover it: `./runtime.ts`.
 *
 * - `ApiReadiness`: after `gcp.projects.Service`, a cheap read of the API in the project until it
 *   stops answering 403 SERVICE_DISABLED.
 * - `CmekReadiness`: after the KMS grant to the Secret Manager agent, a throwaway CMEK secret and
 *   version until Secret Manager can encrypt with the key (the grant has propagated).
 *
 * - `IamMemberReadiness`: before a grant to a just-created Google identity, the same grant, retried
 *   while IAM answers "Service account … does not exist" (no readiness signal exists for that).
 *
 * - `CrdEstablished`: before custom resources of CRDs GKE installs (Gateway API, the Secret Manager
 *   add-on), the cluster's `customresourcedefinitions/<name>` until each is Established: turning a
 *   feature on in an existing cluster installs them after the cluster update returns, and
 *   pulumi-kubernetes retries "no matches for kind" only a few times (k8s-review 28).
 *
 * Under the offline plan these are ordinary resources: their inputs say what they wait for, and
 * resources that must not start earlier depend on them.
 */
import * as pulumi from "@pulumi/pulumi";
import { readinessProvider, type WaitBounds, type WaitInputs } from "./runtime.js";

/**
 * Default bounds. API enablement: Google's error says "wait a few minutes"; 10 minutes, polls
 * 2 s, 4 s, … up to 30 s. IAM propagation: "can take 7 minutes or longer"
 * (https://cloud.google.com/iam/docs/access-change-propagation): 10 minutes as well.
 */
export const defaultWaitBounds: WaitBounds = { timeoutSeconds: 600, maxPolls: 60, initialDelayMs: 2000, maxDelayMs: 30_000 };

/**
 * A cheap, project-scoped read per API (GET, no side effect), answered by the API's own backend.
 * APIs without one (token exchange, scanning, IAP) are probed through Service Usage's
 * `services.get`, which answers once the service is enabled.
 */
export const apiProbes: Record<string, (project: string) => string> = {
  "compute.googleapis.com": (p) => `https://compute.googleapis.com/compute/v1/projects/${p}/regions?maxResults=1`,
  "container.googleapis.com": (p) => `https://container.googleapis.com/v1/projects/${p}/locations/-/clusters`,
  "sqladmin.googleapis.com": (p) => `https://sqladmin.googleapis.com/v1/projects/${p}/instances?maxResults=1`,
  "redis.googleapis.com": (p) => `https://redis.googleapis.com/v1/projects/${p}/locations/-/instances?pageSize=1`,
  "pubsub.googleapis.com": (p) => `https://pubsub.googleapis.com/v1/projects/${p}/topics?pageSize=1`,
  "secretmanager.googleapis.com": (p) => `https://secretmanager.googleapis.com/v1/projects/${p}/secrets?pageSize=1`,
  "artifactregistry.googleapis.com": (p) => `https://artifactregistry.googleapis.com/v1/projects/${p}/locations?pageSize=1`,
  "dns.googleapis.com": (p) => `https://dns.googleapis.com/dns/v1/projects/${p}/managedZones?maxResults=1`,
  "cloudkms.googleapis.com": (p) => `https://cloudkms.googleapis.com/v1/projects/${p}/locations?pageSize=1`,
  "binaryauthorization.googleapis.com": (p) => `https://binaryauthorization.googleapis.com/v1/projects/${p}/policy`,
  "monitoring.googleapis.com": (p) => `https://monitoring.googleapis.com/v3/projects/${p}/alertPolicies?pageSize=1`,
  "logging.googleapis.com": (p) => `https://logging.googleapis.com/v2/projects/${p}/sinks?pageSize=1`,
  "certificatemanager.googleapis.com": (p) => `https://certificatemanager.googleapis.com/v1/projects/${p}/locations?pageSize=1`,
  "cloudresourcemanager.googleapis.com": (p) => `https://cloudresourcemanager.googleapis.com/v1/projects/${p}`,
  "iam.googleapis.com": (p) => `https://iam.googleapis.com/v1/projects/${p}/serviceAccounts?pageSize=1`,
  "bigquery.googleapis.com": (p) => `https://bigquery.googleapis.com/bigquery/v2/projects/${p}/datasets?maxResults=1`,
  "cloudscheduler.googleapis.com": (p) => `https://cloudscheduler.googleapis.com/v1/projects/${p}/locations?pageSize=1`,
};

/** The probe URL of an API in a project (pure). */
export function apiProbeUrl(service: string, project: string): string {
  const probe = apiProbes[service];
  return probe ? probe(project) : `https://serviceusage.googleapis.com/v1/projects/${project}/services/${service}`;
}

export interface ApiReadinessArgs {
  project: string;
  /** The enabled API ("secretmanager.googleapis.com"). */
  service: string;
  /** Overrides the probe (tests point it at a loopback fake). @default apiProbeUrl(service, project) */
  probeUrl?: string;
  /** @default defaultWaitBounds */
  bounds?: Partial<WaitBounds>;
}

/** Waits until a just-enabled API answers in the project (see the module comment). */
export class ApiReadiness extends pulumi.dynamic.Resource {
  declare readonly polls: pulumi.Output<number>;
  declare readonly observed: pulumi.Output<string>;

  constructor(name: string, args: ApiReadinessArgs, opts?: pulumi.CustomResourceOptions) {
    const inputs: WaitInputs = {
      kind: "api",
      what: `${args.service} to answer in project ${args.project}`,
      project: args.project,
      service: args.service,
      probeUrl: args.probeUrl ?? apiProbeUrl(args.service, args.project),
      ...defaultWaitBounds,
      ...args.bounds,
    };
    super(readinessProvider, name, { ...inputs, polls: undefined, observed: undefined }, opts, "readiness", "ApiReadiness");
  }
}

export interface CmekReadinessArgs {
  project: string;
  /** The crypto key the CMEK secrets use (an Output of the key, so the dependency is real). */
  kmsKeyName: pulumi.Input<string>;
  /** The key's (and the secrets' replica's) location. */
  location: string;
  /** The throwaway secret's id (1-255 letters, digits, '-' or '_'). */
  probeSecretId: string;
  /** @default "https://secretmanager.googleapis.com/v1" */
  secretManagerUrl?: string;
  /** @default defaultWaitBounds */
  bounds?: Partial<WaitBounds>;
}

/** Waits until Secret Manager can encrypt with a key just granted to its agent (see the module comment). */
export class CmekReadiness extends pulumi.dynamic.Resource {
  declare readonly polls: pulumi.Output<number>;
  declare readonly observed: pulumi.Output<string>;

  constructor(name: string, args: CmekReadinessArgs, opts?: pulumi.CustomResourceOptions) {
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(args.probeSecretId)) {
      throw new Error(`CmekReadiness ${name}: probeSecretId "${args.probeSecretId}" must be 1-255 letters, digits, '-' or '_'`);
    }
    const inputs = {
      kind: "cmek",
      what: `Secret Manager's agent to encrypt with the key in ${args.location} (project ${args.project})`,
      project: args.project,
      kmsKeyName: args.kmsKeyName,
      location: args.location,
      secretManagerUrl: args.secretManagerUrl ?? "https://secretmanager.googleapis.com/v1",
      probeSecretId: args.probeSecretId,
      ...defaultWaitBounds,
      ...args.bounds,
    };
    super(readinessProvider, name, { ...inputs, polls: undefined, observed: undefined }, opts, "readiness", "CmekReadiness");
  }
}

export interface IamMemberReadinessArgs {
  project: string;
  /** The policy's resource: a bucket or a resource with `:getIamPolicy` (see `runtime.ts`). */
  resource: { bucket: pulumi.Input<string> } | { v1Url: pulumi.Input<string> };
  role: string;
  /** The just-created identity, e.g. `serviceAccount:service-<n>@cloud-cdn-fill.iam.gserviceaccount.com`. */
  member: pulumi.Input<string>;
  /** @default "https://storage.googleapis.com/storage/v1" */
  storageUrl?: string;
  /** @default defaultWaitBounds */
  bounds?: Partial<WaitBounds>;
}

/** Waits until IAM accepts a just-created identity in a grant (see the module comment). */
export class IamMemberReadiness extends pulumi.dynamic.Resource {
  declare readonly polls: pulumi.Output<number>;
  declare readonly observed: pulumi.Output<string>;

  constructor(name: string, args: IamMemberReadinessArgs, opts?: pulumi.CustomResourceOptions) {
    const storage = "bucket" in args.resource;
    const resourceUrl =
      "bucket" in args.resource
        ? pulumi.interpolate`${args.storageUrl ?? "https://storage.googleapis.com/storage/v1"}/b/${args.resource.bucket}`
        : pulumi.output(args.resource.v1Url);
    const inputs = {
      kind: "iam-member",
      what: pulumi.interpolate`IAM to accept ${args.member} for ${args.role}`,
      project: args.project,
      resourceUrl,
      policyStyle: storage ? "storage" : "v1",
      role: args.role,
      member: args.member,
      ...defaultWaitBounds,
      ...args.bounds,
    };
    super(readinessProvider, name, { ...inputs, polls: undefined, observed: undefined }, opts, "readiness", "IamMemberReadiness");
  }
}

/**
 * The CRDs GKE installs that the stack's custom resources use, by the cluster feature that installs
 * them (components/service: Gateway, HTTPRoute, GCPBackendPolicy, GCPGatewayPolicy, HealthCheckPolicy,
 * SecretProviderClass). Sources: https://cloud.google.com/kubernetes-engine/docs/how-to/deploying-gateways#enable-gateway ;
 * https://cloud.google.com/secret-manager/docs/secret-manager-managed-csi-component
 */
export const gkeFeatureCrds = {
  gatewayApi: [
    "gateways.gateway.networking.k8s.io",
    "httproutes.gateway.networking.k8s.io",
    "gcpbackendpolicies.networking.gke.io",
    "gcpgatewaypolicies.networking.gke.io",
    "healthcheckpolicies.networking.gke.io",
  ],
  secretManager: ["secretproviderclasses.secrets-store.csi.x-k8s.io"],
  // `enableFqdnNetworkPolicy` installs the FQDNNetworkPolicy CRD:
  // https://cloud.google.com/kubernetes-engine/docs/how-to/fqdn-network-policies
  fqdnNetworkPolicy: ["fqdnnetworkpolicies.networking.gke.io"],
} as const;

export interface CrdEstablishedArgs {
  /** The cluster's API server endpoint (`Cluster.endpoint`: an IP or DNS name, no scheme). */
  endpoint: pulumi.Input<string>;
  /** The cluster CA, base64 PEM (`masterAuth.clusterCaCertificate`): the API server's TLS is verified with it. */
  caCertificate: pulumi.Input<string>;
  /** CRD names, `<plural>.<group>`. */
  establishedCrds: string[];
  /** What the timeout error calls the cluster. */
  clusterName: string;
  /** Overrides `https://<endpoint>` (tests). */
  server?: pulumi.Input<string>;
  /** @default defaultWaitBounds */
  bounds?: Partial<WaitBounds>;
}

/** Waits until CRDs of a cluster are Established (see the module comment). */
export class CrdEstablished extends pulumi.dynamic.Resource {
  declare readonly polls: pulumi.Output<number>;
  declare readonly observed: pulumi.Output<string>;

  constructor(name: string, args: CrdEstablishedArgs, opts?: pulumi.CustomResourceOptions) {
    if (args.establishedCrds.length === 0) throw new Error(`CrdEstablished ${name}: establishedCrds is empty`);
    const bad = args.establishedCrds.filter((c) => !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(c));
    if (bad.length > 0) throw new Error(`CrdEstablished ${name}: ${bad.join(", ")} are not CRD names (<plural>.<group>)`);
    const inputs = {
      kind: "crd",
      what: `the CRDs ${args.establishedCrds.join(", ")} to be Established in cluster ${args.clusterName}`,
      server: args.server ?? pulumi.interpolate`https://${args.endpoint}`,
      caCertificate: args.caCertificate,
      establishedCrds: [...args.establishedCrds],
      ...defaultWaitBounds,
      ...args.bounds,
    };
    super(readinessProvider, name, { ...inputs, polls: undefined, observed: undefined }, opts, "readiness", "CrdEstablished");
  }
}
