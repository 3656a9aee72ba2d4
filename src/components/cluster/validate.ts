/**
 * Pure, synchronous checks of the cluster's structural args, run at construction so a mistake
 * fails the plan with a clear message instead of a GKE API error minutes into `pulumi up`.
 * Config validation (src/config) catches most of these upstream; these guard direct users.
 */
import type { NodePoolSpec } from "./node-pools.js";

export interface MaintenanceWindow {
  /** RFC 3339 UTC start of the first occurrence, e.g. `2024-01-06T00:00:00Z`. */
  startTime: string;
  /** RFC 3339 UTC end of the first occurrence. */
  endTime: string;
  /** RFC 5545 RRULE, e.g. `FREQ=WEEKLY;BYDAY=SA,SU`. */
  recurrence: string;
}

export interface AuthorizedNetwork {
  /** CIDR allowed to reach the control plane, e.g. an office or CI egress range. */
  cidr: string;
  /** Display name shown in the console. */
  name: string;
}

/** GKE rejects a maintenance policy with less availability than this in any 32-day window. */
export const minMaintenanceHoursPer32Days = 48;

const ipv4Cidr = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/;
const poolName = /^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/;
const weekdays = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"] as const;

/** True for a CIDR that matches every address ("0.0.0.0/0", "::/0", "10.0.0.0/0", …). */
export function isOpenToTheWorld(cidr: string): boolean {
  return /\/0+$/.test(cidr.trim());
}

/**
 * The fewest maintenance hours a window gives in any 32 consecutive days, or undefined when the
 * recurrence is not one we can evaluate (only FREQ=DAILY and FREQ=WEEKLY;BYDAY=… are).
 */
export function maintenanceHoursPer32Days(window: MaintenanceWindow): number | undefined {
  const hours = (Date.parse(window.endTime) - Date.parse(window.startTime)) / 3_600_000;
  if (!Number.isFinite(hours) || hours <= 0) return undefined;
  const rule = Object.fromEntries(
    window.recurrence
      .replace(/^RRULE:/i, "")
      .split(";")
      .map((part) => part.split("=") as [string, string]),
  ) as Record<string, string | undefined>;
  if (rule.INTERVAL !== undefined && rule.INTERVAL !== "1") return undefined;
  if (rule.FREQ === "DAILY" && rule.BYDAY === undefined) return 31 * Math.min(hours, 24);
  if (rule.FREQ !== "WEEKLY" || rule.BYDAY === undefined) return undefined;
  const days = new Set(rule.BYDAY.split(",").map((d) => weekdays.indexOf(d as (typeof weekdays)[number])));
  if (days.has(-1)) return undefined;
  let fewest = Infinity;
  for (let start = 0; start < 7; start++) {
    let count = 0;
    for (let day = 0; day < 32; day++) if (days.has((start + day) % 7)) count++;
    fewest = Math.min(fewest, count);
  }
  return fewest * Math.min(hours, 24);
}

export interface ClusterShape {
  masterCidr: string;
  masterAuthorizedNetworks: readonly AuthorizedNetwork[];
  nodePools: readonly NodePoolSpec[];
  maintenanceWindow: MaintenanceWindow;
  allowedImagePatterns: readonly string[];
}

/** Every problem with the cluster's structural args; empty when they are valid. */
export function clusterProblems(shape: ClusterShape): string[] {
  const problems: string[] = [];
  if (!ipv4Cidr.test(shape.masterCidr) || !shape.masterCidr.endsWith("/28")) {
    problems.push(`masterCidr must be an IPv4 /28 for the control plane (e.g. "172.16.0.0/28"), got "${shape.masterCidr}"`);
  }
  for (const network of shape.masterAuthorizedNetworks) {
    if (isOpenToTheWorld(network.cidr)) {
      problems.push(
        `masterAuthorizedNetworks must not contain ${network.cidr} ("${network.name}"): it opens the control plane to the whole internet; list the CIDRs that need kubectl access`,
      );
    } else if (!ipv4Cidr.test(network.cidr)) {
      problems.push(`masterAuthorizedNetworks: "${network.cidr}" ("${network.name}") is not an IPv4 CIDR`);
    }
  }
  if (shape.nodePools.length === 0) problems.push("nodePools must hold at least one pool (the default pool is removed)");
  const seen = new Set<string>();
  for (const pool of shape.nodePools) {
    const where = `nodePools "${pool.name}"`;
    if (!poolName.test(pool.name)) problems.push(`${where}: the name must be a lowercase DNS label of at most 40 characters`);
    if (seen.has(pool.name)) problems.push(`${where}: duplicate pool name`);
    seen.add(pool.name);
    if (pool.machineType.trim() === "") problems.push(`${where}: machineType is empty`);
    if (!Number.isInteger(pool.min) || !Number.isInteger(pool.max) || pool.min < 0 || pool.max < 1 || pool.min > pool.max) {
      problems.push(`${where}: expected integers 0 <= min <= max and max >= 1, got min ${pool.min}, max ${pool.max}`);
    }
    if (pool.diskGb !== undefined && (!Number.isInteger(pool.diskGb) || pool.diskGb < 10)) {
      problems.push(`${where}: diskGb must be an integer of at least 10, got ${pool.diskGb}`);
    }
  }
  const hours = maintenanceHoursPer32Days(shape.maintenanceWindow);
  if (Date.parse(shape.maintenanceWindow.endTime) <= Date.parse(shape.maintenanceWindow.startTime)) {
    problems.push("maintenanceWindow: endTime must be after startTime");
  } else if (hours !== undefined && hours < minMaintenanceHoursPer32Days) {
    problems.push(
      `maintenanceWindow gives ${hours} h of maintenance in some 32-day period; GKE requires at least ${minMaintenanceHoursPer32Days} h (make the window longer or more frequent)`,
    );
  }
  for (const pattern of shape.allowedImagePatterns) {
    if (!/^[^*/]+\/.+/.test(pattern)) {
      problems.push(`allowedImagePatterns: "${pattern}" must name a registry and path ("<registry>/<path>/*"), a bare wildcard would allow every image`);
    } else if (/^[a-z0-9-]+-docker\.pkg\.dev\/[^/]+\/\*$/.test(pattern)) {
      // Binary Authorization: "`*` wildcard does not match `/`" (AdmissionWhitelistPattern.name_pattern),
      // and Artifact Registry images always sit below a repository segment (gcp-review finding 4).
      const base = pattern.slice(0, -2);
      problems.push(`allowedImagePatterns: "${pattern}" admits no Artifact Registry image (\`*\` does not match "/", and images sit below a repository); use "${base}/<repository>/*" or "${base}/**"`);
    }
  }
  return problems;
}

/** Throws one Error listing every problem, prefixed with the component's name. */
export function assertValidCluster(name: string, shape: ClusterShape): void {
  const problems = clusterProblems(shape);
  if (problems.length > 0) {
    throw new Error(`Cluster "${name}": ${problems.length === 1 ? problems[0] : `\n  - ${problems.join("\n  - ")}`}`);
  }
}
