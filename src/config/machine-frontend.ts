/**
 * Facts of the machine groups' load-balancer frontend that config validation needs before any
 * resource exists (pure; the frontend plan itself is src/components/machine/frontend.ts).
 */

/** The one port the load balancer reaches the machines on: Caddy's HTTPS. */
export const servedPort = 443;
/** Named port of the managed instance groups for `servedPort`; the backend service's `portName`. */
export const servedPortName = "p443";

/**
 * Google-managed SSL certificates cover at most 100 (non-wildcard) domains
 * (https://cloud.google.com/kubernetes-engine/docs/how-to/managed-certs#limitations).
 */
export const maxCertificateDomains = 100;

/** A group's domains as the load balancer sees them: lowercase, without the final dot, sorted, once each. */
export function normalizedDomains(domains: readonly string[]): string[] {
  return [...new Set(domains.map((d) => d.replace(/\.$/, "").toLowerCase()))].sort();
}
