/**
 * Where things live on a machine, per image family. Debian 12 has a writable root: the agent goes
 * to /usr/local/bin, the helper scripts to /usr/local/lib/brume, packages come from apt.
 *
 * Container-Optimized OS (cos-stable) mounts `/` read-only; `/etc` is a writable, executable tmpfs
 * (stateless: cloud-init, which COS runs on every boot, writes it again); `/var` and `/home` are
 * stateful but mounted noexec, except `/var/lib/google`, `/var/lib/docker` and `/var/lib/toolbox`,
 * which are stateful AND executable; `/tmp` is noexec
 * (https://cloud.google.com/container-optimized-os/docs/concepts/disks-and-filesystem). So on COS
 * every executable we install or write (the agent binary, the helper scripts) lives under
 * `/var/lib/google/brume`, and units, config and the Caddyfile under `/etc`, re-written each boot.
 */

/** Image families machines boot from (`machines.<group>.image`). */
export const imageFamilies = ["debian-12", "cos-stable"] as const;
export type ImageFamily = (typeof imageFamilies)[number];

export interface MachineLayout {
  family: ImageFamily;
  /** Directory of the agent binary. */
  binDir: string;
  /** Directory of the helper scripts (install, token fetch, registry login, …). */
  helperDir: string;
  /** COS has no package manager: everything is written by cloud-init or runs in a container. */
  packageManager: boolean;
}

const layouts: Record<ImageFamily, MachineLayout> = {
  "debian-12": { family: "debian-12", binDir: "/usr/local/bin", helperDir: "/usr/local/lib/brume", packageManager: true },
  "cos-stable": { family: "cos-stable", binDir: "/var/lib/google/brume/bin", helperDir: "/var/lib/google/brume/lib", packageManager: false },
};

export function machineLayout(family: ImageFamily = "debian-12"): MachineLayout {
  const layout = layouts[family];
  if (!layout) throw new RangeError(`unknown image family "${String(family)}"; expected one of: ${imageFamilies.join(", ")}`);
  return layout;
}

/**
 * UID of the agent's system user on COS. `/etc/passwd` lives on the /etc tmpfs there and the user
 * is created again by cloud-init at each boot: a fixed id keeps the owner of the agent's stateful
 * directories (/var/lib/<agent>, /var/log/<agent>) the same across reboots. Debian allocates a
 * system id once, in a persistent /etc/passwd. (COS's own cloud-init example pins uid 2000 too.)
 */
export const cosAgentUid = 2000;
