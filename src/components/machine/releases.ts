/**
 * Machine strategies as data: which instance templates exist and how each managed instance group
 * uses them. Pure, so every rollout step (start a canary, promote, abort, switch, roll back) is a
 * config change whose effect on resources is known and tested: routing steps touch ≤ 2 resources
 * and never replace one (templates are keyed by release version, so a promoted release keeps its
 * template).
 */
import type { AgentSpec } from "../../render/agent.js";
import type { MachineSpec } from "../../render/cloud-init.js";

/** What changes between two releases of a machine group. */
export interface MachineRelease {
  /** Release label (`v42`, `1.4.2`); names the template. */
  version: string;
  /** Agent version and checksum of this release (the group's when absent). */
  agent?: { version: string; sha256?: string };
  /** Service image (container), git ref or archive (process) of this release, by service name. */
  services?: Record<string, { image?: string; ref?: string; artifact?: { url: string; sha256: string } }>;
}

export type MachineStrategy =
  | { type: "rolling" }
  | { type: "canary"; stable: MachineRelease; canary?: MachineRelease; percent: number }
  | { type: "blueGreen"; active: "blue" | "green"; blue?: MachineRelease; green?: MachineRelease; rolledBackFrom?: string; staged?: string };

export interface GroupPlan {
  /** Logical key of the group: "" (one group) or "blue" / "green". */
  slot: "" | "blue" | "green";
  versions: { release: string; percent?: number }[];
  /**
   * Whether the load balancer sends this group traffic. Every group is a backend of the group's
   * backend service; the live one has `capacityScaler` 1, an idle blue/green group 0 — drained, and
   * kept UPDATED for an instant switch back (a switch changes the backend service only).
   */
  serving: boolean;
}

export interface StrategyPlan {
  /** Templates by release label ("" = the rolling template). */
  releases: Record<string, MachineRelease | undefined>;
  groups: GroupPlan[];
}

export function strategyPlan(strategy: MachineStrategy): StrategyPlan {
  switch (strategy.type) {
    case "rolling":
      return { releases: { "": undefined }, groups: [{ slot: "", versions: [{ release: "" }], serving: true }] };
    case "canary": {
      const { stable, canary } = strategy;
      if (canary && canary.version === stable.version) throw new RangeError(`canary and stable are both ${stable.version}`);
      return {
        releases: { [stable.version]: stable, ...(canary ? { [canary.version]: canary } : {}) },
        groups: [
          {
            slot: "",
            versions: [{ release: stable.version }, ...(canary ? [{ release: canary.version, percent: strategy.percent }] : [])],
            serving: true,
          },
        ],
      };
    }
    case "blueGreen": {
      const slots = (["blue", "green"] as const).filter((s) => strategy[s] !== undefined);
      if (!strategy[strategy.active]) throw new RangeError(`the active slot "${strategy.active}" has no release`);
      return {
        releases: Object.fromEntries(slots.map((s) => [strategy[s]!.version, strategy[s]])),
        groups: slots.map((slot) => ({ slot, versions: [{ release: strategy[slot]!.version }], serving: slot === strategy.active })),
      };
    }
  }
}

/** The machine spec of a release: its agent version and service images / refs / archives over the group's. */
export function specForRelease(spec: MachineSpec, release: MachineRelease | undefined): MachineSpec {
  if (!release) return spec;
  const agent: AgentSpec = release.agent
    ? { ...spec.agent, version: release.agent.version, ...(release.agent.sha256 ? { sha256: release.agent.sha256 } : {}) }
    : spec.agent;
  if (release.agent && !release.agent.sha256) delete agent.sha256;
  return {
    ...spec,
    agent,
    services: (spec.services ?? []).map((svc) => {
      const over = release.services?.[svc.name];
      if (!over) return svc;
      return {
        ...svc,
        ...(over.image ? { image: over.image } : {}),
        ...(over.ref && svc.source?.git !== undefined ? { source: { ...svc.source, ref: over.ref } } : {}),
        ...(over.artifact && svc.source?.artifact ? { source: { ...svc.source, artifact: over.artifact } } : {}),
      };
    }),
  };
}

/** A release step that does not apply to a machine group's strategy as it is. */
export class MachineReleaseError extends Error {
  override readonly name = "MachineReleaseError";
}

/**
 * `brume release` steps of a machine group, each one config change planned before it is written:
 *
 * - promote: canary → the canary release becomes `stable` (its template stays: no replacement) and
 *   the old stable's template goes; blue/green → the other slot becomes `active` (capacity 1 / 0);
 * - abort: canary → the canary release is dropped (its instances return to stable); blue/green has
 *   nothing in flight (a switch is instant: roll back instead);
 * - rollback: blue/green → back to the other slot, which is kept UPDATED for this; a canary keeps
 *   no previous release running once promoted (abort before promoting is its rollback).
 */
export function promoteMachines(strategy: MachineStrategy): MachineStrategy {
  switch (strategy.type) {
    case "rolling":
      throw new MachineReleaseError("a rolling group has nothing to promote: every `pulumi up` rolls the new template out");
    case "canary": {
      if (!strategy.canary) throw new MachineReleaseError("there is no canary release to promote");
      const { canary, ...rest } = strategy;
      return { ...rest, stable: canary };
    }
    case "blueGreen": {
      const other = strategy.active === "blue" ? "green" : "blue";
      if (!strategy[other]) throw new MachineReleaseError(`the ${other} group has no release; set strategy.${other} first`);
      const { rolledBackFrom: _r, staged: _s, ...rest } = strategy;
      return { ...rest, active: other };
    }
  }
}

export function abortMachines(strategy: MachineStrategy): MachineStrategy {
  switch (strategy.type) {
    case "canary": {
      if (!strategy.canary) throw new MachineReleaseError("there is no canary release to abort");
      const { canary: _canary, ...rest } = strategy;
      return rest;
    }
    case "blueGreen":
      throw new MachineReleaseError("a blue/green switch is instant, nothing is in flight: roll back to the other group instead");
    case "rolling":
      throw new MachineReleaseError("a rolling group has no release in flight to abort; set the previous release and `pulumi up`");
  }
}

export function rollbackMachines(strategy: MachineStrategy, to?: string): MachineStrategy {
  if (strategy.type !== "blueGreen") {
    throw new MachineReleaseError(
      strategy.type === "canary"
        ? "a machine canary keeps no previous release once promoted; abort a canary before promoting it, or set the previous release"
        : "a rolling group keeps no previous release running; use blueGreen for instant rollbacks",
    );
  }
  // Idempotent: a second rollback without --to changes nothing (it would switch back to the
  // release just rolled back from, k8s-review 9).
  if (to === undefined && strategy.rolledBackFrom !== undefined) return strategy;
  const other = strategy.active === "blue" ? "green" : "blue";
  const target = to === undefined ? other : (["blue", "green"] as const).find((slot) => strategy[slot]?.version === to);
  if (target === undefined) {
    const deployed = (["blue", "green"] as const).flatMap((slot) => (strategy[slot] ? [`${strategy[slot]!.version} (${slot})`] : []));
    throw new MachineReleaseError(`release "${to}" is not deployed; deployed: ${deployed.join(", ")}`);
  }
  if (!strategy[target]) throw new MachineReleaseError(`the ${target} group has no release to roll back to`);
  if (target === strategy.active) throw new MachineReleaseError(`release "${to}" is already active (${target})`);
  // A rollback returns to a release that served before, as Argo Rollouts' `undo [--to-revision]`
  // returns to a revision of the history
  // (https://argo-rollouts.readthedocs.io/en/stable/generated/kubectl-argo-rollouts/kubectl-argo-rollouts_undo/):
  // the standby a `start` filled has never served, so moving to it is a promote, never a rollback.
  if (strategy.staged !== undefined && strategy[target]!.version === strategy.staged) {
    throw new MachineReleaseError(
      `release "${strategy.staged}" on the ${target} group has not served yet (started, not promoted): a rollback returns to a release that served before, and the group keeps none besides the live ${strategy[strategy.active]!.version} (${strategy.active}); \`brume release promote\` moves traffic forward to ${strategy.staged}`,
    );
  }
  return { ...strategy, active: target, rolledBackFrom: strategy[strategy.active]!.version };
}

/** The release a group's traffic goes to (the stable one for a canary, most instances). */
export function servingRelease(strategy: MachineStrategy): string {
  if (strategy.type === "rolling") return "current";
  if (strategy.type === "canary") return strategy.canary ? `${strategy.stable.version} (canary ${strategy.canary.version} on ${strategy.percent}%)` : strategy.stable.version;
  return `${strategy[strategy.active]?.version ?? "?"} (${strategy.active})`;
}

/** The releases a group runs now, and which of them takes the traffic (`brume history --machines`). */
export function deployedMachineReleases(strategy: MachineStrategy): { version: string; role: string; serving: boolean; release?: MachineRelease }[] {
  switch (strategy.type) {
    case "rolling":
      return [{ version: "current", role: "rolling (no previous release kept)", serving: true }];
    case "canary":
      return [
        { version: strategy.stable.version, role: strategy.canary ? `stable (${100 - strategy.percent}% of instances)` : "stable", serving: true, release: strategy.stable },
        ...(strategy.canary ? [{ version: strategy.canary.version, role: `canary (${strategy.percent}% of instances)`, serving: false, release: strategy.canary }] : []),
      ];
    case "blueGreen":
      return (["blue", "green"] as const).flatMap((slot) => {
        const release = strategy[slot];
        if (!release) return [];
        const live = slot === strategy.active;
        return [{ version: release.version, role: live ? `${slot} (live, capacity 1)` : `${slot} (standby, capacity 0)`, serving: live, release }];
      });
  }
}

/**
 * `brume release start --machines`: a canary release on `percent` of the group's instances (the
 * group's percent when absent), or the blue/green inactive group. A release label names its
 * template, so a label already deployed with other contents is refused (templates are immutable).
 */
export function startMachines(strategy: MachineStrategy, release: MachineRelease, percent?: number): MachineStrategy {
  const deployed = deployedMachineReleases(strategy).flatMap((r) => (r.release ? [r.release] : []));
  const known = deployed.find((r) => r.version === release.version);
  if (known && JSON.stringify(known) !== JSON.stringify(release)) {
    throw new MachineReleaseError(`release "${release.version}" is deployed with other contents; a release is immutable — give it a new version`);
  }
  switch (strategy.type) {
    case "rolling":
      throw new MachineReleaseError("a rolling group is released by changing the group's services and `pulumi up`; use canary or blueGreen for release steps");
    case "canary":
      if (release.version === strategy.stable.version) throw new MachineReleaseError(`release "${release.version}" is already stable`);
      return { ...strategy, canary: release, percent: percent ?? strategy.percent };
    case "blueGreen": {
      const other = strategy.active === "blue" ? "green" : "blue";
      if (strategy[strategy.active]?.version === release.version) throw new MachineReleaseError(`release "${release.version}" is already live (${strategy.active})`);
      if (percent !== undefined) throw new MachineReleaseError("--weight applies to a canary group; a blue/green group switches whole");
      const { rolledBackFrom: _r, ...rest } = strategy;
      return { ...rest, [other]: release, staged: release.version };
    }
  }
}

/** `brume release weight --machines`: the canary's share of instances. */
export function weightMachines(strategy: MachineStrategy, percent: number): MachineStrategy {
  if (strategy.type !== "canary") throw new MachineReleaseError(`weights apply to canary groups, not "${strategy.type}"`);
  if (!strategy.canary) throw new MachineReleaseError("there is no canary release; start one first (brume release start --machines)");
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw new MachineReleaseError(`weight must be an integer 0-100, got ${percent}`);
  return { ...strategy, percent };
}
