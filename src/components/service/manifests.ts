/**
 * Pure builders of every Kubernetes object a brume service needs. Plain values in, plain manifests
 * out: the Service component feeds them to @pulumi/kubernetes resources, and the tests validate
 * each one against the upstream OpenAPI schemas (kubernetes-models, Gateway API models).
 */
import { createHash } from "node:crypto";
import { containerLifecycle, defaultShutdown, terminationGracePeriod, type ShutdownSpec } from "./graceful-shutdown.js";
import { poolPlacement } from "./node-placement.js";
import { restrictedContainerSecurityContext } from "../../render/pod-security.js";
import { mountedSecretFiles, secretFileVariables, secretVersionsAnnotations } from "./secret-mounts.js";

export type Labels = Record<string, string>;

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Labels;
  annotations?: Labels;
}

export interface Manifest<Spec = Record<string, unknown>> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Spec;
}

/** Label and annotation keys brume writes. */
export const keys = {
  app: "app.kubernetes.io/name",
  version: "app.kubernetes.io/version",
  partOf: "app.kubernetes.io/part-of",
  managedBy: "app.kubernetes.io/managed-by",
  versionAnnotation: "brume.dev/version",
  imageAnnotation: "brume.dev/image",
  digestAnnotation: "brume.dev/image-digest",
  configHashAnnotation: "brume.dev/config-hash",
  gsaAnnotation: "iam.gke.io/gcp-service-account",
} as const;

/** Pod Security Admission: enforce, audit and warn at `restricted`. */
export const restrictedPodSecurityLabels: Labels = {
  "pod-security.kubernetes.io/enforce": "restricted",
  "pod-security.kubernetes.io/enforce-version": "latest",
  "pod-security.kubernetes.io/audit": "restricted",
  "pod-security.kubernetes.io/warn": "restricted",
};

/** The selector of a service's pods: its name only (a version in a selector makes it immutable). */
export function selectorLabels(app: string): Labels {
  return { [keys.app]: app };
}

// ---------------------------------------------------------------------------------------------
// Namespace
// ---------------------------------------------------------------------------------------------

export interface NamespaceSpec {
  name: string;
  labels?: Labels;
  /** Namespace totals (ResourceQuota `hard`). */
  quota: { requestsCpu: string; requestsMemory: string; limitsCpu: string; limitsMemory: string; pods: number; services: number };
  /** Container defaults (LimitRange). */
  defaults: { cpu: string; memory: string; maxCpu: string; maxMemory: string };
}

export function namespaceManifest(spec: NamespaceSpec): Manifest {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: spec.name, labels: { ...spec.labels, ...restrictedPodSecurityLabels, [keys.managedBy]: "brume" } },
  };
}

export function resourceQuotaManifest(spec: NamespaceSpec): Manifest {
  const q = spec.quota;
  return {
    apiVersion: "v1",
    kind: "ResourceQuota",
    metadata: { name: "brume-quota", namespace: spec.name, labels: { [keys.managedBy]: "brume" } },
    spec: {
      hard: {
        "requests.cpu": q.requestsCpu,
        "requests.memory": q.requestsMemory,
        "limits.cpu": q.limitsCpu,
        "limits.memory": q.limitsMemory,
        pods: String(q.pods),
        services: String(q.services),
        "services.loadbalancers": "0",
        "services.nodeports": "0",
      },
    },
  };
}

export function limitRangeManifest(spec: NamespaceSpec): Manifest {
  const d = spec.defaults;
  return {
    apiVersion: "v1",
    kind: "LimitRange",
    metadata: { name: "brume-limits", namespace: spec.name, labels: { [keys.managedBy]: "brume" } },
    spec: {
      limits: [
        {
          type: "Container",
          default: { cpu: d.cpu, memory: d.memory },
          defaultRequest: { cpu: d.cpu, memory: d.memory },
          max: { cpu: d.maxCpu, memory: d.maxMemory },
        },
      ],
    },
  };
}

/** Default deny of all ingress and egress in the namespace; services open what they need. */
export function defaultDenyPolicy(namespace: string): Manifest {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "default-deny", namespace, labels: { [keys.managedBy]: "brume" } },
    spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
  };
}

// ---------------------------------------------------------------------------------------------
// Identity
// ---------------------------------------------------------------------------------------------

export function serviceAccountManifest(o: { name: string; namespace: string; gsaEmail: string; labels: Labels }): Manifest {
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels, annotations: { [keys.gsaAnnotation]: o.gsaEmail } },
    // Tokens are projected only where needed; Workload Identity uses the GKE metadata server.
    automountServiceAccountToken: false,
  } as Manifest;
}

// ---------------------------------------------------------------------------------------------
// Workload
// ---------------------------------------------------------------------------------------------

export interface ProbeSpec {
  path?: string | undefined;
  port?: number | string | undefined;
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
}

export interface PortSpec {
  name: string;
  port: number;
  protocol: "TCP" | "UDP";
}

/** A secret delivered as a file by the GKE Secret Manager add-on (env var `<NAME>_FILE` points to it). */
export interface SecretFile {
  /** Environment variable the application reads (`OPENAI_API_KEY` → `OPENAI_API_KEY_FILE`). */
  env: string;
  /** `projects/<project>/secrets/<id>`. */
  secretResource: string;
  /** Pinned version mounted (`brume:secretVersions`); absent: `latest`, refreshed by the add-on's rotation (./secret-mounts.ts). */
  version?: number | undefined;
  /** Signing keys (`mount: current-and-previous`): this version is mounted too, as `<env>_PREVIOUS`. */
  previousVersion?: number | undefined;
}

export const secretsMountPath = "/var/run/secrets/brume";
export const secretsStoreDriver = "secrets-store-gke.csi.k8s.io";

export interface RollingParams {
  maxSurge: number | string;
  minReadySeconds: number;
  progressDeadlineSeconds: number;
}

export interface DeploymentSpec {
  name: string;
  namespace: string;
  app: string;
  version: string;
  image: string;
  serviceAccountName: string;
  ports: PortSpec[];
  command?: string[] | undefined;
  env: Record<string, string>;
  secretFiles: SecretFile[];
  /** SecretProviderClass holding `secretFiles`. */
  secretProviderClass?: string | undefined;
  resources: { cpu: string; memory: string };
  health: { liveness?: ProbeSpec | undefined; readiness?: ProbeSpec | undefined; startup?: ProbeSpec | undefined };
  rolling: RollingParams;
  labels: Labels;
  /** Shutdown sequence (./graceful-shutdown.ts). @default `defaultShutdown` (graceful-shutdown.ts) */
  shutdown?: ShutdownSpec | undefined;
  /** Node pool (`resources.pool`): tolerations and affinity (./node-placement.ts). */
  pool?: string | undefined;
}

function probe(p: ProbeSpec, ports: PortSpec[]): Record<string, unknown> {
  const port = p.port ?? ports[0]?.name ?? 8080;
  return {
    ...(p.path ? { httpGet: { path: p.path, port } } : { tcpSocket: { port } }),
    initialDelaySeconds: p.initialDelaySeconds,
    periodSeconds: p.periodSeconds,
    timeoutSeconds: p.timeoutSeconds,
    failureThreshold: p.failureThreshold,
  };
}

/** `image@sha256:…` → the digest, else undefined (a tag is not a record of what ran). */
export function imageDigest(image: string): string | undefined {
  return /@(sha256:[a-f0-9]{64})$/.exec(image)?.[1];
}

/** A short hash of a JSON value with sorted keys (deployment records). */
export function configHash(value: unknown): string {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sorted)
      : v && typeof v === "object"
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])]))
        : v;
  return createHash("sha256").update(JSON.stringify(sorted(value))).digest("hex").slice(0, 16);
}

export function secretEnvFile(env: string): string {
  return `${secretsMountPath}/${env}`;
}

/**
 * The pod template: hardened security context, zone spread, probes, secrets as CSI files, a
 * writable /tmp (the root filesystem is read-only). The version label is here and only here.
 */
export function podTemplate(spec: DeploymentSpec): Record<string, unknown> {
  const podLabels = { ...spec.labels, ...selectorLabels(spec.app), [keys.version]: spec.version };
  const env = [
    ...Object.entries(spec.env).map(([name, value]) => ({ name, value })),
    ...secretFileVariables(spec.secretFiles, secretsMountPath),
  ].sort((a, b) => a.name.localeCompare(b.name));
  const volumes: Record<string, unknown>[] = [{ name: "tmp", emptyDir: { sizeLimit: "256Mi" } }];
  const mounts: Record<string, unknown>[] = [{ name: "tmp", mountPath: "/tmp" }];
  if (spec.secretFiles.length > 0 && spec.secretProviderClass) {
    volumes.push({ name: "secrets", csi: { driver: secretsStoreDriver, readOnly: true, volumeAttributes: { secretProviderClass: spec.secretProviderClass } } });
    mounts.push({ name: "secrets", mountPath: secretsMountPath, readOnly: true });
  }
  const h = spec.health;
  const shutdown = spec.shutdown ?? defaultShutdown;
  const lifecycle = containerLifecycle(shutdown);
  return {
    metadata: {
      labels: podLabels,
      // The pinned secret versions: a new pin changes the template, so the Deployment rolls (./secret-mounts.ts).
      annotations: { [keys.versionAnnotation]: spec.version, [keys.imageAnnotation]: spec.image, ...secretVersionsAnnotations(spec.secretFiles) },
    },
    spec: {
      serviceAccountName: spec.serviceAccountName,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: terminationGracePeriod(shutdown),
      ...poolPlacement(spec.pool),
      securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } },
      topologySpreadConstraints: [
        { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { ...selectorLabels(spec.app), [keys.version]: spec.version } } },
        { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { ...selectorLabels(spec.app), [keys.version]: spec.version } } },
      ],
      containers: [
        {
          name: spec.app,
          image: spec.image,
          imagePullPolicy: "IfNotPresent",
          ...(spec.command ? { command: spec.command } : {}),
          ports: spec.ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: p.protocol })),
          env,
          // Only the container's quantities: `resources.pool` (the node pool, config) is no resource
          // (the API refuses a non-quantity; kubernetes-models' schema caught it in the rendered objects).
          resources: { requests: { cpu: spec.resources.cpu, memory: spec.resources.memory }, limits: { cpu: spec.resources.cpu, memory: spec.resources.memory } },
          ...(h.liveness ? { livenessProbe: probe(h.liveness, spec.ports) } : {}),
          ...(h.readiness ? { readinessProbe: probe(h.readiness, spec.ports) } : {}),
          ...(h.startup ? { startupProbe: probe(h.startup, spec.ports) } : {}),
          ...(lifecycle ? { lifecycle } : {}),
          securityContext: restrictedContainerSecurityContext(),
          volumeMounts: mounts,
        },
      ],
      volumes,
    },
  };
}

/**
 * A Deployment of one version. `replicas` is absent: the HPA owns it. The selector holds the app
 * and version labels of version-named workloads (they never change for that object), and only the
 * app label for a rolling workload, whose version changes on every release.
 */
export function deploymentManifest(spec: DeploymentSpec, options: { versionInSelector: boolean }): Manifest {
  const template = podTemplate(spec);
  const digest = imageDigest(spec.image);
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: spec.name,
      namespace: spec.namespace,
      labels: { ...spec.labels, ...selectorLabels(spec.app) },
      annotations: {
        [keys.versionAnnotation]: spec.version,
        [keys.imageAnnotation]: spec.image,
        ...(digest ? { [keys.digestAnnotation]: digest } : {}),
        [keys.configHashAnnotation]: configHash(template),
      },
    },
    spec: {
      selector: { matchLabels: { ...selectorLabels(spec.app), ...(options.versionInSelector ? { [keys.version]: spec.version } : {}) } },
      revisionHistoryLimit: 5,
      minReadySeconds: spec.rolling.minReadySeconds,
      progressDeadlineSeconds: spec.rolling.progressDeadlineSeconds,
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: spec.rolling.maxSurge } },
      template,
    },
  };
}

export function serviceManifest(o: { name: string; namespace: string; app: string; version?: string | undefined; ports: PortSpec[]; labels: Labels }): Manifest {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: o.name, namespace: o.namespace, labels: { ...o.labels, ...selectorLabels(o.app) } },
    spec: {
      type: "ClusterIP",
      selector: { ...selectorLabels(o.app), ...(o.version !== undefined ? { [keys.version]: o.version } : {}) },
      ports: o.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.name, protocol: p.protocol })),
    },
  };
}

export function hpaManifest(o: {
  name: string;
  namespace: string;
  min: number;
  max: number;
  targetCpu: number;
  targetMemory?: number | undefined;
  labels: Labels;
}): Manifest {
  const metric = (name: "cpu" | "memory", averageUtilization: number) => ({
    type: "Resource",
    resource: { name, target: { type: "Utilization", averageUtilization } },
  });
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: o.name },
      minReplicas: o.min,
      maxReplicas: o.max,
      metrics: [metric("cpu", o.targetCpu), ...(o.targetMemory !== undefined ? [metric("memory", o.targetMemory)] : [])],
      behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
    },
  };
}

/** One pod may be disrupted at a time, never the last one. */
export function pdbManifest(o: { name: string; namespace: string; app: string; version?: string | undefined; labels: Labels }): Manifest {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    spec: {
      maxUnavailable: 1,
      unhealthyPodEvictionPolicy: "AlwaysAllow",
      selector: { matchLabels: { ...selectorLabels(o.app), ...(o.version !== undefined ? { [keys.version]: o.version } : {}) } },
    },
  };
}

/**
 * SecretProviderClass of the GKE Secret Manager add-on: each secret's pinned (or latest) version as
 * a file, and a signing key's previous version (./secret-mounts.ts). `parameters.secrets` is a YAML
 * list of `resourceName` (`projects/<p>/secrets/<s>/versions/<v>`) and `path`
 * (https://cloud.google.com/secret-manager/docs/secret-manager-managed-csi-component#configure-secrets).
 */
export function secretProviderClassManifest(o: { name: string; namespace: string; files: SecretFile[]; labels: Labels }): Manifest {
  const lines = mountedSecretFiles(o.files).flatMap((f) => [`- resourceName: "${f.resourceName}"`, `  path: "${f.path}"`]);
  return {
    apiVersion: "secrets-store.csi.x-k8s.io/v1",
    kind: "SecretProviderClass",
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    spec: { provider: "gke", parameters: { secrets: `${lines.join("\n")}\n` } },
  };
}

// ---------------------------------------------------------------------------------------------
// Network policy
// ---------------------------------------------------------------------------------------------

export interface NetworkPolicySpec {
  name: string;
  namespace: string;
  app: string;
  ports: PortSpec[];
  /** Services allowed to call this one (they list it in dependsOn). */
  callers: string[];
  /** Services this one calls, with their ports. */
  dependencies: { app: string; ports: PortSpec[] }[];
  /** Ranges the gateway's proxies and health checks come from, when exposed. */
  gatewaySources: string[];
  /** Private ranges of the data services it uses, with ports (Cloud SQL 5432 / 3307, Redis 6378). */
  dataEgress: { cidr: string; ports: number[] }[];
  /** Egress to Google APIs (Secret Manager, Pub/Sub, GCS) on 443, through private.googleapis.com. */
  googleApis: boolean;
  /**
   * Ports of the third-party egress (`egress:`) the NetworkPolicy must open to any address outside
   * the VPC, when no FQDN network policy restricts it by name. @default []
   */
  thirdPartyPorts?: number[];
  labels: Labels;
}

/** private.googleapis.com (components/network/dns.ts `privateGoogleApis`): the only Google APIs range pods reach. */
export const privateGoogleApisCidr = "199.36.153.8/30";
/** Everything outside the VPC's private ranges (RFC 1918). */
const internet = { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] };

/** CIDRs of Google front ends and health checkers (external Application Load Balancers). */
/** The GKE metadata server (Workload Identity tokens). */
export const metadataServerEgress = [
  { cidr: "169.254.169.252/32", port: 988 },
  { cidr: "169.254.169.254/32", port: 80 },
] as const;

export function networkPolicyManifest(o: NetworkPolicySpec): Manifest {
  const tcp = (port: number | string, protocol = "TCP") => ({ port, protocol });
  const ownPorts = o.ports.map((p) => tcp(p.port, p.protocol));
  const ingress: Record<string, unknown>[] = [];
  if (o.callers.length > 0) {
    ingress.push({
      from: [...o.callers].sort().map((c) => ({ podSelector: { matchLabels: selectorLabels(c) } })),
      ports: ownPorts,
    });
  }
  if (o.gatewaySources.length > 0) ingress.push({ from: o.gatewaySources.map((cidr) => ({ ipBlock: { cidr } })), ports: ownPorts });
  const egress: Record<string, unknown>[] = [
    {
      to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }, { ipBlock: { cidr: "169.254.20.10/32" } }],
      ports: [tcp(53, "UDP"), tcp(53, "TCP")],
    },
    ...metadataServerEgress.map((m) => ({ to: [{ ipBlock: { cidr: m.cidr } }], ports: [tcp(m.port)] })),
  ];
  for (const dep of [...o.dependencies].sort((a, b) => a.app.localeCompare(b.app))) {
    egress.push({ to: [{ podSelector: { matchLabels: selectorLabels(dep.app) } }], ports: dep.ports.map((p) => tcp(p.port, p.protocol)) });
  }
  for (const d of o.dataEgress) egress.push({ to: [{ ipBlock: { cidr: d.cidr } }], ports: d.ports.map((p) => tcp(p)) });
  // Google APIs resolve to private.googleapis.com in the VPC's googleapis.com zone (k8s-review 18).
  if (o.googleApis) egress.push({ to: [{ ipBlock: { cidr: privateGoogleApisCidr } }], ports: [tcp(443)] });
  const third = [...new Set(o.thirdPartyPorts ?? [])].sort((a, b) => a - b);
  if (third.length > 0) egress.push({ to: [{ ipBlock: internet }], ports: third.map((p) => tcp(p)) });
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    spec: { podSelector: { matchLabels: selectorLabels(o.app) }, policyTypes: ["Ingress", "Egress"], ingress, egress },
  };
}

// ---------------------------------------------------------------------------------------------
// Exposure (Gateway API on GKE)
// ---------------------------------------------------------------------------------------------

export const gatewayClasses = { external: "gke-l7-global-external-managed", internal: "gke-l7-rilb" } as const;

export function gatewayManifest(o: {
  name: string;
  namespace: string;
  external: boolean;
  /**
   * Compute SSL certificates (pre-shared `SslCertificate` names) for HTTPS.
   * @default []
   */
  certificates?: string[];
  /**
   * Certificate Manager map (global external Gateway, `networking.gke.io/certmap`) for HTTPS;
   * it cannot be combined with `certificates` or `tls.certificateRefs` (GKE "Secure a Gateway").
   */
  certificateMap?: string;
  /**
   * Certificate Manager certificates (regional, the internal Gateway) by name, in the HTTPS
   * listener's `tls.options["networking.gke.io/cert-manager-certs"]` (GKE "Secure a Gateway":
   * regional Gateways take no certificate map).
   */
  certManagerCertificates?: string[];
  /**
   * Reserved address name: a global static IP (external) or a regional internal address
   * (internal), as `spec.addresses: [{type: NamedAddress, value}]` (GKE "Deploying Gateways",
   * Gateway IP addressing: https://cloud.google.com/kubernetes-engine/docs/how-to/deploying-gateways).
   */
  address?: string | undefined;
  labels: Labels;
}): Manifest {
  const listeners: Record<string, unknown>[] = [];
  const certificates = o.certificates ?? [];
  const managed = o.certManagerCertificates ?? [];
  const sources = [o.certificateMap ? 1 : 0, certificates.length > 0 ? 1 : 0, managed.length > 0 ? 1 : 0].reduce((a, b) => a + b, 0);
  if (sources > 1) throw new Error(`Gateway ${o.name}: a certificate map, pre-shared certificates and Certificate Manager certificates cannot be combined`);
  const same = { namespaces: { from: "Same" } };
  if (o.certificateMap) {
    // The map holds the certificates; the listener names none.
    listeners.push({ name: "https", protocol: "HTTPS", port: 443, allowedRoutes: same });
  } else if (certificates.length > 0) {
    listeners.push({
      name: "https",
      protocol: "HTTPS",
      port: 443,
      tls: { mode: "Terminate", options: { "networking.gke.io/pre-shared-certs": certificates.join(",") } },
      allowedRoutes: same,
    });
  } else if (managed.length > 0) {
    listeners.push({
      name: "https",
      protocol: "HTTPS",
      port: 443,
      tls: { mode: "Terminate", options: { "networking.gke.io/cert-manager-certs": managed.join(",") } },
      allowedRoutes: same,
    });
  }
  // Port 80 serves only the redirect route (./gateway-manifests.ts) when HTTPS is on.
  listeners.push({ name: "http", protocol: "HTTP", port: 80, allowedRoutes: same });
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: {
      name: o.name,
      namespace: o.namespace,
      labels: o.labels,
      ...(o.certificateMap ? { annotations: { "networking.gke.io/certmap": o.certificateMap } } : {}),
    },
    spec: {
      gatewayClassName: o.external ? gatewayClasses.external : gatewayClasses.internal,
      listeners,
      ...(o.address ? { addresses: [{ type: "NamedAddress", value: o.address }] } : {}),
    },
  };
}

export function httpRouteManifest(o: {
  name: string;
  namespace: string;
  gateway: string;
  hostnames: string[];
  paths: string[];
  port: number;
  route: { backends: { service: string; weight: number }[]; preview?: { header: string; value: string; backends: { service: string; weight: number }[] } | undefined };
  labels: Labels;
}): Manifest {
  const refs = (list: { service: string; weight: number }[]) => list.map((b) => ({ kind: "Service", name: b.service, port: o.port, weight: b.weight }));
  const pathMatches = o.paths.map((value) => ({ path: { type: "PathPrefix", value } }));
  const rules: Record<string, unknown>[] = [];
  if (o.route.preview) {
    const p = o.route.preview;
    rules.push({
      matches: o.paths.map((value) => ({ path: { type: "PathPrefix", value }, headers: [{ type: "Exact", name: p.header, value: p.value }] })),
      backendRefs: refs(p.backends),
    });
  }
  rules.push({ matches: pathMatches, backendRefs: refs(o.route.backends) });
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: {
      name: o.name,
      namespace: o.namespace,
      labels: o.labels,
      // HTTPRoute has no built-in await in the Kubernetes provider: wait until the gateway accepted
      // THIS generation and resolved its backends. On an update the previous `Accepted=True` is still
      // there, so each condition's observedGeneration must equal the object's generation (k8s-review
      // 23; kubernetes/kubernetes#97408). A JSON list is ANDed; RFC 9535 filters since
      // pulumi-kubernetes 4.24 (pulumi/pulumi-kubernetes#3935).
      annotations: { "pulumi.com/waitFor": routeWaitFor },
    },
    // Bound to the HTTPS listener only: the `http` listener's one route redirects (./gateway-manifests.ts).
    spec: { parentRefs: [{ kind: "Gateway", name: o.gateway, sectionName: "https" }], hostnames: o.hostnames, rules },
  };
}

/** The HTTPRoute's await: Accepted and ResolvedRefs True for the current generation. */
export const routeWaitFor = JSON.stringify(
  ["Accepted", "ResolvedRefs"].map((type) => `jsonpath={.status.parents[0].conditions[?@.type=='${type}' && @.status=='True' && @.observedGeneration == $.metadata.generation]}`),
);

/**
 * GKE backend policy of a Service: connection draining and the backend timeout always (k8s-review
 * 12), Cloud Armor and IAP when asked. The CRD (GoogleCloudPlatform/gke-gateway-api,
 * `networking.gke.io_gcpbackendpolicies.yaml`): `timeoutSec` "If the field is omitted, a default
 * value (30s) will be used"; `iap.enabled` "If true, the ClientID and Oauth2ClientSecret fields
 * must be non-empty" (k8s-review 10) — `oauth2ClientSecret.name` is a Kubernetes Secret in the
 * namespace holding the client secret under the key `key`.
 */
export function backendPolicyManifest(o: {
  name: string;
  namespace: string;
  service: string;
  securityPolicy?: string | undefined;
  /** Identity-Aware Proxy with this OAuth client (its secret in a Kubernetes Secret). */
  iap?: { clientId: string; secretName: string } | undefined;
  /** Backend service timeout (a streamed response is cut after it). @default 30 */
  timeoutSec?: number | undefined;
  /** Connection draining of a removed endpoint. @default 30 */
  drainingTimeoutSec?: number | undefined;
  labels: Labels;
}): Manifest {
  return {
    apiVersion: "networking.gke.io/v1",
    kind: "GCPBackendPolicy",
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    spec: {
      default: {
        ...(o.securityPolicy ? { securityPolicy: o.securityPolicy } : {}),
        ...(o.iap ? { iap: { enabled: true, clientID: o.iap.clientId, oauth2ClientSecret: { name: o.iap.secretName } } } : {}),
        timeoutSec: o.timeoutSec ?? 30,
        connectionDraining: { drainingTimeoutSec: o.drainingTimeoutSec ?? 30 },
        logging: { enabled: true, sampleRate: 100000 },
      },
      targetRef: { group: "", kind: "Service", name: o.service },
    },
  };
}

/** GKE health check of a Service's backends, from its readiness probe. */
export function healthCheckPolicyManifest(o: { name: string; namespace: string; service: string; path: string; port: number; labels: Labels }): Manifest {
  return {
    apiVersion: "networking.gke.io/v1",
    kind: "HealthCheckPolicy",
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    spec: {
      default: { config: { type: "HTTP", httpHealthCheck: { port: o.port, requestPath: o.path } } },
      targetRef: { group: "", kind: "Service", name: o.service },
    },
  };
}
