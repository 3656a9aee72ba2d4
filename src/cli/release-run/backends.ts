/**
 * Which load-balancer backends serve a version, read from the cluster: GKE's Gateway controller
 * serves each Service an HTTPRoute names through network endpoint groups and records them on the
 * Service in the `cloud.google.com/neg-status` annotation, `{"network_endpoint_groups":{"<port>":
 * "<neg>"},"zones":[…]}` (https://cloud.google.com/kubernetes-engine/docs/how-to/standalone-neg#neg-status).
 * The NEG name is the `backend_name` label of the load balancer's metrics. Read with the stack's
 * kubeconfig through `kubectl` (what CI already has: the workflows install it with the GKE auth plugin).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { BackendResolver } from "./monitoring-metrics.js";

const run = promisify(execFile);

export interface KubectlBackendsOptions {
  namespace: string;
  /** The Kubernetes Service of a version (from the plan). */
  serviceOf: (version: string) => string | undefined;
  kubeconfig?: string;
  context?: string;
}

export class KubectlBackends implements BackendResolver {
  constructor(private readonly o: KubectlBackendsOptions) {}

  async backendsOf(version: string): Promise<string[]> {
    const service = this.o.serviceOf(version);
    if (!service) throw new Error(`the plan has no Kubernetes Service for version ${version}`);
    const args = [
      ...(this.o.kubeconfig ? ["--kubeconfig", this.o.kubeconfig] : []),
      ...(this.o.context ? ["--context", this.o.context] : []),
      "get",
      "service",
      service,
      "--namespace",
      this.o.namespace,
      "--output",
      "json",
    ];
    const { stdout } = await run("kubectl", args, { maxBuffer: 16 * 1024 * 1024 });
    const annotation = JSON.parse(stdout)?.metadata?.annotations?.["cloud.google.com/neg-status"];
    if (!annotation) return [];
    const status = JSON.parse(annotation) as { network_endpoint_groups?: Record<string, string> };
    return [...new Set(Object.values(status.network_endpoint_groups ?? {}))].sort();
  }
}
