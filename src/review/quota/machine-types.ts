/**
 * Machine type → vCPUs, and machine family → the Compute Engine quota metric its vCPUs count
 * against. Pure data with its sources; `brume quota` and the quota summary of `brume plan` read it.
 */

/**
 * The regional CPU quota metric of each machine family.
 * Source: Compute Engine "Allocation quotas", CPU quota
 * (https://cloud.google.com/compute/resource-usage#cpu_quota): E2 and N1 VMs (and the N1 shared-core
 * f1/g1 types) count against the general `CPUS` quota of the region; the other families have their
 * own metric (`N2_CPUS`, `N2D_CPUS`, `C2_CPUS`, …). Every vCPU also counts against the global
 * `CPUS_ALL_REGIONS` where a project has it. A region's quota list may show an `E2_CPUS` row as well
 * (it appears in `gcloud compute regions describe`), but the documented pool E2 VMs draw from is
 * `CPUS`, so that is what we report.
 * Spot and preemptible VMs draw from `PREEMPTIBLE_CPUS` only once a project has been granted that
 * quota; until then they use the standard metric (same page, "Preemptible quotas").
 */
export const cpuQuotaMetricByFamily: Readonly<Record<string, string>> = {
  e2: "CPUS",
  n1: "CPUS",
  f1: "CPUS",
  g1: "CPUS",
  n2: "N2_CPUS",
  n2d: "N2D_CPUS",
  n4: "N4_CPUS",
  c2: "C2_CPUS",
  c2d: "C2D_CPUS",
  c3: "C3_CPUS",
  c3d: "C3D_CPUS",
  c4: "C4_CPUS",
  t2d: "T2D_CPUS",
  t2a: "T2A_CPUS",
  m1: "M1_CPUS",
  m2: "M2_CPUS",
  m3: "M3_CPUS",
  a2: "A2_CPUS",
};

/**
 * Shared-core machine types: the vCPUs the machine type reports (`guestCpus` of
 * `machineTypes.get`), which is what the quota charges.
 * Source: "General-purpose machine family" (https://cloud.google.com/compute/docs/general-purpose-machines#e2-shared-core):
 * e2-micro, e2-small and e2-medium have 2 vCPUs (a fraction of a core, bursting); f1-micro and
 * g1-small (N1 shared-core) have 1.
 */
const sharedCore: Readonly<Record<string, number>> = {
  "e2-micro": 2,
  "e2-small": 2,
  "e2-medium": 2,
  "f1-micro": 1,
  "g1-small": 1,
};

export interface MachineVcpus {
  family: string;
  vcpu: number;
  /** The regional CPU quota metric, or undefined for a family this table does not know. */
  metric: string | undefined;
}

/**
 * vCPUs of a machine type: predefined types name them (`e2-standard-4` → 4, "General-purpose
 * machine family" page), custom types too (`e2-custom-4-8192`, `n2-custom-8-32768`; `custom-2-4096`
 * is N1). Undefined for a name this parser does not understand — callers report it, never zero.
 */
export function machineVcpus(machineType: string): MachineVcpus | undefined {
  const shared = sharedCore[machineType];
  if (shared !== undefined) {
    const family = machineType.split("-")[0]!;
    return { family, vcpu: shared, metric: cpuQuotaMetricByFamily[family] };
  }
  const n1Custom = /^custom-(\d+)-\d+(-ext)?$/.exec(machineType);
  if (n1Custom) return { family: "n1", vcpu: Number(n1Custom[1]), metric: "CPUS" };
  const custom = /^([a-z][a-z0-9]*)-custom-(\d+)-\d+(-ext)?$/.exec(machineType);
  if (custom) return { family: custom[1]!, vcpu: Number(custom[2]), metric: cpuQuotaMetricByFamily[custom[1]!] };
  const predefined = /^([a-z][a-z0-9]*)-(standard|highmem|highcpu|megamem|ultramem|hypermem)-(\d+)(-[a-z0-9]+)?$/.exec(machineType);
  if (predefined) return { family: predefined[1]!, vcpu: Number(predefined[3]), metric: cpuQuotaMetricByFamily[predefined[1]!] };
  return undefined;
}

/**
 * The regional disk quota metric of a persistent disk type.
 * Source: Compute Engine "Allocation quotas", Disk quotas
 * (https://cloud.google.com/compute/resource-usage#disk_quota): `SSD_TOTAL_GB` is the total of
 * SSD-backed persistent disks — `pd-ssd` and `pd-balanced` (and `pd-extreme`); `DISKS_TOTAL_GB` is
 * standard persistent disk (`pd-standard`).
 */
export function diskQuotaMetric(diskType: string): string | undefined {
  if (diskType === "pd-standard") return "DISKS_TOTAL_GB";
  if (diskType === "pd-balanced" || diskType === "pd-ssd" || diskType === "pd-extreme") return "SSD_TOTAL_GB";
  return undefined;
}
