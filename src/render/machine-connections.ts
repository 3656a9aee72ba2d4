/**
 * The connection contract on machines (src/render/connections.ts, docs/connections.md): the
 * contract's files written from Secret Manager at every start into the service's RuntimeDirectory,
 * the container runner's mounts for them and its route to the host's Cloud SQL Auth Proxy, and the
 * proxy units of a group. The variables themselves go to the service's env file (`svc.env`).
 * Pure; Debian machines only (the proxy binary needs an executable /usr/local).
 */
import { containerHostAlias, machineFilesDir, type ContractFile } from "./connections.js";
import { machineLayout } from "./layout.js";
import type { MachineService } from "./runners.js";
import { renderSqlProxyUnit, sqlProxyUnitName } from "./sql-proxy.js";
import { systemdQuote, type UnitSection } from "./shell.js";

/** `secret-files <dir> <dir-mode> <file-mode> NAME=projects/p/secrets/s[/versions/n] …`. */
export const secretFilesHelper = `${machineLayout("debian-12").helperDir}/secret-files`;

/** What a machine service gets besides its env: the contract's files and the proxy units it waits for. */
export interface MachineConnection {
  files: (ContractFile & { project: string })[];
  /** Proxy units (`brume-sql-proxy-<db>.service`) started before the service. */
  proxyUnits: string[];
}

/** A group's proxy for one database. */
export interface MachineSqlProxy {
  database: string;
  /** A placeholder resolved in the user-data (the instance's output). */
  connectionName: string;
  port: number;
  autoIamAuthn: boolean;
  /** Listener: 127.0.0.1, or docker0's address when a container service uses it. */
  address: string;
  version: string;
  sha256: string;
}

/**
 * Unit lines of a service with a connection: its files written before it starts (as the unit's
 * User for a process, root for a container: the `+` runs the helper with full privileges, which a
 * process unit does not need), and ordering after the proxies.
 */
export function connectionUnitLines(svc: MachineService & { connection?: MachineConnection | undefined }): { unit: UnitSection; service: UnitSection } {
  const c = svc.connection;
  if (!c || (c.files.length === 0 && c.proxyUnits.length === 0)) return { unit: [], service: [] };
  const container = svc.runner === "container";
  // A container's user is the image's: the files are world-readable inside a directory only root
  // reaches on the host (the RuntimeDirectory is 0700); a process's files are its own, 0600.
  const modes = container ? ["0755", "0444"] : ["0700", "0600"];
  const pairs = c.files.map((f) => secretPair(f.name, f.project, f.secretId));
  return {
    unit: c.proxyUnits.length ? [["Wants", c.proxyUnits.join(" ")], ["After", c.proxyUnits.join(" ")]] : [],
    service: c.files.length
      ? [["ExecStartPre", `${secretFilesHelper} ${[machineFilesDir(svc.name), ...modes, ...pairs].map(systemdQuote).join(" ")}`]]
      : [],
  };
}

/** `docker run` arguments of a container service with a connection: its files mounted read-only, the host reachable by name. */
export function containerConnectionArgs(svc: MachineService & { connection?: MachineConnection | undefined }): string[] {
  const c = svc.connection;
  if (!c) return [];
  return [
    ...(c.files.length ? ["--volume", `${machineFilesDir(svc.name)}:${machineFilesDir(svc.name)}:ro`] : []),
    ...(c.proxyUnits.length ? [`--add-host=${containerHostAlias}:host-gateway`] : []),
  ];
}

/** The proxy unit files of a group: path → content. */
export function sqlProxyUnitFiles(proxies: readonly MachineSqlProxy[], fetchVerified: string): { path: string; content: string }[] {
  return [...proxies]
    .sort((a, b) => a.database.localeCompare(b.database))
    .map((p) => ({ path: `/etc/systemd/system/${sqlProxyUnitName(p.database)}`, content: renderSqlProxyUnit({ ...p, fetchVerified }) }));
}

/**
 * A helper's argument for one secret: `NAME=projects/p/secrets/s` (the latest version) or, pinned
 * (brume:secretVersions, docs/secrets.md), `NAME=projects/p/secrets/s/versions/n`: every machine of
 * a group reads the same version, and a new pin changes the unit, so the group rolls.
 */
export function secretPair(name: string, project: string, secretId: string, version?: number): string {
  return `${name}=projects/${project}/secrets/${secretId}${version !== undefined ? `/versions/${version}` : ""}`;
}

/** The helpers' shell lines naming the metadata server and Secret Manager (the tests point them at stand-ins). */
export const secretManagerUrlsShell = `readonly METADATA_URL="\${BRUME_METADATA_URL:-http://metadata.google.internal/computeMetadata/v1}"
readonly SECRET_MANAGER_URL="\${BRUME_SECRET_MANAGER_URL:-https://secretmanager.googleapis.com/v1}"`;

/**
 * The helpers' shell lines: a work directory removed on exit, and the VM identity's access token
 * from the metadata server as a curl header file, `$work/auth-header` (never on a command line).
 */
export const secretManagerAuthShell = `work="$(mktemp -d)"
readonly work
trap 'rm -rf -- "$work"' EXIT
curl --fail --silent --show-error --retry 5 --retry-connrefused --retry-max-time 60 \\
  --header 'Metadata-Flavor: Google' --output "$work/access.json" \\
  "$METADATA_URL/instance/service-accounts/default/token"
token="$(sed -n 's/.*"access_token"[[:space:]]*:[[:space:]]*"\\([^"]*\\)".*/\\1/p' "$work/access.json")"
printf 'Authorization: Bearer %s\\n' "$token" >"$work/auth-header"`;

/** The helpers' shell lines resolving `$secret` to a version resource (the latest when it names none). */
export const secretVersionShell = `  case "$secret" in
    */versions/*) ;;
    *) secret="$secret/versions/latest" ;;
  esac`;

/** The helpers' shell lines fetching `$secret` (resolved to a version) into `$work/secret.json`. */
export const secretAccessShell = `${secretVersionShell}
  curl --fail --silent --show-error --retry 5 --retry-connrefused --retry-max-time 60 \\
    --header "@$work/auth-header" --output "$work/secret.json" \\
    "$SECRET_MANAGER_URL/$secret:access"`;

/** Shared helper: writes each secret's version (pinned, else latest) to `<dir>/<NAME>` (any content, PEM included). */
export function renderSecretFilesScript(): string {
  return `#!/bin/bash
# Writes Secret Manager secrets as files (the version named, else the latest): secret-files <dir> <dir-mode> <file-mode> NAME=projects/p/secrets/s[/versions/n] …
# Each file is replaced atomically; the directory holds exactly the files named.
set -euo pipefail
readonly dir="$1" dir_mode="$2" file_mode="$3"
shift 3
${secretManagerUrlsShell}
umask 077
${secretManagerAuthShell}
mkdir -p "$work/out"
for pair in "$@"; do
  name="\${pair%%=*}"
  secret="\${pair#*=}"
${secretAccessShell}
  sed -n 's/.*"data"[[:space:]]*:[[:space:]]*"\\([^"]*\\)".*/\\1/p' "$work/secret.json" | base64 -d >"$work/out/$name"
  chmod "$file_mode" "$work/out/$name"
done
install -d -m "$dir_mode" "$dir"
for f in "$work/out"/*; do
  [ -e "$f" ] || continue
  mv -f "$f" "$dir/"
done
`;
}
