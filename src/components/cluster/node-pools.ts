/**
 * Node pools as data: what a user writes, the defaults, and the normalized form the cluster
 * builds from. Pure: no Pulumi resource here.
 */
import type { PresetSettings } from "../../config/presets.js";

export type TaintEffect = "NO_SCHEDULE" | "PREFER_NO_SCHEDULE" | "NO_EXECUTE";

export interface NodeTaint {
  key: string;
  value: string;
  /** GKE's spelling (`NO_SCHEDULE`), not Kubernetes' (`NoSchedule`). */
  effect: TaintEffect;
}

export interface NodePoolSpec {
  /** Pool name, unique in the cluster (a DNS label of at most 40 characters). */
  name: string;
  /** Compute Engine machine type, e.g. `e2-standard-4`. */
  machineType: string;
  /** Minimum nodes **per zone** (the pool spans every zone of the region). */
  min: number;
  /** Maximum nodes **per zone**. */
  max: number;
  /**
   * Spot VMs: cheaper, preemptible at any time. Give spot pools a taint so only workloads that
   * tolerate it land there.
   * @default false
   */
  spot?: boolean;
  /** Kubernetes taints of every node. @default [] */
  taints?: NodeTaint[];
  /** Kubernetes labels of every node. @default {} */
  labels?: Record<string, string>;
  /** Boot disk size in GB (pd-balanced). @default 100 */
  diskGb?: number;
}

export interface NormalizedNodePool extends Required<NodePoolSpec> {}

/** Taint and label that keep ordinary workloads off spot nodes. */
export const spotTaint: NodeTaint = { key: "workload", value: "spot", effect: "NO_SCHEDULE" };
/**
 * Taint of the high-memory pool: without it the cluster autoscaler may scale the pricier
 * e2-highmem pool for ordinary pods (k8s-review 31). Workloads choose it with `resources.pool`.
 */
export const highmemTaint: NodeTaint = { key: "workload", value: "highmem", effect: "NO_SCHEDULE" };

/** Node label every brume pool carries (`workload: <pool>`): `resources.pool` selects on it. */
export const poolLabelKey = "workload";

/** The taint of a targeted pool (`spot`, `highmem`); the general pool has none. */
export function poolTaint(pool: string): NodeTaint | undefined {
  return pool === "spot" ? spotTaint : pool === "highmem" ? highmemTaint : undefined;
}

/** GKE's taint effect in Kubernetes' spelling (a toleration names `NoSchedule`). */
export function kubernetesEffect(effect: TaintEffect): "NoSchedule" | "PreferNoSchedule" | "NoExecute" {
  return effect === "NO_SCHEDULE" ? "NoSchedule" : effect === "PREFER_NO_SCHEDULE" ? "PreferNoSchedule" : "NoExecute";
}

/**
 * The default set: a general pool, a high-memory pool that scales from zero, and a spot pool; the
 * last two only take pods tolerating `workload=highmem|spot:NoSchedule` (`resources.pool`).
 */
export const defaultNodePools: readonly NodePoolSpec[] = [
  { name: "general", machineType: "e2-standard-4", min: 1, max: 5, labels: { workload: "general" } },
  { name: "highmem", machineType: "e2-highmem-4", min: 0, max: 3, taints: [highmemTaint], labels: { workload: "highmem" } },
  { name: "spot", machineType: "e2-standard-4", min: 0, max: 5, spot: true, taints: [spotTaint], labels: { workload: "spot" } },
];

export const defaultDiskGb = 100;

/**
 * The pools an environment's preset asks for: the general pool sized by the preset (per zone),
 * the high-memory pool when `highMemoryPool` is on (default), and the spot pool when `spotPool` is on.
 */
export function presetNodePools(
  settings: Pick<PresetSettings, "nodeMachineType" | "nodesMin" | "nodesMax" | "spotPool"> & Partial<Pick<PresetSettings, "highMemoryPool">>,
): NodePoolSpec[] {
  const [general, highmem, spot] = defaultNodePools as [NodePoolSpec, NodePoolSpec, NodePoolSpec];
  return [
    { ...general, machineType: settings.nodeMachineType, min: settings.nodesMin, max: settings.nodesMax },
    ...(settings.highMemoryPool ?? true ? [highmem] : []),
    ...(settings.spotPool ? [{ ...spot, machineType: settings.nodeMachineType, max: settings.nodesMax }] : []),
  ];
}

export function normalizeNodePool(spec: NodePoolSpec): NormalizedNodePool {
  return {
    name: spec.name,
    machineType: spec.machineType,
    min: spec.min,
    max: spec.max,
    spot: spec.spot ?? false,
    taints: spec.taints ?? [],
    labels: spec.labels ?? {},
    diskGb: spec.diskGb ?? defaultDiskGb,
  };
}
