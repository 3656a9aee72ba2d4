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

const badOf = (s: StrategyConfig): string[] => (s.type === "rolling" ? [] : (s.bad ?? []));

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

// ---------------------------------------------------------------------------------------------
// Release steps: config → config. Each is what `brume release <step>` writes to the stack's
// release state (src/config/schema-release.ts).
//
// Capacity before traffic, in ONE `pulumi up`: a step that gives a version a share s raises its
// HPA minimum to ceil(s × the serving minimum) (canaryScaling; the serving version is sized full),
// its Deployment depends on its HPA and waits until that many replicas are available
// (`releaseAnnotations`), and the route depends on every Deployment it names. Pulumi therefore
// applies HPA → Deployment (await) → HTTPRoute, and traffic moves only onto capacity that is there.
// ---------------------------------------------------------------------------------------------

export class ReleaseError extends Error {
  override readonly name = "ReleaseError";
}

/** Versions the strategy keeps deployed, in the order `brume history` lists them. */
export function deployedReleases(strategy: StrategyConfig): (Release & { role: string })[] {
  const bad = badOf(strategy);
  const mark = (r: Release, role: string) => ({ ...r, role: bad.includes(r.version) ? `${role}, marked bad` : role });
  switch (strategy.type) {
    case "rolling":
      return [];
    case "blueGreen": {
      const out: (Release & { role: string })[] = [];
      for (const slot of ["blue", "green"] as const) {
        const r = strategy[slot];
        if (r) out.push(mark(r, `${slot} slot${strategy.active === slot ? " (active)" : " (preview)"}`));
      }
      return [...out, ...strategy.retained.map((r) => mark(r, "retained"))];
    }
    case "canary":
      return [
        mark(strategy.stable, "stable"),
        ...(strategy.canary ? [mark(strategy.canary, `canary (${strategy.weight}%)`)] : []),
        ...strategy.retained.map((r) => mark(r, "retained")),
      ];
  }
}

type Versioned = BlueGreenStrategy | CanaryStrategy;
/** Drops the rollback pin and marker: the strategy's own slots say again who serves. */
const settled = <S extends Versioned>(s: S): S => {
  const { version: _v, rolledBackFrom: _r, ...rest } = s;
  return rest as S;
};
const markBad = (bad: readonly string[] | undefined, version: string | undefined): string[] =>
  version === undefined || (bad ?? []).includes(version) ? [...(bad ?? [])] : [...(bad ?? []), version];

/** Keeps the newest `keep` retained releases, never one that is still in a slot. */
function retain(list: Release[], keep: number, exclude: string[]): Release[] {
  const seen = new Set(exclude);
  const out: Release[] = [];
  for (const r of list) {
    if (seen.has(r.version)) continue;
    seen.add(r.version);
    out.push(r);
  }
  return out.slice(0, keep);
}

/** The releases a strategy runs, by version. */
const releasesOf = (s: Versioned): Map<string, Release> => new Map(deployedReleases(s).map((r) => [r.version, { version: r.version, image: r.image }]));

/**
 * A version's image is immutable once deployed: the same version with another image would roll the
 * serving pods in place, with no preview and no rollback target (k8s-review 11).
 */
function checkImmutable(s: Versioned, release: Release): void {
  const known = releasesOf(s).get(release.version);
  if (known && known.image !== release.image) {
    throw new ReleaseError(`version "${release.version}" is deployed with image ${known.image}; an image is immutable per version — give ${release.image} a new version`);
  }
  const clash = [...releasesOf(s).keys()].find((v) => v !== release.version && workloadName("x", v) === workloadName("x", release.version));
  if (clash) throw new ReleaseError(`version "${release.version}" and the deployed "${clash}" name the same workload once normalised; choose another version`);
}

/**
 * Deploys a new version: blue/green puts it in the inactive slot (the version it replaces joins
 * `retained`), canary makes it the canary at weight 0. A rollback in effect is settled first: the
 * version it went back to becomes the active slot / stable, the one it left stays retained, marked
 * bad. Rolling strategies change `image` instead.
 */
export function deploy(strategy: StrategyConfig, release: Release): StrategyConfig {
  if (strategy.type === "rolling") throw new ReleaseError(`a rolling service is released by changing its image; there is no slot to deploy to`);
  const s = settle(strategy);
  checkImmutable(s, release);
  if ((s.bad ?? []).includes(release.version)) throw new ReleaseError(`version "${release.version}" is marked bad (rolled back or aborted); release a new version`);
  switch (s.type) {
    case "blueGreen": {
      const other: "blue" | "green" = s.active === "blue" ? "green" : "blue";
      const active = s[s.active]!;
      if (release.version === active.version) throw new ReleaseError(`version "${release.version}" is already the active slot`);
      const replaced = s[other];
      return {
        ...s,
        [other]: release,
        retained: retain([...(replaced ? [replaced] : []), ...s.retained], s.keep, [active.version, release.version]),
      };
    }
    case "canary": {
      if (release.version === s.stable.version) throw new ReleaseError(`version "${release.version}" is already stable`);
      const replaced = s.canary && s.canary.version !== release.version ? [s.canary] : [];
      return {
        ...s,
        canary: release,
        weight: 0,
        retained: retain([...s.retained, ...replaced], s.keep, [s.stable.version, release.version]),
      };
    }
  }
}

/** A rollback in effect made permanent: the pinned version takes the stable / active place. */
function settle(s: Versioned): Versioned {
  if (!s.version) return settled(s);
  const target = releasesOf(s).get(s.version);
  if (!target) return settled(s);
  if (s.type === "canary") {
    if (target.version === s.stable.version) return settled(s);
    const { canary: _c, ...rest } = s;
    return settled({ ...rest, weight: 0, stable: target, retained: retain([s.stable, ...s.retained], s.keep, [target.version]) });
  }
  const slot = (["blue", "green"] as const).find((k) => s[k]?.version === target.version);
  if (slot) return settled({ ...s, active: slot });
  const other: "blue" | "green" = s.active === "blue" ? "green" : "blue";
  const displaced = s[other];
  return settled({ ...s, [other]: target, active: other, retained: retain([...(displaced ? [displaced] : []), ...s.retained], s.keep, [target.version, s[s.active]!.version]) });
}

/** Canary only: moves `weight` percent of the default traffic to the canary. */
export function setWeight(strategy: StrategyConfig, weight: number): StrategyConfig {
  if (strategy.type !== "canary") throw new ReleaseError(`weights apply to canary strategies, not "${strategy.type}"`);
  if (!strategy.canary) throw new ReleaseError(`there is no canary to send traffic to; start one first (brume release start)`);
  if (!Number.isInteger(weight) || weight < 0 || weight > 100) throw new ReleaseError(`weight must be an integer 0-100, got ${weight}`);
  if (strategy.version && strategy.version !== strategy.stable.version) {
    throw new ReleaseError(`traffic is pinned to "${strategy.version}" by a rollback; start a new release (the rollback is settled) before weighting a canary`);
  }
  if ((strategy.bad ?? []).includes(strategy.canary.version)) throw new ReleaseError(`the canary "${strategy.canary.version}" is marked bad (aborted); start a new version`);
  return { ...strategy, weight };
}

/**
 * Makes the new version the one serving: blue/green switches the active slot; canary makes the
 * canary stable and retains the previous stable (the oldest retained beyond `keep` is dropped).
 * The version that lost its traffic is sized down to one pod in the same step, and the HPA's
 * downscale stabilization window delays the pods' removal until traffic has moved.
 */
export function promote(strategy: StrategyConfig): StrategyConfig {
  switch (strategy.type) {
    case "rolling":
      throw new ReleaseError(`a rolling service has nothing to promote: every \`pulumi up\` rolls the new image out`);
    case "blueGreen": {
      const other: "blue" | "green" = strategy.active === "blue" ? "green" : "blue";
      const next = strategy[other];
      if (!next) throw new ReleaseError(`the ${other} slot is empty; start a version in it first`);
      if ((strategy.bad ?? []).includes(next.version)) throw new ReleaseError(`the ${other} slot holds "${next.version}", marked bad; start a new version`);
      if (strategy.version && strategy.version !== strategy[strategy.active]?.version) {
        throw new ReleaseError(`traffic is pinned to "${strategy.version}" by a rollback; start a new release first`);
      }
      // The previous active leaves its slot for `retained`: the inactive slot then holds only a
      // version that never served (the preview), so no header rule points at the old one.
      const previous = strategy[strategy.active]!;
      const { [strategy.active]: _old, ...rest } = settled(strategy);
      return { ...rest, active: other, retained: retain([previous, ...strategy.retained], strategy.keep, [next.version]) } as BlueGreenStrategy;
    }
    case "canary": {
      if (!strategy.canary) throw new ReleaseError(`there is no canary to promote`);
      if ((strategy.bad ?? []).includes(strategy.canary.version)) throw new ReleaseError(`the canary "${strategy.canary.version}" is marked bad (aborted); start a new version`);
      if (strategy.version && strategy.version !== strategy.stable.version) {
        throw new ReleaseError(`traffic is pinned to "${strategy.version}" by a rollback; start a new release first`);
      }
      const { canary: _c, ...rest } = strategy;
      return settled({
        ...rest,
        stable: strategy.canary,
        weight: 0,
        retained: retain([strategy.stable, ...strategy.retained], strategy.keep, [strategy.canary.version]),
      });
    }
  }
}

/**
 * Canary: no traffic to the canary, which is marked bad and shrinks to one pod (after the HPA's
 * downscale window). Blue/green: the preview in the inactive slot is marked bad (its header rule
 * goes). Nothing in flight: an error, so a no-op never reads as a step.
 */
export function abort(strategy: StrategyConfig): StrategyConfig {
  switch (strategy.type) {
    case "rolling":
      throw new ReleaseError(`a rolling service has no release in progress to abort; roll back by setting the previous image`);
    case "blueGreen": {
      const other = strategy[strategy.active === "blue" ? "green" : "blue"];
      if (!other || other.version === servingVersion({ strategy, image: undefined }) || (strategy.bad ?? []).includes(other.version)) {
        throw new ReleaseError(`no preview is in flight: nothing to abort (roll back with \`brume release rollback\`)`);
      }
      return { ...strategy, bad: markBad(strategy.bad, other.version) };
    }
    case "canary": {
      if (!strategy.canary || (strategy.bad ?? []).includes(strategy.canary.version)) throw new ReleaseError(`there is no canary in flight to abort`);
      return { ...strategy, weight: 0, bad: markBad(strategy.bad, strategy.canary.version) };
    }
  }
}

/** The version a rollback goes to when none is named: the newest retained one not marked bad. */
export function previousVersion(strategy: StrategyConfig): string | undefined {
  if (strategy.type === "rolling") return undefined;
  const serving = servingVersion({ strategy, image: undefined });
  const bad = new Set([...(strategy.bad ?? []), serving]);
  if (strategy.type === "blueGreen") return strategy.retained.find((r) => !bad.has(r.version))?.version;
  return [...strategy.retained, strategy.stable].find((r) => !bad.has(r.version))?.version;
}

/**
 * Sends the default traffic back to a version the strategy still runs (routing only; the target is
 * sized full before the route moves). Idempotent: a second rollback without `--to` changes
 * nothing, and the version rolled back from is marked bad so no later rollback picks it.
 */
export function rollback(strategy: StrategyConfig, to?: string): StrategyConfig {
  if (strategy.type === "rolling") {
    throw new ReleaseError(`a rolling service keeps no previous version running; use blueGreen or canary for instant rollbacks, or set the previous image`);
  }
  if (to === undefined && strategy.rolledBackFrom !== undefined) return strategy;
  const target = to ?? previousVersion(strategy);
  const deployed = deployedReleases(strategy).map((r) => r.version);
  if (target === undefined) throw new ReleaseError(`no previous version is retained (keep: ${strategy.keep}) that is not marked bad; nothing to roll back to`);
  if (!deployed.includes(target)) throw new ReleaseError(`version "${target}" is not retained; deployed versions: ${deployed.join(", ")}`);
  const serving = servingVersion({ strategy, image: undefined });
  if (target === serving) return strategy;
  const bad = markBad(strategy.bad, serving).filter((v) => v !== target);
  if (strategy.type === "blueGreen") {
    const slot = (["blue", "green"] as const).find((k) => strategy[k]?.version === target);
    if (slot) return { ...settled(strategy), active: slot, bad, rolledBackFrom: serving };
    // A retained version goes back into the inactive slot and becomes active; the displaced
    // preview (if any) is retained.
    const other: "blue" | "green" = strategy.active === "blue" ? "green" : "blue";
    const displaced = strategy[other];
    const release = strategy.retained.find((r) => r.version === target)!;
    return {
      ...settled(strategy),
      [other]: release,
      active: other,
      retained: retain([...(displaced ? [displaced] : []), ...strategy.retained], strategy.keep, [target, serving]),
      bad,
      rolledBackFrom: serving,
    };
  }
  if (strategy.canary?.version === target) throw new ReleaseError(`"${target}" is the canary; use \`brume release promote\` to send it all traffic`);
  // A canary in flight loses its traffic too: a weight with a rollback pin is an error.
  const base = { ...strategy, weight: 0, bad: strategy.canary && strategy.weight > 0 ? markBad(bad, strategy.canary.version) : bad };
  if (target === strategy.stable.version) return { ...settled(base), bad: base.bad, rolledBackFrom: serving };
  return { ...base, version: target, rolledBackFrom: serving };
}

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
