#!/bin/bash
# brume machine startup script (GCE `startup-script`, run by google-guest-agent at every boot).
# Idempotent: users and missing packages, every file written again, then brume-converge.service
# (installs what is not installed yet, bounded retries). Output: journal, serial console, Cloud Logging.
# Rendered by brume; do not edit on the machine.
set -euo pipefail
trap 'echo "brume-startup: error: line $LINENO: \"$BASH_COMMAND\" failed with status $?" >&2' ERR

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
was_changed() { local f; for f in "${changed[@]}"; do [ "$f" = "$1" ] && return 0; done; return 1; }

for user in 'dployrd' 'brume-health' 'svc-docs'; do
  id -u "$user" >/dev/null 2>&1 || useradd --system --user-group --no-create-home --shell /usr/sbin/nologin "$user"
done

# Only what is missing: a reboot with the mirror down does not need it.
missing=()
for package in 'ca-certificates' 'curl' 'caddy' 'docker.io' 'git'; do
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null)" = installed ] || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  for attempt in 1 2 3 4 5; do
    if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      -o Dpkg::Options::=--force-confold "${missing[@]}"; then
      break
    fi
    if [ "$attempt" -eq 5 ]; then
      echo "brume-startup: error: apt could not install ${missing[*]} after 5 attempts" >&2
      exit 1
    fi
    sleep $((attempt * 10))
  done
fi

install -d -m 0750 '/etc/dployrd'

put 0755 '/usr/local/lib/brume/install-dployrd' <<'BRUME_FILE_EOF'
#!/bin/bash
# Installs dployrd 0.1.0: download (bounded retries with backoff), verify SHA-256,
# install the binary and its config. On any failure it exits non-zero and installs nothing.
# Rendered by brume; do not edit on the machine.
set -euo pipefail

readonly AGENT_NAME='dployrd'
readonly AGENT_VERSION='0.1.0'
readonly AGENT_URL='https://releases.example.com/dployrd/v0.1.0/dployrd_linux_amd64.tar.gz'
readonly AGENT_SHA256='9f2c7a1e5b3d4c6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f'
readonly CHECKSUM_URL='https://releases.example.com/dployrd/v0.1.0/dployrd_linux_amd64.tar.gz.sha256'

# Every path is under BRUME_ROOT (empty on a machine; a temporary directory in tests).
readonly ROOT="${BRUME_ROOT:-}"
readonly ATTEMPTS="${BRUME_DOWNLOAD_ATTEMPTS:-5}"
readonly BACKOFF="${BRUME_DOWNLOAD_BACKOFF_SECONDS:-2}"
readonly MAX_BACKOFF=30
readonly CONNECT_TIMEOUT="${BRUME_DOWNLOAD_CONNECT_TIMEOUT:-10}"
readonly MAX_TIME="${BRUME_DOWNLOAD_MAX_TIME:-300}"

readonly bin_dir="$ROOT/usr/local/bin"
readonly config_dir="$ROOT/etc/dployrd"
readonly state_dir="$ROOT/var/lib/dployrd"
readonly log_dir="$ROOT/var/log/dployrd"

fail() {
  local code="$1"
  shift
  printf 'install-%s: error: %s\n' "$AGENT_NAME" "$*" >&2
  exit "$code"
}

work="$(mktemp -d)"
readonly work
trap 'rm -rf -- "$work"' EXIT

# download <url> <file>: ATTEMPTS tries, waiting BACKOFF seconds, doubling up to MAX_BACKOFF.
download() {
  local url="$1" out="$2" attempt=1 delay="$BACKOFF"
  while true; do
    if curl --fail --silent --show-error --location --proto-redir '=https' \
      --connect-timeout "$CONNECT_TIMEOUT" --max-time "$MAX_TIME" --output "$out" "$url"; then
      return 0
    fi
    if [ "$attempt" -ge "$ATTEMPTS" ]; then
      fail 2 "could not download $url after $attempt attempts; is the release server reachable? nothing was installed"
    fi
    printf 'install-%s: attempt %s of %s failed; retrying in %ss\n' "$AGENT_NAME" "$attempt" "$ATTEMPTS" "$delay" >&2
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
if [ "${#expected}" -ne 64 ]; then fail 3 "no valid SHA-256 to verify $AGENT_URL against; nothing was installed"; fi

download "$AGENT_URL" "$work/release.tar.gz"
actual="$(sha256sum "$work/release.tar.gz" | cut -d ' ' -f 1)"
if [ "$actual" != "$expected" ]; then
  fail 3 "checksum mismatch for $AGENT_URL: expected $expected, got $actual; nothing was installed"
fi

mkdir "$work/release"
tar -xzf "$work/release.tar.gz" -C "$work/release" --no-same-owner --no-same-permissions \
  || fail 4 "$AGENT_URL is not a gzip tarball; nothing was installed"
binary="$(find "$work/release" -type f -name "$AGENT_NAME" -print -quit)"
if [ -z "$binary" ]; then fail 4 "the release holds no file named $AGENT_NAME; nothing was installed"; fi

cat >"$work/config.toml" <<'BRUME_CONFIG_EOF'
# dployrd 0.1.0 — rendered by brume; do not edit on the machine.
base_url = "https://base.example.com"
data_dir = "/var/lib/dployrd"
database = "/var/lib/dployrd/dployrd.db"
log_file = "/var/log/dployrd/app.log"
log_format = "json"
log_level = "info"
bootstrap_token_file = "/var/lib/dployrd/bootstrap-token"
access_token_file = "/var/lib/dployrd/access-token"

[labels]
environment = "prod"
group = "web"
project = "shop"

[tls]
client_cert = "/var/lib/dployrd/tls/client.crt"
client_key = "/var/lib/dployrd/tls/client.key"

[reconnect]
initial_delay = "1s"
max_delay = "60s"
multiplier = 2
jitter = 0.2

BRUME_CONFIG_EOF

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
printf 'install-%s: installed %s %s\n' "$AGENT_NAME" "$AGENT_NAME" "$AGENT_VERSION"
BRUME_FILE_EOF

put 0755 '/usr/local/lib/brume/fetch-dployrd-token' <<'BRUME_FILE_EOF'
#!/bin/bash
# Fetches the dployrd bootstrap token from Secret Manager with the VM's identity and writes it
# 0600 for the agent user. Rendered by brume; do not edit on the machine.
set -euo pipefail
umask 077

readonly AGENT_USER='dployrd'
readonly SECRET_VERSION='projects/shop-prod-1234/secrets/shop-prod-agent-bootstrap-token/versions/latest'
readonly ROOT="${BRUME_ROOT:-}"
readonly METADATA_URL="${BRUME_METADATA_URL:-http://metadata.google.internal/computeMetadata/v1}"
readonly SECRET_MANAGER_URL="${BRUME_SECRET_MANAGER_URL:-https://secretmanager.googleapis.com/v1}"
readonly token_file="$ROOT/var/lib/dployrd/bootstrap-token"

fail() {
  printf 'fetch-%s-token: error: %s\n' "$AGENT_USER" "$*" >&2
  exit 1
}

work="$(mktemp -d)"
readonly work
trap 'rm -rf -- "$work"' EXIT

# json_string <key> <file>: the first string value of "key" (one key per line or one line of JSON).
json_string() {
  sed -n 's/.*"'"$1"'"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$2" | head -n 1
}

curl --fail --silent --show-error --retry 5 --retry-connrefused --retry-max-time 120 --connect-timeout 5 \
  --header 'Metadata-Flavor: Google' --output "$work/access.json" \
  "$METADATA_URL/instance/service-accounts/default/token" \
  || fail "no access token from the metadata server (does the VM have a service account?)"
access_token="$(json_string access_token "$work/access.json")"
if [ -z "$access_token" ]; then fail "the metadata server returned no access_token"; fi
# The header goes through a 0600 file, never argv (visible in ps).
printf 'Authorization: Bearer %s\n' "$access_token" >"$work/auth-header"

curl --fail --silent --show-error --retry 5 --retry-connrefused --retry-max-time 120 --connect-timeout 5 \
  --header "@$work/auth-header" --output "$work/secret.json" \
  "$SECRET_MANAGER_URL/$SECRET_VERSION:access" \
  || fail "cannot read $SECRET_VERSION (does the VM's service account hold roles/secretmanager.secretAccessor on it?)"
payload="$(json_string data "$work/secret.json")"
if [ -z "$payload" ]; then fail "$SECRET_VERSION has an empty payload"; fi
printf '%s' "$payload" | base64 -d >"$work/token" || fail "$SECRET_VERSION payload is not base64"

install -d -m 0750 "$(dirname "$token_file")"
install -m 0600 "$work/token" "$token_file.new"
if [ -z "$ROOT" ]; then chown "$AGENT_USER:$AGENT_USER" "$token_file.new"; fi
mv -f "$token_file.new" "$token_file"
printf 'fetch-%s-token: wrote %s\n' "$AGENT_USER" "$token_file"
BRUME_FILE_EOF

put 0644 '/etc/systemd/system/dployrd-bootstrap-token.service' <<'BRUME_FILE_EOF'
# dployrd-bootstrap-token.service — rendered by brume

[Unit]
Description=Fetch the dployrd bootstrap token from Secret Manager
Wants=network-online.target
After=network-online.target brume-converge.service
Before=dployrd.service
StartLimitIntervalSec=3600
StartLimitBurst=10

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/lib/brume/fetch-dployrd-token
Restart=on-failure
RestartSec=20s
UMask=0077
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=strict
ProtectHome=yes
ReadWritePaths=-/var/lib/dployrd
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
CapabilityBoundingSet=CAP_CHOWN CAP_FOWNER CAP_DAC_OVERRIDE
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM

[Install]
WantedBy=multi-user.target
BRUME_FILE_EOF

put 0644 '/etc/systemd/system/dployrd.service' <<'BRUME_FILE_EOF'
# dployrd.service — rendered by brume

[Unit]
Description=dployrd 0.1.0 machine agent
Wants=network-online.target
After=network-online.target dployrd-bootstrap-token.service brume-converge.service
Wants=dployrd-bootstrap-token.service
StartLimitIntervalSec=0

[Service]
Type=exec
User=dployrd
Group=dployrd
ExecStartPre=/usr/bin/test -s /var/lib/dployrd/bootstrap-token
ExecStart=/usr/local/bin/dployrd "--config" "/etc/dployrd/config.toml"
Environment=DPLOYRD_INSTANCE_NAME=%H
Restart=always
RestartSec=5s
TimeoutStopSec=30s
StateDirectory=dployrd
StateDirectoryMode=0750
LogsDirectory=dployrd
LogsDirectoryMode=0750
ReadWritePaths=/var/lib/dployrd /var/log/dployrd
UMask=0077
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
PrivateUsers=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
ProcSubset=pid
CapabilityBoundingSet=
AmbientCapabilities=
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
RemoveIPC=yes
KeyringMode=private
DevicePolicy=closed
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
SystemCallErrorNumber=EPERM

[Install]
WantedBy=multi-user.target
BRUME_FILE_EOF

put 0755 '/usr/local/lib/brume/wait-healthy' <<'BRUME_FILE_EOF'
#!/bin/bash
# Waits until a local HTTP URL answers 2xx/3xx or a TCP port accepts, or fails after a deadline.
set -euo pipefail
readonly target="$1" seconds="$2"
deadline=$((SECONDS + seconds))
while [ "$SECONDS" -lt "$deadline" ]; do
  # Run as ExecStartPost=, systemd sets MAINPID: a main process that died at start ends the wait now.
  if [ -n "${MAINPID:-}" ] && ! kill -0 "$MAINPID" 2>/dev/null; then
    echo "wait-healthy: the main process ($MAINPID) exited before $target was healthy" >&2
    exit 1
  fi
  case "$target" in
    tcp:*) if (exec 3<>"/dev/tcp/127.0.0.1/${target#tcp:}") 2>/dev/null; then exit 0; fi ;;
    *) if curl --fail --silent --output /dev/null --max-time 2 "$target"; then exit 0; fi ;;
  esac
  sleep 2
done
echo "wait-healthy: $target not healthy after ${seconds}s" >&2
exit 1
BRUME_FILE_EOF

put 0755 '/usr/local/lib/brume/secret-env' <<'BRUME_FILE_EOF'
#!/bin/bash
# Writes VAR=value lines from Secret Manager (the version named, else the latest) into a 0600 env file.
set -euo pipefail
umask 077
readonly out="$1"
shift
readonly METADATA_URL="${BRUME_METADATA_URL:-http://metadata.google.internal/computeMetadata/v1}"
readonly SECRET_MANAGER_URL="${BRUME_SECRET_MANAGER_URL:-https://secretmanager.googleapis.com/v1}"
work="$(mktemp -d)"
readonly work
trap 'rm -rf -- "$work"' EXIT
curl --fail --silent --show-error --retry 5 --retry-connrefused --retry-max-time 60 \
  --header 'Metadata-Flavor: Google' --output "$work/access.json" \
  "$METADATA_URL/instance/service-accounts/default/token"
token="$(sed -n 's/.*"access_token"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$work/access.json")"
printf 'Authorization: Bearer %s\n' "$token" >"$work/auth-header"
: >"$work/env"
for pair in "$@"; do
  var="${pair%%=*}"
  secret="${pair#*=}"
  case "$secret" in
    */versions/*) ;;
    *) secret="$secret/versions/latest" ;;
  esac
  curl --fail --silent --show-error --retry 5 --retry-connrefused --retry-max-time 60 \
    --header "@$work/auth-header" --output "$work/secret.json" \
    "$SECRET_MANAGER_URL/$secret:access"
  value="$(sed -n 's/.*"data"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$work/secret.json" | base64 -d)"
  case "$value" in
    *$'\n'*) echo "secret-env: $secret holds several lines; env files take one line per value" >&2; exit 1 ;;
  esac
  printf '%s=%s\n' "$var" "$value" >>"$work/env"
done
install -m 0600 "$work/env" "$out"
BRUME_FILE_EOF

put 0644 '/etc/caddy/Caddyfile' <<'BRUME_FILE_EOF'
# Caddyfile — rendered by brume; do not edit on the machine.
# TLS from the load balancer ends here, with Caddy's internal CA; clients see the load balancer's
# Google-managed certificate. The load balancer sends no SNI: default_sni picks the certificate.
{
	auto_https disable_redirects
	skip_install_trust
	default_sni api.shop.example.com
}

:9000 {
	handle /healthz/api {
		rewrite * /healthz
		reverse_proxy 127.0.0.1:8080
	}
	handle /healthz/docs {
		rewrite * /
		reverse_proxy 127.0.0.1:3000
	}
	handle /healthz {
		reverse_proxy 127.0.0.1:9001
	}
	handle /ready {
		reverse_proxy 127.0.0.1:9001
	}
	handle /livez {
		respond "ok" 200
	}
	handle {
		respond 404
	}
}

api.shop.example.com {
	tls internal
	encode zstd gzip
	handle {
		reverse_proxy 127.0.0.1:8080 {
			trusted_proxies 35.191.0.0/16 130.211.0.0/22
			health_uri /healthz
			health_port 8080
			health_interval 10s
		}
	}
	@docs path /docs /docs/*
	handle @docs {
		reverse_proxy 127.0.0.1:3000 {
			trusted_proxies 35.191.0.0/16 130.211.0.0/22
			health_uri /
			health_port 3000
			health_interval 10s
		}
	}
}

shop.example.com {
	tls internal
	encode zstd gzip
	@docs path /docs /docs/*
	handle @docs {
		reverse_proxy 127.0.0.1:3000 {
			trusted_proxies 35.191.0.0/16 130.211.0.0/22
			health_uri /
			health_port 3000
			health_interval 10s
		}
	}
}

https:// {
	tls internal
	respond 404
}
BRUME_FILE_EOF

put 0644 '/etc/systemd/system/caddy.service.d/brume-hardening.conf' <<'BRUME_FILE_EOF'
# Hardening of Debian's caddy.service — rendered by brume

[Service]
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=/var/lib/caddy /var/log/caddy
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
ProcSubset=pid
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
RemoveIPC=yes
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
AmbientCapabilities=CAP_NET_BIND_SERVICE
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
UMask=0027
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
SystemCallErrorNumber=EPERM
BRUME_FILE_EOF

put 0644 '/etc/logrotate.d/dployrd' <<'BRUME_FILE_EOF'
# /var/log/dployrd/app.log rotation — rendered by brume
/var/log/dployrd/app.log {
	su dployrd dployrd
	daily
	maxsize 100M
	rotate 14
	missingok
	notifempty
	compress
	delaycompress
	copytruncate
}
BRUME_FILE_EOF

put 0755 '/usr/local/lib/brume/converge' <<'BRUME_FILE_EOF'
#!/bin/bash
# Installs what this machine runs: dployrd 0.1.0 and vfox. Each step is skipped when the pinned
# version is installed already, so a reboot needs no release server. Run by brume-converge.service (bounded
# retries); exit 3 (checksum mismatch) and 4 (bad archive) are final. Rendered by brume.
set -euo pipefail
readonly marker_dir='/var/lib/brume/installed'
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

readonly agent_pin='0.1.0 9f2c7a1e5b3d4c6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f'
if [ "$(cat "$marker_dir/dployrd" 2>/dev/null)" != "$agent_pin" ] || [ ! -x '/usr/local/bin/dployrd' ]; then
  /usr/local/lib/brume/install-dployrd || fail "$?" 'dployrd 0.1.0'
  printf '%s\n' "$agent_pin" >"$marker_dir/dployrd"
else
  echo "brume-converge: dployrd 0.1.0 already installed"
fi

# vfox: fetched only when the installed one is not the pinned release.
if [ "$(cat "$marker_dir/vfox" 2>/dev/null)" != '1111111111111111111111111111111111111111111111111111111111111111' ] || [ ! -x /usr/local/bin/vfox ]; then
  /usr/local/lib/brume/fetch-verified 'https://releases.example.com/vfox/0.6.0/vfox' '1111111111111111111111111111111111111111111111111111111111111111' /usr/local/bin/vfox || fail "$?" "vfox"
  printf '%s\n' '1111111111111111111111111111111111111111111111111111111111111111' >"$marker_dir/vfox"
fi
echo "brume-converge: installed; starting dployrd-bootstrap-token.service dployrd.service brume-api.service brume-docs.service"
BRUME_FILE_EOF

put 0644 '/etc/systemd/system/brume-converge.service' <<'BRUME_FILE_EOF'
# brume-converge.service — rendered by brume

[Unit]
Description=Install dployrd 0.1.0 and start the machine's units
Wants=network-online.target
After=network-online.target
StartLimitIntervalSec=3600
StartLimitBurst=6

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/lib/brume/converge
ExecStartPost=-+/bin/systemctl --no-block start dployrd-bootstrap-token.service dployrd.service brume-api.service brume-docs.service
Restart=on-failure
RestartSec=30s
RestartPreventExitStatus=3 4
TimeoutStartSec=15min
StandardOutput=journal+console
StandardError=journal+console
UMask=0022
NoNewPrivileges=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectSystem=strict
ReadWritePaths=/usr/local/bin -/etc/dployrd /var/lib /var/log
ProtectHome=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
CapabilityBoundingSet=CAP_CHOWN CAP_FOWNER CAP_DAC_OVERRIDE
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM

[Install]
WantedBy=multi-user.target
BRUME_FILE_EOF

put 0755 '/usr/local/lib/brume/health' <<'BRUME_FILE_EOF'
#!/bin/bash
# brume health responder: one HTTP request on stdin, the answer on stdout (brume-health.socket, Accept=yes).
#   /healthz  autohealing: the install and the agent
#   /ready    load balancer: each routed service's own health check, through Caddy
# Rendered by brume; do not edit on the machine.
set -uo pipefail

respond() {
  local body="$2"$'\n'
  printf 'HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' "$1" "${#body}" "$body"
  exit 0
}

IFS=' ' read -r -t 5 _method path _ || exit 0
while IFS= read -r -t 5 line && [ -n "${line%$'\r'}" ]; do :; done

healthz() {
  state="$(systemctl show --value -p ActiveState brume-converge.service)"
  result="$(systemctl show --value -p Result brume-converge.service)"
  status="$(systemctl show --value -p ExecMainStatus brume-converge.service)"
  case "$state/$result/$status" in
    active/*) ;;
    failed/exit-code/3 | failed/exit-code/4)
      # Deterministic: a new VM would fail the same way. Not recycled; the alert on the log line fires.
      respond "200 OK" "degraded: install failed with status $status (brume-converge.service: 3 checksum mismatch, 4 bad archive); not recycled, see the alert" ;;
    failed/*) respond "503 Service Unavailable" "unhealthy: brume-converge.service failed ($result, status $status) after its retries" ;;
    *) respond "503 Service Unavailable" "installing: brume-converge.service is $state" ;;
  esac
  agent="$(systemctl is-active dployrd.service)"
  if [ "$agent" != active ]; then respond "503 Service Unavailable" "unhealthy: dployrd.service is $agent"; fi
  logging="$(systemctl show --value -p ActiveState brume-ops-agent.service)"
  if [ "$logging" != active ]; then respond "200 OK" "ok; journals not shipped yet: brume-ops-agent.service is $logging (retried; see the serial console)"; fi
  respond "200 OK" "ok"
}

ready() {
  local healthy=0 report="" name url
  local -a checks=('api=http://127.0.0.1:9000/healthz/api' 'docs=http://127.0.0.1:9000/healthz/docs')
  for check in "${checks[@]}"; do
    name="${check%%=*}"
    url="${check#*=}"
    if case "$url" in
      tcp:*) (exec 3<>"/dev/tcp/127.0.0.1/${url#tcp:}") 2>/dev/null ;;
      *) curl --fail --silent --output /dev/null --max-time 3 "$url" ;;
    esac; then
      healthy=$((healthy + 1))
      report+="$name: ok"$'\n'
    else
      report+="$name: failing"$'\n'
    fi
  done
  if [ "$healthy" -eq 0 ]; then respond "503 Service Unavailable" "${report}no service is healthy"; fi
  respond "200 OK" "${report}$healthy healthy"
}

case "${path:-}" in
  /healthz) healthz ;;
  /ready) ready ;;
  *) respond "404 Not Found" "not found" ;;
esac
BRUME_FILE_EOF

put 0644 '/etc/systemd/system/brume-health.socket' <<'BRUME_FILE_EOF'
# brume-health.socket — rendered by brume

[Unit]
Description=brume health responder (Caddy's /healthz and /ready)

[Socket]
ListenStream=127.0.0.1:9001
Accept=yes
MaxConnections=16

[Install]
WantedBy=sockets.target
BRUME_FILE_EOF

put 0644 '/etc/systemd/system/brume-health@.service' <<'BRUME_FILE_EOF'
# brume-health@.service — rendered by brume

[Unit]
Description=brume health responder (one connection)

[Service]
ExecStart=/usr/local/lib/brume/health
StandardInput=socket
StandardOutput=socket
StandardError=journal
RuntimeMaxSec=20s
User=brume-health
Group=brume-health
NoNewPrivileges=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectSystem=strict
ProtectHome=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
ProcSubset=pid
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
RemoveIPC=yes
CapabilityBoundingSet=
AmbientCapabilities=
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
IPAddressDeny=any
IPAddressAllow=localhost
UMask=0077
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
SystemCallErrorNumber=EPERM
BRUME_FILE_EOF

put 0644 '/etc/google-cloud-ops-agent/config.yaml' <<'BRUME_FILE_EOF'
# Google Cloud Ops Agent configuration: service journals to Cloud Logging. Rendered by brume.
logging:
  receivers:
    brume_journald:
      type: systemd_journald
    brume_agent_log:
      type: files
      include_paths:
        - /var/log/dployrd/app.log
  processors:
    brume_agent_json:
      type: parse_json
  service:
    pipelines:
      default_pipeline:
        receivers: []
      brume_journal:
        receivers:
          - brume_journald
      brume_agent:
        receivers:
          - brume_agent_log
        processors:
          - brume_agent_json
BRUME_FILE_EOF

put 0755 '/usr/local/lib/brume/install-ops-agent' <<'BRUME_FILE_EOF'
#!/bin/bash
# Installs Google's Ops Agent 2.46.0 (service journals to Cloud Logging) from Google's apt
# repository, only when that version is not the installed one. Run by brume-ops-agent.service, which retries
# every 5 min while it fails; the machine's services never wait for it. Rendered by brume.
set -euo pipefail
readonly version='2.46.0' package=google-cloud-ops-agent
readonly repo='https://packages.cloud.google.com/apt' suite='google-cloud-ops-agent-bookworm-2' key_url='https://packages.cloud.google.com/apt/doc/apt-key.gpg'
readonly list='/etc/apt/sources.list.d/google-cloud-ops-agent.list' keyring_dir='/etc/apt/keyrings'

fail() {
  echo "brume-ops-agent: error: $*; service journals are not shipped to Cloud Logging (retried in 5 min)" >&2
  exit 1
}

installed="$(dpkg-query -W -f='${Version}' "$package" 2>/dev/null || true)"
case "$installed" in
  "$version" | "$version"~*)
    echo "brume-ops-agent: $package $installed already installed"
    systemctl enable --now google-cloud-ops-agent.service
    exit 0
    ;;
esac

echo "brume-ops-agent: installing $package $version (installed: ${installed:-none})"
install -d -m 0755 "$keyring_dir"
key="$(mktemp)"
trap 'rm -f "$key"' EXIT
curl --fail --silent --show-error --location --proto '=https' --retry 3 --retry-connrefused --max-time 60 \
  --output "$key" "$key_url" || fail "the repository key could not be downloaded from $key_url"
# apt reads an armored key from a .asc file and a binary one from a .gpg file (sources.list(5), signed-by).
if grep -q -- '-----BEGIN PGP PUBLIC KEY BLOCK-----' "$key"; then keyring="$keyring_dir/google-cloud-ops-agent.asc"; else keyring="$keyring_dir/google-cloud-ops-agent.gpg"; fi
install -m 0644 "$key" "$keyring"
printf 'deb [signed-by=%s] %s %s main\n' "$keyring" "$repo" "$suite" >"$list.brume-new"
mv -f "$list.brume-new" "$list"

# Only this source: an unreachable Debian mirror does not fail it, and it does not refresh the others.
only_this=(-o "Dir::Etc::sourcelist=$list" -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0)
apt-get "${only_this[@]}" update -qq || fail "apt could not read $repo $suite"
exact="$(apt-cache "${only_this[@]}" madison "$package" | awk -v v="$version" '$3 == v || index($3, v "~") == 1 { print $3; exit }')"
[ -n "$exact" ] || fail "$package $version is not in $repo $suite"
# --force-confold: the configuration brume wrote stays. Dependencies come from every source: when
# the image's lists are stale, they are refreshed once.
apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --allow-downgrades \
    -o Dpkg::Options::=--force-confold "$package=$exact"
}
apt_install || { apt-get update -qq && apt_install; } || fail "apt could not install $package=$exact"
systemctl enable --now google-cloud-ops-agent.service
echo "brume-ops-agent: $package $exact installed; journals go to Cloud Logging"
BRUME_FILE_EOF

put 0644 '/etc/systemd/system/brume-ops-agent.service' <<'BRUME_FILE_EOF'
# brume-ops-agent.service — rendered by brume

[Unit]
Description=Install Google's Ops Agent 2.46.0 (service journals to Cloud Logging)
Wants=network-online.target
After=network-online.target
StartLimitIntervalSec=0

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/lib/brume/install-ops-agent
Restart=on-failure
RestartSec=300s
TimeoutStartSec=15min
StandardOutput=journal+console
StandardError=journal+console
UMask=0022
NoNewPrivileges=yes
PrivateTmp=yes
PrivateMounts=yes
PrivateDevices=yes
ProtectHome=yes
ProtectProc=invisible
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
CapabilityBoundingSet=CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID CAP_KILL CAP_SETUID CAP_SETGID
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM

[Install]
WantedBy=multi-user.target
BRUME_FILE_EOF

put 0755 '/usr/local/lib/brume/registry-login' <<'BRUME_FILE_EOF'
#!/bin/bash
# Logs the container engine in to Artifact Registry with the VM service account's access token.
set -euo pipefail
readonly engine="$1" host="$2"
readonly METADATA_URL="${BRUME_METADATA_URL:-http://metadata.google.internal/computeMetadata/v1}"
token="$(curl --fail --silent --show-error --retry 5 --retry-connrefused --retry-max-time 60 \
  --header 'Metadata-Flavor: Google' "$METADATA_URL/instance/service-accounts/default/token" \
  | sed -n 's/.*"access_token"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')"
if [ -z "$token" ]; then
  echo "registry-login: no access token from the metadata server" >&2
  exit 1
fi
printf '%s' "$token" | "/usr/bin/$engine" login --username oauth2accesstoken --password-stdin "https://$host" >/dev/null
BRUME_FILE_EOF

put 0644 '/etc/docker/daemon.json' <<'BRUME_FILE_EOF'
{
  "userns-remap": "default"
}
BRUME_FILE_EOF

put 0755 '/usr/local/lib/brume/fetch-verified' <<'BRUME_FILE_EOF'
#!/bin/bash
# Downloads a file, verifies its SHA-256 and installs it atomically; installs nothing on mismatch.
#   fetch-verified <url> <sha256> <dest> [mode]
# A .tar.gz / .tgz download is a release archive. With <dest> ending in "/", the whole archive is
# unpacked into that new directory (a process service's source); otherwise the file named like
# <dest> inside it (at its top or in its one top directory, e.g. vfox_0.6.0_linux_x86_64/vfox) is
# installed. Exit codes: 3 checksum mismatch, 4 no such file in the archive, else curl's / tar's.
set -euo pipefail
readonly url="$1" sha256="$2" dest="$3" mode="${4:-0755}"
if [ "${dest%/}" != "$dest" ]; then
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
curl --fail --silent --show-error --location --retry 5 --retry-connrefused --retry-max-time 120 \
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
        mv -- "$work/archive" "${dest%/}"
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
BRUME_FILE_EOF

put 0640 '/etc/brume/services/api.env' <<'BRUME_FILE_EOF'
# api: plain environment — rendered by brume
GREETING=it's $HOME 100%
LOG_LEVEL=info
BRUME_FILE_EOF

put 0644 '/etc/systemd/system/brume-api.service' <<'BRUME_FILE_EOF'
# brume-api.service — api (container) — rendered by brume

[Unit]
Description=api (container europe-west1-docker.pkg.dev/shop-prod-1234/apps/api:1.4.2)
Wants=network-online.target
After=network-online.target docker.service brume-converge.service
Requires=docker.service
StartLimitIntervalSec=0

[Service]
Type=exec
RuntimeDirectory=brume-api
RuntimeDirectoryMode=0700
Environment=DOCKER_CONFIG=/run/brume-api/docker
Environment=REGISTRY_AUTH_FILE=/run/brume-api/auth.json
ExecStartPre=/usr/local/lib/brume/registry-login docker "europe-west1-docker.pkg.dev"
ExecStartPre=/usr/local/lib/brume/secret-env "/run/brume-api/secrets.env" "STRIPE_KEY=projects/shop-prod-1234/secrets/shop-prod-stripe-key"
ExecStartPre=-/usr/bin/docker rm --force brume-api
ExecStart=/usr/bin/docker "run" "--rm" "--name" "brume-api" "--log-driver=journald" "--init" "--read-only" "--tmpfs" "/tmp" "--cap-drop=ALL" "--security-opt=no-new-privileges" "--pull=always" "--publish" "127.0.0.1:8080:8080" "--env-file" "/etc/brume/services/api.env" "--env-file" "/run/brume-api/secrets.env" "europe-west1-docker.pkg.dev/shop-prod-1234/apps/api:1.4.2"
ExecStartPost=/usr/local/lib/brume/wait-healthy "http://127.0.0.1:8080/healthz" 120
ExecStop=/usr/bin/docker stop --time 30 brume-api
Restart=always
RestartSec=5s
TimeoutStartSec=10min
TimeoutStopSec=45s
NoNewPrivileges=yes
PrivateTmp=yes
ProtectHome=yes
ProtectSystem=strict
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
CapabilityBoundingSet=
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM
UMask=0077

[Install]
WantedBy=multi-user.target
BRUME_FILE_EOF

put 0640 '/etc/brume/services/docs.env' <<'BRUME_FILE_EOF'
# docs: plain environment — rendered by brume
BRUME_FILE_EOF

put 0755 '/usr/local/lib/brume/prepare-docs' <<'BRUME_FILE_EOF'
#!/bin/bash
# Prepares docs: nodejs@20.11.1 via vfox, https://github.com/example/docs.git at 3f2a9c1d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49, then the build (once per version).
# Runs as the service user in its state directory. Rendered by brume; do not edit on the machine.
set -euo pipefail

readonly RUNTIME='nodejs@20.11.1'
readonly PLUGIN='nodejs'
readonly BUILD='npm ci && npm run build'
readonly src="$HOME/src"
# vfox caches a shell's environment by parent PID and day under ~/.version-fox/temp: a PID reused
# after a restart would read an empty one. A directory per invocation in the unit's RuntimeDirectory
# (emptied at every stop) keeps each run's environment fresh.
export __VFOX_CURTMPPATH="${RUNTIME_DIRECTORY:?}/vfox.$$"

vfox add "$PLUGIN" >/dev/null 2>&1 || vfox list "$PLUGIN" >/dev/null
vfox install "$RUNTIME"

readonly GIT_URL='https://github.com/example/docs.git'
readonly GIT_REF='3f2a9c1d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49'
# The pinned ref already checked out: no fetch, so a restart does not need the git host.
if [ "$(cat "$HOME/.checked-out-ref" 2>/dev/null)" != "$GIT_REF" ] || ! git -C "$src" rev-parse --quiet --verify HEAD >/dev/null 2>&1; then
  if [ ! -d "$src/.git" ]; then git init --quiet "$src"; fi
  git -C "$src" fetch --quiet --depth 1 "$GIT_URL" "$GIT_REF"
  git -C "$src" checkout --quiet --force --detach FETCH_HEAD
  printf '%s\n' "$GIT_REF" >"$HOME/.checked-out-ref"
fi
version="$(git -C "$src" rev-parse HEAD)"

cd "$src"
vfox use --project "$RUNTIME" >/dev/null
if [ -n "$BUILD" ] && [ ! -f "$HOME/.built-$version" ]; then
  eval "$(vfox env -s bash)"
  bash -euo pipefail -c "$BUILD"
  rm -f "$HOME"/.built-*
  touch "$HOME/.built-$version"
fi
BRUME_FILE_EOF

put 0755 '/usr/local/lib/brume/run-docs' <<'BRUME_FILE_EOF'
#!/bin/bash
# Runs docs. Rendered by brume; do not edit on the machine.
set -euo pipefail
# vfox caches a shell's environment by parent PID and day under ~/.version-fox/temp: a PID reused
# after a restart would read an empty one. A directory per invocation in the unit's RuntimeDirectory
# (emptied at every stop) keeps each run's environment fresh.
export __VFOX_CURTMPPATH="${RUNTIME_DIRECTORY:?}/vfox.$$"
cd "$HOME/src"
eval "$(vfox env -s bash)"
exec 'node' 'server.js' '--port' '3000'
BRUME_FILE_EOF

put 0644 '/etc/systemd/system/brume-docs.service' <<'BRUME_FILE_EOF'
# brume-docs.service — docs (process) — rendered by brume

[Unit]
Description=docs (process nodejs@20.11.1, 3f2a9c1d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49)
Wants=network-online.target
After=network-online.target brume-converge.service
StartLimitIntervalSec=0

[Service]
Type=exec
User=svc-docs
Group=svc-docs
StateDirectory=brume-docs
StateDirectoryMode=0750
RuntimeDirectory=brume-docs
RuntimeDirectoryMode=0700
WorkingDirectory=/var/lib/brume-docs
Environment=HOME=/var/lib/brume-docs
EnvironmentFile=/etc/brume/services/docs.env
ExecStartPre=/usr/local/lib/brume/prepare-docs
ExecStart=/usr/local/lib/brume/run-docs
ExecStartPost=/usr/local/lib/brume/wait-healthy "http://127.0.0.1:3000/" 120
Restart=always
RestartSec=5s
TimeoutStartSec=30min
UMask=0027
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
CapabilityBoundingSet=
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK
SystemCallArchitectures=native
SystemCallFilter=@system-service @pkey
SystemCallErrorNumber=EPERM

[Install]
WantedBy=multi-user.target
BRUME_FILE_EOF

systemctl daemon-reload
systemctl enable brume-converge.service brume-health.socket brume-ops-agent.service dployrd-bootstrap-token.service dployrd.service brume-api.service brume-docs.service caddy.service
if was_changed '/etc/google-cloud-ops-agent/config.yaml' && systemctl is-active --quiet google-cloud-ops-agent.service; then systemctl restart google-cloud-ops-agent.service; fi
if was_changed '/etc/docker/daemon.json' && systemctl is-active --quiet docker.service; then systemctl restart docker.service; fi
systemctl reload-or-restart caddy.service
systemctl start brume-health.socket
# Never waited for: a failure is retried by the unit itself and reported on the console.
systemctl reset-failed brume-ops-agent.service 2>/dev/null || true
systemctl start --no-block brume-ops-agent.service

# A failure from an earlier boot is retried now: the retry budget starts again at each boot.
systemctl reset-failed brume-converge.service 2>/dev/null || true
if ! systemctl start brume-converge.service; then
  status="$(systemctl show --value -p ExecMainStatus brume-converge.service)"
  echo "brume-startup: error: brume-converge.service failed with status $status ($(systemctl show --value -p Result brume-converge.service)); journalctl -u brume-converge.service" >&2
  journalctl --no-pager -n 5 -u brume-converge.service -o cat >&2 || true
  exit 1
fi
log "ready: brume-converge.service done"
