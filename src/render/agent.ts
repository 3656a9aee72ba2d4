/**
 * The machine agent (dployrd by default), rendered as files: the install script (download a pinned
 * release with retries and backoff, verify its SHA-256, install atomically, install nothing on
 * failure), the boot-time bootstrap-token fetch (VM identity → Secret Manager, never metadata), the
 * agent config and its hardened systemd units. Pure functions: same spec, same bytes.
 */
import { createRequire } from "node:module";
import { machineLayout, type ImageFamily } from "./layout.js";
import { assertSingleLine, renderUnitFile, shQuote, systemdQuote, kernelAndPrivilegeLockdown, kernelLockdown, type UnitSection, systemCalls } from "./shell.js";

/** TOML, loaded when an agent config is rendered (stacks without machines never load it). */
const toToml = (doc: Record<string, unknown>): string => (createRequire(import.meta.url)("smol-toml") as typeof import("smol-toml")).stringify(doc);

/** The default agent: dployr's daemon. */
export const dployrdDefaults = {
  name: "dployrd",
  version: "0.1.0",
  url: "https://github.com/dployr-io/dployr/releases/download/v{version}/dployrd_linux_amd64.tar.gz",
} as const;

/** Systemd of Debian 12 (252). Exponential restart backoff (RestartSteps=) needs 254 or later. */
export const debian12SystemdVersion = 252;

export interface AgentSpec {
  /** Agent name: binary, system user, unit and directories (`/var/lib/<name>`, …). @default "dployrd" */
  name: string;
  /** Pinned release version; substituted for `{version}` in `url`. */
  version: string;
  /** Release tarball URL; may contain `{version}`. The tarball holds an executable named `name`. */
  url: string;
  /**
   * SHA-256 of the tarball (64 lowercase hex). When absent the script fetches `checksumUrl` and
   * verifies against it: pin it for supply-chain safety.
   */
  sha256?: string;
  /** Where the published checksum lives when `sha256` is absent. @default `${url}.sha256` */
  checksumUrl?: string;
  /** Control plane the agent connects to; the agent's built-in default when absent. */
  controlPlaneUrl?: string;
  /** Secret Manager secret holding the bootstrap token: `projects/<project>/secrets/<secretId>`. */
  tokenSecret: { project: string; secretId: string };
  /** Labels written to the agent config (group, environment, …). @default {} */
  labels?: Record<string, string>;
  /** Extra arguments after `--config <file>`. @default [] */
  args?: string[];
  /** Extra `[Service]` options of the agent unit (override ours key by key). @default {} */
  unitOptions?: Record<string, string>;
  /** systemd version of the image; 254+ adds exponential restart backoff. @default 252 */
  systemdVersion?: number;
}

/**
 * Paths of an agent on the machine. The binary and the scripts go where the image family allows
 * executables (./layout.ts: /usr/local on Debian, /var/lib/google/brume on COS); config, state and
 * logs are the same on both.
 */
export function agentPaths(name: string, family: ImageFamily = "debian-12") {
  const layout = machineLayout(family);
  return {
    binary: `${layout.binDir}/${name}`,
    configDir: `/etc/${name}`,
    config: `/etc/${name}/config.toml`,
    stateDir: `/var/lib/${name}`,
    logDir: `/var/log/${name}`,
    logFile: `/var/log/${name}/app.log`,
    tokenFile: `/var/lib/${name}/bootstrap-token`,
    /** SQLite database (instance metadata, tokens, deployments). */
    database: `/var/lib/${name}/${name}.db`,
    accessTokenFile: `/var/lib/${name}/access-token`,
    clientCert: `/var/lib/${name}/tls/client.crt`,
    clientKey: `/var/lib/${name}/tls/client.key`,
    logrotate: `/etc/logrotate.d/${name}`,
    installScript: `${layout.helperDir}/install-${name}`,
    tokenScript: `${layout.helperDir}/fetch-${name}-token`,
    unit: `${name}.service`,
    tokenUnit: `${name}-bootstrap-token.service`,
  } as const;
}

/** The release URL with `{version}` substituted. */
export function agentReleaseUrl(spec: Pick<AgentSpec, "url" | "version">): string {
  return spec.url.replaceAll("{version}", spec.version);
}

function checkSpec(spec: AgentSpec): void {
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(spec.name)) throw new RangeError(`agent name "${spec.name}" must be a lowercase name of at most 31 characters`);
  if (spec.sha256 !== undefined && !/^[a-f0-9]{64}$/.test(spec.sha256)) throw new RangeError(`agent sha256 must be 64 lowercase hex characters`);
  for (const [what, value] of [["url", spec.url], ["version", spec.version], ["checksumUrl", spec.checksumUrl ?? ""]] as const) {
    assertSingleLine(value, `agent ${what}`);
  }
}

/** The agent config file (TOML). The instance name comes from the hostname at runtime (unit Environment=). */
export function renderAgentConfig(spec: AgentSpec): string {
  const p = agentPaths(spec.name);
  // What the dployr seed describes: SQLite state, structured JSON logs in /var/log/dployrd/app.log,
  // a bootstrap token exchanged for short-lived access tokens it refreshes, an mTLS client certificate
  // it generates, a persistent connection that reconnects. Everything lives in the state directory
  // only the agent writes (StateDirectory=, 0750; UMask=0077: files it creates are 0600). The key names
  // are ours: the real dployrd is not run here, so only what we render is tested.
  const doc: Record<string, unknown> = {
    ...(spec.controlPlaneUrl ? { base_url: spec.controlPlaneUrl } : {}),
    data_dir: p.stateDir,
    database: p.database,
    log_file: p.logFile,
    log_format: "json",
    log_level: "info",
    bootstrap_token_file: p.tokenFile,
    access_token_file: p.accessTokenFile,
    labels: Object.fromEntries(Object.entries(spec.labels ?? {}).sort(([a], [b]) => a.localeCompare(b))),
    tls: { client_cert: p.clientCert, client_key: p.clientKey },
    reconnect: { initial_delay: "1s", max_delay: "60s", multiplier: 2, jitter: 0.2 },
  };
  return `# ${spec.name} ${spec.version} — rendered by brume; do not edit on the machine.\n${toToml(doc)}\n`;
}

/**
 * Rotation of the agent's JSON log (Debian's logrotate, daily timer): daily or past 100 MB, 14
 * kept, compressed; copytruncate, since the agent keeps the file open and we know no reopen signal
 * of it; `su` the agent's user, as logrotate requires for a directory that user can write.
 */
export function renderAgentLogrotate(spec: Pick<AgentSpec, "name">): string {
  const p = agentPaths(spec.name);
  return `# ${p.logFile} rotation — rendered by brume
${p.logFile} {
	su ${spec.name} ${spec.name}
	daily
	maxsize 100M
	rotate 14
	missingok
	notifempty
	compress
	delaycompress
	copytruncate
}
`;
}

/**
 * The install script (bash). Every path is under `$BRUME_ROOT` (empty on a machine), so tests run
 * it as-is; download attempts and backoff are overridable for the same reason:
 * `BRUME_DOWNLOAD_ATTEMPTS` (5), `BRUME_DOWNLOAD_BACKOFF_SECONDS` (2, doubling, capped at 30),
 * `BRUME_DOWNLOAD_CONNECT_TIMEOUT` (10), `BRUME_DOWNLOAD_MAX_TIME` (300 per attempt).
 * Exit codes: 0 installed, 2 download failed, 3 checksum mismatch, 4 bad archive.
 */
export function renderInstallScript(spec: AgentSpec, family: ImageFamily = "debian-12"): string {
  checkSpec(spec);
  const p = agentPaths(spec.name, family);
  const url = agentReleaseUrl(spec);
  const checksumUrl = spec.checksumUrl ? agentReleaseUrl({ url: spec.checksumUrl, version: spec.version }) : `${url}.sha256`;
  const config = renderAgentConfig(spec);
  if (config.includes("BRUME_CONFIG_EOF")) throw new RangeError("agent config cannot contain the heredoc marker");
  return `#!/bin/bash
# Installs ${spec.name} ${spec.version}: download (bounded retries with backoff), verify SHA-256,
# install the binary and its config. On any failure it exits non-zero and installs nothing.
# Rendered by brume; do not edit on the machine.
set -euo pipefail

readonly AGENT_NAME=${shQuote(spec.name)}
readonly AGENT_VERSION=${shQuote(spec.version)}
readonly AGENT_URL=${shQuote(url)}
readonly AGENT_SHA256=${shQuote(spec.sha256 ?? "")}
readonly CHECKSUM_URL=${shQuote(checksumUrl)}

# Every path is under BRUME_ROOT (empty on a machine; a temporary directory in tests).
readonly ROOT="\${BRUME_ROOT:-}"
readonly ATTEMPTS="\${BRUME_DOWNLOAD_ATTEMPTS:-5}"
readonly BACKOFF="\${BRUME_DOWNLOAD_BACKOFF_SECONDS:-2}"
readonly MAX_BACKOFF=30
readonly CONNECT_TIMEOUT="\${BRUME_DOWNLOAD_CONNECT_TIMEOUT:-10}"
readonly MAX_TIME="\${BRUME_DOWNLOAD_MAX_TIME:-300}"

readonly bin_dir="$ROOT${dirname(p.binary)}"
readonly config_dir="$ROOT${p.configDir}"
readonly state_dir="$ROOT${p.stateDir}"
readonly log_dir="$ROOT${p.logDir}"

fail() {
  local code="$1"
  shift
  printf 'install-%s: error: %s\\n' "$AGENT_NAME" "$*" >&2
  exit "$code"
}

work="$(mktemp -d)"
readonly work
trap 'rm -rf -- "$work"' EXIT

# download <url> <file>: ATTEMPTS tries, waiting BACKOFF seconds, doubling up to MAX_BACKOFF.
download() {
  local url="$1" out="$2" attempt=1 delay="$BACKOFF"
  while true; do
    if curl --fail --silent --show-error --location --proto-redir '=https' \\
      --connect-timeout "$CONNECT_TIMEOUT" --max-time "$MAX_TIME" --output "$out" "$url"; then
      return 0
    fi
    if [ "$attempt" -ge "$ATTEMPTS" ]; then
      fail 2 "could not download $url after $attempt attempts; is the release server reachable? nothing was installed"
    fi
    printf 'install-%s: attempt %s of %s failed; retrying in %ss\\n' "$AGENT_NAME" "$attempt" "$ATTEMPTS" "$delay" >&2
    sleep "$delay"
    attempt=$((attempt + 1))
    delay=$((delay * 2))
    if [ "$delay" -gt "$MAX_BACKOFF" ]; then delay="$MAX_BACKOFF"; fi
  done
}

expected="$AGENT_SHA256"
if [ -z "$expected" ]; then
  download "$CHECKSUM_URL" "$work/checksum"
  expected="$(cut -d ' ' -f 1 "$work/checksum" | head -c 64)"
fi
case "$expected" in
  *[!0-9a-f]* | "") fail 3 "no valid SHA-256 to verify $AGENT_URL against; nothing was installed" ;;
esac
if [ "\${#expected}" -ne 64 ]; then fail 3 "no valid SHA-256 to verify $AGENT_URL against; nothing was installed"; fi

download "$AGENT_URL" "$work/release.tar.gz"
actual="$(sha256sum "$work/release.tar.gz" | cut -d ' ' -f 1)"
if [ "$actual" != "$expected" ]; then
  fail 3 "checksum mismatch for $AGENT_URL: expected $expected, got $actual; nothing was installed"
fi

mkdir "$work/release"
tar -xzf "$work/release.tar.gz" -C "$work/release" --no-same-owner --no-same-permissions \\
  || fail 4 "$AGENT_URL is not a gzip tarball; nothing was installed"
binary="$(find "$work/release" -type f -name "$AGENT_NAME" -print -quit)"
if [ -z "$binary" ]; then fail 4 "the release holds no file named $AGENT_NAME; nothing was installed"; fi

cat >"$work/config.toml" <<'BRUME_CONFIG_EOF'
${config}BRUME_CONFIG_EOF

# Verified: install. The binary and config are replaced atomically (rename in the same directory).
install -d -m 0755 "$bin_dir"
install -d -m 0750 "$config_dir" "$state_dir" "$log_dir"
install -m 0755 "$binary" "$bin_dir/.$AGENT_NAME.new"
install -m 0640 "$work/config.toml" "$config_dir/.config.toml.new"
if [ -z "$ROOT" ]; then
  chown "root:$AGENT_NAME" "$config_dir" "$config_dir/.config.toml.new"
  chown "$AGENT_NAME:$AGENT_NAME" "$state_dir" "$log_dir"
fi
mv -f "$bin_dir/.$AGENT_NAME.new" "$bin_dir/$AGENT_NAME"
mv -f "$config_dir/.config.toml.new" "$config_dir/config.toml"
printf 'install-%s: installed %s %s\\n' "$AGENT_NAME" "$AGENT_NAME" "$AGENT_VERSION"
`;
}

/**
 * The boot-time bootstrap-token fetch (bash, run as root by a oneshot unit): an access token from
 * the metadata server (the VM's own service account), then Secret Manager's
 * `projects/<p>/secrets/<s>/versions/latest:access`, base64-decoded into a 0600 file owned by the
 * agent user. The token never passes through metadata, user-data, argv or the journal.
 * `BRUME_ROOT`, `BRUME_METADATA_URL` and `BRUME_SECRET_MANAGER_URL` are overridable for tests.
 */
export function renderTokenFetchScript(spec: AgentSpec): string {
  checkSpec(spec);
  const p = agentPaths(spec.name);
  const secret = `projects/${spec.tokenSecret.project}/secrets/${spec.tokenSecret.secretId}/versions/latest`;
  assertSingleLine(secret, "token secret");
  return `#!/bin/bash
# Fetches the ${spec.name} bootstrap token from Secret Manager with the VM's identity and writes it
# 0600 for the agent user. Rendered by brume; do not edit on the machine.
set -euo pipefail
umask 077

readonly AGENT_USER=${shQuote(spec.name)}
readonly SECRET_VERSION=${shQuote(secret)}
readonly ROOT="\${BRUME_ROOT:-}"
readonly METADATA_URL="\${BRUME_METADATA_URL:-http://metadata.google.internal/computeMetadata/v1}"
readonly SECRET_MANAGER_URL="\${BRUME_SECRET_MANAGER_URL:-https://secretmanager.googleapis.com/v1}"
readonly token_file="$ROOT${p.tokenFile}"

fail() {
  printf 'fetch-%s-token: error: %s\\n' "$AGENT_USER" "$*" >&2
  exit 1
}

work="$(mktemp -d)"
readonly work
trap 'rm -rf -- "$work"' EXIT

# json_string <key> <file>: the first string value of "key" (one key per line or one line of JSON).
json_string() {
  sed -n 's/.*"'"$1"'"[[:space:]]*:[[:space:]]*"\\([^"]*\\)".*/\\1/p' "$2" | head -n 1
}

curl --fail --silent --show-error --retry 5 --retry-connrefused --retry-max-time 120 --connect-timeout 5 \\
  --header 'Metadata-Flavor: Google' --output "$work/access.json" \\
  "$METADATA_URL/instance/service-accounts/default/token" \\
  || fail "no access token from the metadata server (does the VM have a service account?)"
access_token="$(json_string access_token "$work/access.json")"
if [ -z "$access_token" ]; then fail "the metadata server returned no access_token"; fi
# The header goes through a 0600 file, never argv (visible in ps).
printf 'Authorization: Bearer %s\\n' "$access_token" >"$work/auth-header"

curl --fail --silent --show-error --retry 5 --retry-connrefused --retry-max-time 120 --connect-timeout 5 \\
  --header "@$work/auth-header" --output "$work/secret.json" \\
  "$SECRET_MANAGER_URL/$SECRET_VERSION:access" \\
  || fail "cannot read $SECRET_VERSION (does the VM's service account hold roles/secretmanager.secretAccessor on it?)"
payload="$(json_string data "$work/secret.json")"
if [ -z "$payload" ]; then fail "$SECRET_VERSION has an empty payload"; fi
printf '%s' "$payload" | base64 -d >"$work/token" || fail "$SECRET_VERSION payload is not base64"

install -d -m 0750 "$(dirname "$token_file")"
install -m 0600 "$work/token" "$token_file.new"
if [ -z "$ROOT" ]; then chown "$AGENT_USER:$AGENT_USER" "$token_file.new"; fi
mv -f "$token_file.new" "$token_file"
printf 'fetch-%s-token: wrote %s\\n' "$AGENT_USER" "$token_file"
`;
}

/** The oneshot unit running the token fetch before the agent, once per boot. */
export function renderTokenUnit(spec: AgentSpec, family: ImageFamily = "debian-12"): string {
  const p = agentPaths(spec.name, family);
  return renderUnitFile(`# ${p.tokenUnit} — rendered by brume`, {
    Unit: [
      ["Description", `Fetch the ${spec.name} bootstrap token from Secret Manager`],
      ["Wants", "network-online.target"],
      ["After", `network-online.target${family === "debian-12" ? " brume-converge.service" : ""}`],
      ["Before", p.unit],
      // Bounded retries (a metadata or Secret Manager outage at boot heals): 10 tries within an hour.
      ["StartLimitIntervalSec", 3600],
      ["StartLimitBurst", 10],
    ],
    Service: [
      ["Type", "oneshot"],
      ["RemainAfterExit", true],
      ["ExecStart", p.tokenScript],
      ["Restart", "on-failure"],
      ["RestartSec", "20s"],
      ["UMask", "0077"],
      ["NoNewPrivileges", true],
      ["PrivateTmp", true],
      ["ProtectSystem", "strict"],
      ["ProtectHome", true],
      // "-": a missing directory (the install failed) fails the script with its message, not 226/NAMESPACE.
      ["ReadWritePaths", `-${p.stateDir}`],
      ["PrivateDevices", true],
      ...kernelAndPrivilegeLockdown,
      ["CapabilityBoundingSet", "CAP_CHOWN CAP_FOWNER CAP_DAC_OVERRIDE"],
      ["RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"],
      ...systemCalls(),
    ],
    Install: [["WantedBy", "multi-user.target"]],
  });
}

/** The agent's hardened systemd unit (rated ≤ 3.0 by `systemd-analyze security --offline=true`). */
export function renderAgentUnit(spec: AgentSpec, family: ImageFamily = "debian-12"): string {
  checkSpec(spec);
  const p = agentPaths(spec.name, family);
  const systemd = spec.systemdVersion ?? debian12SystemdVersion;
  const exec = [p.binary, "--config", p.config, ...(spec.args ?? [])].map((a, i) => (i === 0 ? a : systemdQuote(a))).join(" ");
  const service: UnitSection = [
    ["Type", "exec"],
    ["User", spec.name],
    ["Group", spec.name],
    // Until the token unit (bounded retries) has written it, the start fails and Restart= tries again.
    ["ExecStartPre", `/usr/bin/test -s ${p.tokenFile}`],
    ["ExecStart", exec],
    ["Environment", `${spec.name.toUpperCase().replace(/-/g, "_")}_INSTANCE_NAME=%H`],
    ["Restart", "always"],
    ["RestartSec", "5s"],
    // Exponential backoff from 5 s to 5 min (systemd 254+); older systemd retries every 5 s.
    ...(systemd >= 254 ? ([["RestartSteps", 10], ["RestartMaxDelaySec", "5min"]] as UnitSection) : []),
    ["TimeoutStopSec", "30s"],
    ["StateDirectory", spec.name],
    ["StateDirectoryMode", "0750"],
    ["LogsDirectory", spec.name],
    ["LogsDirectoryMode", "0750"],
    ["ReadWritePaths", `${p.stateDir} ${p.logDir}`],
    ["UMask", "0077"],
    ["NoNewPrivileges", true],
    ["ProtectSystem", "strict"],
    ["ProtectHome", true],
    ["PrivateTmp", true],
    ["PrivateDevices", true],
    ["PrivateUsers", true],
    ...kernelLockdown,
    ["ProtectProc", "invisible"],
    ["ProcSubset", "pid"],
    ["CapabilityBoundingSet", ""],
    ["AmbientCapabilities", ""],
    ["RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"],
    ["RestrictNamespaces", true],
    ["RestrictRealtime", true],
    ["RestrictSUIDSGID", true],
    ["LockPersonality", true],
    ["MemoryDenyWriteExecute", true],
    ["RemoveIPC", true],
    ["KeyringMode", "private"],
    ["DevicePolicy", "closed"],
    ...systemCalls(["@system-service", "~@privileged @resources"]),
  ];
  const overrides = spec.unitOptions ?? {};
  const merged: UnitSection = [
    ...service.filter(([key]) => !(key in overrides)),
    ...Object.entries(overrides).map(([k, v]) => [k, v] as UnitSection[number]),
  ];
  return renderUnitFile(`# ${p.unit} — rendered by brume`, {
    Unit: [
      ["Description", `${spec.name} ${spec.version} machine agent`],
      ["Wants", "network-online.target"],
      ["After", `network-online.target ${p.tokenUnit}${family === "debian-12" ? " brume-converge.service" : ""}`],
      // Wants=, not Requires=: a token fetch that fails at first and succeeds on a retry must not
      // leave the agent's start job failed for good.
      ["Wants", p.tokenUnit],
      ["StartLimitIntervalSec", 0],
    ],
    Service: merged,
    Install: [["WantedBy", "multi-user.target"]],
  });
}

function dirname(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}
