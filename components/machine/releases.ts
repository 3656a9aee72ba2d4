/**
 * Machine strategies as data: which instance templates exist and how each managed instance group
 * uses them. Pure, so every rollout step (start a canary, promote, abort, switch, roll back) is a
 * config change whose effect on resources is known and tested: routing steps touch ≤ 2 resources
 * and never replace one (templates are keyed by release version, so a promoted release keeps its
 * template).
 */
import type { AgentSpec } from "../../src/render/agent.js";
import type { MachineSpec } from "../../src/render/cloud-init.js";

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
  | { type: "blueGreen"; active: "blue" | "green"; blue?: MachineRelease; green?: MachineRelease };

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
