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
 * | GKE control plane| 10.B.80.0/28        | private endpoint of the cluster (/28) |
 * | pods             | 10.(B+8).0.0/13     | 2,048 nodes × /24 (110 pods per node) |
 *
 * The layout is part of the public contract: changing it would replace every subnet (the awsx
 * upgrade lesson), so it only ever grows by using unallocated space.
 *
 * Capacity: an environment's node pool may grow to `nodesMax` per zone × 3 zones. Its nodes range
 * must hold that many primary addresses (GCP reserves 4 per subnet), and its pods range one /24
 * per node (GKE's allocation for 110 pods per node). Overrides that cannot are reported with the
 * smallest prefix that would fit.
 */
import { containsCidr, normalizeCidr, overlapCidr, parseCidr } from "cidr-tools";
import type { ConfigIssue } from "./errors.js";
import { defaultPresetFor, presets } from "./presets.js";
import type { BrumeConfig, NetworkConfig } from "./schema.js";

export type RangeName = keyof NetworkConfig;
export type NetworkPlan = Record<RangeName, string>;

export const rangeNames: readonly RangeName[] = [
  "nodesCidr",
  "privateCidr",
  "proxyCidr",
  "servicesCidr",
  "servicesAccessCidr",
  "masterCidr",
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
    masterCidr: `10.${b}.80.0/28`,
    podsCidr: `10.${b + 8}.0.0/13`,
  };
}

/** CIDR slots of the conventional environment names; every other environment sets `index`. */
export const defaultIndexes: Readonly<Record<string, number>> = { prod: 0, production: 0, stage: 1, staging: 1 };

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
  for (const name of names) {
    const want = Object.hasOwn(defaultIndexes, name) ? defaultIndexes[name] : undefined;
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

/** Smallest block (largest prefix length) each range may have, whatever the node count. */
const maxPrefix: Record<RangeName, number> = {
  nodesCidr: 24,
  privateCidr: 26,
  proxyCidr: 26,
  servicesCidr: 24,
  servicesAccessCidr: 24,
  masterCidr: 28,
  podsCidr: 21,
};

/** Zones a regional node pool spans. */
export const zonesPerRegion = 3;
/** Pod range GKE gives each node at 110 pods per node (the default maximum). */
export const podRangePrefixPerNode = 24;
/** Addresses GCP reserves in every subnet's primary range (network, gateway, two at the end). */
const reservedAddressesPerSubnet = 4;

/** How far an environment's node pool may grow. */
export interface EnvironmentCapacity {
  /** Maximum nodes across all zones. */
  maxNodes: number;
}

/** `"10.0.64.0/20"` → `{ address: "10.0.64.0", prefixLength: 20 }` (e.g. for a GlobalAddress). */
export function splitCidr(cidr: string): { address: string; prefixLength: number } {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr);
  if (!match) throw new Error(`"${cidr}" is not an IPv4 CIDR such as 10.0.64.0/20`);
  return { address: match[1]!, prefixLength: Number(match[2]) };
}

/**
 * The largest prefix length (smallest block) a range may have to serve `maxNodes` nodes: the
 * capacity need, never smaller than the range's fixed floor. Ranges whose size does not depend on
 * the node count get their floor.
 */
export function minimalPrefix(range: RangeName, maxNodes: number): number {
  const nodes = Math.max(1, Math.ceil(maxNodes));
  switch (range) {
    case "nodesCidr": {
      let prefix = 32;
      while (prefix > 0 && 2 ** (32 - prefix) - reservedAddressesPerSubnet < nodes) prefix--;
      return Math.min(maxPrefix.nodesCidr, prefix);
    }
    case "podsCidr":
      return Math.min(maxPrefix.podsCidr, podRangePrefixPerNode - Math.ceil(Math.log2(nodes)));
    default:
      return maxPrefix[range];
  }
}

/**
 * Node capacity of an environment: `capacity` when given, else the effective `nodesMax` (the
 * environment's `settings.nodesMax`, or its preset's) × 3 zones.
 */
function capacityOf(
  config: Pick<BrumeConfig, "environments">,
  env: string,
  capacity: Record<string, EnvironmentCapacity> | undefined,
): { maxNodes: number; why: string } {
  const given = capacity?.[env];
  if (given) return { maxNodes: given.maxNodes, why: `${given.maxNodes} nodes` };
  const environment = config.environments[env]!;
  const perZone = environment.settings.nodesMax ?? presets[environment.preset ?? defaultPresetFor(env)].nodesMax;
  const maxNodes = perZone * zonesPerRegion;
  return { maxNodes, why: `${maxNodes} nodes (nodesMax ${perZone} × ${zonesPerRegion} zones)` };
}

/** The message for a range smaller than `prefix`; says what needs that size when capacity does. */
function tooSmall(range: RangeName, cidr: string, prefix: number, why: string): string {
  const fix = `use /${prefix} or larger`;
  if (prefix === maxPrefix[range]) return `"${cidr}" is too small for ${range}: ${fix}`;
  const need = range === "podsCidr" ? `${why} × /${podRangePrefixPerNode} (110 pods per node)` : why;
  return `"${cidr}" is too small for ${range}: ${need} need /${prefix}; ${fix}`;
}

/**
 * Overlaps and undersized ranges across all environments, located at the overriding config path
 * (capacity problems always at `environments.<env>.network.<range>`, where the fix goes).
 * `capacity` gives the node capacity per environment; by default it is read from the settings.
 */
export function cidrProblems(
  config: Pick<BrumeConfig, "environments">,
  capacity?: Record<string, EnvironmentCapacity>,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const envNames = Object.keys(config.environments).sort();
  if (envNames.length > 16) {
    issues.push({ path: "environments", message: `at most 16 environments fit the CIDR plan, got ${envNames.length}` });
    return issues;
  }
  const all: { env: string; range: RangeName; cidr: string; path: string }[] = [];
  for (const env of envNames) {
    const plan = plannedNetwork(config, env);
    const need = capacityOf(config, env, capacity);
    for (const range of rangeNames) {
      const cidr = plan[range];
      const overridden = config.environments[env]!.network[range] !== undefined;
      const path = overridden ? `environments.${env}.network.${range}` : `environments.${env}.index`;
      const prefix = Number(parseCidr(cidr).prefix);
      if (overridden && normalizeCidr(cidr) !== cidr) {
        issues.push({ path, message: `"${cidr}" is not a network address; use "${normalizeCidr(cidr)}"`, value: cidr });
      }
      if (range === "masterCidr" && prefix !== 28) {
        issues.push({ path, message: `"${cidr}" must be a /28: GKE's control plane range is exactly 16 addresses`, value: cidr });
      } else if (prefix > minimalPrefix(range, need.maxNodes)) {
        const fits = minimalPrefix(range, need.maxNodes);
        const capacityBound = fits < maxPrefix[range];
        issues.push({
          path: capacityBound ? `environments.${env}.network.${range}` : path,
          message: tooSmall(range, cidr, fits, need.why),
          value: cidr,
        });
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
