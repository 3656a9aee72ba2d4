#!/usr/bin/env bash
# System tools the tests use to validate generated artifacts with the real tools.
# Idempotent; a machine that already has them installs nothing. CI runs it as root on Debian 12.
#   git            — consumer / example tests
#   cloud-init     — `cloud-init schema --config-file` on rendered user-data (test/machine)
#   the linter ShellCheck — every generated shell script (test/machine)
#   systemd        — `systemd-analyze verify` / `security --offline=true` on generated units
#   caddy          — `caddy validate` / `caddy adapt` on generated Caddyfiles
#   curl, tar, coreutils — the agent install script is executed by the tests
#   debootstrap, systemd-container (systemd-nspawn), openssl — the boot test (.ci/boot-test.sh) builds a
#                  Debian 12 root and boots the rendered machine document in it
#   logrotate      — `logrotate -d` on the agent's rendered rotation file
#   postgresql-15, postgresql-15-pgaudit — the pgAudit activation SQL runs against a throwaway
#                  PostgreSQL 15 cluster with pgaudit preloaded (test/database)
#   redis-server (and redis-tools' redis-cli) — the connection contract's real-server test
#                  (test/machine/connections-real.test.ts): Redis with TLS + AUTH on loopback
set -euo pipefail
declare -A package_of=(
  [git]=git
  [cloud-init]=cloud-init
  [shellcheck]=shellcheck
  [systemd-analyze]=systemd
  [caddy]=caddy
  [curl]=curl
  [tar]=tar
  [sha256sum]=coreutils
  # Argo CD's custom health checks are Lua 5.1 (gopher-lua): the HTTPRoute check runs in it (test/gitops).
  [lua5.1]=lua5.1
  [debootstrap]=debootstrap
  [systemd-nspawn]=systemd-container
  [openssl]=openssl
  [logrotate]=logrotate
)
packages=()
for tool in git cloud-init shellcheck systemd-analyze caddy curl tar sha256sum lua5.1 debootstrap systemd-nspawn openssl logrotate; do
  command -v "$tool" >/dev/null 2>&1 || packages+=("${package_of[$tool]}")
done
# Not commands on PATH: the server binaries and the extension's control file.
[ -x /usr/lib/postgresql/15/bin/postgres ] || packages+=(postgresql-15)
[ -e /usr/share/postgresql/15/extension/pgaudit.control ] || packages+=(postgresql-15-pgaudit)
command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || packages+=(redis-tools)
if [ "${#packages[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Installing a package must not start its services on a build machine (caddy, cloud-init).
  policy_rc=/usr/sbin/policy-rc.d
  if [ ! -e "$policy_rc" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy_rc" && chmod 0755 "$policy_rc"
    # Removed even when the install fails, so the machine's services start normally afterwards.
    trap 'rm -f "$policy_rc"' EXIT
  fi
  apt-get install -y -qq --no-install-recommends "${packages[@]}"
fi
