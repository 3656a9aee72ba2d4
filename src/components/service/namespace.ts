/**
 * `brume:service:Namespace` — the namespace every service of one project+environment runs in:
 * Pod Security Admission `restricted`, a ResourceQuota and LimitRange, a default-deny
 * NetworkPolicy, and the Gateways (external / internal) exposed services attach routes to, each
 * with Certificate Manager certificates for its domains (./certificates.ts), a reserved address,
 * A records in its zone, a MODERN TLS 1.2 SSL policy (GCPGatewayPolicy) and an HTTP listener
 * whose only route redirects to HTTPS (./gateway-edge.ts, ./gateway-manifests.ts).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { childOptions } from "../child-resources/options.js";
import {
  createExternalCertificates,
  createInternalCertificates,
  type GatewayCertificates,
  type GatewayCertificatesArgs,
  type InternalCertificates,
} from "./certificates.js";
import { createGatewayEdge, type GatewayEdge, type GatewayEdgeArgs, type GatewayKind } from "./gateway-edge.js";
import { gatewayPolicyManifest, httpsRedirectRouteManifest } from "./gateway-manifests.js";
import { transformed, type Transform } from "../child-resources/transform.js";
import type { Naming } from "../../config/naming.js";
import {
  defaultDenyPolicy,
  gatewayManifest,
  limitRangeManifest,
  namespaceManifest,
  resourceQuotaManifest,
  type Manifest,
  type NamespaceSpec,
} from "./manifests.js";

type Metadata = k8s.types.input.meta.v1.ObjectMeta;

/** Who applies a component's Kubernetes objects (the delivery; see `ServiceArgs.kubernetes`, docs/gitops.md). */
export type KubernetesObjects = "apply" | "handover" | "none";

export interface NamespaceArgs {
  /** Kubernetes provider of the cluster (any cluster: this component needs nothing else from it). */
  provider: k8s.Provider;
  /**
   * The gate that waits for the cluster's CRDs to be Established (`Cluster.crdGate`): the custom
   * resources (the Gateways) depend on it (k8s-review 28).
   */
  crdGate?: pulumi.Resource;
  /** GCP project of the certificates. */
  project: string;
  /** Physical names of GCP resources. */
  naming: Naming;
  /** Namespace name (`<project>-<environment>` in a brume stack). */
  name: string;
  /** Namespace totals and container defaults. @default {@link defaultNamespaceLimits} */
  limits?: Pick<NamespaceSpec, "quota" | "defaults">;
  /** Domains of the external (internet-facing) gateway; no gateway when absent or empty. @default [] */
  externalDomains?: string[];
  /** Domains of the internal gateway (VPC only). @default [] */
  internalDomains?: string[];
  /** The environment's public zone: DNS authorization records and A records of the external domains in it go there. */
  publicZone?: GatewayCertificatesArgs["publicZone"];
  /** The environment's private zone: A records of the internal domains in it go there. */
  privateZone?: GatewayCertificatesArgs["publicZone"];
  /** Region of the internal Gateway (its address, SSL policy and certificates). Required with internal domains. */
  region?: string;
  /** Nodes subnet (id or self link) the internal Gateway's address is taken from. Required with internal domains. */
  internalSubnetwork?: pulumi.Input<string>;
  /** Protect the Gateways' reserved addresses (production). @default false */
  protect?: boolean;
  labels?: Record<string, string>;
  /** `none`: only the Namespace object itself (Argo CD applies the quota, limits, default deny, Gateways). @default "apply" */
  kubernetes?: KubernetesObjects;
  transform?: {
    namespace?: Transform<k8s.core.v1.NamespaceArgs>;
    quota?: Transform<k8s.core.v1.ResourceQuotaArgs>;
    limitRange?: Transform<k8s.core.v1.LimitRangeArgs>;
    defaultDeny?: Transform<k8s.networking.v1.NetworkPolicyArgs>;
    certificates?: GatewayCertificatesArgs["transform"];
    gateway?: Transform<k8s.apiextensions.CustomResourceArgs>;
    gatewayEdge?: GatewayEdgeArgs["transform"];
    gatewayPolicy?: Transform<k8s.apiextensions.CustomResourceArgs>;
    redirectRoute?: Transform<k8s.apiextensions.CustomResourceArgs>;
  };
}

export const defaultNamespaceLimits: Pick<NamespaceSpec, "quota" | "defaults"> = {
  quota: { requestsCpu: "64", requestsMemory: "256Gi", limitsCpu: "64", limitsMemory: "256Gi", pods: 500, services: 100 },
  defaults: { cpu: "250m", memory: "256Mi", maxCpu: "8", maxMemory: "32Gi" },
};

/**
 * `brume:service:Namespace` — the Kubernetes namespace of one project+environment's services: Pod Security
 * Admission `restricted`, a ResourceQuota, a LimitRange, a default-deny NetworkPolicy, and the external /
 * internal Gateways with their certificates, addresses, A records, SSL policies and HTTPS redirect. See
 * `docs/strategies.md` and `docs/domains.md`.
 */
export class Namespace extends pulumi.ComponentResource {
  /** Always Pulumi's (the RoleBindings and Argo CD's destination need it); the objects in it are absent where `kubernetes: "none"`. */
  readonly namespace: k8s.core.v1.Namespace;
  readonly quota?: k8s.core.v1.ResourceQuota;
  readonly limitRange?: k8s.core.v1.LimitRange;
  readonly defaultDeny?: k8s.networking.v1.NetworkPolicy;
  /** Certificate Manager certificates (one per domain) and map of the external gateway. */
  readonly certificates?: GatewayCertificates;
  /** Regional certificates of the internal gateway. */
  readonly internalCertificates?: InternalCertificates;
  /** Gateways by kind. */
  readonly gateways: { external?: k8s.apiextensions.CustomResource; internal?: k8s.apiextensions.CustomResource };
  /** Reserved address, A records and SSL policy of each Gateway. */
  readonly edges: Partial<Record<GatewayKind, GatewayEdge>>;
  /** GCPGatewayPolicy (SSL policy) of each Gateway. */
  readonly gatewayPolicies: Partial<Record<GatewayKind, k8s.apiextensions.CustomResource>>;
  /** The HTTP listener's redirect route of each Gateway. */
  readonly redirectRoutes: Partial<Record<GatewayKind, k8s.apiextensions.CustomResource>>;
  /** Each Gateway's IP (stack output `gateways`). */
  readonly addresses: Partial<Record<GatewayKind, pulumi.Output<string>>>;
  /** Namespace name (plain: it decides structure). */
  readonly name: string;

  constructor(name: string, args: NamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:service:Namespace", name, {}, opts);
    this.name = args.name;
    const spec: NamespaceSpec = { name: args.name, labels: args.labels ?? {}, ...(args.limits ?? defaultNamespaceLimits) };
    const k = (extra: pulumi.CustomResourceOptions = {}) => childOptions(this, opts, { provider: args.provider, ...extra });
    // Handing the objects in the namespace over to Argo CD (ServiceArgs.kubernetes): forget, never delete.
    const inNs = () => k({ dependsOn: [this.namespace], ...(args.kubernetes === "handover" ? { retainOnDelete: true } : {}) });
    const objects = (args.kubernetes ?? "apply") !== "none";

    this.namespace = new k8s.core.v1.Namespace(...transformed(args.transform?.namespace, `${name}-namespace`, asArgs(namespaceManifest(spec)), k()));
    if (objects) {
      this.quota = new k8s.core.v1.ResourceQuota(...transformed(args.transform?.quota, `${name}-quota`, asArgs(resourceQuotaManifest(spec)), inNs()));
      this.limitRange = new k8s.core.v1.LimitRange(...transformed(args.transform?.limitRange, `${name}-limits`, asArgs(limitRangeManifest(spec)), inNs()));
      this.defaultDeny = new k8s.networking.v1.NetworkPolicy(
        ...transformed(args.transform?.defaultDeny, `${name}-default-deny`, asArgs(defaultDenyPolicy(args.name)), inNs()),
      );
    }

    const external = [...new Set(args.externalDomains ?? [])].sort();
    const internal = [...new Set(args.internalDomains ?? [])].sort();
    this.gateways = {};
    this.edges = {};
    this.gatewayPolicies = {};
    this.redirectRoutes = {};
    this.addresses = {};
    if (external.length > 0) {
      this.certificates = createExternalCertificates(
        this,
        name,
        {
          project: args.project,
          naming: args.naming,
          domains: external,
          ...(args.publicZone ? { publicZone: args.publicZone } : {}),
          ...(args.transform?.certificates ? { transform: args.transform.certificates } : {}),
        },
        opts,
      );
      const edge = this.createEdge(name, "external", external, args, opts);
      if (objects) {
        this.gateways.external = this.createGateway(name, "external", args, { certificateMap: this.certificates.mapName }, edge, inNs, this.certificates.all);
        this.createGatewayExtras(name, "external", args, edge, inNs);
      }
    }
    if (internal.length > 0) {
      if (args.region === undefined) throw new Error(`namespace ${args.name}: internal domains need args.region (the internal Gateway is regional)`);
      this.internalCertificates = createInternalCertificates(
        this,
        name,
        {
          project: args.project,
          naming: args.naming,
          domains: internal,
          region: args.region,
          ...(args.publicZone ? { publicZone: args.publicZone } : {}),
          ...(args.transform?.certificates ? { transform: args.transform.certificates } : {}),
        },
        opts,
      );
      const edge = this.createEdge(name, "internal", internal, args, opts);
      if (objects) {
        this.gateways.internal = this.createGateway(
          name,
          "internal",
          args,
          { certManagerCertificates: this.internalCertificates.names },
          edge,
          inNs,
          this.internalCertificates.all,
        );
        this.createGatewayExtras(name, "internal", args, edge, inNs);
      }
    }

    this.registerOutputs({ name: this.name, addresses: this.addresses });
  }

  private createEdge(name: string, kind: GatewayKind, domains: string[], args: NamespaceArgs, opts: pulumi.ComponentResourceOptions | undefined): GatewayEdge {
    const zone = kind === "external" ? args.publicZone : args.privateZone;
    const edge = createGatewayEdge(
      this,
      name,
      {
        project: args.project,
        region: args.region ?? "",
        naming: args.naming,
        kind,
        domains,
        ...(args.internalSubnetwork !== undefined ? { subnetwork: args.internalSubnetwork } : {}),
        ...(zone ? { zone } : {}),
        protect: args.protect ?? false,
        ...(args.labels ? { labels: args.labels } : {}),
        ...(args.transform?.gatewayEdge ? { transform: args.transform.gatewayEdge } : {}),
      },
      opts,
    );
    this.edges[kind] = edge;
    this.addresses[kind] = edge.address;
    return edge;
  }

  /** The GCPGatewayPolicy (SSL policy) and the redirect route of a Gateway. */
  private createGatewayExtras(name: string, kind: GatewayKind, args: NamespaceArgs, edge: GatewayEdge, inNs: () => pulumi.CustomResourceOptions): void {
    const gateway = this.gateways[kind]!;
    const cr = (extra: pulumi.Resource[]) => {
      const base = inNs();
      return { ...base, dependsOn: [...(base.dependsOn as pulumi.Resource[]), gateway, ...extra, ...(args.crdGate ? [args.crdGate] : [])] };
    };
    const labels = args.labels ?? {};
    this.gatewayPolicies[kind] = new k8s.apiextensions.CustomResource(
      ...transformed(
        args.transform?.gatewayPolicy,
        `${name}-gateway-policy-${kind}`,
        asCustomArgs(
          gatewayPolicyManifest({
            name: Namespace.gatewayName(kind),
            namespace: args.name,
            gateway: Namespace.gatewayName(kind),
            sslPolicy: edge.sslPolicyName,
            ...(kind === "internal" ? { allowGlobalAccess: false } : {}),
            labels,
          }),
        ),
        cr([edge.sslPolicy]),
      ),
    );
    this.redirectRoutes[kind] = new k8s.apiextensions.CustomResource(
      ...transformed(
        args.transform?.redirectRoute,
        `${name}-https-redirect-${kind}`,
        asCustomArgs(httpsRedirectRouteManifest({ namespace: args.name, gateway: Namespace.gatewayName(kind), labels })),
        cr([]),
      ),
    );
  }

  /** Gateway name for routes: `external` or `internal`. */
  static gatewayName(kind: "external" | "internal"): string {
    return kind;
  }

  private createGateway(
    name: string,
    kind: "external" | "internal",
    args: NamespaceArgs,
    tls: { certificateMap?: string; certManagerCertificates?: string[] },
    edge: GatewayEdge,
    inNs: () => pulumi.CustomResourceOptions,
    after: pulumi.Resource[],
  ): k8s.apiextensions.CustomResource {
    const manifest = gatewayManifest({
      name: Namespace.gatewayName(kind),
      namespace: args.name,
      external: kind === "external",
      ...tls,
      address: edge.addressName,
      labels: args.labels ?? {},
    });
    const base = inNs();
    return new k8s.apiextensions.CustomResource(
      ...transformed(args.transform?.gateway, `${name}-gateway-${kind}`, asCustomArgs(manifest), {
        ...base,
        // The NamedAddress must exist before the controller builds the forwarding rules on it.
        dependsOn: [...(base.dependsOn as pulumi.Resource[]), ...after, edge.addressResource, ...(args.crdGate ? [args.crdGate] : [])],
      }),
    );
  }
}

/** A manifest as typed-resource args (metadata + spec + any other top-level fields). */
export function asArgs<T>(manifest: Manifest): T {
  const { apiVersion: _a, kind: _k, metadata, ...rest } = manifest as Manifest & Record<string, unknown>;
  return { metadata: metadata as Metadata, ...rest } as T;
}

/** A manifest as CustomResource args (apiVersion and kind included). */
export function asCustomArgs(manifest: Manifest): k8s.apiextensions.CustomResourceArgs {
  return manifest as unknown as k8s.apiextensions.CustomResourceArgs;
}
