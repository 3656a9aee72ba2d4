/**
 * Memorystore sizing rules, pure (no Pulumi): used by the Cache component and by config
 * validation, so a bad size fails before any resource is created.
 */
import type { ConfigIssue } from "./errors.js";

/** Memory bounds of Memorystore for Redis (GB), and the minimum for read replicas. */
export const redisLimits = { minMemoryGb: 1, maxMemoryGb: 300, readReplicasMinMemoryGb: 5, maxReadReplicas: 5 } as const;

/**
 * Problems with a cache's size and availability, as config issues with paths relative to the
 * cache (`memoryGb`, `readReplicas`); the caller prefixes `caches.<name>.`.
 */
export function cacheTierProblems(input: { highAvailability: boolean; memoryGb: number; readReplicas?: number }): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const tier = input.highAvailability ? "STANDARD_HA" : "BASIC";
  const { minMemoryGb, maxMemoryGb, readReplicasMinMemoryGb, maxReadReplicas } = redisLimits;
  if (!Number.isInteger(input.memoryGb) || input.memoryGb < minMemoryGb || input.memoryGb > maxMemoryGb) {
    issues.push({
      path: "memoryGb",
      message: `Memorystore ${tier} takes a whole number of GB from ${minMemoryGb} to ${maxMemoryGb}`,
      value: input.memoryGb,
    });
  }
  const replicas = input.readReplicas ?? 0;
  if (replicas === 0) return issues;
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > maxReadReplicas) {
    issues.push({ path: "readReplicas", message: `read replicas: 0 to ${maxReadReplicas}`, value: replicas });
  }
  if (!input.highAvailability) {
    issues.push({
      path: "readReplicas",
      message: "read replicas need the STANDARD_HA tier: enable highAvailability or set readReplicas to 0",
      value: replicas,
    });
  }
  if (input.memoryGb < readReplicasMinMemoryGb) {
    issues.push({
      path: "memoryGb",
      message: `read replicas need at least ${readReplicasMinMemoryGb} GB of memory`,
      value: input.memoryGb,
    });
  }
  return issues;
}
