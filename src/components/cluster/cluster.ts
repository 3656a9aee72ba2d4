/**
 * `brume:cluster:Cluster` — a private, regional GKE Standard cluster hardened the way Cloud
 * Foundation Fabric and terraform-google-modules' safer-cluster do it, and as the GCP scanners
 * (Checkov CKV_GCP_*, Trivy) expect:
 *
 * - private nodes, control plane reachable only from `masterAuthorizedNetworks` (never 0.0.0.0/0)
 *   and from the VPC (global access), optionally a private endpoint only;
 * - VPC-native (alias IPs) on the network's `pods` / `services` secondary ranges;
 * - Workload Identity, the GKE metadata server, shielded nodes with secure boot, COS images;
 * - network policy (Dataplane V2, or Calico), Binary Authorization enforcing the project policy
 *   (managed here), security posture, system + workload logging, managed Prometheus;
 * - a dedicated node service account holding `roles/container.defaultNodeServiceAccount` (never
 *   the Compute default service account), its Artifact Registry read scoped to the repositories
 *   the workloads pull from;
 * - node pools as data (autoscaled per zone, auto-repair/upgrade, surge 1/0), the default pool
 *   removed;
 * - a kubeconfig (secret; exec auth through gke-gcloud-auth-plugin, no static credential) and a
 *   Kubernetes provider bound to the cluster.
 */
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { childOptions, statefulOptions } from "../child-resources/options.js";
import { transformed, type Transform } from "../child-resources/transform.js";
import type { Naming } from "../../config/naming.js";
import { networkTags } from "../network/firewall.js";
import { secondaryRangeNames } from "../network/network.js";
import { CrdEstablished, gkeFeatureCrds } from "../readiness/readiness.js";
import { renderKubeconfig } from "./kubeconfig.js";
import { defaultNodePools, normalizeNodePool, type NodePoolSpec, type NormalizedNodePool } from "./node-pools.js";
import { assertValidCluster, type AuthorizedNetwork, type MaintenanceWindow } from "./validate.js";

export type NetworkPolicyProvider = "calico" | "dataplane-v2";
export type ReleaseChannel = "RAPID" | "REGULAR" | "STABLE" | "EXTENDED";

export interface ClusterArgs {
  /** GCP project id. */
  project: string;
  /** Region: the cluster is regional (control plane and nodes in every zone of it). */
  region: string;
  /** Naming scope for physical names. */
  naming: Naming;
  /** VPC network id or selfLink. */
  network: pulumi.Input<string>;
  /** Nodes subnet id or selfLink; it holds the pods and services secondary ranges. */
  subnetwork: pulumi.Input<string>;
  /**
   * Secondary range of the nodes subnet for pod IPs.
   * @default "pods"
   */
  podsRangeName?: string;
  /**
   * Secondary range of the nodes subnet for Service ClusterIPs.
   * @default "services"
   */
  servicesRangeName?: string;
  /**
   * /28 for the control plane's private endpoint; must not overlap any range of the VPC.
   * @example "172.16.0.0/28"
   */
  masterCidr: string;
  /**
   * CIDRs allowed to reach the control plane from outside the VPC (office, VPN, CI egress).
   * `0.0.0.0/0` is rejected. Empty: only the VPC (and peered networks) can reach it.
   * @default []
   */
  masterAuthorizedNetworks?: AuthorizedNetwork[];
  /**
   * Disable the public endpoint entirely: kubectl and Pulumi must then run inside the VPC (or
   * through a bastion / Cloud VPN), since the kubeconfig points at the private endpoint.
   * @default false
   */
  privateEndpoint?: boolean;
  /**
   * Endpoint of the kubeconfig and the Kubernetes provider: "dns" (the DNS-based endpoint, IAM
   * authorization: `container.clusters.connect`) or "ip" (behind masterAuthorizedNetworks).
   * @default "dns"
   */
  kubeconfigEndpoint?: "dns" | "ip";
  /**
   * `dataplane-v2` (eBPF, Cilium-based: GKE's default, enforces NetworkPolicy and FQDN policies)
   * or `calico` (network policy add-on). Changing it later replaces the cluster: an existing
   * Calico cluster pins `calico` (README "Upgrading: Dataplane V2").
   * @default "dataplane-v2"
   */
  networkPolicy?: NetworkPolicyProvider;
  /**
   * FQDN network policies (`FQDNNetworkPolicy`, Dataplane V2 only; GKE documents it as a paid
   * feature: https://cloud.google.com/kubernetes-engine/docs/how-to/fqdn-network-policies).
   * @default false
   */
  fqdnNetworkPolicy?: boolean;
  /** @default "STABLE" */
  releaseChannel?: ReleaseChannel;
  /**
   * Pulumi `protect` on the cluster.
   * @default true
   */
  protect?: boolean;
  /**
   * The provider's deletion protection on the cluster.
   * @default the value of `protect`
   */
  deletionProtection?: boolean;
  /** GCP labels of the cluster and its nodes. @default {} */
  labels?: Record<string, string>;
  /**
   * When GKE may upgrade and repair. GKE requires at least 48 h of availability in any 32 days.
   * @default Saturday and Sunday, 00:00-08:00 UTC
   */
  maintenanceWindow?: MaintenanceWindow;
  /** Node pools; the default pool is removed. @default defaultNodePools (general, highmem, spot) */
  nodePools?: NodePoolSpec[];
  /** Zones of the node pools. @default every zone GKE picks in the region */
  nodeLocations?: string[];
  /**
   * Scope the nodes' image pull permission (`roles/artifactregistry.reader`) to this repository
   * instead of the whole project.
   */
  artifactRepository?: ArtifactRepositoryRef;
  /**
   * Further Artifact Registry repositories the workloads pull from (a shared registry in another
   * project): the node service account gets `roles/artifactregistry.reader` on each. The deployer
   * needs `artifactregistry.repositories.setIamPolicy` there; when a platform team grants the
   * read instead, leave the repository out (brume config: `cluster.readableRegistries`).
   * @default []
   */
  imageRepositories?: ImageRepository[];
  /**
   * Image patterns Binary Authorization admits without attestation, such as the project's
   * registry: `europe-west1-docker.pkg.dev/<project>/<repo>/*`. GKE system images are admitted by
   * Google's global policy. Anything else is denied (or must be attested, with `attestors`).
   * @default []
   */
  allowedImagePatterns?: string[];
  /**
   * GKE Secret Sync (Secret Manager → Kubernetes Secrets, `SecretSync` objects): on where a
   * component needs a Kubernetes Secret it cannot avoid (Argo CD's repository credentials, GitOps
   * delivery). Requires GKE 1.33+ (https://cloud.google.com/secret-manager/docs/sync-k8-secrets). @default false
   */
  secretSync?: boolean;
  /** Attestors (`projects/<p>/attestors/<a>`) whose attestation admits an image. @default [] */
  attestors?: pulumi.Input<string>[];
  /**
   * Log Binary Authorization denials instead of blocking them (`DRYRUN_AUDIT_LOG_ONLY`). Weakens
   * enforcement: meant for rolling the policy out on an existing workload.
   * @default false
   */
  binaryAuthorizationDryRun?: boolean;
  /**
   * Create the project's Binary Authorization policy here. It is a project singleton: set false
   * when another stack (or a second cluster in the same project) owns it.
   * @default true
   */
  manageBinaryAuthorizationPolicy?: boolean;
  /** Cloud Storage FUSE CSI driver. @default false */
  gcsFuse?: boolean;
  /**
   * Intranode visibility: pod-to-pod traffic on one node goes through the VPC, so flow logs and
   * firewall rules see it (Checkov CKV_GCP_61). Opt out to save flow log volume.
   * @default true
   */
  intranodeVisibility?: boolean;
  /**
   * GKE security posture. `VULNERABILITY_BASIC` is retired: "Deprecated: Basic vulnerability
   * scanning is no longer supported" (GKE v1 `SecurityPostureConfig.VulnerabilityMode`,
   * https://cloud.google.com/kubernetes-engine/docs/deprecations/posture-management-deprecation),
   * so workload vulnerability scanning is off here and images are scanned where they are stored
   * (the Registry's `vulnerabilityScanningConfig`, Artifact Analysis).
   * @default { mode: "BASIC", vulnerabilityMode: "VULNERABILITY_DISABLED" }
   */
  securityPosture?: {
    mode?: "DISABLED" | "BASIC" | "ENTERPRISE";
    vulnerabilityMode?: "VULNERABILITY_DISABLED" | "VULNERABILITY_BASIC" | "VULNERABILITY_ENTERPRISE";
  };
  /**
   * Google Groups for RBAC: `gke-security-groups@<your domain>`, the group whose member groups
   * RBAC `Group` subjects may name (https://cloud.google.com/kubernetes-engine/docs/how-to/google-groups-rbac).
   * Without it GKE never matches a `Group` subject. Setting it on an existing cluster is an
   * in-place update (`gcloud container clusters update --security-group`), not a replacement: the
   * provider dropped ForceNew (GoogleCloudPlatform/magic-modules#6755, hashicorp/terraform-provider-google#12102).
   * @default unset
   */
  rbacSecurityGroup?: string;
  /**
   * Cloud KMS key (`projects/…/cryptoKeys/…`) for application-layer encryption of Kubernetes
   * Secrets in etcd. The GKE service agent needs encrypter/decrypter on it. @default unset
   */
  databaseEncryptionKey?: pulumi.Input<string>;
  /** Adjust any child we create. */
  transform?: {
    cluster?: Transform<gcp.container.ClusterArgs>;
    nodeServiceAccount?: Transform<gcp.serviceaccount.AccountArgs>;
    /** Project-level role bindings of the node service account (the name tells the role). */
    nodeRole?: Transform<gcp.projects.IAMMemberArgs>;
    /** The repository-scoped Artifact Registry bindings (`artifactRepository`, `imageRepositories`). */
    nodeRepositoryReader?: Transform<gcp.artifactregistry.RepositoryIamMemberArgs>;
    /** Every node pool (the name tells which). */
    nodePool?: Transform<gcp.container.NodePoolArgs>;
    binaryAuthorizationPolicy?: Transform<gcp.binaryauthorization.PolicyArgs>;
    kubernetesProvider?: Transform<k8s.ProviderArgs>;
  };
}

/** An Artifact Registry repository by project, location and repository id. */
export interface ArtifactRepositoryRef {
  project: pulumi.Input<string>;
  location: pulumi.Input<string>;
  repositoryId: pulumi.Input<string>;
}

/** A repository the workloads pull from, by plain values (they name the grant). */
export interface ImageRepository {
  project: string;
  location: string;
  repositoryId: string;
}

/**
 * Project roles of the node service account. `roles/container.defaultNodeServiceAccount` is "the
 * least privilege role intended for GKE nodes" (CIS GKE Benchmark v2.0.0 §5.2.1; GKE "Use
 * least privilege IAM service accounts",
 * https://cloud.google.com/kubernetes-engine/docs/how-to/service-accounts#default-gke-service-agent):
 * logging, monitoring and resource metadata writes, replacing the legacy list of four roles.
 * Image pulls are not in it: `roles/artifactregistry.reader` is bound per repository
 * (`artifactRepository`, `imageRepositories`), or on the project when no repository is given.
 */
export const nodeServiceAccountRoles = ["roles/container.defaultNodeServiceAccount", "roles/artifactregistry.reader"] as const;

/**
 * Saturday and Sunday 00:00-08:00 UTC: 8 weekend nights a month × 8 h = 64 h, above GKE's minimum
 * of 48 h in any 32 days (a 4 h weekend window, 32 h, would be rejected by the API).
 */
export const defaultMaintenanceWindow: MaintenanceWindow = {
  startTime: "2024-01-06T00:00:00Z",
  endTime: "2024-01-06T08:00:00Z",
  recurrence: "FREQ=WEEKLY;BYDAY=SA,SU",
};

const cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform";

/** Settings shared by every node (node pools and the short-lived default pool). */
function hardenedNodeConfig(serviceAccount: pulumi.Input<string>) {
  return {
    imageType: "COS_CONTAINERD",
    serviceAccount,
    // Access is decided by the service account's IAM roles; scopes are the legacy second gate.
    oauthScopes: [cloudPlatformScope],
    shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
    workloadMetadataConfig: { mode: "GKE_METADATA" },
    metadata: { "disable-legacy-endpoints": "true" },
  };
}

interface Normalized {
  pools: NormalizedNodePool[];
  clusterName: string;
  workloadPool: string;
  networkTag: string;
  protect: boolean;
  deletionProtection: boolean;
  labels: Record<string, string>;
  networkPolicy: NetworkPolicyProvider;
}

/** Validates (throwing one clear Error) and fills in the defaults, before anything is registered. */
function normalize(name: string, args: ClusterArgs): Normalized {
  const nodePools = args.nodePools ?? [...defaultNodePools];
  assertValidCluster(name, {
    masterCidr: args.masterCidr,
    masterAuthorizedNetworks: args.masterAuthorizedNetworks ?? [],
    nodePools,
    maintenanceWindow: args.maintenanceWindow ?? defaultMaintenanceWindow,
    allowedImagePatterns: args.allowedImagePatterns ?? [],
  });
  const protect = args.protect ?? true;
  return {
    pools: nodePools.map(normalizeNodePool),
    clusterName: args.naming.name("gke", "cluster"),
    workloadPool: `${args.project}.svc.id.goog`,
    networkTag: args.naming.name("gke-node"),
    protect,
    deletionProtection: args.deletionProtection ?? protect,
    labels: args.labels ?? {},
    networkPolicy: args.networkPolicy ?? "dataplane-v2",
  };
}

/**
 * `brume:cluster:Cluster` — a private, regional GKE Standard cluster with its node pools (the default pool
 * removed), a dedicated node service account and its grants, the project's Binary Authorization policy, a
 * kubeconfig and a Kubernetes provider bound to the cluster. See the module comment above for the
 * hardening, and `docs/config.md` ("The cluster") for its settings.
 */
export class Cluster extends pulumi.ComponentResource {
  readonly nodeServiceAccount: gcp.serviceaccount.Account;
  /**
   * The node service account's role bindings, in `nodeServiceAccountRoles` order, then the reader
   * grants on `imageRepositories`.
   */
  readonly nodeRoleBindings: (gcp.projects.IAMMember | gcp.artifactregistry.RepositoryIamMember)[];
  readonly cluster: gcp.container.Cluster;
  /** Node pools by pool name. */
  readonly nodePools: Record<string, gcp.container.NodePool>;
  readonly binaryAuthorizationPolicy?: gcp.binaryauthorization.Policy;
  /** Kubernetes provider for this cluster (server-side apply). */
  readonly provider: k8s.Provider;
  /**
   * Waits until the CRDs GKE installs for the Gateway API and the Secret Manager add-on are
   * Established (k8s-review 28): custom resources of those kinds depend on it.
   */
  readonly crdGate: CrdEstablished;

  readonly clusterName: pulumi.Output<string>;
  readonly endpoint: pulumi.Output<string>;
  /** `<project>.svc.id.goog`, resolved once the cluster exists (IAM bindings on it need that). */
  readonly workloadPool: pulumi.Output<string>;
  readonly nodeServiceAccountEmail: pulumi.Output<string>;
  /** Network tag of every node, for firewall rules (e.g. admission webhooks from the control plane). */
  readonly nodeNetworkTag: string;
  /** Kubeconfig YAML (secret). */
  readonly kubeconfig: pulumi.Output<string>;
  /** The API server CI and the readiness gate talk to: the DNS endpoint, or the IP endpoint (`kubeconfigEndpoint`). */
  readonly apiServer: pulumi.Output<string>;

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    const n = normalize(name, args);
    super("brume:cluster:Cluster", name, {}, opts);
    this.nodeNetworkTag = n.networkTag;

    this.nodeServiceAccount = this.createNodeServiceAccount(name, args, opts);
    this.nodeRoleBindings = [
      ...nodeServiceAccountRoles.map((role) => this.bindNodeRole(name, role, args, opts)),
      ...(args.imageRepositories ?? []).map((r) =>
        this.bindRepositoryReader(name, `nodes-reader-${r.location}-${r.project}-${r.repositoryId}`, r, args, opts),
      ),
    ];
    this.cluster = this.createCluster(name, args, n, opts);
    this.nodePools = Object.fromEntries(n.pools.map((pool) => [pool.name, this.createNodePool(name, pool, args, n, opts)]));
    if (args.manageBinaryAuthorizationPolicy ?? true) {
      this.binaryAuthorizationPolicy = this.createBinaryAuthorizationPolicy(name, args, opts);
    }

    this.clusterName = this.cluster.name;
    this.endpoint = this.cluster.endpoint;
    this.workloadPool = this.cluster.workloadIdentityConfig.apply((c) => c?.workloadPool ?? n.workloadPool);
    this.nodeServiceAccountEmail = this.nodeServiceAccount.email;
    // The kubeconfig's server decides the Kubernetes provider's identity: pulumi-kubernetes replaces
    // a provider whose cluster changes, and with it every object (k8s-review 29, pulumi/pulumi#4326):
    // existing environments pin `kubeconfigEndpoint: ip` (README, upgrading).
    const server = (this.apiServer =
      (args.kubeconfigEndpoint ?? "dns") === "dns"
        ? this.cluster.controlPlaneEndpointsConfig.apply((c) => {
            const endpoint = c?.dnsEndpointConfig?.endpoint;
            if (!endpoint) throw new Error(`cluster ${name}: no DNS endpoint (controlPlaneEndpointsConfig.dnsEndpointConfig.endpoint)`);
            return endpoint;
          })
        : this.cluster.endpoint);
    this.kubeconfig = pulumi.secret(
      pulumi
        .all([this.cluster.name, server, this.cluster.masterAuth])
        .apply(([clusterName, endpoint, auth]) =>
          renderKubeconfig({ name: clusterName, endpoint, caCertificate: auth.clusterCaCertificate ?? "" }),
        ),
    );
    this.provider = this.createProvider(name, args, opts);
    this.crdGate = this.createCrdGate(name, args.fqdnNetworkPolicy === true && args.networkPolicy !== "calico", opts);

    this.registerOutputs({
      clusterName: this.clusterName,
      endpoint: this.endpoint,
      workloadPool: this.workloadPool,
      nodeServiceAccountEmail: this.nodeServiceAccountEmail,
      kubeconfig: this.kubeconfig,
    });
  }

  private createNodeServiceAccount(
    name: string,
    args: ClusterArgs,
    opts: pulumi.ComponentResourceOptions | undefined,
  ): gcp.serviceaccount.Account {
    return new gcp.serviceaccount.Account(
      ...transformed(
        args.transform?.nodeServiceAccount,
        `${name}-nodes-sa`,
        {
          project: args.project,
          accountId: args.naming.name("gke-nodes", "serviceAccountId"),
          displayName: `GKE nodes of ${args.naming.prefix}`,
          description: "Dedicated least-privilege node service account, managed by brume",
        },
        childOptions(this, opts),
      ),
    );
  }

  /**
   * These roles have no narrower scope than the project, except image pulls, which bind on the
   * repository when one is given.
   */
  private bindNodeRole(
    name: string,
    role: (typeof nodeServiceAccountRoles)[number],
    args: ClusterArgs,
    opts: pulumi.ComponentResourceOptions | undefined,
  ): gcp.projects.IAMMember | gcp.artifactregistry.RepositoryIamMember {
    const part = role.replace(/^roles\//, "").replace(/[^a-zA-Z0-9]+/g, "-").toLowerCase();
    const member = this.nodeServiceAccount.member;
    if (role === "roles/artifactregistry.reader" && args.artifactRepository) {
      return this.bindRepositoryReader(name, `nodes-${part}`, args.artifactRepository, args, opts);
    }
    return new gcp.projects.IAMMember(
      ...transformed(args.transform?.nodeRole, `${name}-nodes-${part}`, { project: args.project, role, member }, childOptions(this, opts)),
    );
  }

  /** `roles/artifactregistry.reader` of the node service account on one repository. */
  private bindRepositoryReader(
    name: string,
    part: string,
    repository: ArtifactRepositoryRef,
    args: ClusterArgs,
    opts: pulumi.ComponentResourceOptions | undefined,
  ): gcp.artifactregistry.RepositoryIamMember {
    return new gcp.artifactregistry.RepositoryIamMember(
      ...transformed(
        args.transform?.nodeRepositoryReader,
        `${name}-${part}`,
        {
          project: repository.project,
          location: repository.location,
          repository: repository.repositoryId,
          role: "roles/artifactregistry.reader",
          member: this.nodeServiceAccount.member,
        },
        childOptions(this, opts),
      ),
    );
  }

  private createCluster(
    name: string,
    args: ClusterArgs,
    n: Normalized,
    opts: pulumi.ComponentResourceOptions | undefined,
  ): gcp.container.Cluster {
    const calico = n.networkPolicy === "calico";
    const clusterArgs: gcp.container.ClusterArgs = {
      project: args.project,
      name: n.clusterName,
      description: `GKE cluster of ${args.naming.prefix}, managed by brume`,
      location: args.region,
      ...(args.nodeLocations ? { nodeLocations: args.nodeLocations } : {}),
      network: args.network,
      subnetwork: args.subnetwork,
      networkingMode: "VPC_NATIVE",
      ipAllocationPolicy: {
        clusterSecondaryRangeName: args.podsRangeName ?? secondaryRangeNames.pods,
        servicesSecondaryRangeName: args.servicesRangeName ?? secondaryRangeNames.services,
      },
      // The default pool is removed once the cluster exists; until then it runs as the dedicated
      // node SA (not the Compute default SA, which org policies often disable) with the hardened
      // settings. Later changes are ignored, as Fabric does: node pools own node settings.
      removeDefaultNodePool: true,
      initialNodeCount: 1,
      nodeConfig: hardenedNodeConfig(this.nodeServiceAccount.email),
      privateClusterConfig: {
        enablePrivateNodes: true,
        enablePrivateEndpoint: args.privateEndpoint ?? false,
        masterIpv4CidrBlock: args.masterCidr,
        masterGlobalAccessConfig: { enabled: true },
      },
      // The DNS-based control-plane endpoint with IAM authorization: CI on GitHub-hosted runners
      // reaches the API server without an IP allowlist, each request authorized by IAM
      // (https://cloud.google.com/kubernetes-engine/docs/concepts/network-isolation#dns-based_endpoint).
      // It can be turned on for an existing cluster in place (`gcloud container clusters update
      // --enable-dns-access`); the IP endpoint and its authorized networks stay for people.
      controlPlaneEndpointsConfig: { dnsEndpointConfig: { allowExternalTraffic: true } },
      masterAuthorizedNetworksConfig: {
        cidrBlocks: (args.masterAuthorizedNetworks ?? []).map((a) => ({ cidrBlock: a.cidr, displayName: a.name })),
        gcpPublicCidrsAccessEnabled: false,
      },
      masterAuth: { clientCertificateConfig: { issueClientCertificate: false } },
      enableLegacyAbac: false,
      enableShieldedNodes: true,
      enableIntranodeVisibility: args.intranodeVisibility ?? true,
      workloadIdentityConfig: { workloadPool: n.workloadPool },
      ...(calico
        ? { networkPolicy: { enabled: true, provider: "CALICO" } }
        : { datapathProvider: "ADVANCED_DATAPATH", ...(args.fqdnNetworkPolicy ? { enableFqdnNetworkPolicy: true } : {}) }),
      addonsConfig: {
        httpLoadBalancing: { disabled: false },
        horizontalPodAutoscaling: { disabled: false },
        // Dataplane V2 enforces network policy itself; the Calico add-on must stay off with it.
        networkPolicyConfig: { disabled: !calico },
        gcePersistentDiskCsiDriverConfig: { enabled: true },
        gcpFilestoreCsiDriverConfig: { enabled: false },
        gcsFuseCsiDriverConfig: { enabled: args.gcsFuse ?? false },
      },
      gatewayApiConfig: { channel: "CHANNEL_STANDARD" },
      releaseChannel: { channel: args.releaseChannel ?? "STABLE" },
      binaryAuthorization: { evaluationMode: "PROJECT_SINGLETON_POLICY_ENFORCE" },
      securityPostureConfig: {
        mode: args.securityPosture?.mode ?? "BASIC",
        vulnerabilityMode: args.securityPosture?.vulnerabilityMode ?? "VULNERABILITY_DISABLED",
      },
      // Rotation of mounted secrets: the add-on re-reads each mounted version every 2 minutes, so a
      // new version pinned in the SecretProviderClass reaches running pods without a restart
      // (k8s-review 19; "Use Secret Manager add-on with GKE", rotation needs GKE 1.32.2-gke.1059000
      // or later — the STABLE channel is past it:
      // https://cloud.google.com/secret-manager/docs/secret-manager-managed-csi-component#rotate-secrets).
      secretManagerConfig: { enabled: true, rotationConfig: { enabled: true, rotationInterval: "120s" } },
      ...(args.secretSync ? { secretSyncConfig: { enabled: true } } : {}),
      monitoringConfig: { enableComponents: ["SYSTEM_COMPONENTS"], managedPrometheus: { enabled: true } },
      loggingConfig: { enableComponents: ["SYSTEM_COMPONENTS", "WORKLOADS"] },
      maintenancePolicy: { recurringWindow: args.maintenanceWindow ?? defaultMaintenanceWindow },
      ...(args.rbacSecurityGroup ? { authenticatorGroupsConfig: { securityGroup: args.rbacSecurityGroup } } : {}),
      ...(args.databaseEncryptionKey
        ? { databaseEncryption: { state: "ENCRYPTED", keyName: args.databaseEncryptionKey } }
        : {}),
      resourceLabels: n.labels,
      deletionProtection: n.deletionProtection,
    };
    return new gcp.container.Cluster(
      ...transformed(
        args.transform?.cluster,
        `${name}-cluster`,
        clusterArgs,
        statefulOptions(this, opts, n.protect, { ignoreChanges: ["nodeConfig", "initialNodeCount"] }),
      ),
    );
  }

  /**
   * Autoscaling is per zone (`minNodeCount` / `maxNodeCount`), as the presets' `nodesMin` /
   * `nodesMax` are: a regional pool of min 1 runs one node in each zone. `initialNodeCount` is
   * only read at creation; later `min` changes must not replace the pool, so it is ignored.
   */
  private createNodePool(
    name: string,
    pool: NormalizedNodePool,
    args: ClusterArgs,
    n: Normalized,
    opts: pulumi.ComponentResourceOptions | undefined,
  ): gcp.container.NodePool {
    return new gcp.container.NodePool(
      ...transformed(
        args.transform?.nodePool,
        `${name}-pool-${pool.name}`,
        {
          project: args.project,
          location: args.region,
          cluster: this.cluster.name,
          // Scoped to the cluster: the pool name needs no environment prefix (validated ≤ 40).
          name: pool.name,
          ...(args.nodeLocations ? { nodeLocations: args.nodeLocations } : {}),
          initialNodeCount: pool.min,
          autoscaling: {
            minNodeCount: pool.min,
            maxNodeCount: pool.max,
            // Spot capacity differs per zone: take it where it is.
            locationPolicy: pool.spot ? "ANY" : "BALANCED",
          },
          management: { autoRepair: true, autoUpgrade: true },
          upgradeSettings: { strategy: "SURGE", maxSurge: 1, maxUnavailable: 0 },
          nodeConfig: {
            ...hardenedNodeConfig(this.nodeServiceAccount.email),
            machineType: pool.machineType,
            diskType: "pd-balanced",
            diskSizeGb: pool.diskGb,
            spot: pool.spot,
            taints: pool.taints.map((t) => ({ ...t })),
            labels: pool.labels,
            resourceLabels: n.labels,
            // Our own tag (for cluster-specific rules) plus the network's load-balancer backend tag,
            // so health checks and the proxy-only subnet reach Gateway / Ingress backends.
            tags: [n.networkTag, networkTags.lbBackend],
          },
        },
        childOptions(this, opts, { dependsOn: this.nodeRoleBindings, ignoreChanges: ["initialNodeCount"] }),
      ),
    );
  }

  /**
   * The project's singleton policy: images matching `allowedImagePatterns` are admitted, Google's
   * global policy admits GKE system images, and everything else needs an attestation from
   * `attestors` (when given) or is denied.
   */
  private createBinaryAuthorizationPolicy(
    name: string,
    args: ClusterArgs,
    opts: pulumi.ComponentResourceOptions | undefined,
  ): gcp.binaryauthorization.Policy {
    const attestors = args.attestors ?? [];
    return new gcp.binaryauthorization.Policy(
      ...transformed(
        args.transform?.binaryAuthorizationPolicy,
        `${name}-binauthz`,
        {
          project: args.project,
          description: `Binary Authorization policy of ${args.naming.prefix}, managed by brume`,
          globalPolicyEvaluationMode: "ENABLE",
          admissionWhitelistPatterns: (args.allowedImagePatterns ?? []).map((namePattern) => ({ namePattern })),
          defaultAdmissionRule: {
            evaluationMode: attestors.length > 0 ? "REQUIRE_ATTESTATION" : "ALWAYS_DENY",
            enforcementMode: args.binaryAuthorizationDryRun ? "DRYRUN_AUDIT_LOG_ONLY" : "ENFORCED_BLOCK_AND_AUDIT_LOG",
            ...(attestors.length > 0 ? { requireAttestationsBies: attestors } : {}),
          },
        },
        childOptions(this, opts),
      ),
    );
  }

  /** Like the provider, the gate waits for the node pools and the admission policy. */
  private createCrdGate(name: string, fqdnNetworkPolicy: boolean, opts: pulumi.ComponentResourceOptions | undefined): CrdEstablished {
    return new CrdEstablished(
      `${name}-crds`,
      {
        // The same server as the kubeconfig: from CI only the DNS endpoint is reachable.
        endpoint: this.apiServer,
        caCertificate: this.cluster.masterAuth.apply((a) => a.clusterCaCertificate ?? ""),
        // Gateway API and Secret Manager are always on (createCluster): gatewayApiConfig and
        // secretManagerConfig; FQDN network policies only where the environment turns them on.
        establishedCrds: [
          ...gkeFeatureCrds.gatewayApi,
          ...gkeFeatureCrds.secretManager,
          ...(fqdnNetworkPolicy ? gkeFeatureCrds.fqdnNetworkPolicy : []),
        ],
        clusterName: name,
      },
      childOptions(this, opts, { dependsOn: [...Object.values(this.nodePools), ...(this.binaryAuthorizationPolicy ? [this.binaryAuthorizationPolicy] : [])] }),
    );
  }

  /** Workloads deployed through this provider wait for the node pools and the admission policy. */
  private createProvider(name: string, args: ClusterArgs, opts: pulumi.ComponentResourceOptions | undefined): k8s.Provider {
    const dependsOn: pulumi.Resource[] = [
      ...Object.values(this.nodePools),
      ...(this.binaryAuthorizationPolicy ? [this.binaryAuthorizationPolicy] : []),
    ];
    return new k8s.Provider(
      ...transformed(
        args.transform?.kubernetesProvider,
        `${name}-k8s`,
        { kubeconfig: this.kubeconfig, enableServerSideApply: true },
        childOptions(this, opts, { dependsOn }),
      ),
    );
  }
}
