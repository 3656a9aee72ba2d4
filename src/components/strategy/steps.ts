/**
 * Release steps: config → config. Each is what `brume release <step>` writes to the stack's
 * release state (src/config/schema-release.ts). Pure; property-tested (test/strategy).
 */
import type { StrategyConfig } from "../../config/schema.js";
import { badOf, servingVersion, workloadName, type BlueGreenStrategy, type CanaryStrategy, type Release } from "./strategy.js";

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

