/**
 * How a Debian 12 machine boots on GCE: google-guest-agent's script runner runs the `startup-script`
 * metadata key at EVERY boot, not only the first ("Compute Engine runs startup scripts each time the
 * VM boots", as root, once the network is up:
 * https://cloud.google.com/compute/docs/instances/startup-scripts/linux; Debian's package runs it
 * from google-startup-scripts.service, `google_metadata_script_runner startup`, WantedBy=
 * multi-user.target). GCE's public Debian images ship the guest environment
 * (google-guest-agent, which "reads the script content or URL from the instance's metadata and
 * initiates execution"; https://cloud.google.com/compute/docs/instances/startup-scripts and
 * https://cloud.google.com/compute/docs/images/guest-environment) and no cloud-init: Debian's image
 * build installs only `google-compute-engine-oslogin` and `google-guest-agent` for its GCE class
 * (debian-cloud-images, config_space/bookworm/package_config/GCE; cloud-init is in its EC2/GENERIC
 * classes only), so `user-data` would be ignored there. Container-Optimized OS keeps cloud-init
 * (./cloud-init.ts).
 *
 * The startup script is idempotent: users and missing packages, every file (written again), then
 * `brume-converge.service`, which installs the pinned agent and vfox only when the installed version
 * is not already the pinned one (so a reboot while the release server is down keeps serving) and
 * retries with bounds (systemd 252 has no RestartSteps=: Restart=on-failure + StartLimitBurst=), a
 * checksum mismatch (exit 3) or a bad archive (4) is not retried. Output goes to the journal and
 * the serial console (the script runner also copies it to Cloud Logging), failures with a clear line.
 *
 * Health (`brume-health.socket`, a socket-activated responder behind Caddy's :9000): `/healthz`
 * (autohealing) is 200 when the install is done and the agent runs, 503 while installing or after
 * the retries are exhausted (the MIG replaces the VM) and 200 "degraded" after a deterministic
 * failure, which recreating the VM cannot fix (an alert fires on its log line instead:
 * components/machine/alerts.ts); `/ready` (the load balancer) asks each routed service's own health
 * check through Caddy (`/healthz/<service>`) and is 200 while at least one of them is healthy.
 */
import { agentPaths, type AgentSpec } from "./agent.js";
import { defaultMachineHealthPort, healthResponderPort, readyPath } from "./caddy.js";
import { machineLayout, type ImageFamily } from "./layout.js";
import { healthPort, helperPathsFor, serviceUnitName, type MachineService } from "./runners.js";
import { renderUnitFile, shQuote, kernelAndPrivilegeLockdown, kernelLockdown, privilegeLockdown, type UnitSection, systemCalls } from "./shell.js";

/** GCE's limit of a `startup-script` value (https://cloud.google.com/compute/docs/instances/startup-scripts/linux). */
export const startupScriptMaxBytes = 256 * 1024;

/** Exit codes of the install that retrying cannot fix: checksum mismatch, bad archive. */
export const deterministicInstallExitCodes = [3, 4] as const;

export const convergeUnit = "brume-converge.service";
/** The health responder's system user. */
export const healthUser = "brume-health";
export const healthSocketUnit = "brume-health.socket";
export const healthServiceUnit = "brume-health@.service";

/** Bounds of the install retries: 6 starts within an hour, 30 s apart (each start retries downloads 5 times). */
export const convergeRetry = { restartSec: 30, burst: 6, intervalSec: 3600 } as const;

export function bootPaths(family: ImageFamily = "debian-12") {
  const dir = machineLayout(family).helperDir;
  return { converge: `${dir}/converge`, health: `${dir}/health`, marker: "/var/lib/brume/installed" } as const;
}

export interface ConvergeSpec {
  agent: AgentSpec;
  /** vfox to install (process services). */
  vfox?: { url: string; sha256: string };
  /** Units to start once installed (token, agent, services). */
  units: string[];
}

/** The converge script: the agent's install and vfox, each skipped when the pinned one is installed. */
export function renderConvergeScript(spec: ConvergeSpec): string {
  const p = agentPaths(spec.agent.name);
  const helpers = helperPathsFor("debian-12");
  const vfox = spec.vfox
    ? `
# vfox: fetched only when the installed one is not the pinned release.
if [ "$(cat "$marker_dir/vfox" 2>/dev/null)" != ${shQuote(spec.vfox.sha256)} ] || [ ! -x /usr/local/bin/vfox ]; then
  ${helpers.fetchVerified} ${shQuote(spec.vfox.url)} ${shQuote(spec.vfox.sha256)} /usr/local/bin/vfox || fail "$?" "vfox"
  printf '%s\\n' ${shQuote(spec.vfox.sha256)} >"$marker_dir/vfox"
fi
`
    : "";
  return `#!/bin/bash
# Installs what this machine runs: ${spec.agent.name} ${spec.agent.version}${spec.vfox ? " and vfox" : ""}. Each step is skipped when the pinned
# version is installed already, so a reboot needs no release server. Run by ${convergeUnit} (bounded
# retries); exit 3 (checksum mismatch) and 4 (bad archive) are final. Rendered by brume.
set -euo pipefail
readonly marker_dir=${shQuote(bootPaths().marker)}
install -d -m 0755 "$marker_dir"

fail() {
  local code="$1"
  shift
  case "$code" in
    3) echo "brume-converge: error: $*: checksum mismatch; nothing was installed (not retried: fix the pinned SHA-256)" >&2 ;;
    4) echo "brume-converge: error: $*: the release archive is not usable; nothing was installed (not retried)" >&2 ;;
    *) echo "brume-converge: error: $*: install failed with status $code (retried with bounds)" >&2 ;;
  esac
  exit "$code"
}

readonly agent_pin=${shQuote(`${spec.agent.version} ${spec.agent.sha256 ?? spec.agent.url}`)}
if [ "$(cat "$marker_dir/${spec.agent.name}" 2>/dev/null)" != "$agent_pin" ] || [ ! -x ${shQuote(p.binary)} ]; then
  ${p.installScript} || fail "$?" ${shQuote(`${spec.agent.name} ${spec.agent.version}`)}
  printf '%s\\n' "$agent_pin" >"$marker_dir/${spec.agent.name}"
else
  echo "brume-converge: ${spec.agent.name} ${spec.agent.version} already installed"
fi
${vfox}echo "brume-converge: installed; starting ${spec.units.join(" ")}"
`;
}

/** The converge unit: oneshot, bounded retries, deterministic failures final, output on the console. */
export function renderConvergeUnit(spec: ConvergeSpec): string {
  const p = agentPaths(spec.agent.name);
  return renderUnitFile(`# ${convergeUnit} — rendered by brume`, {
    Unit: [
      ["Description", `Install ${spec.agent.name} ${spec.agent.version} and start the machine's units`],
      ["Wants", "network-online.target"],
      ["After", "network-online.target"],
      ["StartLimitIntervalSec", convergeRetry.intervalSec],
      ["StartLimitBurst", convergeRetry.burst],
    ],
    Service: [
      ["Type", "oneshot"],
      ["RemainAfterExit", true],
      ["ExecStart", bootPaths().converge],
      // Started without waiting: they are ordered After= this unit. "+": outside the sandbox below;
      // "-": a unit that cannot be queued (its engine missing) does not undo the install.
      ["ExecStartPost", `-+/bin/systemctl --no-block start ${spec.units.join(" ")}`],
      ["Restart", "on-failure"],
      ["RestartSec", `${convergeRetry.restartSec}s`],
      ["RestartPreventExitStatus", deterministicInstallExitCodes.join(" ")],
      ["TimeoutStartSec", "15min"],
      ["StandardOutput", "journal+console"],
      ["StandardError", "journal+console"],
      ["UMask", "0022"],
      ["NoNewPrivileges", true],
      ["PrivateTmp", true],
      ["PrivateDevices", true],
      ["ProtectSystem", "strict"],
      // What the install writes; the startup script creates the /etc directory first.
      ["ReadWritePaths", `/usr/local/bin -${p.configDir} /var/lib /var/log`],
      ["ProtectHome", true],
      ...kernelAndPrivilegeLockdown,
      ["CapabilityBoundingSet", "CAP_CHOWN CAP_FOWNER CAP_DAC_OVERRIDE"],
      ["RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"],
      ...systemCalls(),
    ],
    Install: [["WantedBy", "multi-user.target"]],
  });
}

export interface HealthSpec {
  agentUnit: string;
  /** The install unit (Debian); COS installs from cloud-init and has none. */
  installUnit?: string;
  services: MachineService[];
  healthPort?: number;
  /** The unit that installs the journals' shipper (Debian: the Ops Agent); reported in /healthz's body, never failing it. */
  loggingUnit?: string;
}

/** The health responder (bash, one HTTP/1.1 connection on stdin/stdout, socket-activated). */
export function renderHealthScript(spec: HealthSpec): string {
  const routed = spec.services.filter((s) => (s.domains ?? []).length > 0).sort((a, b) => a.name.localeCompare(b.name));
  const caddy = `http://127.0.0.1:${spec.healthPort ?? defaultMachineHealthPort}`;
  const logging = spec.loggingUnit
    ? `  logging="$(systemctl show --value -p ActiveState ${spec.loggingUnit})"
  if [ "$logging" != active ]; then respond "200 OK" "ok; journals not shipped yet: ${spec.loggingUnit} is $logging (retried; see the serial console)"; fi
`
    : "";
  const install = spec.installUnit
    ? `  state="$(systemctl show --value -p ActiveState ${spec.installUnit})"
  result="$(systemctl show --value -p Result ${spec.installUnit})"
  status="$(systemctl show --value -p ExecMainStatus ${spec.installUnit})"
  case "$state/$result/$status" in
    active/*) ;;
    failed/exit-code/3 | failed/exit-code/4)
      # Deterministic: a new VM would fail the same way. Not recycled; the alert on the log line fires.
      respond "200 OK" "degraded: install failed with status $status (${spec.installUnit}: 3 checksum mismatch, 4 bad archive); not recycled, see the alert" ;;
    failed/*) respond "503 Service Unavailable" "unhealthy: ${spec.installUnit} failed ($result, status $status) after its retries" ;;
    *) respond "503 Service Unavailable" "installing: ${spec.installUnit} is $state" ;;
  esac
`
    : "";
  // Through Caddy (/healthz/<service> proxies to the service's own check); a TCP connect for a service without a health path.
  const checks = routed.map((s) => shQuote(s.health?.path ? `${s.name}=${caddy}/healthz/${s.name}` : `${s.name}=tcp:${healthPort(s)}`)).join(" ");
  return `#!/bin/bash
# brume health responder: one HTTP request on stdin, the answer on stdout (${healthSocketUnit}, Accept=yes).
#   /healthz  autohealing: the install and the agent
#   /ready    load balancer: each routed service's own health check, through Caddy
# Rendered by brume; do not edit on the machine.
set -uo pipefail

respond() {
  local body="$2"$'\\n'
  printf 'HTTP/1.1 %s\\r\\nContent-Type: text/plain\\r\\nContent-Length: %s\\r\\nConnection: close\\r\\n\\r\\n%s' "$1" "\${#body}" "$body"
  exit 0
}

IFS=' ' read -r -t 5 _method path _ || exit 0
while IFS= read -r -t 5 line && [ -n "\${line%$'\\r'}" ]; do :; done

healthz() {
${install}  agent="$(systemctl is-active ${spec.agentUnit})"
  if [ "$agent" != active ]; then respond "503 Service Unavailable" "unhealthy: ${spec.agentUnit} is $agent"; fi
${logging}  respond "200 OK" "ok"
}

ready() {
  local healthy=0 report="" name url
  local -a checks=(${checks})
  for check in "\${checks[@]}"; do
    name="\${check%%=*}"
    url="\${check#*=}"
    if case "$url" in
      tcp:*) (exec 3<>"/dev/tcp/127.0.0.1/\${url#tcp:}") 2>/dev/null ;;
      *) curl --fail --silent --output /dev/null --max-time 3 "$url" ;;
    esac; then
      healthy=$((healthy + 1))
      report+="$name: ok"$'\\n'
    else
      report+="$name: failing"$'\\n'
    fi
  done
${routed.length === 0 ? `  healthz\n` : ""}  if [ "$healthy" -eq 0 ]; then respond "503 Service Unavailable" "\${report}no service is healthy"; fi
  respond "200 OK" "\${report}$healthy healthy"
}

case "\${path:-}" in
  /healthz) healthz ;;
  ${readyPath}) ready ;;
  *) respond "404 Not Found" "not found" ;;
esac
`;
}

export function renderHealthSocket(): string {
  return renderUnitFile(`# ${healthSocketUnit} — rendered by brume`, {
    Unit: [["Description", "brume health responder (Caddy's /healthz and /ready)"]],
    Socket: [
      ["ListenStream", `127.0.0.1:${healthResponderPort}`],
      ["Accept", true],
      ["MaxConnections", 16],
    ],
    Install: [["WantedBy", "sockets.target"]],
  });
}

/** One connection of the health responder: a dynamic user, loopback only, read-only system. */
export function renderHealthService(family: ImageFamily = "debian-12"): string {
  const service: UnitSection = [
    ["ExecStart", bootPaths(family).health],
    ["StandardInput", "socket"],
    ["StandardOutput", "socket"],
    ["StandardError", "journal"],
    ["RuntimeMaxSec", "20s"],
    // A system user of its own, not DynamicUser=: D-Bus (systemctl show) must resolve the uid, and
    // GCE's Debian image need not have nss-systemd for dynamic users.
    ["User", healthUser],
    ["Group", healthUser],
    ["NoNewPrivileges", true],
    ["PrivateTmp", true],
    ["PrivateDevices", true],
    ["ProtectSystem", "strict"],
    ["ProtectHome", true],
    ...kernelLockdown,
    ["ProtectProc", "invisible"],
    ["ProcSubset", "pid"],
    ...privilegeLockdown,
    ["RemoveIPC", true],
    ["CapabilityBoundingSet", ""],
    ["AmbientCapabilities", ""],
    ["RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"],
    ["IPAddressDeny", "any"],
    ["IPAddressAllow", "localhost"],
    ["UMask", "0077"],
    ...systemCalls(["@system-service", "~@privileged @resources"]),
  ];
  return renderUnitFile(`# ${healthServiceUnit} — rendered by brume`, {
    Unit: [["Description", "brume health responder (one connection)"]],
    Service: service,
  });
}

/** Drop-in hardening Debian's stock `caddy.service` (2.6, User=caddy, CAP_NET_BIND_SERVICE). */
export const caddyDropInPath = "/etc/systemd/system/caddy.service.d/brume-hardening.conf";
export function renderCaddyDropIn(): string {
  return renderUnitFile("# Hardening of Debian's caddy.service — rendered by brume", {
    Service: [
      ["NoNewPrivileges", true],
      ["ProtectSystem", "strict"],
      ["ReadWritePaths", "/var/lib/caddy /var/log/caddy"],
      ["ProtectHome", true],
      ["PrivateTmp", true],
      ["PrivateDevices", true],
      ...kernelLockdown,
      ["ProtectProc", "invisible"],
      ["ProcSubset", "pid"],
      ...privilegeLockdown,
      ["RemoveIPC", true],
      ["CapabilityBoundingSet", "CAP_NET_BIND_SERVICE"],
      ["AmbientCapabilities", "CAP_NET_BIND_SERVICE"],
      ["RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6 AF_NETLINK"],
      ["UMask", "0027"],
      ...systemCalls(["@system-service", "~@privileged @resources"]),
    ],
  });
}

export interface StartupFile {
  path: string;
  permissions: string;
  content: string;
}

export interface StartupScriptSpec {
  /** System users to create (agent first). */
  users: string[];
  packages: string[];
  files: StartupFile[];
  /** Units to enable (started by converge, or now). */
  enable: string[];
  /** Directories the converge sandbox writes, created first. */
  directories: string[];
  /** Units restarted (when running) after one of their files changed: daemon configurations. @default [] */
  restartOnChange?: { path: string; unit: string }[];
  /** Lines of /etc/subuid and /etc/subgid, added when their user has none (podman's `--userns=auto`). @default [] */
  subordinateIds?: string[];
  /** Units started without waiting before the converge unit (the Ops Agent's install: never blocks the services). @default [] */
  startNoBlock?: string[];
}

/** The `startup-script` (bash): idempotent, every boot; non-zero with a clear line on failure. */
export function renderStartupScript(spec: StartupScriptSpec): string {
  const files = spec.files.map((f) => {
    const marker = "BRUME_FILE_EOF";
    if (f.content.includes(marker)) throw new RangeError(`${f.path} contains the heredoc marker ${marker}`);
    if (!/^0[0-7]{3}$/.test(f.permissions)) throw new RangeError(`${f.path}: permissions "${f.permissions}" are not octal`);
    const body = f.content.endsWith("\n") ? f.content : `${f.content}\n`;
    return `put ${f.permissions} ${shQuote(f.path)} <<'${marker}'\n${body}${marker}\n`;
  });
  const subordinate = (spec.subordinateIds ?? [])
    .map((line) => {
      const user = line.split(":")[0]!;
      return `for ids in /etc/subuid /etc/subgid; do\n  grep -q ${shQuote(`^${user}:`)} "$ids" 2>/dev/null || echo ${shQuote(line)} >>"$ids"\ndone\n`;
    })
    .join("");
  const restarts = (spec.restartOnChange ?? []).map((r) => `if was_changed ${shQuote(r.path)} && systemctl is-active --quiet ${r.unit}; then systemctl restart ${r.unit}; fi\n`).join("");
  const noBlock = (spec.startNoBlock ?? []).length
    ? `# Never waited for: a failure is retried by the unit itself and reported on the console.
systemctl reset-failed ${spec.startNoBlock!.join(" ")} 2>/dev/null || true
systemctl start --no-block ${spec.startNoBlock!.join(" ")}
`
    : "";
  const script = `#!/bin/bash
# brume machine startup script (GCE \`startup-script\`, run by google-guest-agent at every boot).
# Idempotent: users and missing packages, every file written again, then ${convergeUnit}
# (installs what is not installed yet, bounded retries). Output: journal, serial console, Cloud Logging.
# Rendered by brume; do not edit on the machine.
set -euo pipefail
trap 'echo "brume-startup: error: line $LINENO: \\"$BASH_COMMAND\\" failed with status $?" >&2' ERR

log() { echo "brume-startup: $*"; }

# put <mode> <path>: the file from stdin, replaced atomically; changed[] lists what differs from before.
changed=()
put() {
  install -d -m 0755 "$(dirname "$2")"
  cat >"$2.brume-new"
  chmod "$1" "$2.brume-new"
  cmp -s "$2.brume-new" "$2" || changed+=("$2")
  mv -f "$2.brume-new" "$2"
}
was_changed() { local f; for f in "\${changed[@]}"; do [ "$f" = "$1" ] && return 0; done; return 1; }

for user in ${spec.users.map(shQuote).join(" ")}; do
  id -u "$user" >/dev/null 2>&1 || useradd --system --user-group --no-create-home --shell /usr/sbin/nologin "$user"
done
${subordinate}
# Only what is missing: a reboot with the mirror down does not need it.
missing=()
for package in ${spec.packages.map(shQuote).join(" ")}; do
  [ "$(dpkg-query -W -f='\${db:Status-Status}' "$package" 2>/dev/null)" = installed ] || missing+=("$package")
done
if [ "\${#missing[@]}" -gt 0 ]; then
  log "installing \${missing[*]}"
  for attempt in 1 2 3 4 5; do
    if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \\
      -o Dpkg::Options::=--force-confold "\${missing[@]}"; then
      break
    fi
    if [ "$attempt" -eq 5 ]; then
      echo "brume-startup: error: apt could not install \${missing[*]} after 5 attempts" >&2
      exit 1
    fi
    sleep $((attempt * 10))
  done
fi

install -d -m 0750 ${spec.directories.map(shQuote).join(" ")}

${files.join("\n")}
systemctl daemon-reload
systemctl enable ${spec.enable.join(" ")}
${restarts}systemctl reload-or-restart caddy.service
systemctl start ${healthSocketUnit}
${noBlock}
# A failure from an earlier boot is retried now: the retry budget starts again at each boot.
systemctl reset-failed ${convergeUnit} 2>/dev/null || true
if ! systemctl start ${convergeUnit}; then
  status="$(systemctl show --value -p ExecMainStatus ${convergeUnit})"
  echo "brume-startup: error: ${convergeUnit} failed with status $status ($(systemctl show --value -p Result ${convergeUnit})); journalctl -u ${convergeUnit}" >&2
  journalctl --no-pager -n 5 -u ${convergeUnit} -o cat >&2 || true
  exit 1
fi
log "ready: ${convergeUnit} done"
`;
  if (Buffer.byteLength(script) > startupScriptMaxBytes) {
    throw new RangeError(`the startup script is ${Buffer.byteLength(script)} bytes; GCE takes at most ${startupScriptMaxBytes} in metadata`);
  }
  return script;
}

/** The services' units the converge unit starts, in order. */
export function convergeUnits(agentName: string, services: readonly MachineService[]): string[] {
  const p = agentPaths(agentName);
  return [p.tokenUnit, p.unit, ...services.map(serviceUnitName)];
}
