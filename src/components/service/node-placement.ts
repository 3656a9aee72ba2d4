/**
 * Where a workload's pods run (`resources.pool`, k8s-review 31), pure: the targeted pools
 * (highmem, spot) are tainted (../cluster/node-pools.ts), so their pods tolerate the taint and
 * require the pool's node label; the general pool needs neither.
 */
import { kubernetesEffect, poolLabelKey, poolTaint } from "../cluster/node-pools.js";

export function poolPlacement(pool: string | undefined): { tolerations?: Record<string, unknown>[]; affinity?: Record<string, unknown> } {
  if (pool === undefined || pool === "general") return {};
  const taint = poolTaint(pool);
  return {
    ...(taint ? { tolerations: [{ key: taint.key, operator: "Equal", value: taint.value, effect: kubernetesEffect(taint.effect) }] } : {}),
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: poolLabelKey, operator: "In", values: [pool] }] }],
        },
      },
    },
  };
}
