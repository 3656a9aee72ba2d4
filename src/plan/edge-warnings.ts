/**
 * Plan warnings of a stack's edge (issue 14 part B), from the plan itself:
 *
 * - a served domain outside the environment's zone gets no record from the stack: its owner must
 *   point it at the Gateway's reserved address (stack output `gateways.<kind>.address`) and add
 *   the certificate's DNS authorization CNAME, or the certificate never becomes ACTIVE;
 * - likewise a public bucket's CDN domain outside the public zone (stack output `cdn.<bucket>`);
 * - a service's third-party egress (`egress:`) without FQDN network policies is an IP rule on
 *   its ports to anything outside the VPC: the NetworkPolicy cannot restrict it by host name.
 */
import type { LoadedStack } from "../config/load.js";
import type { Plan } from "./run.js";

interface GatewayOutput {
  address?: unknown;
  domainsOutsideZone?: unknown;
}

export function edgeWarnings(plan: Plan, loaded: LoadedStack): string[] {
  const out: string[] = [];
  const gateways = (plan.outputs.gateways ?? {}) as Record<string, GatewayOutput>;
  for (const [kind, g] of Object.entries(gateways).sort(([a], [b]) => a.localeCompare(b))) {
    const domains = Array.isArray(g.domainsOutsideZone) ? (g.domainsOutsideZone as string[]) : [];
    for (const domain of domains) {
      out.push(
        `domain "${domain}" of the ${kind} Gateway is outside the environment's ${kind === "external" ? "public" : "private"} zone: the stack creates no record for it; ` +
          `point it at ${String(g.address ?? "the address in stack output gateways." + kind + ".address")} (an A record where its zone is hosted) and add its certificate's DNS authorization CNAME ` +
          `(gcloud certificate-manager dns-authorizations describe), or the certificate stays PROVISIONING`,
      );
    }
  }
  const cdn = (plan.outputs.cdn ?? {}) as Record<string, { domain?: unknown; address?: unknown; domainOutsideZone?: unknown }>;
  for (const [bucket, f] of Object.entries(cdn).sort(([a], [b]) => a.localeCompare(b))) {
    if (f.domainOutsideZone !== true) continue;
    out.push(
      `CDN domain "${String(f.domain)}" of bucket "${bucket}" is outside the environment's public zone: the stack creates no record for it; ` +
        `point it at ${String(f.address ?? `the address in stack output cdn.${bucket}.address`)} (an A record where its zone is hosted) and add its certificate's DNS authorization CNAME ` +
        `(gcloud certificate-manager dns-authorizations describe), or the certificate stays PROVISIONING`,
    );
  }
  const fqdnPolicies = loaded.environment.cluster?.fqdnNetworkPolicy === true;
  if (!fqdnPolicies) {
    for (const [name, svc] of Object.entries(loaded.config.services).sort(([a], [b]) => a.localeCompare(b))) {
      if (svc.runner !== "kubernetes" || svc.egress.length === 0) continue;
      const ports = [...new Set(svc.egress.map((e) => e.slice(e.lastIndexOf(":") + 1)))].join(", ");
      out.push(
        `service "${name}" declares egress to ${svc.egress.join(", ")}: without FQDN network policies (GKE Enterprise, Dataplane V2) its NetworkPolicy allows port ${ports} ` +
          `to any address outside the VPC, not only these hosts; set cluster.fqdnNetworkPolicy: true on a GKE Enterprise cluster to restrict it by host name`,
      );
    }
  }
  return out;
}
