/**
 * Source ranges Google's own infrastructure connects from, shared by firewall rules, Kubernetes
 * network policies and Caddy's trusted proxies (one list, so they cannot drift apart).
 */

/**
 * Google Cloud health checks and the proxies (Google front ends) of external Application Load
 * Balancers and proxy Network Load Balancers: https://cloud.google.com/load-balancing/docs/firewall-rules
 * and https://cloud.google.com/load-balancing/docs/health-check-concepts#ip-ranges.
 */
export const googleFrontEndRanges = ["35.191.0.0/16", "130.211.0.0/22"] as const;
