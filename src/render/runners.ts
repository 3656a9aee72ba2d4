/**
 * Services on machines: one systemd unit per service. `container` runs the image with docker or
 * podman (pulled from Artifact Registry with the VM's identity, logs to journald, published on
 * 127.0.0.1 only — Caddy fronts them); `process` runs source fetched at a pinned git ref with a
 * runtime installed by vfox at a pinned version, under the service's own user. Secrets come from
 * Secret Manager at start into a 0600 env file under /run; health is awaited after start.
 */
import { machineLayout, type ImageFamily } from "./layout.js";
import { assertSingleLine, renderUnitFile, shQuote, systemdQuote, kernelAndPrivilegeLockdown, kernelLockdown, privilegeLockdown, withoutKeys, type UnitSection } from "./shell.js";
import { connectionUnitLines, secretAccessShell, secretManagerAuthShell, secretManagerUrlsShell, secretPair, type MachineConnection } from "./machine-connections.js";

export type ContainerEngine = "docker" | "podman";

/**
 * A process service's source: git at a pinned ref, or a release archive (.tar.gz) verified by its
 * SHA-256 before it is unpacked; the runtime vfox installs and the build command.
 */
export type ProcessSource = { runtime: string; build?: string } & (
  | { git: string; ref: string; artifact?: undefined }
  | { artifact: { url: string; sha256: string }; git?: undefined; ref?: undefined }
);

/** What identifies a source's version: the git ref, or the archive's checksum. */
export function sourceVersion(source: ProcessSource): string {
  return source.artifact ? `sha256:${source.artifact.sha256.slice(0, 12)}` : source.ref;
}

export interface MachineService {
  /** Service name (DNS label). */
  name: string;
  runner: "container" | "process";
  /** Container image (container runner). */
  image?: string;
  /** Pinned source and runtime (process runner). */
  source?: ProcessSource;
  /** Run command (process runner: required; container: overrides the image's command). */
  command?: string[];
  ports: { name: string; port: number }[];
  env?: Record<string, string>;
  /**
   * Environment variable → Secret Manager secret, with the stack's pinned version (`latest` when
   * absent) and, for a signing key, its previous version (as `<VAR>_PREVIOUS`; docs/secrets.md).
   */
  secrets?: Record<string, { project: string; secretId: string; version?: number; previousVersion?: number }>;
  /** HTTP health path awaited after start (and probed by Caddy); TCP connect when absent. */
  health?: { path?: string; port?: number };
  /** Routed by Caddy: hostnames and path prefixes. */
  domains?: string[];
  paths?: string[];
  /** The connection contract's files and proxies (its variables are in `env`): ./machine-connections.ts. */
  connection?: MachineConnection;
}

/** The shared helper scripts of an image family (./layout.ts: where executables may live). */
export function helperPathsFor(family: ImageFamily = "debian-12") {
  const dir = machineLayout(family).helperDir;
  return {
    registryLogin: `${dir}/registry-login`,
    secretEnv: `${dir}/secret-env`,
    waitHealthy: `${dir}/wait-healthy`,
    fetchVerified: `${dir}/fetch-verified`,
  } as const;
}

/** Debian's helper directory and scripts (process services only run there). */
export const helperDir = machineLayout("debian-12").helperDir;
export const helperPaths = helperPathsFor("debian-12");

/** COS's Artifact Registry / Container Registry credential helper (preinstalled since milestone 60). */
export const cosCredentialHelper = "/usr/bin/docker-credential-gcr";

/** Registries docker-credential-gcr serves: Artifact Registry (`<location>-docker.pkg.dev`) and gcr.io. */
export function isGoogleRegistry(host: string): boolean {
  return /^[a-z0-9-]+-docker\.pkg\.dev$/.test(host) || /^([a-z]+\.)?gcr\.io$/.test(host);
}

export const serviceUnitName = (svc: Pick<MachineService, "name">) => `brume-${svc.name}.service`;
export const serviceUser = (svc: Pick<MachineService, "name">) => `svc-${svc.name}`.slice(0, 32);
export const serviceEnvFile = (svc: Pick<MachineService, "name">) => `/etc/brume/services/${svc.name}.env`;
export const serviceSecretEnvFile = (svc: Pick<MachineService, "name">) => `/run/brume-${svc.name}/secrets.env`;
export const processScripts = (svc: Pick<MachineService, "name">) =>
  ({ prepare: `${helperDir}/prepare-${svc.name}`, run: `${helperDir}/run-${svc.name}` }) as const;

/** The port health is checked on: the health port, else the first port. */
export function healthPort(svc: MachineService): number {
  const port = svc.health?.port ?? svc.ports[0]?.port;
  if (port === undefined) throw new RangeError(`service ${svc.name} has no port to check`);
  return port;
}

/** Plain environment as an env file (one KEY=value per line; values must be single-line). */
export function renderEnvFile(svc: MachineService): string {
  const lines = Object.entries(svc.env ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${assertSingleLine(v, `services.${svc.name}.env.${k}`)}`);
  return `# ${svc.name}: plain environment — rendered by brume\n${lines.join("\n")}${lines.length ? "\n" : ""}`;
}

export function secretArgs(svc: MachineService): string[] {
  return Object.entries(svc.secrets ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([env, s]) => [
      secretPair(env, s.project, s.secretId, s.version),
      ...(s.previousVersion !== undefined ? [secretPair(`${env}_PREVIOUS`, s.project, s.secretId, s.previousVersion)] : []),
    ]);
}

export function healthCheckCommand(svc: MachineService, family: ImageFamily = "debian-12"): string {
  const target = svc.health?.path ? `http://127.0.0.1:${healthPort(svc)}${svc.health.path}` : `tcp:${healthPort(svc)}`;
  return `${helperPathsFor(family).waitHealthy} ${systemdQuote(target)} 120`;
}

/** A process service's unit: its own user, state dir with the checkout, prepare then run. */
export function renderProcessUnit(svc: MachineService): string {
  if (svc.runner !== "process" || !svc.source || !svc.command?.length) {
    throw new RangeError(`service ${svc.name}: a process unit needs runner process, source and command`);
  }
  const scripts = processScripts(svc);
  const user = serviceUser(svc);
  return renderUnitFile(`# ${serviceUnitName(svc)} — ${svc.name} (process) — rendered by brume`, {
    Unit: [
      ["Description", `${svc.name} (process ${svc.source.runtime}, ${sourceVersion(svc.source)})`],
      ["Wants", "network-online.target"],
      // vfox is installed by the converge unit.
      ["After", "network-online.target brume-converge.service"],
      ...connectionUnitLines(svc).unit,
      ["StartLimitIntervalSec", 0],
    ],
    Service: [
      ["Type", "exec"],
      ["User", user],
      ["Group", user],
      ["StateDirectory", `brume-${svc.name}`],
      ["StateDirectoryMode", "0750"],
      ["RuntimeDirectory", `brume-${svc.name}`],
      ["RuntimeDirectoryMode", "0700"],
      ["WorkingDirectory", `/var/lib/brume-${svc.name}`],
      ["Environment", `HOME=/var/lib/brume-${svc.name}`],
      ["EnvironmentFile", serviceEnvFile(svc)],
      ...(secretArgs(svc).length
        ? ([
            ["ExecStartPre", `${helperPaths.secretEnv} ${systemdQuote(serviceSecretEnvFile(svc))} ${secretArgs(svc).map(systemdQuote).join(" ")}`],
            ["EnvironmentFile", `-${serviceSecretEnvFile(svc)}`],
          ] as UnitSection)
        : []),
      ...connectionUnitLines(svc).service,
      ["ExecStartPre", scripts.prepare],
      ["ExecStart", scripts.run],
      ["ExecStartPost", healthCheckCommand(svc)],
      ["Restart", "always"],
      ["RestartSec", "5s"],
      ["TimeoutStartSec", "30min"],
      ["UMask", "0027"],
      ["NoNewPrivileges", true],
      ["ProtectSystem", "strict"],
      ["ProtectHome", true],
      ["PrivateTmp", true],
      ["PrivateDevices", true],
      ...kernelLockdown,
      // The process may be a JIT runtime (Node.js, the JVM): no MemoryDenyWriteExecute= (as for containers, ./containers.ts).
      ...withoutKeys(privilegeLockdown, "MemoryDenyWriteExecute"),
      ["CapabilityBoundingSet", ""],
      ["RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX AF_NETLINK"],
      ["SystemCallArchitectures", "native"],
      ...processSystemCallFilter,
    ],
    Install: [["WantedBy", "multi-user.target"]],
  });
}

/**
 * The process runner's system-call filter. `@system-service` of systemd 252 (Debian 12) lacks
 * `@pkey`, which V8 calls at startup (`pkey_alloc`, syscall 330: Node.js was killed with SIGSYS,
 * status 159, in the boot check) and glibc 2.36 probes; a call outside the list fails with EPERM
 * instead of killing the process, as in the agent unit, so a runtime that probes a newer call
 * (Go's, Ruby's, Python's) falls back as it does on an older kernel. The boot test runs Debian's
 * node, python3, go and ruby under exactly these lines.
 */
export const processSystemCallFilter: UnitSection = [
  ["SystemCallFilter", "@system-service @pkey"],
  ["SystemCallErrorNumber", "EPERM"],
];

/**
 * vfox (0.6) keys its per-shell environment cache on the parent PID and the day, under
 * ~/.version-fox/temp (internal/path.go); `__VFOX_CURTMPPATH` overrides the directory.
 */
const vfoxSession = `# vfox caches a shell's environment by parent PID and day under ~/.version-fox/temp: a PID reused
# after a restart would read an empty one. A directory per invocation in the unit's RuntimeDirectory
# (emptied at every stop) keeps each run's environment fresh.
export __VFOX_CURTMPPATH="\${RUNTIME_DIRECTORY:?}/vfox.$$"
`;

/**
 * Fetch the source (git at the pinned ref, or the archive through fetch-verified), install the
 * runtime with vfox, build once per source version. Exit codes: 3 checksum mismatch, else the failing
 * command's. `BRUME_FETCH_VERIFIED` points at the helper in tests.
 */
export function renderProcessPrepareScript(svc: MachineService): string {
  if (!svc.source) throw new RangeError(`service ${svc.name} has no source`);
  const source = svc.source;
  const { runtime, build } = source;
  [source.git ?? "", source.ref ?? "", source.artifact?.url ?? "", runtime, build ?? ""].forEach((v) => assertSingleLine(v, `services.${svc.name}.source`));
  if (source.artifact && !/^[a-f0-9]{64}$/.test(source.artifact.sha256)) throw new RangeError(`services.${svc.name}.source.artifact.sha256 is not a SHA-256`);
  const plugin = runtime.split("@")[0]!;
  const fetch = source.artifact
    ? `readonly ARTIFACT_URL=${shQuote(source.artifact.url)}
readonly ARTIFACT_SHA256=${shQuote(source.artifact.sha256)}
version="$ARTIFACT_SHA256"
if [ ! -f "$HOME/.fetched-$version" ]; then
  # Verified, then unpacked next to the checkout (fetch-verified: exit 3 on a mismatch, nothing unpacked).
  work="$(mktemp -d "$HOME/.fetch.XXXXXX")"
  trap 'rm -rf -- "$work"' EXIT
  "\${BRUME_FETCH_VERIFIED:-${helperPaths.fetchVerified}}" "$ARTIFACT_URL" "$ARTIFACT_SHA256" "$work/src/"
  rm -rf -- "$src"
  mv "$work/src" "$src"
  rm -f "$HOME"/.fetched-* "$HOME"/.built-*
  touch "$HOME/.fetched-$version"
fi`
    : `readonly GIT_URL=${shQuote(source.git)}
readonly GIT_REF=${shQuote(source.ref)}
# The pinned ref already checked out: no fetch, so a restart does not need the git host.
if [ "$(cat "$HOME/.checked-out-ref" 2>/dev/null)" != "$GIT_REF" ] || ! git -C "$src" rev-parse --quiet --verify HEAD >/dev/null 2>&1; then
  if [ ! -d "$src/.git" ]; then git init --quiet "$src"; fi
  git -C "$src" fetch --quiet --depth 1 "$GIT_URL" "$GIT_REF"
  git -C "$src" checkout --quiet --force --detach FETCH_HEAD
  printf '%s\\n' "$GIT_REF" >"$HOME/.checked-out-ref"
fi
version="$(git -C "$src" rev-parse HEAD)"`;
  const what = source.artifact ? `${source.artifact.url} (SHA-256 verified)` : `${source.git} at ${source.ref}`;
  return `#!/bin/bash
# Prepares ${svc.name}: ${runtime} via vfox, ${what}, then the build (once per version).
# Runs as the service user in its state directory. Rendered by brume; do not edit on the machine.
set -euo pipefail

readonly RUNTIME=${shQuote(runtime)}
readonly PLUGIN=${shQuote(plugin)}
readonly BUILD=${shQuote(build ?? "")}
readonly src="$HOME/src"
${vfoxSession}
vfox add "$PLUGIN" >/dev/null 2>&1 || vfox list "$PLUGIN" >/dev/null
vfox install "$RUNTIME"

${fetch}

cd "$src"
vfox use --project "$RUNTIME" >/dev/null
if [ -n "$BUILD" ] && [ ! -f "$HOME/.built-$version" ]; then
  eval "$(vfox env -s bash)"
  bash -euo pipefail -c "$BUILD"
  rm -f "$HOME"/.built-*
  touch "$HOME/.built-$version"
fi
`;
}

/** Runs the command with the vfox runtime on PATH (exec: systemd supervises the process itself). */
export function renderProcessRunScript(svc: MachineService): string {
  if (!svc.command?.length) throw new RangeError(`service ${svc.name} has no command`);
  svc.command.forEach((v) => assertSingleLine(v, `services.${svc.name}.command`));
  return `#!/bin/bash
# Runs ${svc.name}. Rendered by brume; do not edit on the machine.
set -euo pipefail
${vfoxSession}cd "$HOME/src"
eval "$(vfox env -s bash)"
exec ${svc.command.map(shQuote).join(" ")}
`;
}

/** Shared helper: `secret-env <file> VAR=projects/p/secrets/s[/versions/n] …` writes a 0600 env file. */
export function renderSecretEnvScript(): string {
  return `#!/bin/bash
# Writes VAR=value lines from Secret Manager (the version named, else the latest) into a 0600 env file.
set -euo pipefail
umask 077
readonly out="$1"
shift
${secretManagerUrlsShell}
${secretManagerAuthShell}
: >"$work/env"
for pair in "$@"; do
  var="\${pair%%=*}"
  secret="\${pair#*=}"
${secretAccessShell}
  value="$(sed -n 's/.*"data"[[:space:]]*:[[:space:]]*"\\([^"]*\\)".*/\\1/p' "$work/secret.json" | base64 -d)"
  case "$value" in
    *$'\\n'*) echo "secret-env: $secret holds several lines; env files take one line per value" >&2; exit 1 ;;
  esac
  printf '%s=%s\\n' "$var" "$value" >>"$work/env"
done
install -m 0600 "$work/env" "$out"
`;
}

/** Shared helper: `wait-healthy <http-url|tcp:port> <seconds>`; stops early when the unit's main process died. */
export function renderWaitHealthyScript(): string {
  return `#!/bin/bash
# Waits until a local HTTP URL answers 2xx/3xx or a TCP port accepts, or fails after a deadline.
set -euo pipefail
readonly target="$1" seconds="$2"
deadline=$((SECONDS + seconds))
while [ "$SECONDS" -lt "$deadline" ]; do
  # Run as ExecStartPost=, systemd sets MAINPID: a main process that died at start ends the wait now.
  if [ -n "\${MAINPID:-}" ] && ! kill -0 "$MAINPID" 2>/dev/null; then
    echo "wait-healthy: the main process ($MAINPID) exited before $target was healthy" >&2
    exit 1
  fi
  case "$target" in
    tcp:*) if (exec 3<>"/dev/tcp/127.0.0.1/\${target#tcp:}") 2>/dev/null; then exit 0; fi ;;
    *) if curl --fail --silent --output /dev/null --max-time 2 "$target"; then exit 0; fi ;;
  esac
  sleep 2
done
echo "wait-healthy: $target not healthy after \${seconds}s" >&2
exit 1
`;
}

/** Shared helper: `fetch-verified <url> <sha256> <dest> [mode]` — download, verify, install atomically. */
export function renderFetchVerifiedScript(): string {
  return `#!/bin/bash
# Downloads a file, verifies its SHA-256 and installs it atomically; installs nothing on mismatch.
#   fetch-verified <url> <sha256> <dest> [mode]
# A .tar.gz / .tgz download is a release archive. With <dest> ending in "/", the whole archive is
# unpacked into that new directory (a process service's source); otherwise the file named like
# <dest> inside it (at its top or in its one top directory, e.g. vfox_0.6.0_linux_x86_64/vfox) is
# installed. Exit codes: 3 checksum mismatch, 4 no such file in the archive, else curl's / tar's.
set -euo pipefail
readonly url="$1" sha256="$2" dest="$3" mode="\${4:-0755}"
if [ "\${dest%/}" != "$dest" ]; then
  case "$url" in
    *.tar.gz | *.tgz) ;;
    *)
      echo "fetch-verified: $dest is a directory, so $url must be a .tar.gz / .tgz archive" >&2
      exit 2
      ;;
  esac
fi
work="$(mktemp -d)"
readonly work
trap 'rm -rf -- "$work"' EXIT
curl --fail --silent --show-error --location --retry 5 --retry-connrefused --retry-max-time 120 \\
  --connect-timeout 10 --output "$work/download" "$url"
actual="$(sha256sum "$work/download" | cut -d ' ' -f 1)"
if [ "$actual" != "$sha256" ]; then
  echo "fetch-verified: checksum mismatch for $url: expected $sha256, got $actual" >&2
  exit 3
fi
file="$work/download"
case "$url" in
  *.tar.gz | *.tgz)
    mkdir "$work/archive"
    tar -xzf "$work/download" -C "$work/archive" --no-same-owner --no-same-permissions
    case "$dest" in
      */)
        mkdir -p -- "$(dirname -- "$dest")"
        mv -- "$work/archive" "\${dest%/}"
        exit 0
        ;;
    esac
    name="$(basename -- "$dest")"
    file="$(find "$work/archive" -mindepth 1 -maxdepth 2 -type f -name "$name" -print -quit)"
    if [ -z "$file" ]; then
      echo "fetch-verified: no file named $name in $url" >&2
      exit 4
    fi
    ;;
esac
install -D -m "$mode" "$file" "$dest.new"
mv -f "$dest.new" "$dest"
`;
}
