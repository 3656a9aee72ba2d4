/**
 * The load-balancer frontend of a machine group that `serves` ports, as pure data: which ports the
 * regional external passthrough Network Load Balancer forwards, where health checks come from and
 * which service domains get an A record in the environment's public zone.
 *
 * Why a passthrough NLB: Caddy on the machines terminates TLS itself (automatic HTTPS), so the
 * client's TLS must reach it untouched; a passthrough NLB delivers the packets with the client's
 * source address and the ports unchanged (https://cloud.google.com/load-balancing/docs/network).
 */

/**
 * A forwarding rule's `ports` list takes at most five ports (backend service-based external
 * passthrough NLBs; the rule's IPProtocol must be TCP, UDP or SCTP).
 */
export const maxForwardedPorts = 5;

/**
 * The ports the forwarding rule forwards: the served ports, plus 80 whenever 443 is served — ACME
 * HTTP-01 challenges arrive on port 80 and Caddy redirects plain HTTP to HTTPS there.
 */
export function forwardedPorts(serves: readonly number[]): number[] {
  const ports = new Set(serves);
  if (ports.has(443)) ports.add(80);
  return [...ports].sort((a, b) => a - b);
}

/**
 * Source ranges of Google's health-check probes that reach the group's health port: 35.191.0.0/16
 * and 130.211.0.0/22 (global health checks: autohealing), and 209.85.152.0/22, 209.85.204.0/22,
 * which backend service-based external passthrough NLB health checks also use.
 */
export const autohealingHealthCheckRanges = ["35.191.0.0/16", "130.211.0.0/22"] as const;
export const passthroughHealthCheckRanges = ["35.191.0.0/16", "209.85.152.0/22", "209.85.204.0/22"] as const;

export function healthCheckSourceRanges(serving: boolean): string[] {
  return [...new Set([...autohealingHealthCheckRanges, ...(serving ? passthroughHealthCheckRanges : [])])];
}

/** `api.shop.example.com` is in zone `shop.example.com.` (and so is the apex itself). */
export function inZone(domain: string, zoneDnsName: string): boolean {
  const zone = zoneDnsName.replace(/\.$/, "").toLowerCase();
  const d = domain.replace(/\.$/, "").toLowerCase();
  return d === zone || d.endsWith(`.${zone}`);
}

/** The domains that get an A record: those in the zone, sorted, once each. */
export function domainsInZone(domains: readonly string[], zoneDnsName: string): string[] {
  return [...new Set(domains.map((d) => d.toLowerCase()))].filter((d) => inZone(d, zoneDnsName)).sort();
}
