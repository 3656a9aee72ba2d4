/**
 * `brume render` (issue 18, item 3): the GitOps repository of one environment. The objects are not
 * rendered a second way: the environment is planned offline as if Pulumi delivered it (the same
 * program, the same renderers) and its services' Kubernetes objects are taken from that plan, so
 * both deliveries apply the same hardening, wiring and release semantics.
 *
 * Layout (deterministic, one object per file, keys in the renderers' order):
 *   <gitops.path>/<env>/<service>/<kind>-<name>.yaml + kustomization.yaml
 *   <gitops.path>/<env>/_namespace/…  the namespace-scoped shared objects (quota, limits, default
 *                                      deny, Gateways); the Namespace itself stays Pulumi's.
 *
 * Values that exist only after `pulumi up` (image digests, project numbers, addresses) come from
 * the stack's outputs (`pulumi stack output --json --show-secrets` is NOT needed: no secret is
 * read): every output the offline plan gives a stand-in value for is replaced, wherever the objects
 * carry it, by the deployed value at the same output path.
 *
 * No Kubernetes Secret is ever written: secrets stay in Secret Manager (the CSI driver mounts them).
 */
import { stringify } from "yaml";
import { ConfigError } from "../config/errors.js";
import type { PlannedResource as PlanResource } from "./run.js";
import { planStack, type PlanStackOptions } from "./stack.js";
import { keptByPulumiAnnotation } from "../components/service/iap-client.js";

/** The annotations the GitOps delivery adds to the Pulumi delivery's objects (and nothing else). */
export const argoAnnotations = ["argocd.argoproj.io/sync-wave"] as const;

/**
 * Sync waves: Argo CD applies a wave only when the resources of the previous one are healthy
 * ("Sync Phases and Waves", https://argo-cd.readthedocs.io/en/stable/user-guide/sync-waves/), so
 * the waves give the order `pulumi up` takes from dependencies: identity and policy first, then
 * the workloads, then the backend policies, and traffic (the HTTPRoute) last: capacity before traffic.
 */
export const syncWaves: Record<string, number> = {
  ResourceQuota: -2,
  LimitRange: -2,
  NetworkPolicy: -2,
  // Egress by host name (clusters with FQDN network policies), with the other policies.
  FQDNNetworkPolicy: -2,
  Gateway: -1,
  // A version's pre-release migration Job: Argo CD waits for a Job to complete before the next wave,
  // so the Deployments (wave 0) start only after it, as the Pulumi delivery orders them.
  Job: -1,
  ServiceAccount: -1,
  SecretProviderClass: -1,
  Deployment: 0,
  Service: 0,
  HorizontalPodAutoscaler: 0,
  PodDisruptionBudget: 0,
  GCPBackendPolicy: 1,
  HealthCheckPolicy: 1,
  // The Gateway's TLS policy (SSL policy), once the Gateway exists.
  GCPGatewayPolicy: 0,
  HTTPRoute: 2,
};

/** Components whose Kubernetes objects the GitOps delivery moves to Git. */
const gitopsComponents = ["brume:service:Service", "brume:service:Namespace"];
export const namespaceDirectory = "_namespace";

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface RenderedObject {
  /** `<service>` or `_namespace`. */
  directory: string;
  /** The Pulumi resource the object is in the Pulumi delivery (its URN's name). */
  resource: string;
  object: KubernetesObject;
}

export interface GitopsRendering {
  environment: string;
  /** `<gitops.path>/<env>`, relative to the repository root. */
  root: string;
  objects: RenderedObject[];
  /** Repository-relative path → file text. */
  files: Map<string, string>;
  /** Stand-in values of the offline plan replaced by the deployed ones (from → to). */
  substituted: { path: string; from: string; to: string }[];
}

export interface RenderOptions extends Pick<PlanStackOptions, "stack" | "configFile" | "projectDir"> {
  /** `pulumi stack output --json` of the stack; without it the offline plan's stand-in values stay. */
  outputs?: Record<string, unknown>;
}

/** The environment's services' Kubernetes objects from a plan, in a stable order. */
export function gitopsObjectsOf(resources: readonly PlanResource[], servicePrefix: string): RenderedObject[] {
  const out: RenderedObject[] = [];
  for (const r of resources) {
    if (!r.type.startsWith("kubernetes:") || r.type.startsWith("kubernetes:helm")) continue;
    const parentType = (r.parent ?? "").split("::").at(-2)?.split("$").at(-1) ?? "";
    if (!gitopsComponents.includes(parentType)) continue;
    const object = r.inputs as unknown as KubernetesObject;
    // The Namespace stays Pulumi's: the RoleBindings, the audit Job and Argo CD's destination need it.
    if (object.kind === "Namespace") continue;
    // So does the IAP client's Secret: its value is the stack's secret config, never in Git.
    if (object.metadata.annotations?.[keptByPulumiAnnotation] === "pulumi") continue;
    const parentName = (r.parent ?? "").split("::").at(-1) ?? "";
    const directory = parentType === "brume:service:Namespace" ? namespaceDirectory : parentName.slice(servicePrefix.length);
    out.push({ directory, resource: r.name, object });
  }
  return out.sort((a, b) => a.directory.localeCompare(b.directory) || a.resource.localeCompare(b.resource));
}

/** Fails when an object is a Secret or carries a secret value: nothing secret goes to Git. */
export function assertNoSecrets(objects: readonly RenderedObject[]): void {
  for (const { object, resource } of objects) {
    if (object.kind === "Secret") throw new Error(`brume render: ${resource} is a Kubernetes Secret; secrets stay in Secret Manager and never go to Git`);
    if (JSON.stringify(object).includes('"[secret]"')) throw new Error(`brume render: ${resource} carries a secret value; secrets stay in Secret Manager and never go to Git`);
  }
}

/** Leaf strings at the same path of the plan's outputs and the deployed outputs that differ. */
export function outputSubstitutions(planned: unknown, deployed: unknown, path = ""): { path: string; from: string; to: string }[] {
  if (typeof planned === "string" && typeof deployed === "string") {
    return planned !== deployed && planned !== "[secret]" && deployed !== "[secret]" ? [{ path, from: planned, to: deployed }] : [];
  }
  if (planned && deployed && typeof planned === "object" && typeof deployed === "object" && Array.isArray(planned) === Array.isArray(deployed)) {
    const p = planned as Record<string, unknown>;
    const d = deployed as Record<string, unknown>;
    return Object.keys(p)
      .filter((k) => Object.hasOwn(d, k))
      .sort()
      .flatMap((k) => outputSubstitutions(p[k], d[k], path ? `${path}.${k}` : k));
  }
  return [];
}

/**
 * Replaces every stand-in: a whole value, or inside a longer string when it is a path, reference
 * or address with a separator (`/`, `@`: a registry in an image reference, a secret's resource
 * name). A bare value (an IP address, a number) is replaced only whole: 10.0.0.7 must not rewrite
 * 10.0.0.70.
 */
export function substitute<T>(value: T, pairs: readonly { from: string; to: string }[]): T {
  if (pairs.length === 0) return value;
  // Longest first, so a value containing a shorter one is replaced whole.
  const sorted = [...pairs].sort((a, b) => b.from.length - a.from.length);
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return sorted.reduce((s, p) => (s === p.from ? p.to : /[/@]/.test(p.from) ? s.split(p.from).join(p.to) : s), v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/** The object as Argo CD gets it: the Pulumi delivery's object plus its sync wave. */
export function withSyncWave(object: KubernetesObject): KubernetesObject {
  const wave = syncWaves[object.kind];
  if (wave === undefined) throw new Error(`brume render: no sync wave for kind ${object.kind}; add it to syncWaves (src/plan/gitops-render.ts)`);
  return { ...object, metadata: { ...object.metadata, annotations: { ...object.metadata.annotations, "argocd.argoproj.io/sync-wave": String(wave) } } };
}

export function fileNameOf(object: KubernetesObject): string {
  return `${object.kind.toLowerCase()}-${object.metadata.name}.yaml`;
}

/** Files of the rendered environment: one per object and a kustomization per directory. */
export function repositoryFiles(root: string, objects: readonly RenderedObject[]): Map<string, string> {
  const files = new Map<string, string>();
  const byDirectory = new Map<string, string[]>();
  for (const { directory, object } of objects) {
    const name = fileNameOf(object);
    const path = `${root}/${directory}/${name}`;
    if (files.has(path)) throw new Error(`brume render: two objects would be written to ${path}`);
    files.set(path, `# Rendered by brume render: do not edit (change brume.yaml and re-render).\n${stringify(withSyncWave(object), { lineWidth: 0 })}`);
    byDirectory.set(directory, [...(byDirectory.get(directory) ?? []), name]);
  }
  for (const [directory, names] of [...byDirectory].sort(([a], [b]) => a.localeCompare(b))) {
    const kustomization = { apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources: [...names].sort() };
    files.set(`${root}/${directory}/kustomization.yaml`, `# Rendered by brume render.\n${stringify(kustomization)}`);
  }
  return new Map([...files].sort(([a], [b]) => a.localeCompare(b)));
}

export async function renderGitops(options: RenderOptions): Promise<GitopsRendering> {
  const { plan, loaded } = await planStack({ ...options, asPulumiDelivery: true });
  const env = loaded.environment.name;
  const config = loaded.config;
  const file = options.projectDir ? `${options.projectDir}/Pulumi.${options.stack}.yaml` : loaded.file;
  if (config.environments[env]?.delivery !== "gitops" || !config.gitops) {
    throw new ConfigError([{ path: `environments.${env}.delivery`, message: `environment "${env}" is delivered by pulumi: brume render writes gitops environments; set delivery: gitops (docs/gitops.md)`, value: config.environments[env]?.delivery }], file);
  }
  const outputs = options.outputs;
  if (outputs && outputs.environment !== undefined && outputs.environment !== env) {
    throw new ConfigError([{ path: "--outputs", message: `the outputs are of environment "${String(outputs.environment)}", not "${env}": pass pulumi stack output --json --stack ${options.stack}`, value: outputs.environment }]);
  }
  const substituted = outputs ? outputSubstitutions(plan.outputs, outputs) : [];
  const objects = gitopsObjectsOf(plan.resources, `${config.project.name}-${env}-svc-`).map((o) => ({ ...o, object: substitute(o.object, substituted) }));
  assertNoSecrets(objects);
  const root = `${config.gitops.path}/${env}`;
  return { environment: env, root, objects, files: repositoryFiles(root, objects), substituted };
}
