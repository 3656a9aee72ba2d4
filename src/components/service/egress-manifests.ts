/**
 * Third-party egress of a service (`egress: [api.openai.com:443]`, k8s-review 18), pure.
 *
 * With FQDN network policies on the cluster (Dataplane V2, `enableFqdnNetworkPolicy`), a
 * `FQDNNetworkPolicy` allows exactly the declared hosts — GKE "Control Pod egress traffic using
 * FQDN network policies" (https://cloud.google.com/kubernetes-engine/docs/how-to/fqdn-network-policies):
 * `apiVersion: networking.gke.io/v1alpha1`, `spec.podSelector`, `spec.egress[].matches[]` of
 * `{name}` (an exact host) or `{pattern}` (`*.company.com` matches one label: api.company.com, not
 * eu.api.company.com nor company.com), `spec.egress[].ports[] {protocol, port}`; at most 50
 * resolved addresses per policy. It is additive to the namespace's default deny like any
 * NetworkPolicy. Without it, the service's NetworkPolicy opens the declared ports to any address
 * outside the VPC (manifests.ts `thirdPartyPorts`) and the plan warns.
 */
import { selectorLabels, type Labels, type Manifest } from "./manifests.js";

export interface EgressHost {
  host: string;
  port: number;
}

/** `api.openai.com:443` → {host, port}. */
export function parseEgress(entries: readonly string[]): EgressHost[] {
  return entries.map((e) => {
    const i = e.lastIndexOf(":");
    return { host: e.slice(0, i).toLowerCase(), port: Number(e.slice(i + 1)) };
  });
}

/** One FQDNNetworkPolicy per service: one egress rule per port, its hosts as names or patterns. */
export function fqdnNetworkPolicyManifest(o: { name: string; namespace: string; app: string; egress: EgressHost[]; labels: Labels }): Manifest {
  const byPort = new Map<number, Set<string>>();
  for (const e of o.egress) byPort.set(e.port, (byPort.get(e.port) ?? new Set()).add(e.host));
  const rules = [...byPort.entries()]
    .sort(([a], [b]) => a - b)
    .map(([port, hosts]) => ({
      matches: [...hosts].sort().map((h) => (h.startsWith("*.") ? { pattern: h } : { name: h })),
      ports: [{ protocol: "TCP", port }],
    }));
  return {
    apiVersion: "networking.gke.io/v1alpha1",
    kind: "FQDNNetworkPolicy",
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    spec: { podSelector: { matchLabels: selectorLabels(o.app) }, egress: rules },
  };
}
