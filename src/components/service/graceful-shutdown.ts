/**
 * The shutdown sequence of a pod (k8s-review 12), pure:
 *
 * 1. the pod is deleted: it leaves the Service endpoints and the load balancer's NEG, while its
 *    container keeps serving during the `preStop` sleep — `lifecycle.preStop.sleep` needs no shell
 *    or `sleep` binary (distroless images, PSA restricted). The sleep action is on by default
 *    since Kubernetes 1.30 (beta, PodLifecycleSleepAction) and GA in 1.34 (KEP-3960,
 *    https://github.com/kubernetes/enhancements/issues/3960); brume's clusters are on the STABLE
 *    release channel (components/cluster/cluster.ts), whose versions are past 1.30;
 * 2. the load balancer drains the endpoint's connections for `drainingSeconds`
 *    (GCPBackendPolicy `connectionDraining.drainingTimeoutSec`);
 * 3. SIGTERM: the application stops in `appSeconds`.
 *
 * `terminationGracePeriodSeconds` covers the three (the kubelet counts the preStop hook inside
 * the grace period: https://kubernetes.io/docs/concepts/containers/container-lifecycle-hooks/).
 */

export interface ShutdownSpec {
  preStopSeconds: number;
  drainingSeconds: number;
  appSeconds: number;
}

export const defaultShutdown: ShutdownSpec = { preStopSeconds: 10, drainingSeconds: 30, appSeconds: 10 };

export function terminationGracePeriod(s: ShutdownSpec): number {
  return s.preStopSeconds + s.drainingSeconds + s.appSeconds;
}

/** The container's lifecycle (absent when the preStop sleep is 0). */
export function containerLifecycle(s: ShutdownSpec): Record<string, unknown> | undefined {
  return s.preStopSeconds > 0 ? { preStop: { sleep: { seconds: s.preStopSeconds } } } : undefined;
}
