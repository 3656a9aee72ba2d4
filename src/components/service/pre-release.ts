/**
 * The pre-release Job of a version (pure): the version's pod template with the hook's command,
 * `restartPolicy: Never`, no probes and no ports, and a version label the Deployment, its Service
 * and PDB do not select (they select `{name, version}`), so the job's pod never receives traffic
 * nor counts as a replica. The NetworkPolicy selects by app name, so the job has the service's
 * egress (its database).
 */
import type { PreReleaseConfig } from "../../config/schema-release.js";
import { physicalName } from "../../config/naming.js";

import type { Manifest } from "./manifests.js";

export function preReleaseJobName(app: string, version: string): string {
  return physicalName([app, version, "pre-release"], "kubernetes");
}

export function preReleaseJobManifest(o: { app: string; version: string; namespace: string; labels: Record<string, string>; podTemplate: Record<string, any>; hook: PreReleaseConfig }): Manifest {
  const template = cloneTree(o.podTemplate);
  const label = `${o.version.slice(0, 51).replace(/[^A-Za-z0-9]+$/, "")}-pre-release`;
  template.metadata.labels["app.kubernetes.io/version"] = label;
  template.metadata.labels["app.kubernetes.io/component"] = "pre-release";
  const container = template.spec.containers[0];
  for (const k of ["livenessProbe", "readinessProbe", "startupProbe", "ports"]) delete container[k];
  container.command = o.hook.command;
  if (o.hook.image) container.image = o.hook.image;
  delete template.spec.topologySpreadConstraints;
  template.spec.restartPolicy = "Never";
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: preReleaseJobName(o.app, o.version),
      namespace: o.namespace,
      labels: { ...o.labels, "app.kubernetes.io/component": "pre-release" },
      // Awaited until Complete (a failed migration fails the step before traffic moves):
      // https://github.com/pulumi/pulumi-kubernetes/pull/3134 (`condition=<Type>`).
      annotations: { "pulumi.com/waitFor": "condition=Complete" },
    },
    spec: { backoffLimit: o.hook.backoffLimit, activeDeadlineSeconds: o.hook.timeoutSeconds, template },
  };
}

/**
 * A copy of a manifest tree: plain objects and arrays copied, anything else (Pulumi outputs of the
 * connection contract, such as the Cloud SQL connection name) shared, since structuredClone cannot
 * copy them and they are immutable.
 */
function cloneTree<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => cloneTree(v)) as T;
  if (value !== null && typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cloneTree(v)])) as T;
  }
  return value;
}
