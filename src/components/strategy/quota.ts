/**
 * The apps namespace's ResourceQuota derived from what the strategies can run at once (k8s-review
 * 24), not a constant that a release overruns exactly when the HPA needs room:
 *
 * - a rolling service: its HPA maximum plus the rollout surge;
 * - a versioned service: two versions at full size (the serving one and the one a promote or a
 *   rollback scales up before the other shrinks after the HPA's downscale window), one pod per other
 *   running version (retained, preview, loser) and one pre-release job;
 *
 * times 1.25 headroom (the LimitRange defaults, a debug pod, the HPA overshooting between syncs),
 * never below the namespace defaults' floor of objects. Pure; requests equal limits (podTemplate).
 */
import type { BrumeConfig, ServiceConfig } from "../../config/schema.js";
import { workloadsOf } from "./strategy.js";

export const quotaHeadroom = 1.25;

const cpuMillis = (q: string) => (q.endsWith("m") ? Number(q.slice(0, -1)) : Math.round(Number(q) * 1000));
const memMi = (q: string) => {
  const n = Number(q.slice(0, -2));
  return { Ki: n / 1024, Mi: n, Gi: n * 1024, Ti: n * 1024 * 1024 }[q.slice(-2) as "Ki" | "Mi" | "Gi" | "Ti"] ?? n;
};

/** Pods a service can run at once under its strategy. */
export function peakPods(service: string, svc: ServiceConfig): number {
  const full = Math.max(1, svc.scaling.max);
  const s = svc.strategy;
  if (s.type === "rolling") {
    const surge = typeof s.maxSurge === "number" ? s.maxSurge : Math.ceil((full * Number(s.maxSurge.slice(0, -1))) / 100);
    return full + surge;
  }
  const running = workloadsOf(service, svc).length;
  return 2 * full + Math.max(0, running - 2) + (svc.preRelease ? 1 : 0);
}

export interface DerivedQuota {
  requestsCpu: string;
  requestsMemory: string;
  limitsCpu: string;
  limitsMemory: string;
  pods: number;
}

export function strategyQuota(config: Pick<BrumeConfig, "services">, headroom = quotaHeadroom): DerivedQuota {
  let cpu = 0;
  let mem = 0;
  let pods = 0;
  for (const [name, svc] of Object.entries(config.services)) {
    if (svc.runner !== "kubernetes") continue;
    const n = peakPods(name, svc);
    cpu += n * cpuMillis(svc.resources.cpu);
    mem += n * memMi(svc.resources.memory);
    pods += n;
  }
  // Floors: room for a debug pod and a job in an environment of one small service.
  const c = `${Math.max(4, Math.ceil((cpu * headroom) / 1000))}`;
  const m = `${Math.max(8, Math.ceil((mem * headroom) / 1024))}Gi`;
  return { requestsCpu: c, requestsMemory: m, limitsCpu: c, limitsMemory: m, pods: Math.max(10, Math.ceil(pods * headroom)) };
}
