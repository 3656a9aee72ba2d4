/**
 * The load-balancer frontend of the machine groups, as pure data: which domains the shared global
 * external Application Load Balancer serves, which group's backend service each host goes to, the
 * certificate's domain list and name, where Google's proxies and health checks come from, and
 * which domains get an A record in the environment's public zone. `Machines` creates the resources
 * (./machines.ts), each serving `MachineGroup` its backend service (./machine-group.ts).
 *
 * Why an Application Load Balancer with a Google-managed certificate, and not Caddy's automatic
 * HTTPS behind a passthrough NLB: certificates must not depend on VM lifetime. With several VMs
 * behind one address an ACME HTTP-01 challenge lands on a VM other than the one that asked
 * (issuance fails), and every rolling release creates VMs that each ask for a new certificate for
 * the same names (Let's Encrypt issues at most 5 per exact set of names per week,
 * https://letsencrypt.org/docs/rate-limits/). The load balancer terminates the client's TLS with
 * one Google-managed certificate; Caddy still routes by host and path and terminates the
 * load balancer → VM hop with its internal CA (src/render/caddy.ts).
 */
import { shortHash } from "../../config/naming.js";
import { maxCertificateDomains, normalizedDomains, servedPort, servedPortName } from "../../config/machine-frontend.js";

export { maxCertificateDomains, normalizedDomains, servedPort, servedPortName };

/** Ports the group's firewall rule opens to Google's front ends and health checks (src/config/google-ranges.ts): the health port, and 443 when serving. */
export function firewallPorts(healthPort: number, serving: boolean): number[] {
  return [...new Set([healthPort, ...(serving ? [servedPort] : [])])].sort((a, b) => a - b);
}

/**
 * Whether a group's `serves` asks for the load balancer. 443 is the only port an Application Load
 * Balancer reaches the machines on; anything else is refused (a config rule says so first, with the fix).
 */
export function servesLoadBalancer(group: string, serves: readonly number[] = []): boolean {
  const other = [...new Set(serves)].filter((p) => p !== servedPort);
  if (other.length > 0) {
    throw new RangeError(`MachineGroup "${group}": the Application Load Balancer reaches the machines on ${servedPort} only; serves lists ${other.join(", ")}`);
  }
  return serves.length > 0;
}

export interface FrontendPlan {
  /** Every domain the certificate covers, sorted. */
  domains: string[];
  /** URL-map host rules: the group whose backend service answers these hosts; groups sorted. */
  hostRules: { group: string; hosts: string[] }[];
  /**
   * The URL map's default service: the first serving group (sorted by name). Requests for a host
   * no rule names (a bare IP, a scanner) land there, and Caddy answers them 404 (its catch-all site).
   */
  defaultGroup: string;
}

/**
 * The shared frontend of the serving groups (name → its services' domains); undefined when no group
 * serves. Throws when a serving group has no domain (the URL map routes by host), when a domain is
 * on two groups (a host rule sends a host to one backend service) or when there are more domains
 * than a managed certificate holds (config rules catch all three first).
 */
export function frontendPlan(groups: Record<string, readonly string[]>): FrontendPlan | undefined {
  const names = Object.keys(groups).sort();
  if (names.length === 0) return undefined;
  const owner = new Map<string, string>();
  const hostRules = names.map((group) => {
    const hosts = normalizedDomains(groups[group]!);
    if (hosts.length === 0) throw new RangeError(`machine group "${group}" serves but none of its services exposes a domain; the load balancer routes by host`);
    for (const host of hosts) {
      const other = owner.get(host);
      if (other) throw new RangeError(`domain "${host}" is served by machine groups "${other}" and "${group}"; a host goes to one group`);
      owner.set(host, group);
    }
    return { group, hosts };
  });
  const domains = [...owner.keys()].sort();
  if (domains.length > maxCertificateDomains) {
    throw new RangeError(`a Google-managed certificate covers at most ${maxCertificateDomains} domains; the serving machine groups expose ${domains.length}`);
  }
  return { domains, hostRules, defaultGroup: names[0]! };
}

/**
 * Suffix of the certificate's physical name: a short hash of its sorted domain list. A managed
 * certificate is immutable, so a new domain list is a new certificate; with a new name, Pulumi
 * creates it before the old one is deleted (its default create-before-delete), the HTTPS proxy
 * moves to it in between, and the old one is deleted last. The reverse order cannot work: GCP
 * refuses to delete a certificate a target proxy still uses ("resource is in use").
 */
export function certificateSuffix(domains: readonly string[]): string {
  return shortHash([...domains].sort().join(","), 8);
}

