/**
 * The creation-order rules: one per documented first-apply failure, each keyed on resource types
 * and inputs (never on brume's logical names), so they hold for any stack. A rule yields, for
 * each resource it applies to, the resources that resource must wait for; the engine
 * (./creation-order.ts) checks they are among its transitive waits.
 *
 * Gates are required "when the plan manages them": a Namespace, zone or grant created outside the
 * stack is none of the plan's business. Where the plan manages the family but lacks the one thing
 * needed (APIs of the project enabled, but not this one; a managed CMEK key without a grant to
 * the service agent that uses it), the requirement has no candidate and always fails.
 */
import type { CreationOrderRequirement, CreationOrderRule, KubernetesObject, PlanIndex } from "./creation-order.js";
import type { PlannedResource } from "./run.js";

const name = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
const names = (rs: PlannedResource[]) => rs.map((r) => name(r.urn)).join(" or ");

function requirement(
  rule: string,
  dependent: PlannedResource,
  required: PlannedResource[],
  missing: string,
  fix: string,
): CreationOrderRequirement {
  return { rule, dependent, required, missing, fix };
}

/** IAM members an IAM resource grants (`member`, `members`). */
function iamMembers(r: PlannedResource): string[] {
  const out: string[] = [];
  if (typeof r.inputs.member === "string") out.push(r.inputs.member);
  if (Array.isArray(r.inputs.members)) for (const m of r.inputs.members) if (typeof m === "string") out.push(m);
  return out;
}

/** Adds to `out` every string of an input tree that `keep` accepts (a plain walk: it runs over every input). */
function collectStrings(value: unknown, keep: (s: string) => boolean, out: Set<string>): void {
  if (typeof value === "string") {
    if (keep(value)) out.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) collectStrings(v, keep, out);
  } else if (value !== null && typeof value === "object") {
    for (const k in value) collectStrings((value as Record<string, unknown>)[k], keep, out);
  }
}

function dig(value: unknown, ...path: string[]): unknown {
  let cur = value;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

/** `projects/p/global/networks/n`, a self link, or a bare name → { project?, name }. */
function networkRef(value: unknown): { project?: string; name: string } | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  const m = /(?:^|\/)projects\/([^/]+)\/global\/networks\/([^/]+)$/.exec(value);
  if (m) return { project: m[1]!, name: m[2]! };
  return value.includes("/") ? undefined : { name: value };
}

function sameNetwork(a: unknown, b: unknown): boolean {
  const x = networkRef(a);
  const y = networkRef(b);
  return !!x && !!y && x.name === y.name && (x.project === undefined || y.project === undefined || x.project === y.project);
}

// ---------------------------------------------------------------------------------------------
// Workload Identity

/**
 * A Workload Identity member `serviceAccount:<project>.svc.id.goog[ns/ksa]` names the project's
 * workload pool, which exists only once a GKE cluster with `workloadIdentityConfig` was created:
 * before that, setIamPolicy fails with "Identity Pool does not exist (<project>.svc.id.goog)".
 * Source: gcp-review finding 1; terraform-google-modules/terraform-google-kubernetes-engine#916,
 * the fix in TGM PR #301 ("Tying identity namespace output to successful cluster creation");
 * https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity
 */
const workloadIdentityPool: CreationOrderRule = {
  id: "workload-identity-pool",
  summary: "a Workload Identity member needs the GKE cluster that creates the workload pool",
  source: "https://github.com/terraform-google-modules/terraform-google-kubernetes-engine/issues/916",
  *requirements(index) {
    const clusters = index.ofType("gcp:container/cluster:Cluster");
    if (clusters.length === 0) return;
    for (const r of index.ofPackage("gcp")) {
      for (const member of iamMembers(r)) {
        const m = /^serviceAccount:(.+\.svc\.id\.goog)\[/.exec(member);
        if (!m) continue;
        const pool = m[1]!;
        const creators = clusters.filter((c) => dig(c.inputs, "workloadIdentityConfig", "workloadPool") === pool);
        if (creators.length === 0) continue;
        yield requirement(
          this.id,
          r,
          creators,
          `the GKE cluster ${names(creators)} that creates the workload pool ${pool} (member ${member})`,
          "build the member from the cluster's `workloadPool` output (pulumi.interpolate`serviceAccount:${cluster.workloadPool}[ns/ksa]`), so the grant waits for the cluster",
        );
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------
// Kubernetes

/**
 * A namespaced object can only be created once its Namespace exists: the API server answers
 * `namespaces "<ns>" not found`. pulumi-kubernetes retries a create on NotFound only 5 times with
 * backoff (provider/pkg/await/await.go `Creation`, pulumi-kubernetes#239) and a preview fails at
 * once; a Namespace created in the same apply must come first.
 * Source: gcp-review finding 11 (Access RoleBindings before the namespace).
 */
const kubernetesNamespace: CreationOrderRule = {
  id: "kubernetes-namespace",
  summary: "a namespaced Kubernetes object needs its Namespace when the plan manages it",
  source: "https://github.com/pulumi/pulumi-kubernetes/blob/master/provider/pkg/await/await.go",
  *requirements(index) {
    const namespaces = new Map<string, PlannedResource[]>();
    for (const r of index.ofPackage("kubernetes")) {
      const o = index.kubernetes(r);
      if (!o || o.group !== "" || o.kind !== "Namespace") continue;
      const key = `${o.cluster}\n${o.name}`;
      namespaces.set(key, [...(namespaces.get(key) ?? []), r]);
    }
    if (namespaces.size === 0) return;
    for (const r of index.ofPackage("kubernetes")) {
      const o = index.kubernetes(r);
      if (!o || o.namespace === "" || (o.group === "" && o.kind === "Namespace")) continue;
      const ns = namespaces.get(`${o.cluster}\n${o.namespace}`);
      if (!ns) continue;
      yield requirement(
        this.id,
        r,
        ns,
        `its Namespace "${o.namespace}" (${names(ns)})`,
        "depend on the Namespace resource (dependsOn, or take metadata.namespace from namespace.metadata.name)",
      );
    }
  },
};

const podSpecOf = (r: PlannedResource, o: KubernetesObject): unknown => {
  switch (`${o.group}/${o.kind}`) {
    case "/Pod":
      return dig(r.inputs, "spec");
    case "batch/CronJob":
      return dig(r.inputs, "spec", "jobTemplate", "spec", "template", "spec");
    case "apps/Deployment":
    case "apps/StatefulSet":
    case "apps/DaemonSet":
    case "apps/ReplicaSet":
    case "batch/Job":
    case "/ReplicationController":
      return dig(r.inputs, "spec", "template", "spec");
    default:
      return undefined;
  }
};

/**
 * A pod mounting a Secrets Store CSI volume names a SecretProviderClass; until it exists the
 * kubelet fails the mount (`secretproviderclasses ... not found`), the pods never start and the
 * Deployment's await times out.
 * Source: https://secrets-store-csi-driver.sigs.k8s.io/getting-started/usage ;
 * https://cloud.google.com/secret-manager/docs/secret-manager-managed-csi-component
 */
const secretProviderClass: CreationOrderRule = {
  id: "secret-provider-class",
  summary: "a workload needs the SecretProviderClass it mounts when the plan manages it",
  source: "https://cloud.google.com/secret-manager/docs/secret-manager-managed-csi-component",
  *requirements(index) {
    const classes = new Map<string, PlannedResource[]>();
    for (const r of index.ofPackage("kubernetes")) {
      const o = index.kubernetes(r);
      if (o?.kind !== "SecretProviderClass" || o.group !== "secrets-store.csi.x-k8s.io") continue;
      const key = `${o.cluster}\n${o.namespace}\n${o.name}`;
      classes.set(key, [...(classes.get(key) ?? []), r]);
    }
    if (classes.size === 0) return;
    for (const r of index.ofPackage("kubernetes")) {
      const o = index.kubernetes(r);
      const spec = o && podSpecOf(r, o);
      const volumes = dig(spec, "volumes");
      if (!o || !Array.isArray(volumes)) continue;
      for (const v of volumes) {
        const cls = dig(v, "csi", "volumeAttributes", "secretProviderClass");
        if (typeof cls !== "string") continue;
        const found = classes.get(`${o.cluster}\n${o.namespace}\n${cls}`);
        if (!found) continue;
        yield requirement(
          this.id,
          r,
          found,
          `the SecretProviderClass "${cls}" it mounts (${names(found)})`,
          "make the workload depend on the SecretProviderClass (dependsOn)",
        );
      }
    }
  },
};

/** Backend Services an HTTPRoute routes to: `{ namespace, name }`. */
function routeBackends(r: PlannedResource, o: KubernetesObject): Array<{ namespace: string; name: string }> {
  const out: Array<{ namespace: string; name: string }> = [];
  const rules = dig(r.inputs, "spec", "rules");
  if (!Array.isArray(rules)) return out;
  for (const rule of rules) {
    const refs = dig(rule, "backendRefs");
    if (!Array.isArray(refs)) continue;
    for (const ref of refs) {
      const kind = dig(ref, "kind") ?? "Service";
      const group = dig(ref, "group") ?? "";
      const refName = dig(ref, "name");
      if (kind !== "Service" || group !== "" || typeof refName !== "string") continue;
      const ns = dig(ref, "namespace");
      const backend = { namespace: typeof ns === "string" ? ns : o.namespace, name: refName };
      if (!out.some((b) => b.namespace === backend.namespace && b.name === backend.name)) out.push(backend);
    }
  }
  return out;
}

/** The Services a policy's targetRef / targetRefs name. */
function targetedServices(policy: PlannedResource): string[] {
  const targetRefs = dig(policy.inputs, "spec", "targetRefs");
  const refs = [dig(policy.inputs, "spec", "targetRef"), ...(Array.isArray(targetRefs) ? targetRefs : [])];
  return refs.flatMap((ref) => {
    const refName = ref ? dig(ref, "name") : undefined;
    return ref && dig(ref, "kind") === "Service" && (dig(ref, "group") ?? "") === "" && typeof refName === "string" ? [refName] : [];
  });
}

/**
 * An HTTPRoute to a Service is programmed as soon as it is accepted; a GCPBackendPolicy or
 * HealthCheckPolicy attached later leaves a window with no IAP / Cloud Armor / rate limit and the
 * default `/` health check (backends marked unhealthy). The route must wait for the policies of
 * every Service it routes to.
 * Source: k8s-review finding 10 ("routes do not wait for their policies");
 * https://cloud.google.com/kubernetes-engine/docs/how-to/configure-gateway-resources
 */
const routePolicies: CreationOrderRule = {
  id: "httproute-policies",
  summary: "an HTTPRoute needs the GCPBackendPolicy and HealthCheckPolicy of the Services it routes to",
  source: "https://cloud.google.com/kubernetes-engine/docs/how-to/configure-gateway-resources",
  *requirements(index) {
    // Policies by cluster, namespace and the Service they target.
    const policies = new Map<string, PlannedResource[]>();
    for (const r of index.ofPackage("kubernetes")) {
      const o = index.kubernetes(r);
      if (o?.group !== "networking.gke.io" || (o.kind !== "GCPBackendPolicy" && o.kind !== "HealthCheckPolicy")) continue;
      for (const service of targetedServices(r)) {
        const key = `${o.cluster}\n${o.namespace}\n${service}`;
        policies.set(key, [...(policies.get(key) ?? []), r]);
      }
    }
    if (policies.size === 0) return;
    for (const r of index.ofPackage("kubernetes")) {
      const o = index.kubernetes(r);
      if (!o || o.group !== "gateway.networking.k8s.io" || o.kind !== "HTTPRoute") continue;
      for (const backend of routeBackends(r, o)) {
        for (const policy of policies.get(`${o.cluster}\n${backend.namespace}\n${backend.name}`) ?? []) {
          const po = index.kubernetes(policy)!;
          yield requirement(
            this.id,
            r,
            [policy],
            `the ${po.kind} "${po.name}" of its backend Service "${backend.name}" (${name(policy.urn)})`,
            "make the route depend on the policies of every Service it routes to (dependsOn)",
          );
        }
      }
    }
  },
};

/**
 * A route is Accepted only by an existing parent Gateway; the route's `pulumi.com/waitFor` on
 * Accepted (and GKE's controller) need the Gateway first.
 * Source: https://gateway-api.sigs.k8s.io/api-types/httproute/#attaching-to-gateways
 */
const routeGateway: CreationOrderRule = {
  id: "httproute-gateway",
  summary: "an HTTPRoute needs the Gateways it attaches to when the plan manages them",
  source: "https://gateway-api.sigs.k8s.io/api-types/httproute/#attaching-to-gateways",
  *requirements(index) {
    const gateways = index.resources.filter((r) => index.kubernetes(r)?.group === "gateway.networking.k8s.io" && index.kubernetes(r)?.kind === "Gateway");
    if (gateways.length === 0) return;
    for (const r of index.ofPackage("kubernetes")) {
      const o = index.kubernetes(r);
      if (!o || o.group !== "gateway.networking.k8s.io" || o.kind !== "HTTPRoute") continue;
      const parents = dig(r.inputs, "spec", "parentRefs");
      if (!Array.isArray(parents)) continue;
      for (const ref of parents) {
        if ((dig(ref, "kind") ?? "Gateway") !== "Gateway") continue;
        const ns = (dig(ref, "namespace") as string | undefined) ?? o.namespace;
        const found = gateways.filter((g) => {
          const go = index.kubernetes(g)!;
          return go.cluster === o.cluster && go.namespace === ns && go.name === dig(ref, "name");
        });
        if (found.length === 0) continue;
        yield requirement(this.id, r, found, `its parent Gateway "${String(dig(ref, "name"))}" (${names(found)})`, "make the route depend on the Gateway (dependsOn)");
      }
    }
  },
};

/**
 * A Gateway's `NamedAddress` must exist when the controller builds its forwarding rules: GKE
 * reports the Gateway as not programmed ("address ... not found") until it does — "Deploying
 * Gateways", Gateway IP addressing
 * (https://cloud.google.com/kubernetes-engine/docs/how-to/deploying-gateways#gateway_ip_addressing).
 */
const gatewayAddress: CreationOrderRule = {
  id: "gateway-named-address",
  summary: "a Gateway needs the reserved address its spec.addresses names when the plan manages it",
  source: "https://cloud.google.com/kubernetes-engine/docs/how-to/deploying-gateways#gateway_ip_addressing",
  *requirements(index) {
    const addresses = [...index.ofType("gcp:compute/globalAddress:GlobalAddress"), ...index.ofType("gcp:compute/address:Address")];
    if (addresses.length === 0) return;
    for (const r of index.ofPackage("kubernetes")) {
      const o = index.kubernetes(r);
      if (!o || o.group !== "gateway.networking.k8s.io" || o.kind !== "Gateway") continue;
      const refs = dig(r.inputs, "spec", "addresses");
      if (!Array.isArray(refs)) continue;
      for (const ref of refs) {
        if (dig(ref, "type") !== "NamedAddress") continue;
        const found = addresses.filter((a) => a.inputs.name === dig(ref, "value"));
        if (found.length === 0) continue;
        yield requirement(this.id, r, found, `its NamedAddress "${String(dig(ref, "value"))}" (${names(found)})`, "make the Gateway depend on the address (dependsOn)");
      }
    }
  },
};

/**
 * A GCPGatewayPolicy names its SSL policy by name; the controller fails to attach it (and the
 * load balancer keeps GCP's default COMPATIBLE policy, TLS 1.0+) while it does not exist — GKE
 * "Secure a Gateway", SSL policies (https://cloud.google.com/kubernetes-engine/docs/how-to/secure-gateway).
 */
const gatewaySslPolicy: CreationOrderRule = {
  id: "gateway-ssl-policy",
  summary: "a GCPGatewayPolicy needs the SSL policy it names when the plan manages it",
  source: "https://cloud.google.com/kubernetes-engine/docs/how-to/secure-gateway",
  *requirements(index) {
    const policies = [...index.ofType("gcp:compute/sSLPolicy:SSLPolicy"), ...index.ofType("gcp:compute/regionSslPolicy:RegionSslPolicy")];
    if (policies.length === 0) return;
    for (const r of index.ofPackage("kubernetes")) {
      const o = index.kubernetes(r);
      if (!o || o.group !== "networking.gke.io" || o.kind !== "GCPGatewayPolicy") continue;
      const ssl = dig(r.inputs, "spec", "default", "sslPolicy");
      const found = policies.filter((p) => p.inputs.name === ssl);
      if (found.length === 0) continue;
      yield requirement(this.id, r, found, `its SSL policy "${String(ssl)}" (${names(found)})`, "make the GCPGatewayPolicy depend on the SSL policy (dependsOn)");
    }
  },
};

/** Groups served by the API server itself (no CRD). */
const builtinGroups = new Set([
  "", "apps", "batch", "autoscaling", "policy", "networking.k8s.io", "rbac.authorization.k8s.io", "storage.k8s.io",
  "apiextensions.k8s.io", "admissionregistration.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "events.k8s.io",
  "scheduling.k8s.io", "node.k8s.io", "certificates.k8s.io", "flowcontrol.apiserver.k8s.io", "apiregistration.k8s.io",
  "authentication.k8s.io", "authorization.k8s.io", "resource.k8s.io", "internal.apiserver.k8s.io", "storagemigration.k8s.io",
]);

/**
 * A custom resource can only be created once its CRD is served: before, the API server answers
 * "no matches for kind". pulumi-kubernetes retries that (await.go `Creation`, NoMatch among the
 * retried errors) only 5 times with backoff, and has no await for a CRD's Established condition
 * (provider/pkg/await/awaiters.go lists none), so a CRD in the same stack must come first.
 * Source: https://github.com/pulumi/pulumi-kubernetes/issues/3188 ;
 * https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#create-a-customresourcedefinition
 */
const customResourceDefinition: CreationOrderRule = {
  id: "crd-managed",
  summary: "a custom resource needs its CustomResourceDefinition when the plan manages it",
  source: "https://github.com/pulumi/pulumi-kubernetes/issues/3188",
  *requirements(index) {
    const crds = index.resources.filter((r) => index.kubernetes(r)?.group === "apiextensions.k8s.io" && index.kubernetes(r)?.kind === "CustomResourceDefinition");
    if (crds.length === 0) return;
    for (const r of index.ofPackage("kubernetes")) {
      const o = index.kubernetes(r);
      if (!o || builtinGroups.has(o.group)) continue;
      const found = crds.filter((c) => c.provider === o.cluster && dig(c.inputs, "spec", "group") === o.group && dig(c.inputs, "spec", "names", "kind") === o.kind);
      if (found.length === 0) continue;
      yield requirement(this.id, r, found, `the CustomResourceDefinition of ${o.kind}.${o.group} (${names(found)})`, "make the custom resource depend on its CRD (dependsOn)");
    }
  },
};

/**
 * CRDs that GKE installs when a cluster feature is on: the custom resources need the cluster
 * that turns the feature on (its update or creation), or a cluster of the plan that does not
 * enable it at all. Turning a feature on in an existing cluster installs the CRDs after the
 * cluster update returns (k8s-review 28); the plan sees the ordering, not that lag.
 * Sources: https://cloud.google.com/kubernetes-engine/docs/how-to/deploying-gateways#enable-gateway ;
 * https://cloud.google.com/secret-manager/docs/secret-manager-managed-csi-component#enable
 */
const gkeFeatureCrds: Array<{ groups: string[]; feature: string; enabled: (cluster: PlannedResource) => boolean }> = [
  {
    groups: ["gateway.networking.k8s.io", "networking.gke.io"],
    feature: "gatewayApiConfig.channel (the GKE Gateway controller)",
    enabled: (c) => {
      const channel = dig(c.inputs, "gatewayApiConfig", "channel");
      return typeof channel === "string" && channel !== "CHANNEL_DISABLED";
    },
  },
  {
    groups: ["secrets-store.csi.x-k8s.io"],
    feature: "secretManagerConfig.enabled (the Secret Manager add-on)",
    enabled: (c) => dig(c.inputs, "secretManagerConfig", "enabled") === true,
  },
  // GKE Secret Sync installs the SecretSync CRD (https://cloud.google.com/secret-manager/docs/sync-k8-secrets):
  // the GitOps delivery's Argo CD reads its repository credentials through it.
  {
    groups: ["secret-sync.gke.io"],
    feature: "secretSyncConfig.enabled (GKE Secret Sync)",
    enabled: (c) => dig(c.inputs, "secretSyncConfig", "enabled") === true,
  },
];

/**
 * The gate for CRDs the plan does not create (k8s-review 28). pulumi-kubernetes has no await for a
 * CRD's Established condition (provider/pkg/await/awaiters.go lists none) and retries "no matches
 * for kind" only 5 times with backoff (await.go `Creation`), so turning the Gateway API or the
 * Secret Manager add-on on in an existing cluster — GKE installs the CRDs after the cluster update
 * returns — can outlast the retry. The gate is a readiness resource that polls
 * `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/<plural>.<group>` until Established is
 * True (a dynamic provider, the readiness waits of issue 12 item 3). Its contract with this check:
 * a resource whose `establishedCrds` input lists CRD names (`httproutes.gateway.networking.k8s.io`)
 * gates those groups, and every custom resource of a gated group must wait for it.
 * Source: https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#create-a-customresourcedefinition
 * ("it may take a few seconds for the endpoint to be created"); pulumi/pulumi-kubernetes#3188.
 */
const crdEstablishedGate: CreationOrderRule = {
  id: "crd-established-gate",
  summary: "a custom resource needs the gate that waits for its CRD to be Established, when the plan has one",
  source: "https://github.com/pulumi/pulumi-kubernetes/issues/3188",
  *requirements(index) {
    const gates = index.resources.filter((r) => r.custom && Array.isArray(r.inputs.establishedCrds));
    if (gates.length === 0) return;
    for (const r of index.ofPackage("kubernetes")) {
      const o = index.kubernetes(r);
      if (!o || builtinGroups.has(o.group)) continue;
      const found = gates.filter((g) => (g.inputs.establishedCrds as unknown[]).some((crd) => typeof crd === "string" && crd.endsWith(`.${o.group}`)));
      if (found.length === 0) continue;
      yield requirement(this.id, r, found, `the gate that waits for the ${o.group} CRDs to be Established (${names(found)})`, "make the custom resource depend on the CRD gate (dependsOn), or send it through a provider that does");
    }
  },
};

const gkeFeatureCrd: CreationOrderRule = {
  id: "gke-feature-crd",
  summary: "a custom resource of a GKE feature needs the cluster that enables the feature",
  source: "https://cloud.google.com/kubernetes-engine/docs/how-to/deploying-gateways#enable-gateway",
  *requirements(index) {
    const clusters = index.ofType("gcp:container/cluster:Cluster");
    if (clusters.length === 0) return;
    for (const r of index.ofPackage("kubernetes")) {
      const o = index.kubernetes(r);
      const feature = o && gkeFeatureCrds.find((f) => f.groups.includes(o.group));
      if (!o || !feature) continue;
      // The clusters this object can be sent to: the ones its provider waits for.
      const enabling = clusters.filter(feature.enabled);
      yield requirement(
        this.id,
        r,
        enabling,
        enabling.length > 0
          ? `the cluster that enables ${feature.feature} and so installs the ${o.group} CRDs (${names(enabling)})`
          : `a cluster of the plan that enables ${feature.feature}: without it ${o.kind}.${o.group} does not exist`,
        enabling.length > 0 ? "send the object through a Kubernetes provider built from that cluster's outputs" : `turn on ${feature.feature} on the cluster`,
      );
    }
  },
};

// ---------------------------------------------------------------------------------------------
// Google Cloud

/**
 * Private-IP Cloud SQL and PRIVATE_SERVICE_ACCESS Memorystore are created in the service
 * producer network peered by Private Services Access: without the servicenetworking connection
 * the create fails ("network ... does not have a private services connection").
 * Source: https://cloud.google.com/sql/docs/postgres/configure-private-services-access ;
 * https://cloud.google.com/memorystore/docs/redis/networking#private_services_access
 */
const privateServicesAccess: CreationOrderRule = {
  id: "private-services-access",
  summary: "private-IP Cloud SQL and PSA Memorystore need the Private Services Access connection of their network",
  source: "https://cloud.google.com/sql/docs/postgres/configure-private-services-access",
  *requirements(index) {
    const connections = index.ofType("gcp:servicenetworking/connection:Connection");
    const networks = index.ofType("gcp:compute/network:Network");
    const users: Array<[PlannedResource, unknown]> = [];
    for (const r of index.ofType("gcp:sql/databaseInstance:DatabaseInstance")) {
      const network = dig(r.inputs, "settings", "ipConfiguration", "privateNetwork");
      if (network) users.push([r, network]);
    }
    for (const r of index.ofType("gcp:redis/instance:Instance")) {
      if (r.inputs.connectMode === "PRIVATE_SERVICE_ACCESS" && r.inputs.authorizedNetwork) users.push([r, r.inputs.authorizedNetwork]);
    }
    for (const [r, network] of users) {
      const found = connections.filter((c) => sameNetwork(c.inputs.network, network));
      const managed = networks.some((n) => sameNetwork(`projects/${String(n.inputs.project ?? index.project(n) ?? "")}/global/networks/${String(n.inputs.name)}`, network));
      if (found.length === 0 && !managed) continue;
      yield requirement(
        this.id,
        r,
        found,
        found.length > 0 ? `the Private Services Access connection of ${String(network)} (${names(found)})` : `a servicenetworking Connection for ${String(network)}: the plan creates the network but no PSA connection`,
        "depend on the gcp.servicenetworking.Connection of the network (dependsOn)",
      );
    }
  },
};

/**
 * A record set is created in its managed zone: before the zone exists the API answers 404
 * ("The 'parameters.managedZone' resource named ... does not exist").
 * Source: https://cloud.google.com/dns/docs/reference/rest/v1/resourceRecordSets/create
 */
const dnsZone: CreationOrderRule = {
  id: "dns-zone",
  summary: "a DNS record needs its managed zone when the plan manages it",
  source: "https://cloud.google.com/dns/docs/reference/rest/v1/resourceRecordSets/create",
  *requirements(index) {
    const zones = index.ofType("gcp:dns/managedZone:ManagedZone");
    if (zones.length === 0) return;
    for (const r of index.ofType("gcp:dns/recordSet:RecordSet")) {
      const zone = typeof r.inputs.managedZone === "string" ? r.inputs.managedZone.replace(/^.*\/managedZones\//, "") : undefined;
      if (!zone) continue;
      const found = zones.filter((z) => z.inputs.name === zone && (index.project(z) === undefined || index.project(r) === undefined || index.project(z) === index.project(r)));
      if (found.length === 0) continue;
      yield requirement(this.id, r, found, `its managed zone "${zone}" (${names(found)})`, "take managedZone from the zone's `name` output so the record waits for it");
    }
  },
};

/**
 * Service agents that encrypt with a customer-managed key, by the module of the resource that
 * names the key. Sources: https://cloud.google.com/kms/docs/cmek#cmek_integrations and each
 * product's CMEK page (Secret Manager, Cloud SQL, Cloud Storage, Pub/Sub, Artifact Registry,
 * Memorystore, Compute Engine / GKE disks, BigQuery, Logging).
 */
const cmekAgents: Record<string, RegExp> = {
  secretmanager: /@gcp-sa-secretmanager\.iam\.gserviceaccount\.com$/,
  sql: /@gcp-sa-cloud-sql\.iam\.gserviceaccount\.com$/,
  storage: /@gs-project-accounts\.iam\.gserviceaccount\.com$/,
  pubsub: /@gcp-sa-pubsub\.iam\.gserviceaccount\.com$/,
  artifactregistry: /@gcp-sa-artifactregistry\.iam\.gserviceaccount\.com$/,
  redis: /@cloud-redis\.iam\.gserviceaccount\.com$/,
  compute: /@compute-system\.iam\.gserviceaccount\.com$/,
  container: /@compute-system\.iam\.gserviceaccount\.com$/,
  bigquery: /@bigquery-encryption\.iam\.gserviceaccount\.com$/,
  logging: /@gcp-sa-logging\.iam\.gserviceaccount\.com$/,
};

/**
 * A CMEK user (secret replicas, buckets, SQL instances, topics, repositories, …) is created with a
 * key only once the product's service agent holds roles/cloudkms.cryptoKeyEncrypterDecrypter on
 * it: otherwise "Permission 'cloudkms.cryptoKeyVersions.useToEncrypt' denied".
 * Source: gcp-review findings 14 and 21; hashicorp/terraform-provider-google#5103 ;
 * https://cloud.google.com/secret-manager/docs/cmek#grant-access
 */
const cmekGrant: CreationOrderRule = {
  id: "cmek-grant",
  summary: "a CMEK user needs the grant of its key to the service agent that uses it",
  source: "https://cloud.google.com/secret-manager/docs/cmek#grant-access",
  *requirements(index) {
    const keys = new Map<string, PlannedResource>();
    for (const k of index.ofType("gcp:kms/cryptoKey:CryptoKey")) {
      if (typeof k.inputs.keyRing === "string" && typeof k.inputs.name === "string") keys.set(`${k.inputs.keyRing}/cryptoKeys/${k.inputs.name}`, k);
    }
    if (keys.size === 0) return;
    const grants = [
      ...index.ofType("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"),
      ...index.ofType("gcp:kms/cryptoKeyIAMBinding:CryptoKeyIAMBinding"),
    ].filter((g) => typeof g.inputs.role === "string" && /^roles\/cloudkms\.cryptoKeyEncrypter(Decrypter)?$/.test(g.inputs.role));
    for (const r of index.ofPackage("gcp")) {
      const module = index.gcpModule(r);
      if (module === "kms") continue;
      const used = new Set<string>();
      collectStrings(r.inputs, (value) => keys.has(value), used);
      for (const key of used) {
        const agent = module ? cmekAgents[module] : undefined;
        const found = grants.filter((g) => g.inputs.cryptoKeyId === key && (!agent || iamMembers(g).some((m) => agent.test(m))));
        const who = agent ? `the ${module} service agent (${agent.source.replace(/\\/g, "").replace(/\$$/, "")})` : "the service agent that uses it";
        yield requirement(
          this.id,
          r,
          found,
          found.length > 0 ? `the grant of key ${key} to ${who} (${names(found)})` : `a roles/cloudkms.cryptoKeyEncrypterDecrypter grant of key ${key} to ${who}: the plan creates the key but no such grant`,
          found.length > 0 ? "make the resource depend on the key's IAM member (dependsOn)" : "grant the key to the service agent (gcp.kms.CryptoKeyIAMMember) and depend on the grant",
        );
      }
    }
  },
};

/**
 * Google service agents GCP creates on demand, by member domain, and what creates them.
 * Sources: https://cloud.google.com/iam/docs/service-agents ;
 * https://cloud.google.com/cdn/docs/using-signed-urls#configure_permissions (the Cloud CDN fill
 * account exists once a signed URL key was added).
 */
function agentCreators(index: PlanIndex, domain: string): PlannedResource[] {
  if (domain === "cloud-cdn-fill.iam.gserviceaccount.com") {
    return [...index.ofType("gcp:compute/backendBucketSignedUrlKey:BackendBucketSignedUrlKey"), ...index.ofType("gcp:compute/backendServiceSignedUrlKey:BackendServiceSignedUrlKey")];
  }
  return index.ofType("gcp:projects/serviceIdentity:ServiceIdentity").filter((s) => typeof s.inputs.service === "string" && serviceAgentDomain(s.inputs.service) === domain);
}

/** The member domain of the agent `gcp.projects.ServiceIdentity` creates for a service. */
function serviceAgentDomain(service: string): string {
  const short = service.replace(/\.googleapis\.com$/, "");
  const special: Record<string, string> = { sqladmin: "gcp-sa-cloud-sql", storage: "gs-project-accounts", redis: "cloud-redis", container: "container-engine-robot", compute: "compute-system" };
  return `${special[short] ?? `gcp-sa-${short}`}.iam.gserviceaccount.com`;
}

/**
 * A grant to a Google service agent fails while the agent does not exist ("Service account
 * service-<n>@gcp-sa-….iam.gserviceaccount.com does not exist"); agents that GCP creates only on
 * demand must be generated first (ServiceIdentity, or the resource whose creation makes them).
 * Source: gcp-review finding 14; https://cloud.google.com/iam/docs/create-service-agents
 */
const serviceAgentIdentity: CreationOrderRule = {
  id: "service-agent-identity",
  summary: "a grant to a Google service agent needs what creates that agent when the plan manages it",
  source: "https://cloud.google.com/iam/docs/create-service-agents",
  *requirements(index) {
    for (const r of index.ofPackage("gcp")) {
      for (const member of iamMembers(r)) {
        const m = /^serviceAccount:service-\d+@(.+)$/.exec(member);
        if (!m) continue;
        const creators = agentCreators(index, m[1]!);
        if (creators.length === 0) continue;
        yield requirement(this.id, r, creators, `what creates the service agent ${member.slice("serviceAccount:".length)} (${names(creators)})`, "take the member from the identity's `email` output, or depend on it (dependsOn)");
      }
    }
  },
};

/**
 * A grant to a service account the stack creates fails until that account exists
 * ("Service account <email> does not exist", IAM validates members on setIamPolicy).
 * Source: https://cloud.google.com/iam/docs/service-accounts-create#creating (eventual consistency)
 */
const grantedAccount: CreationOrderRule = {
  id: "iam-member-account",
  summary: "a grant to a service account of the plan needs that account",
  source: "https://cloud.google.com/iam/docs/service-accounts-create",
  *requirements(index) {
    const accounts = new Map<string, PlannedResource>();
    for (const a of index.ofType("gcp:serviceaccount/account:Account")) {
      const project = index.project(a);
      if (typeof a.inputs.accountId === "string" && project) accounts.set(`${a.inputs.accountId}@${project}.iam.gserviceaccount.com`, a);
    }
    if (accounts.size === 0) return;
    for (const r of index.ofPackage("gcp")) {
      for (const member of iamMembers(r)) {
        const account = accounts.get(member.replace(/^serviceAccount:/, ""));
        if (!account || !member.startsWith("serviceAccount:")) continue;
        yield requirement(this.id, r, [account], `the service account ${member.slice("serviceAccount:".length)} (${name(account.urn)})`, "take the member from the account's `email` / `member` output");
      }
    }
  },
};

/**
 * The API each Google resource calls, by module (some types by type token). Sources: each
 * product's "Before you begin / enable the API" page; https://cloud.google.com/service-usage/docs/enable-disable
 * — a call to a disabled API fails with SERVICE_DISABLED ("… has not been used in project … or it is disabled").
 */
const apiOfModule: Record<string, string> = {
  compute: "compute", container: "container", sql: "sqladmin", redis: "redis", memcache: "memcache", storage: "storage",
  pubsub: "pubsub", secretmanager: "secretmanager", kms: "cloudkms", dns: "dns", artifactregistry: "artifactregistry",
  binaryauthorization: "binaryauthorization", servicenetworking: "servicenetworking", serviceaccount: "iam", iam: "iam",
  monitoring: "monitoring", logging: "logging", bigquery: "bigquery", certificatemanager: "certificatemanager",
  cloudscheduler: "cloudscheduler", cloudrun: "run", cloudrunv2: "run", iap: "iap", cloudtasks: "cloudtasks",
  cloudfunctions: "cloudfunctions", cloudfunctionsv2: "cloudfunctions", filestore: "file", alloydb: "alloydb",
  spanner: "spanner", vpcaccess: "vpcaccess", networksecurity: "networksecurity", networkservices: "networkservices",
  gkehub: "gkehub", cloudbuild: "cloudbuild", essentialcontacts: "essentialcontacts", workflows: "workflows",
  firestore: "firestore", osconfig: "osconfig", cloudquota: "cloudquotas", containeranalysis: "containeranalysis",
  securitycenter: "securitycenter", accesscontextmanager: "accesscontextmanager", cloudidentity: "cloudidentity",
};

function apiOf(r: PlannedResource, module: string): string | undefined {
  if (module === "projects") {
    // Project IAM goes through Cloud Resource Manager's get/setIamPolicy.
    if (/^gcp:projects\/iAM(Member|Binding|Policy|AuditConfig):/.test(r.type)) return "cloudresourcemanager.googleapis.com";
    if (r.type.startsWith("gcp:projects/iAMCustomRole:")) return "iam.googleapis.com";
    // A service identity exists only for an enabled service.
    if (r.type.startsWith("gcp:projects/serviceIdentity:") && typeof r.inputs.service === "string") return r.inputs.service;
    return undefined;
  }
  if (module === "billing") return r.type.startsWith("gcp:billing/budget:") ? "billingbudgets.googleapis.com" : undefined;
  const short = apiOfModule[module];
  return short ? `${short}.googleapis.com` : undefined;
}

/**
 * Every Google resource needs the API it calls, once the plan enables APIs of its project: the
 * plan is then responsible for them (APIs a project ships with depend on how it was created —
 * storage.googleapis.com is on for console projects, not guaranteed for API-created ones).
 * Source: gcp-review finding 32; https://cloud.google.com/service-usage/docs/enable-disable
 */
const apiEnabled: CreationOrderRule = {
  id: "api-enabled",
  summary: "every Google resource needs the API it calls when the plan enables the project's APIs",
  source: "https://cloud.google.com/service-usage/docs/enable-disable",
  *requirements(index) {
    const services = new Map<string, Map<string, PlannedResource[]>>();
    for (const s of index.ofType("gcp:projects/service:Service")) {
      const project = index.project(s) ?? "";
      if (typeof s.inputs.service !== "string") continue;
      let byApi = services.get(project);
      if (!byApi) services.set(project, (byApi = new Map()));
      byApi.set(s.inputs.service, [...(byApi.get(s.inputs.service) ?? []), s]);
    }
    if (services.size === 0) return;
    for (const r of index.ofPackage("gcp")) {
      const module = index.gcpModule(r);
      if (!module) continue;
      const api = apiOf(r, module);
      if (!api) continue;
      const project = index.project(r);
      const byApi = project !== undefined ? services.get(project) : undefined;
      if (!byApi) continue;
      const found = byApi.get(api) ?? [];
      yield requirement(
        this.id,
        r,
        found,
        found.length > 0 ? `the API ${api} it calls (${names(found)})` : `the API ${api} it calls: the plan enables APIs of ${project} but not this one`,
        found.length > 0 ? "make the resource depend on the gcp.projects.Service of its API (Apis.for)" : `enable ${api} (Apis services / extraServices) and depend on it`,
      );
    }
  },
};

/** Every rule, in the order violations are reported. */
export const creationOrderRules: readonly CreationOrderRule[] = [
  apiEnabled,
  workloadIdentityPool,
  serviceAgentIdentity,
  grantedAccount,
  cmekGrant,
  privateServicesAccess,
  dnsZone,
  kubernetesNamespace,
  secretProviderClass,
  routePolicies,
  routeGateway,
  gatewayAddress,
  gatewaySslPolicy,
  customResourceDefinition,
  crdEstablishedGate,
  gkeFeatureCrd,
];
