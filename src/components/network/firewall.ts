/**
 * The environment's VPC firewall as data: a pure function from the CIDR plan and serving ports to
 * the ingress rules `Network` creates. Baseline: deny all ingress at the lowest user priority; allow
 * only the env's own ranges, IAP TCP forwarding to SSH on tagged instances, Google health checks
 * and the proxy-only subnet to tagged backends on serving ports. No rule opens 0.0.0.0/0 except the
 * deny. The deny rules log with all metadata (what was refused); allow rules log only when
 * `NetworkArgs.firewallLogging` is "all" — allow-internal would log every east-west connection.
 */
import type { NetworkPlan } from "../../config/cidr-plan.js";
import { googleFrontEndRanges } from "../../config/google-ranges.js";

/** Source range of IAP TCP forwarding (https://cloud.google.com/iap/docs/using-tcp-forwarding). */
export const iapTcpForwardingRange = "35.235.240.0/20";
/** Source ranges of Google Cloud health checks and load balancer proxies (Application/proxy NLB). */
/** Network tags our rules target; node pools and VMs carry them to opt in. */
export const networkTags = {
  /** Instances reachable over SSH through IAP TCP forwarding. */
  iapSsh: "iap-ssh",
  /** Load balancer backends: health checks and proxy-only subnet traffic on serving ports. */
  lbBackend: "lb-backend",
} as const;

/** Lowest priority a user rule may have (65535 is the implied rules'). */
export const baselinePriority = 65534;
/** Priority of the allow rules: above the baseline, leaving room on both sides. */
export const allowPriority = 1000;

export type FirewallRuleName = "denyAllIngress" | "allowInternal" | "allowIapSsh" | "allowHealthChecks" | "allowProxy";

export interface FirewallRuleSpec {
  /** Key in `Network.firewalls` and `NetworkArgs.transform.firewall`. */
  key: FirewallRuleName;
  /** Suffix of the child's logical name and of its physical name. */
  part: string;
  description: string;
  action: "allow" | "deny";
  priority: number;
  /** Protocols and ports (tcp/udp only); no ports means every port of the protocol. */
  protocols: { protocol: string; ports?: string[] }[];
  sourceRanges: string[];
  /** Instances the rule applies to; every instance of the VPC when absent. */
  targetTags?: string[];
}

export interface FirewallInput {
  ranges: NetworkPlan;
  /** Ports Google health checks probe on backends. An empty list drops the rule. */
  healthCheckPorts: readonly number[];
  /** Ports the proxy-only subnet reaches backends on. An empty list drops the rule. */
  servingPorts: readonly number[];
}

/** Sorted, de-duplicated port list as the API takes it; throws on a port outside 1-65535. */
export function portList(ports: readonly number[], what: string): string[] {
  for (const port of ports) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`${what}: ${port} is not a port (1-65535)`);
  }
  return [...new Set(ports)].sort((a, b) => a - b).map(String);
}

/** The ingress rules of an environment's VPC, in a stable order. */
export function firewallRules(input: FirewallInput): FirewallRuleSpec[] {
  const { ranges } = input;
  const rules: FirewallRuleSpec[] = [
    {
      key: "denyAllIngress",
      part: "deny-all-ingress",
      description: "Baseline: deny and log all ingress not allowed by a higher-priority rule",
      action: "deny",
      priority: baselinePriority,
      protocols: [{ protocol: "all" }],
      sourceRanges: ["0.0.0.0/0"],
    },
    {
      // The proxy-only subnet holds only Google-managed load balancer proxies; it is listed here so
      // container-native backends work on any container port, and again in allowProxy so serving
      // ports stay open if a transform narrows this rule.
      key: "allowInternal",
      part: "allow-internal",
      description: "Traffic between the environment's own ranges (nodes, pods, services, private, proxy-only)",
      action: "allow",
      priority: allowPriority,
      protocols: [{ protocol: "tcp" }, { protocol: "udp" }, { protocol: "icmp" }],
      sourceRanges: [ranges.nodesCidr, ranges.podsCidr, ranges.servicesCidr, ranges.privateCidr, ranges.proxyCidr],
    },
    {
      key: "allowIapSsh",
      part: "allow-iap-ssh",
      description: `SSH through IAP TCP forwarding, to instances tagged ${networkTags.iapSsh} only`,
      action: "allow",
      priority: allowPriority,
      protocols: [{ protocol: "tcp", ports: ["22"] }],
      sourceRanges: [iapTcpForwardingRange],
      targetTags: [networkTags.iapSsh],
    },
  ];
  const healthCheckPorts = portList(input.healthCheckPorts, "healthCheckPorts");
  if (healthCheckPorts.length > 0) {
    rules.push({
      key: "allowHealthChecks",
      part: "allow-health-checks",
      description: `Google health checks to load balancer backends tagged ${networkTags.lbBackend}`,
      action: "allow",
      priority: allowPriority,
      protocols: [{ protocol: "tcp", ports: healthCheckPorts }],
      sourceRanges: [...googleFrontEndRanges],
      targetTags: [networkTags.lbBackend],
    });
  }
  const servingPorts = portList(input.servingPorts, "servingPorts");
  if (servingPorts.length > 0) {
    rules.push({
      key: "allowProxy",
      part: "allow-proxy",
      description: `Regional load balancer proxies to backends tagged ${networkTags.lbBackend}`,
      action: "allow",
      priority: allowPriority,
      protocols: [{ protocol: "tcp", ports: servingPorts }],
      sourceRanges: [ranges.proxyCidr],
      targetTags: [networkTags.lbBackend],
    });
  }
  return rules;
}
