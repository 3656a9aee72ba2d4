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
import { physicalName } from "../../config/naming.js";

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

/** Version label of an image reference: its tag, else a digest prefix, else "latest". */
export function versionOfImage(image: string): string {
  const at = image.indexOf("@");
  if (at >= 0) return physicalName([image.slice(at + 1).replace(/^sha256:/, "").slice(0, 12)], "kubernetes").replace(/^[^a-z]+/, "") || "digest";
  const tag = /:([^/:]+)$/.exec(image)?.[1];
  return tag ?? "latest";
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

/** Every workload a service runs under its strategy, traffic-receiving first. */
export function workloadsOf(service: string, svc: Pick<ServiceConfig, "strategy" | "scaling" | "image">): Workload[] {
  const s = svc.strategy;
  const full = fullSize(svc);
  const w = (release: Release, role: WorkloadRole, scaling: Scaling, slot?: "blue" | "green"): Workload => ({
    name: workloadName(service, release.version),
    version: release.version,
    image: release.image,
    role,
    ...(slot ? { slot } : {}),
    scaling,
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
      if (s[other]) out.push(w(s[other]!, "preview", full, other));
      for (const r of s.retained) out.push(w(r, "retained", full));
      return out;
    }
    case "canary": {
      const out = [w(s.stable, "stable", full)];
      if (s.canary) out.push(w(s.canary, "canary", canaryScaling(full, s.weight)));
      for (const r of s.retained) out.push(w(r, "retained", full));
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

/** Gateway routing of a strategy. Weights of the default backends always sum to 100. */
export function routeOf(service: string, svc: Pick<ServiceConfig, "strategy" | "image">): RoutePlan {
  const s = svc.strategy;
  const to = (version: string, weight = 100): RouteBackend => ({ service: workloadName(service, version), weight });
  switch (s.type) {
    case "rolling":
      return { backends: [{ service: physicalName([service], "kubernetes"), weight: 100 }] };
    case "blueGreen": {
      const other = s.active === "blue" ? "green" : "blue";
      const preview = s[other];
      return {
        backends: [to(servingVersion(svc))],
        ...(preview ? { preview: { header: s.previewHeader, value: "1", backends: [to(preview.version)] } } : {}),
      };
    }
    case "canary": {
      if (s.version && s.version !== s.stable.version) {
        return { backends: [to(s.version)], ...(s.canary ? { preview: { header: "x-brume-canary", value: "1", backends: [to(s.canary.version)] } } : {}) };
      }
      if (!s.canary) return { backends: [to(s.stable.version)] };
      return {
        // Both backends are always listed: a weight change edits numbers, never the rule's shape.
        backends: [to(s.stable.version, 100 - s.weight), to(s.canary.version, s.weight)],
        preview: { header: "x-brume-canary", value: "1", backends: [to(s.canary.version)] },
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Release steps: config → config. Each is what `brume release <step>` writes to the stack config.
// ---------------------------------------------------------------------------------------------

export class ReleaseError extends Error {
  override readonly name = "ReleaseError";
}

/** Versions the strategy keeps deployed, in the order `brume history` lists them. */
export function deployedReleases(strategy: StrategyConfig): (Release & { role: string })[] {
  switch (strategy.type) {
    case "rolling":
      return [];
    case "blueGreen": {
      const out: (Release & { role: string })[] = [];
      for (const slot of ["blue", "green"] as const) {
        const r = strategy[slot];
        if (r) out.push({ ...r, role: `${slot} slot${strategy.active === slot ? " (active)" : " (preview)"}` });
      }
      return [...out, ...strategy.retained.map((r) => ({ ...r, role: "retained" }))];
    }
    case "canary":
      return [
        { ...strategy.stable, role: "stable" },
        ...(strategy.canary ? [{ ...strategy.canary, role: `canary (${strategy.weight}%)` }] : []),
        ...strategy.retained.map((r) => ({ ...r, role: "retained" })),
      ];
  }
}

const withoutVersion = <S extends { version?: string | undefined }>(s: S): S => {
  const { version: _drop, ...rest } = s;
  return rest as S;
};

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

/**
 * Deploys a new version: blue/green puts it in the inactive slot (the version it replaces joins
 * `retained`), canary makes it the canary at weight 0. Rolling strategies change `image` instead.
 */
export function deploy(strategy: StrategyConfig, release: Release): StrategyConfig {
  switch (strategy.type) {
    case "rolling":
      throw new ReleaseError(`a rolling service is released by changing its image; there is no slot to deploy to`);
    case "blueGreen": {
      const other: "blue" | "green" = strategy.active === "blue" ? "green" : "blue";
      const active = strategy[strategy.active]!;
      if (release.version === active.version) throw new ReleaseError(`version "${release.version}" is already the active slot`);
      const replaced = strategy[other];
      return withoutVersion({
        ...strategy,
        [other]: release,
        retained: retain([...(replaced ? [replaced] : []), ...strategy.retained], strategy.keep, [active.version, release.version]),
      });
    }
    case "canary": {
      if (release.version === strategy.stable.version) throw new ReleaseError(`version "${release.version}" is already stable`);
      return withoutVersion({
        ...strategy,
        canary: release,
        weight: 0,
        retained: strategy.retained.filter((r) => r.version !== release.version),
      });
    }
  }
}

/** Canary only: moves `weight` percent of the default traffic to the canary. */
export function setWeight(strategy: StrategyConfig, weight: number): StrategyConfig {
  if (strategy.type !== "canary") throw new ReleaseError(`weights apply to canary strategies, not "${strategy.type}"`);
  if (!strategy.canary) throw new ReleaseError(`there is no canary to send traffic to; deploy one first`);
  if (!Number.isInteger(weight) || weight < 0 || weight > 100) throw new ReleaseError(`weight must be an integer 0-100, got ${weight}`);
  return withoutVersion({ ...strategy, weight });
}

/**
 * Makes the new version the one serving: blue/green switches the active slot; canary makes the
 * canary stable and retains the previous stable (the oldest retained beyond `keep` is dropped).
 */
export function promote(strategy: StrategyConfig): StrategyConfig {
  switch (strategy.type) {
    case "rolling":
      throw new ReleaseError(`a rolling service has nothing to promote: every \`pulumi up\` rolls the new image out`);
    case "blueGreen": {
      const other: "blue" | "green" = strategy.active === "blue" ? "green" : "blue";
      if (!strategy[other]) throw new ReleaseError(`the ${other} slot is empty; deploy a version to it first`);
      return withoutVersion({ ...strategy, active: other });
    }
    case "canary": {
      if (!strategy.canary) throw new ReleaseError(`there is no canary to promote`);
      const { canary: _c, ...rest } = strategy;
      return withoutVersion({
        ...rest,
        stable: strategy.canary,
        weight: 0,
        retained: retain([strategy.stable, ...strategy.retained], strategy.keep, [strategy.canary.version]),
      });
    }
  }
}

/** Canary: sends no traffic to the canary (it keeps one pod for inspection). Blue/green: clears a rollback. */
export function abort(strategy: StrategyConfig): StrategyConfig {
  switch (strategy.type) {
    case "rolling":
      throw new ReleaseError(`a rolling service has no release in progress to abort; roll back by setting the previous image`);
    case "blueGreen":
      return strategy;
    case "canary":
      return { ...strategy, weight: 0 };
  }
}

/** The version a rollback goes to when none is named: the previous one still deployed. */
export function previousVersion(strategy: StrategyConfig): string | undefined {
  if (strategy.type === "blueGreen") {
    const other: "blue" | "green" = strategy.active === "blue" ? "green" : "blue";
    const serving = strategy.version ?? strategy[strategy.active]?.version;
    return strategy[other]?.version !== serving ? (strategy[other]?.version ?? strategy.retained[0]?.version) : strategy.retained[0]?.version;
  }
  if (strategy.type === "canary") {
    const serving = strategy.version ?? strategy.stable.version;
    return strategy.retained.find((r) => r.version !== serving)?.version ?? (serving !== strategy.stable.version ? strategy.stable.version : undefined);
  }
  return undefined;
}

/**
 * Sends the default traffic back to a version the strategy still runs: another blue/green slot
 * (switches `active`), or a retained / the stable version (sets `version`). Routing only.
 */
export function rollback(strategy: StrategyConfig, to?: string): StrategyConfig {
  if (strategy.type === "rolling") {
    throw new ReleaseError(`a rolling service keeps no previous version running; use blueGreen or canary for instant rollbacks, or set the previous image`);
  }
  const target = to ?? previousVersion(strategy);
  const deployed = deployedReleases(strategy).map((r) => r.version);
  if (target === undefined) throw new ReleaseError(`no previous version is retained (keep: ${strategy.keep}); nothing to roll back to`);
  if (!deployed.includes(target)) {
    throw new ReleaseError(`version "${target}" is not retained; deployed versions: ${deployed.join(", ")}`);
  }
  if (strategy.type === "blueGreen") {
    const slot = (["blue", "green"] as const).find((k) => strategy[k]?.version === target);
    if (slot) return withoutVersion({ ...strategy, active: slot });
    return { ...strategy, version: target };
  }
  if (strategy.canary?.version === target) throw new ReleaseError(`"${target}" is the canary; use \`brume release promote\` to send it all traffic`);
  if (target === strategy.stable.version) return withoutVersion(strategy);
  return { ...strategy, version: target };
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
