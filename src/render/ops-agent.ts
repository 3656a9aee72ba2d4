/**
 * Service journals to Cloud Logging on Debian machines: Google's Ops Agent
 * (https://cloud.google.com/stackdriver/docs/solutions/agents/ops-agent), the agent Google supports
 * on GCE's Debian 12 image, pinned, from Google's apt repository (the repository
 * `google-cloud-ops-agent-<codename>-<major>` on packages.cloud.google.com, signed by the key at
 * /apt/doc/apt-key.gpg, as Google's add-google-cloud-ops-agent-repo.sh configures it; `<major>`
 * keeps apt to one major version).
 *
 * The configuration (https://cloud.google.com/stackdriver/docs/solutions/agents/ops-agent/configuration)
 * is merged by the agent with its built-in one: a `systemd_journald` logging receiver (every unit's
 * journal: the agent's, the runners', Caddy's, the startup script's) in a pipeline of its own, the
 * agent's JSON log file (`files` receiver + `parse_json` processor), and the built-in syslog-file
 * pipeline turned off (`receivers: []`, as the page documents; the journal already carries syslog,
 * so the files would be duplicates). Metrics keep the built-in `hostmetrics` pipeline. The machine
 * identity holds roles/logging.logWriter and roles/monitoring.metricWriter
 * (components/machine/machine-group.ts, machineProjectRoles).
 *
 * The install is its own unit, `brume-ops-agent.service`, started without waiting by the startup
 * script: a repository outage never blocks or fails the agent and the services. It retries every
 * 5 minutes for as long as it fails (one `apt-get update` of one source per try) and again at every
 * boot; it installs only when the pinned version is not the installed one, so a reboot needs no
 * repository. /healthz stays 200 while it fails (a new VM would meet the same repository), and says
 * "journals not shipped" in its body; the failure line is on the serial console.
 */
import { stringify } from "yaml";
import { machineLayout } from "./layout.js";
import { kernelLockdown, privilegeLockdown, renderUnitFile, shQuote, withoutKeys, systemCalls } from "./shell.js";

export interface OpsAgentSpec {
  /** Pinned Ops Agent version (the Debian package's upstream part: `<version>~debian12`). */
  version: string;
  /** The agent's JSON log file, shipped as structured entries. */
  agentLogFile?: string;
}

/** The pinned Ops Agent of Debian machines: the 2.x line, bookworm's repository. */
export const opsAgentDefaults = { version: "2.46.0", major: "2", codename: "bookworm" } as const;

export const opsAgentPaths = {
  config: "/etc/google-cloud-ops-agent/config.yaml",
  installScript: `${machineLayout("debian-12").helperDir}/install-ops-agent`,
  installUnit: "brume-ops-agent.service",
  agentUnit: "google-cloud-ops-agent.service",
  sourceList: "/etc/apt/sources.list.d/google-cloud-ops-agent.list",
  keyringDir: "/etc/apt/keyrings",
} as const;

export const opsAgentRepository = {
  url: "https://packages.cloud.google.com/apt",
  suite: `google-cloud-ops-agent-${opsAgentDefaults.codename}-${opsAgentDefaults.major}`,
  key: "https://packages.cloud.google.com/apt/doc/apt-key.gpg",
} as const;

/** Seconds between install attempts while the repository is unreachable. */
export const opsAgentRetrySec = 300;

/** The configuration as data (merged with the agent's built-in configuration). */
export function opsAgentConfig(spec: OpsAgentSpec): Record<string, unknown> {
  const receivers: Record<string, unknown> = { brume_journald: { type: "systemd_journald" } };
  const processors: Record<string, unknown> = {};
  const pipelines: Record<string, unknown> = {
    // The built-in pipeline reads /var/log/syslog and /var/log/messages: off, the journal has them.
    default_pipeline: { receivers: [] },
    brume_journal: { receivers: ["brume_journald"] },
  };
  if (spec.agentLogFile) {
    receivers.brume_agent_log = { type: "files", include_paths: [spec.agentLogFile] };
    processors.brume_agent_json = { type: "parse_json" };
    pipelines.brume_agent = { receivers: ["brume_agent_log"], processors: ["brume_agent_json"] };
  }
  return { logging: { receivers, ...(Object.keys(processors).length ? { processors } : {}), service: { pipelines } } };
}

export function renderOpsAgentConfig(spec: OpsAgentSpec): string {
  return `# Google Cloud Ops Agent configuration: service journals to Cloud Logging. Rendered by brume.\n${stringify(opsAgentConfig(spec))}`;
}

/** The install script: the pinned package from Google's repository, only when it is not the installed one. */
export function renderOpsAgentInstallScript(spec: OpsAgentSpec): string {
  const p = opsAgentPaths;
  return `#!/bin/bash
# Installs Google's Ops Agent ${spec.version} (service journals to Cloud Logging) from Google's apt
# repository, only when that version is not the installed one. Run by ${p.installUnit}, which retries
# every ${opsAgentRetrySec / 60} min while it fails; the machine's services never wait for it. Rendered by brume.
set -euo pipefail
readonly version=${shQuote(spec.version)} package=google-cloud-ops-agent
readonly repo=${shQuote(opsAgentRepository.url)} suite=${shQuote(opsAgentRepository.suite)} key_url=${shQuote(opsAgentRepository.key)}
readonly list=${shQuote(p.sourceList)} keyring_dir=${shQuote(p.keyringDir)}

fail() {
  echo "brume-ops-agent: error: $*; service journals are not shipped to Cloud Logging (retried in ${opsAgentRetrySec / 60} min)" >&2
  exit 1
}

installed="$(dpkg-query -W -f='\${Version}' "$package" 2>/dev/null || true)"
case "$installed" in
  "$version" | "$version"~*)
    echo "brume-ops-agent: $package $installed already installed"
    systemctl enable --now ${p.agentUnit}
    exit 0
    ;;
esac

echo "brume-ops-agent: installing $package $version (installed: \${installed:-none})"
install -d -m 0755 "$keyring_dir"
key="$(mktemp)"
trap 'rm -f "$key"' EXIT
curl --fail --silent --show-error --location --proto '=https' --retry 3 --retry-connrefused --max-time 60 \\
  --output "$key" "$key_url" || fail "the repository key could not be downloaded from $key_url"
# apt reads an armored key from a .asc file and a binary one from a .gpg file (sources.list(5), signed-by).
if grep -q -- '-----BEGIN PGP PUBLIC KEY BLOCK-----' "$key"; then keyring="$keyring_dir/google-cloud-ops-agent.asc"; else keyring="$keyring_dir/google-cloud-ops-agent.gpg"; fi
install -m 0644 "$key" "$keyring"
printf 'deb [signed-by=%s] %s %s main\\n' "$keyring" "$repo" "$suite" >"$list.brume-new"
mv -f "$list.brume-new" "$list"

# Only this source: an unreachable Debian mirror does not fail it, and it does not refresh the others.
only_this=(-o "Dir::Etc::sourcelist=$list" -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0)
apt-get "\${only_this[@]}" update -qq || fail "apt could not read $repo $suite"
exact="$(apt-cache "\${only_this[@]}" madison "$package" | awk -v v="$version" '$3 == v || index($3, v "~") == 1 { print $3; exit }')"
[ -n "$exact" ] || fail "$package $version is not in $repo $suite"
# --force-confold: the configuration brume wrote stays. Dependencies come from every source: when
# the image's lists are stale, they are refreshed once.
apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --allow-downgrades \\
    -o Dpkg::Options::=--force-confold "$package=$exact"
}
apt_install || { apt-get update -qq && apt_install; } || fail "apt could not install $package=$exact"
systemctl enable --now ${p.agentUnit}
echo "brume-ops-agent: $package $exact installed; journals go to Cloud Logging"
`;
}

/**
 * The install unit: oneshot, retried every 5 min without a bound (cheap, and nothing waits for it),
 * output on the console. Root with what apt and dpkg need: no ProtectSystem= (dpkg writes /usr,
 * /etc, /opt), the rest of the sandbox does not change what a package install does.
 */
export function renderOpsAgentInstallUnit(spec: OpsAgentSpec): string {
  const p = opsAgentPaths;
  return renderUnitFile(`# ${p.installUnit} — rendered by brume`, {
    Unit: [
      ["Description", `Install Google's Ops Agent ${spec.version} (service journals to Cloud Logging)`],
      ["Wants", "network-online.target"],
      ["After", "network-online.target"],
      ["StartLimitIntervalSec", 0],
    ],
    Service: [
      ["Type", "oneshot"],
      ["RemainAfterExit", true],
      ["ExecStart", p.installScript],
      ["Restart", "on-failure"],
      ["RestartSec", `${opsAgentRetrySec}s`],
      ["TimeoutStartSec", "15min"],
      ["StandardOutput", "journal+console"],
      ["StandardError", "journal+console"],
      ["UMask", "0022"],
      ["NoNewPrivileges", true],
      ["PrivateTmp", true],
      // Implied by PrivateTmp= and the other file-system settings (systemd.exec(5)); stated.
      ["PrivateMounts", true],
      ["PrivateDevices", true],
      ["ProtectHome", true],
      ["ProtectProc", "invisible"],
      ...kernelLockdown,
      // dpkg installs set-uid/gid files (the package may ship some): no RestrictSUIDSGID=.
      ...withoutKeys(privilegeLockdown, "RestrictSUIDSGID"),
      // apt drops to _apt for downloads (SETUID/SETGID) and signals its methods (KILL); dpkg sets owners and modes.
      ["CapabilityBoundingSet", "CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID CAP_KILL CAP_SETUID CAP_SETGID"],
      ["RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"],
      ...systemCalls(),
    ],
    Install: [["WantedBy", "multi-user.target"]],
  });
}
