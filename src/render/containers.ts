/**
 * The container runner of machine services (docker or podman on Debian 12, docker on
 * Container-Optimized OS): the unit that pulls and runs the image in the foreground, the sandbox of
 * the engine's client (docker) or of the engine itself (podman, no daemon), the container's own
 * confinement and user-namespace remapping, the registry login and docker's daemon configuration.
 * Pure; rated by test/machine/unit-security.test.ts, which also prints the container hardening table.
 */
import type { ImageFamily } from "./layout.js";
import { connectionUnitLines, containerConnectionArgs } from "./machine-connections.js";
import {
  cosCredentialHelper,
  healthCheckCommand,
  helperPathsFor,
  isGoogleRegistry,
  secretArgs,
  serviceEnvFile,
  serviceSecretEnvFile,
  serviceUnitName,
  type ContainerEngine,
  type MachineService,
} from "./runners.js";
import { kernelAndPrivilegeLockdown, renderUnitFile, systemdQuote, type UnitSection, systemCalls } from "./shell.js";

/**
 * The registry login before a pull. Debian: our `registry-login` helper (the VM's access token,
 * `docker login`). COS: `docker-credential-gcr configure-docker --registries=<host>`, as COS
 * documents for Artifact Registry, into `$HOME/.docker/config.json` — HOME is the unit's runtime
 * directory, a writable tmpfs whatever root's home is on the image; docker (same HOME) then asks
 * the helper for a token at each pull. Images from other registries are pulled anonymously on COS.
 */
function registryLoginLines(svc: MachineService, engine: ContainerEngine, family: ImageFamily, registry: string): UnitSection {
  if (family === "debian-12") {
    // ProtectHome= leaves /root read-only: the engine keeps the login in the unit's runtime directory
    // (docker: $DOCKER_CONFIG/config.json; podman: $REGISTRY_AUTH_FILE, read by login and pull alike).
    return [
      ["Environment", `DOCKER_CONFIG=/run/brume-${svc.name}/docker`],
      ["Environment", `REGISTRY_AUTH_FILE=/run/brume-${svc.name}/auth.json`],
      ["ExecStartPre", `${helperPathsFor(family).registryLogin} ${engine} ${systemdQuote(registry)}`],
    ];
  }
  if (!isGoogleRegistry(registry)) return [];
  return [
    ["Environment", `HOME=/run/brume-${svc.name}`],
    ["ExecStartPre", `${cosCredentialHelper} configure-docker ${systemdQuote(`--registries=${registry}`)}`],
  ];
}

/**
 * How systemd supervises a container it runs in the foreground (services and Caddy on COS): a
 * graceful `stop` (30 s, then the engine kills it), restart always after 5 s, 10 min to start (image
 * pulls, health), and the unit-side hardening a container engine client still accepts.
 */
export function containerSupervision(bin: string, container: string): UnitSection {
  return [
    ["ExecStop", `${bin} stop --time 30 ${container}`],
    ["Restart", "always"],
    ["RestartSec", "5s"],
    ["TimeoutStartSec", "10min"],
    ["TimeoutStopSec", "45s"],
    // podman is the engine itself (no daemon): its own bounded sandbox; docker's client gets the tight one.
    ...(bin.endsWith("/podman") ? podmanEngineHardening : containerClientHardening),
  ];
}

/**
 * Where rootful podman, conmon and crun write (containers-storage.conf(5): graphroot
 * /var/lib/containers/storage, runroot /run/containers/storage; libpod's tmp dir /run/libpod, crun's
 * state /run/crun, network namespaces /run/netns, netavark's /run/containers/networks, the iptables
 * lock /run/xtables.lock). /var/lib/containers is the unit's StateDirectory (created if missing);
 * image layers are staged in /var/tmp (private to the unit: PrivateTmp=).
 */
export const podmanWritablePaths = ["/run"] as const;

/**
 * The capabilities rootful podman + conmon + crun use to create a container: file ownership and
 * modes while unpacking layers (CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID SETFCAP), the
 * user-namespace mapping and the identity switch into it (SETUID SETGID SETPCAP; SETFCAP also maps
 * uid 0 of the new namespace, user_namespaces(7)), signals to the container (KILL), mounts,
 * namespaces and pivot_root (SYS_ADMIN), the rlimits of the OCI spec (SYS_RESOURCE: crun's setrlimit
 * fails without it), netavark's bridge, veth and firewall rules for `--publish` (NET_ADMIN NET_RAW)
 * and a reserved low host port (NET_BIND_SERVICE). Not: MKNOD (in a user namespace crun bind-mounts
 * /dev nodes, mknod is not permitted there), SYS_CHROOT (crun uses pivot_root), AUDIT_WRITE, and
 * every capability of the kernel, clock, modules, raw I/O, tracing or BPF. The container gets none
 * of them (`--cap-drop=ALL`): a bounding set only ever shrinks across exec.
 */
export const podmanCapabilities = [
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
  "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_SETFCAP", "CAP_NET_ADMIN", "CAP_NET_RAW",
  "CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN", "CAP_SYS_RESOURCE",
] as const;

/**
 * podman (rootful, no daemon): it creates the container's namespaces and cgroups and unpacks images
 * (set-uid files included) itself, so it keeps the capabilities above, namespaces, cgroups and
 * /proc/sys (netavark writes ip_forward and route_localnet). Closed: home directories, the kernel's
 * modules, logs and clock, the hostname, devices but the pseudo ones (DevicePolicy=closed: crun
 * bind-mounts the container's /dev nodes; the container's own device rules live in its own scope),
 * the OS tree but its state and /run (ProtectSystem=strict), mount propagation to the host (implied
 * by PrivateTmp=/ProtectSystem=, systemd.exec(5) PrivateMounts=, stated so), realtime, personality,
 * obsolete or debugging system calls. Not MemoryDenyWriteExecute= or RestrictSUIDSGID=: both are
 * inherited by the container (JIT runtimes; images with set-uid files). Rated ≤ 5.0 by
 * test/machine/unit-security.test.ts; not booted here (crun needs CAP_SYS_RESOURCE, which the test
 * machine's bounding set lacks), so this list is reasoned from podman's, crun's and the kernel's
 * documentation, not run.
 */
export const podmanEngineHardening: UnitSection = [
  ["NoNewPrivileges", true],
  ["PrivateTmp", true],
  ["PrivateMounts", true],
  ["ProtectHome", true],
  ["ProtectKernelModules", true],
  ["ProtectKernelLogs", true],
  ["ProtectClock", true],
  ["ProtectHostname", true],
  ["ProtectSystem", "strict"],
  ["StateDirectory", "containers"],
  ["ReadWritePaths", podmanWritablePaths.join(" ")],
  ["DevicePolicy", "closed"],
  ["LockPersonality", true],
  ["RestrictRealtime", true],
  ["RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6 AF_NETLINK"],
  ["CapabilityBoundingSet", podmanCapabilities.join(" ")],
  ...systemCalls("~@clock @cpu-emulation @debug @module @obsolete @raw-io @reboot @swap"),
  ["UMask", "0077"],
];

/**
 * The sandbox of a container engine's client (docker/podman CLI and our ExecStartPre helpers): root
 * without capabilities (the engine's socket is root's), nothing writable but the runtime directory,
 * no kernel, clock or hostname changes, denied system calls fail with EPERM. The container's own
 * confinement is the engine's: `containerRunHardening`. Rated by `systemd-analyze security`
 * (test/machine/unit-security.test.ts prints the figure per unit).
 */
export const containerClientHardening: UnitSection = [
  ["NoNewPrivileges", true],
  ["PrivateTmp", true],
  ["ProtectHome", true],
  ["ProtectSystem", "strict"],
  ["PrivateDevices", true],
  ...kernelAndPrivilegeLockdown,
  ["CapabilityBoundingSet", ""],
  ["RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"],
  ...systemCalls(),
  ["UMask", "0077"],
];

/**
 * What confines the container itself: tini as PID 1 (`--init`: signals are forwarded, zombies
 * reaped, `stop` does not wait the full 30 s for an image whose PID 1 ignores SIGTERM), read-only
 * root with a /tmp tmpfs, every capability dropped, no privilege gain, the engine's default seccomp
 * profile (never `seccomp=unconfined`, never `--privileged`).
 */
export const containerRunHardening = ["--init", "--read-only", "--tmpfs", "/tmp", "--cap-drop=ALL", "--security-opt=no-new-privileges"] as const;

/**
 * User-namespace remapping, so that root in a container is an unprivileged uid on the host:
 * - podman: per container, `--userns=auto` (https://docs.podman.io/en/latest/markdown/podman-run.1.html#userns-mode):
 *   a free range from the `containers` entries of /etc/subuid and /etc/subgid (`podmanSubordinateIds`,
 *   written by the startup script); 65536 ids, not podman's rootful default of 1024, so images
 *   with high uids and chown on bind mounts work (containers/podman#17120).
 * - docker on Debian: daemon-wide `userns-remap: default` in /etc/docker/daemon.json
 *   (https://docs.docker.com/engine/security/userns-remap/; dockerd creates `dockremap` and its
 *   subordinate ids). Its caveats do not bite our units: no `--privileged`, `--pid=host` or
 *   `--network=host`; the only bind mount, the connection files, is 0755/0444 (readable by the
 *   remapped uids); images are pulled again into /var/lib/docker/<uid>.<gid> (a fresh VM).
 * - docker on Container-Optimized OS: the image's daemon configuration, not remapped.
 */
export const podmanUserNamespace = "--userns=auto:size=65536";
export const podmanSubordinateIds = "containers:2147483647:2147483648";
export const dockerDaemonConfigPath = "/etc/docker/daemon.json";

/** docker's daemon configuration on Debian machines (read at dockerd's start: the startup script restarts it on a change). */
export function renderDockerDaemonConfig(): string {
  return `${JSON.stringify({ "userns-remap": "default" }, null, 2)}\n`;
}

/**
 * A container service's unit. The same on both image families but for the registry login and the
 * helpers' directory; COS has docker only (no podman).
 */
export function renderContainerUnit(svc: MachineService, engine: ContainerEngine = "docker", family: ImageFamily = "debian-12"): string {
  if (svc.runner !== "container" || !svc.image) throw new RangeError(`service ${svc.name}: a container unit needs runner container and an image`);
  if (family === "cos-stable" && engine !== "docker") throw new RangeError(`service ${svc.name}: Container-Optimized OS ships docker, not ${engine}`);
  const helpers = helperPathsFor(family);
  const bin = `/usr/bin/${engine}`;
  const container = `brume-${svc.name}`;
  const registry = svc.image.split("/")[0]!;
  const run = [
    bin, "run", "--rm", "--name", container,
    "--log-driver=journald",
    ...containerRunHardening,
    ...(engine === "podman" ? [podmanUserNamespace] : []),
    "--pull=always",
    ...svc.ports.flatMap((p) => ["--publish", `127.0.0.1:${p.port}:${p.port}`]),
    "--env-file", serviceEnvFile(svc),
    ...(Object.keys(svc.secrets ?? {}).length ? ["--env-file", serviceSecretEnvFile(svc)] : []),
    ...containerConnectionArgs(svc),
    svc.image,
    ...(svc.command ?? []),
  ];
  const exec = run.map((a, i) => (i === 0 ? a : systemdQuote(a))).join(" ");
  const service: UnitSection = [
    ["Type", "exec"],
    ["RuntimeDirectory", `brume-${svc.name}`],
    ["RuntimeDirectoryMode", "0700"],
    ...registryLoginLines(svc, engine, family, registry),
    ...(secretArgs(svc).length
      ? ([["ExecStartPre", `${helpers.secretEnv} ${systemdQuote(serviceSecretEnvFile(svc))} ${secretArgs(svc).map(systemdQuote).join(" ")}`]] as UnitSection)
      : []),
    ...connectionUnitLines(svc).service,
    ["ExecStartPre", `-${bin} rm --force ${container}`],
    ["ExecStart", exec],
    ["ExecStartPost", healthCheckCommand(svc, family)],
    ...containerSupervision(bin, container),
  ];
  return renderUnitFile(`# ${serviceUnitName(svc)} — ${svc.name} (container) — rendered by brume`, {
    Unit: [
      ["Description", `${svc.name} (container ${svc.image})`],
      ["Wants", "network-online.target"],
      ["After", `network-online.target ${engine === "docker" ? "docker.service" : ""}${family === "debian-12" ? " brume-converge.service" : ""}`.replace(/ +/g, " ").trim()],
      ...(engine === "docker" ? ([["Requires", "docker.service"]] as UnitSection) : []),
      ...connectionUnitLines(svc).unit,
      ["StartLimitIntervalSec", 0],
    ],
    Service: service,
    Install: [["WantedBy", "multi-user.target"]],
  });
}

/** Shared helper: `registry-login <docker|podman> <host>` with the VM's access token. */
export function renderRegistryLoginScript(): string {
  return `#!/bin/bash
# Logs the container engine in to Artifact Registry with the VM service account's access token.
set -euo pipefail
readonly engine="$1" host="$2"
readonly METADATA_URL="\${BRUME_METADATA_URL:-http://metadata.google.internal/computeMetadata/v1}"
token="$(curl --fail --silent --show-error --retry 5 --retry-connrefused --retry-max-time 60 \\
  --header 'Metadata-Flavor: Google' "$METADATA_URL/instance/service-accounts/default/token" \\
  | sed -n 's/.*"access_token"[[:space:]]*:[[:space:]]*"\\([^"]*\\)".*/\\1/p')"
if [ -z "$token" ]; then
  echo "registry-login: no access token from the metadata server" >&2
  exit 1
fi
printf '%s' "$token" | "/usr/bin/$engine" login --username oauth2accesstoken --password-stdin "https://$host" >/dev/null
`;
}

