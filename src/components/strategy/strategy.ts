/**
 * Deployment strategies as resource graphs. Pulumi applies a graph; it is not a controller. Each
 * release step is one config change and one `pulumi up`, and the graph is shaped so that promote,
 * abort and rollback touch routing (and at most one workload's size) only:
 *
 * - every version runs as its own version-named workload (Deployment + Service + HPA + PDB), so
 *   moving traffic never rewrites a pod template;
 * - the HTTPRoute and the in-cluster Service pick the version(s) that receive traffic.
 *
 * Everything here is pure: the Service component and the `brume release` CLI both use it, and the
 * step math is property-tested (test/strategy).
 */
import type { ServiceConfig, StrategyConfig } from "../../config/schema.js";
import { physicalName, shortHash } from "../../config/naming.js";

export type RollingStrategy = Extract<StrategyConfig, { type: "rolling" }>;
export type BlueGreenStrategy = Extract<StrategyConfig, { type: "blueGreen" }>;
export type CanaryStrategy = Extract<StrategyConfig, { type: "canary" }>;
export type Release = { version: string; image: string };

/** What a workload is for: it decides its size and whether it receives traffic. */
export type WorkloadRole = "rolling" | "active" | "preview" | "stable" | "canary" | "retained";

export interface Scaling {
  min: number;
  max: number;
}

/** One running version of a service: a Deployment, its Service, HPA and PDB. */
export interface Workload {
  /** Kubernetes name of the Deployment / Service / HPA / PDB (and suffix of the logical names). */
  name: string;
  version: string;
  image: string;
  role: WorkloadRole;
  /** Blue/green slot holding it. */
  slot?: "blue" | "green";
  /** HPA bounds (replicas are never set on the Deployment: the HPA owns them). */
  scaling: Scaling;
}

export interface RouteBackend {
  /** Kubernetes Service name. */
  service: string;
  weight: number;
}

/** Where the gateway sends traffic: default backends and an optional header-matched preview rule. */
export interface RoutePlan {
  backends: RouteBackend[];
  preview?: { header: string; value: string; backends: RouteBackend[] };
}

/**
 * Version label of an image reference: its tag, else `sha-<12 hex>` of its digest, else "latest".
 * A label value is at most 63 characters of [A-Za-z0-9._-] starting and ending alphanumeric
 * (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set);
 * Docker tags may have 128 (https://docs.docker.com/reference/cli/docker/image/tag/), so a longer
 * tag keeps 56 characters and a hash of the whole (k8s-review 26). The digest prefix keeps two
 * digests from colliding once leading digits would be stripped from a name.
 */
export function versionOfImage(image: string): string {
  const at = image.indexOf("@");
  if (at >= 0) return `sha-${image.slice(at + 1).replace(/^sha256:/, "").slice(0, 12).toLowerCase()}`;
  const tag = /:([^/:]+)$/.exec(image)?.[1];
  if (!tag) return "latest";
  if (tag.length <= 63) return tag;
  return `${tag.slice(0, 56).replace(/[^A-Za-z0-9]+$/, "")}-${shortHash(tag)}`;
}

/** Kubernetes object name of a version's workload (`api-v1-4-2`). */
export function workloadName(service: string, version: string): string {
  return physicalName([service, version], "kubernetes");
}

/** HPA bounds of a canary at `weight` percent of the stable size; always at least one pod. */
export function canaryScaling(full: Scaling, weight: number): Scaling {
  const min = Math.max(1, Math.ceil((full.min * weight) / 100));
  const max = Math.max(min, Math.ceil((full.max * weight) / 100));
  return { min, max };
}

const fullSize = (svc: Pick<ServiceConfig, "scaling">): Scaling => ({ min: Math.max(1, svc.scaling.min), max: Math.max(1, svc.scaling.max) });
/**
 * A version that takes no traffic (retained, a preview before its promote, a version that lost its
 * traffic): one pod, kept ready and attached to the route at weight 0 so its load-balancer backend
 * and health check stay warm (k8s-review 13, 24). `max` stays the full size: the HPA only scales it
 * down after its downscale stabilization window (300 s by default,
 * https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#stabilization-window),
 * which is the delay before a loser shrinks, like Argo's scaleDownDelaySeconds.
 */
const idleSize = (full: Scaling): Scaling => ({ min: 1, max: full.max });

export const badOf = (s: StrategyConfig): string[] => (s.type === "rolling" ? [] : (s.bad ?? []));

/** Every workload a service runs under its strategy, traffic-receiving first. */
export function workloadsOf(service: string, svc: Pick<ServiceConfig, "strategy" | "scaling" | "image">): Workload[] {
  const s = svc.strategy;
  const full = fullSize(svc);
  const serving = servingVersion(svc);
  const w = (release: Release, role: WorkloadRole, scaling: Scaling, slot?: "blue" | "green"): Workload => ({
    name: workloadName(service, release.version),
    version: release.version,
    image: release.image,
    role,
    ...(slot ? { slot } : {}),
    // The version the default traffic goes to is sized for all of it, whatever its role.
    scaling: release.version === serving ? full : scaling,
  });
  switch (s.type) {
    case "rolling": {
      const image = svc.image ?? "";
      return [{ name: physicalName([service], "kubernetes"), version: versionOfImage(image), image, role: "rolling", scaling: full }];
    }
    case "blueGreen": {
      const other = s.active === "blue" ? "green" : "blue";
      const out: Workload[] = [];
      if (s[s.active]) out.push(w(s[s.active]!, "active", full, s.active));
      if (s[other]) out.push(w(s[other]!, "preview", idleSize(full), other));
      for (const r of s.retained) out.push(w(r, "retained", idleSize(full)));
      return out;
    }
    case "canary": {
      const out = [w(s.stable, "stable", s.version && s.version !== s.stable.version ? idleSize(full) : full)];
      if (s.canary) out.push(w(s.canary, "canary", canaryScaling(full, s.weight)));
      for (const r of s.retained) out.push(w(r, "retained", idleSize(full)));
      return out;
    }
  }
}

/** The version that receives the default traffic (and that the in-cluster Service selects). */
export function servingVersion(svc: Pick<ServiceConfig, "strategy" | "image">): string {
  const s = svc.strategy;
  if (s.type === "rolling") return versionOfImage(svc.image ?? "");
  if (s.version) return s.version;
  if (s.type === "blueGreen") return s[s.active]?.version ?? "";
  return s.stable.version;
}

/** Whether header-matched preview / canary rules may exist on a service's route. */
export interface RouteOptions {
  /**
   * Only when the route is reachable through IAP or only on the internal Gateway: a header value in
   * an HTTPRoute is plaintext in state and plans, so it is no secret, and a public header rule
   * hands unreleased builds to anyone (k8s-review 16). @default true (a standalone Service)
   */
  headerRules?: boolean;
}

/** Header rules are allowed for a service exposed through IAP or on the internal Gateway only. */
export function headerRulesAllowed(svc: Pick<ServiceConfig, "expose">): boolean {
  return !svc.expose || svc.expose.public === false || svc.expose.iap === true;
}

/**
 * Gateway routing of a strategy. Weights of the default backends always sum to 100; every other
 * running version is listed at weight 0, so its backend service and health check exist before a
 * rollback sends it traffic (k8s-review 13). The preview rule names a version that has not been
 * promoted nor marked bad, and exists only when `headerRules` allows it.
 */
export function routeOf(service: string, svc: Pick<ServiceConfig, "strategy" | "image">, options: RouteOptions = {}): RoutePlan {
  const s = svc.strategy;
  const headers = options.headerRules ?? true;
  const to = (version: string, weight = 100): RouteBackend => ({ service: workloadName(service, version), weight });
  if (s.type === "rolling") return { backends: [{ service: physicalName([service], "kubernetes"), weight: 100 }] };
  const bad = badOf(s);
  const serving = servingVersion(svc);
  const taking: RouteBackend[] = [];
  let preview: RoutePlan["preview"];
  if (s.type === "blueGreen") {
    taking.push(to(serving));
    const other = s[s.active === "blue" ? "green" : "blue"];
    if (other && other.version !== serving && !bad.includes(other.version) && headers) {
      preview = { header: s.previewHeader, value: "1", backends: [to(other.version)] };
    }
  } else if (s.canary && !(s.version && s.version !== s.stable.version)) {
    // Both backends are always listed: a weight change edits numbers, never the rule's shape.
    taking.push(to(s.stable.version, 100 - s.weight), to(s.canary.version, s.weight));
    if (!bad.includes(s.canary.version) && headers) preview = { header: "x-brume-canary", value: "1", backends: [to(s.canary.version)] };
  } else {
    taking.push(to(serving));
  }
  const listed = new Set(taking.map((b) => b.service));
  const idle = workloadsOf(service, { ...svc, scaling: { min: 1, max: 1, targetCpu: 70 } } as Pick<ServiceConfig, "strategy" | "scaling" | "image">)
    .map((w) => w.name)
    .filter((name) => !listed.has(name))
    .map((name) => ({ service: name, weight: 0 }));
  return { backends: [...taking, ...idle], ...(preview ? { preview } : {}) };
}

// Release steps (deploy, setWeight, promote, abort, rollback): ./steps.ts.
export { abort, deploy, deployedReleases, previousVersion, promote, ReleaseError, rollback, setWeight } from "./steps.js";

/**
 * What a step can change, as a flat fingerprint: each workload's image and HPA bounds, the route,
 * and the in-cluster Service selector. Property tests compare fingerprints before and after a step.
 */
export function fingerprint(service: string, svc: Pick<ServiceConfig, "strategy" | "scaling" | "image">): Record<string, string> {
  const out: Record<string, string> = {};
  for (const w of workloadsOf(service, svc)) {
    out[`deployment/${w.name}`] = w.image;
    out[`hpa/${w.name}`] = `${w.scaling.min}-${w.scaling.max}`;
  }
  out.route = JSON.stringify(routeOf(service, svc));
  out.service = servingVersion(svc);
  return out;
}

/** Keys whose value differs (added, removed or changed). */
export function changedKeys(before: Record<string, string>, after: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => before[k] !== after[k]).sort();
}

/**
 * Metadata annotations of a versioned workload's Deployment, so every release step re-checks that
 * each version the route names is up (k8s-review 8, 23):
 *
 * - `brume.dev/release-step`: a hash of the route and the workloads' sizes. Any step changes it, so
 *   Pulumi updates every versioned Deployment (metadata only: no generation bump, no rollout,
 *   https://kubernetes.io/docs/reference/using-api/api-concepts/#generation) and awaits it again,
 *   even when nothing else of it changes — Pulumi awaits only what it creates or updates;
 * - `pulumi.com/waitFor`: the await itself. It replaces the built-in Deployment await
 *   (pulumi/pulumi-kubernetes#3344) and is a RFC 9535 JSONPath since 4.24
 *   (pulumi/pulumi-kubernetes#3935): the status object is selected only once the controller has
 *   observed this generation and at least `min` replicas of the current template are available.
 *   The HPA raised `min` before (the Deployment depends on its HPA), so a step giving this version
 *   a share s waits for ceil(s × the serving minimum) ready pods before the route, which depends on
 *   the Deployment, moves.
 */
export function releaseAnnotations(service: string, svc: Pick<ServiceConfig, "strategy" | "scaling" | "image" | "expose">, workload: Workload): Record<string, string> {
  const step = shortHash(JSON.stringify({ route: routeOf(service, svc, { headerRules: headerRulesAllowed(svc) }), sizes: workloadsOf(service, svc).map((w) => [w.name, w.scaling]) }), 12);
  const n = workload.scaling.min;
  return {
    "brume.dev/release-step": step,
    "pulumi.com/waitFor": `jsonpath={$[?@.observedGeneration == $.metadata.generation && @.updatedReplicas >= ${n} && @.availableReplicas >= ${n}]}`,
  };
}
