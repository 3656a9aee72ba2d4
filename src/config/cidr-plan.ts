/**
 * The CIDR plan: pure allocation of every environment's ranges, and the checks on user overrides.
 *
 * Environment number `i` (0-15) owns the block 10.(16·i).0.0/12, laid out as:
 *
 * | range            | default             | size                                  |
 * |------------------|---------------------|---------------------------------------|
 * | nodes            | 10.B.0.0/20         | 4,096 node IPs                        |
 * | private (VMs)    | 10.B.16.0/20        | 4,096 addresses                       |
 * | proxy-only       | 10.B.32.0/23        | regional load balancer proxies        |
 * | services (GKE)   | 10.B.48.0/20        | 4,096 ClusterIPs                      |
 * | services access  | 10.B.64.0/20        | Cloud SQL / Memorystore peering range |
 * | pods             | 10.(B+8).0.0/13     | 2,048 nodes × /24 (110 pods per node) |
 *
 * The layout is part of the public contract: changing it would replace every subnet (the awsx
 * upgrade lesson), so it only ever grows by using unallocated space.
 */
import { containsCidr, normalizeCidr, overlapCidr, parseCidr } from "cidr-tools";
import type { ConfigIssue } from "./errors.js";
import type { BrumeConfig, NetworkConfig } from "./schema.js";

export type RangeName = keyof NetworkConfig;
export type NetworkPlan = Record<RangeName, string>;

export const rangeNames: readonly RangeName[] = [
  "nodesCidr",
  "privateCidr",
  "proxyCidr",
  "servicesCidr",
  "servicesAccessCidr",
  "podsCidr",
];

/** Default ranges of the environment at position `index` in the plan. */
export function defaultNetworkPlan(index: number): NetworkPlan {
  if (!Number.isInteger(index) || index < 0 || index > 15) throw new RangeError(`environment index ${index} is outside 0-15`);
  const b = index * 16;
  return {
    nodesCidr: `10.${b}.0.0/20`,
    privateCidr: `10.${b}.16.0/20`,
    proxyCidr: `10.${b}.32.0/23`,
    servicesCidr: `10.${b}.48.0/20`,
    servicesAccessCidr: `10.${b}.64.0/20`,
    podsCidr: `10.${b + 8}.0.0/13`,
  };
}

/**
 * The index of each environment: explicit `index` first, then prod 0 and stage 1 when free, then
 * the remaining environments alphabetically into the lowest free slots.
 */
export function environmentIndexes(config: Pick<BrumeConfig, "environments">): Map<string, number> {
  const out = new Map<string, number>();
  const used = new Set<number>();
  const names = Object.keys(config.environments).sort();
  for (const name of names) {
    const index = config.environments[name]!.index;
    if (index !== undefined && !used.has(index)) {
      out.set(name, index);
      used.add(index);
    }
  }
  const preferred: Record<string, number> = { prod: 0, production: 0, stage: 1, staging: 1 };
  for (const name of names) {
    const want = preferred[name];
    if (!out.has(name) && want !== undefined && !used.has(want)) {
      out.set(name, want);
      used.add(want);
    }
  }
  let next = 0;
  for (const name of names) {
    if (out.has(name)) continue;
    while (used.has(next)) next++;
    out.set(name, next);
    used.add(next);
  }
  return out;
}

/** The ranges of one environment: the plan's defaults with the user's overrides on top. */
export function plannedNetwork(config: Pick<BrumeConfig, "environments">, environment: string): NetworkPlan {
  const index = environmentIndexes(config).get(environment);
  const env = config.environments[environment];
  if (index === undefined || !env) throw new Error(`unknown environment "${environment}"`);
  // More than 16 environments cannot be laid out; the schema caps index at 15 and rules report it.
  const defaults = defaultNetworkPlan(Math.min(index, 15));
  const out = { ...defaults };
  for (const range of rangeNames) {
    const override = env.network[range];
    if (override) out[range] = override;
  }
  return out;
}

/** Smallest block (largest prefix length) each range may have. */
const maxPrefix: Record<RangeName, number> = {
  nodesCidr: 24,
  privateCidr: 26,
  proxyCidr: 26,
  servicesCidr: 24,
  servicesAccessCidr: 24,
  podsCidr: 21,
};

/** Overlaps and undersized ranges across all environments, located at the overriding config path. */
export function cidrProblems(config: Pick<BrumeConfig, "environments">): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const envNames = Object.keys(config.environments).sort();
  if (envNames.length > 16) {
    issues.push({ path: "environments", message: `at most 16 environments fit the CIDR plan, got ${envNames.length}` });
    return issues;
  }
  const all: { env: string; range: RangeName; cidr: string; path: string }[] = [];
  for (const env of envNames) {
    const plan = plannedNetwork(config, env);
    for (const range of rangeNames) {
      const cidr = plan[range];
      const overridden = config.environments[env]!.network[range] !== undefined;
      const path = overridden ? `environments.${env}.network.${range}` : `environments.${env}.index`;
      const prefix = Number(parseCidr(cidr).prefix);
      if (overridden && normalizeCidr(cidr) !== cidr) {
        issues.push({ path, message: `"${cidr}" is not a network address; use "${normalizeCidr(cidr)}"`, value: cidr });
      }
      if (prefix > maxPrefix[range]) {
        issues.push({ path, message: `"${cidr}" is too small for ${range}: use /${maxPrefix[range]} or larger`, value: cidr });
      }
      all.push({ env, range, cidr, path });
    }
  }
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const a = all[i]!;
      const b = all[j]!;
      if (!overlapCidr(a.cidr, b.cidr)) continue;
      // Report on the side the user wrote; when both are overrides, the later one.
      const culprit = b.path.includes(".network.") ? b : a;
      const other = culprit === b ? a : b;
      const relation = containsCidr(other.cidr, culprit.cidr) ? "lies inside" : "overlaps";
      issues.push({
        path: culprit.path,
        message: `${culprit.range} "${culprit.cidr}" ${relation} ${other.env === culprit.env ? "" : `environment "${other.env}" `}${other.range} "${other.cidr}"; choose a disjoint range`,
        value: culprit.cidr,
      });
    }
  }
  return issues;
}
