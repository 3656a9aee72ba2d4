/**
 * `brume:service:Namespace` — the namespace every service of one project+environment runs in:
 * Pod Security Admission `restricted`, a ResourceQuota and LimitRange, a default-deny
 * NetworkPolicy, and the Gateways (external / internal) exposed services attach routes to, the
 * external one with Certificate Manager certificates for its domains (./certificates.ts).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { childOptions } from "../child-resources/options.js";
import { createExternalCertificates, type GatewayCertificates, type GatewayCertificatesArgs } from "./certificates.js";
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
  /** The environment's public zone: DNS authorization records of the external domains in it go there. */
  publicZone?: GatewayCertificatesArgs["publicZone"];
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
  };
}

export const defaultNamespaceLimits: Pick<NamespaceSpec, "quota" | "defaults"> = {
  quota: { requestsCpu: "64", requestsMemory: "256Gi", limitsCpu: "64", limitsMemory: "256Gi", pods: 500, services: 100 },
  defaults: { cpu: "250m", memory: "256Mi", maxCpu: "8", maxMemory: "32Gi" },
};

export class Namespace extends pulumi.ComponentResource {
  /** Always Pulumi's (the RoleBindings and Argo CD's destination need it); the objects in it are absent where `kubernetes: "none"`. */
  readonly namespace: k8s.core.v1.Namespace;
  readonly quota?: k8s.core.v1.ResourceQuota;
  readonly limitRange?: k8s.core.v1.LimitRange;
  readonly defaultDeny?: k8s.networking.v1.NetworkPolicy;
  /** Certificate Manager certificates (one per domain) and map of the external gateway. */
  readonly certificates?: GatewayCertificates;
  /** Gateways by kind. */
  readonly gateways: { external?: k8s.apiextensions.CustomResource; internal?: k8s.apiextensions.CustomResource };
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
      if (objects) this.gateways.external = this.createGateway(name, "external", args, this.certificates.mapName, inNs, this.certificates.all);
    }
    // Internal gateways serve plain HTTP inside the VPC until the deployed-services issue gives
    // them regional Certificate Manager certificates (design in ./certificates.ts and the README).
    if (internal.length > 0 && objects) this.gateways.internal = this.createGateway(name, "internal", args, undefined, inNs, []);

    this.registerOutputs({ name: this.name });
  }

  /** Gateway name for routes: `external` or `internal`. */
  static gatewayName(kind: "external" | "internal"): string {
    return kind;
  }

  private createGateway(
    name: string,
    kind: "external" | "internal",
    args: NamespaceArgs,
    certificateMap: string | undefined,
    inNs: () => pulumi.CustomResourceOptions,
    after: pulumi.Resource[],
  ): k8s.apiextensions.CustomResource {
    const manifest = gatewayManifest({
      name: Namespace.gatewayName(kind),
      namespace: args.name,
      external: kind === "external",
      ...(certificateMap ? { certificateMap } : {}),
      labels: args.labels ?? {},
    });
    const base = inNs();
    return new k8s.apiextensions.CustomResource(
      ...transformed(args.transform?.gateway, `${name}-gateway-${kind}`, asCustomArgs(manifest), {
        ...base,
        dependsOn: [...(base.dependsOn as pulumi.Resource[]), ...after, ...(args.crdGate ? [args.crdGate] : [])],
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
