/**
 * Cloud Armor rules shared by the components that put a security policy on a backend service
 * (Kubernetes services through GCPBackendPolicy, machine groups directly): one shape of per-client
 * rate limit, one default rule.
 */
import type * as gcp from "@pulumi/gcp";

type Rule = gcp.types.input.compute.SecurityPolicyRule;
type Match = Rule["match"];

/** Matches every request (the default rule's match, and an unconditional limit's). */
export const everyRequest: Match = { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } };

/** A per-client-IP rate limit: `perMinute` requests per 60 s, 429 above it. */
export function throttleRule(priority: number, description: string, match: Match, perMinute: number): Rule {
  return {
    action: "throttle",
    priority,
    description,
    match,
    rateLimitOptions: {
      conformAction: "allow",
      exceedAction: "deny(429)",
      enforceOnKey: "IP",
      rateLimitThreshold: { count: perMinute, intervalSec: 60 },
    },
  };
}

/** The lowest-priority rule every policy needs: allow what no other rule matched. */
export const defaultAllowRule: Rule = { action: "allow", priority: 2147483647, description: "default rule", match: everyRequest };
