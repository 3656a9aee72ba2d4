#!/usr/bin/env bash
# Boots the rendered machine document (the Debian `startup-script` of examples/machines' edge group)
# in a real Debian 12 systemd: the root from .ci/boot-root.sh (debootstrap, cached by hash), an
# overlay per boot, `systemd-nspawn -b --register=no --keep-unit --private-network` (unified cgroup
# hierarchy), Debian's google-guest-agent script runner fetching the script from a metadata stand-in.
# Everything the VM reaches is a stand-in on the VM's own loopback (test/machine/boot/standins.py).
#
#   boot-test.sh prepare <work>   builds the stand-in release files, git repo and TLS; prints KEY=value
#   boot-test.sh run <work>       boots <work>/startup-good.sh and <work>/startup-bad.sh; prints one line
#                                 per check: "ok <name>", "not ok <name>: <why>", "skip <name>: <why>"
# Called by test/machine/boot.test.ts (which renders the scripts from a plan). Root only.
# Both take OPS_AGENT_VERSION and OPS_AGENT_SUITE from the environment (the pinned Ops Agent, render/ops-agent.ts):
# Google's apt repository is stood in by a signed repository with a package of that version.
set -uo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
boot_files="$here/test/machine/boot"
cmd="${1:?prepare|run}"
work="$(realpath -m "${2:?work directory}")"

prepare() {
  mkdir -p "$work/files" "$work/git" "$work/tls" "$work/build"
  # The agent release: an executable named dployrd in a tarball.
  install -m 0755 "$boot_files/dployrd" "$work/build/dployrd"
  tar -C "$work/build" -czf "$work/files/dployrd_linux_amd64.tar.gz" dployrd
  # vfox's release: vfox_<v>_linux_x86_64/vfox in a tarball (goreleaser's layout).
  mkdir -p "$work/build/vfox_0.6.0_linux_x86_64"
  install -m 0755 "$boot_files/vfox" "$work/build/vfox_0.6.0_linux_x86_64/vfox"
  tar -C "$work/build" -czf "$work/files/vfox_0.6.0_linux_x86_64.tar.gz" vfox_0.6.0_linux_x86_64
  # The renderer's repository: the pinned commit answers "PINNED"; a newer, unpinned head "NEWER".
  local src="$work/build/src"
  rm -rf "$src" "$work/git/tile-renderer.git"
  mkdir -p "$src"
  export GIT_AUTHOR_NAME=brume GIT_AUTHOR_EMAIL=brume@example.com GIT_COMMITTER_NAME=brume GIT_COMMITTER_EMAIL=brume@example.com
  export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"
  git -C "$src" init -q -b main
  printf '{"name":"tile-renderer","version":"1.0.0","scripts":{"build":"mkdir -p dist && cp server.js dist/"}}\n' >"$src/package.json"
  server() {
    printf '%s\n' "const http = require('http');" \
      "http.createServer((req, res) => { res.end(req.url === '/ready' ? 'ready' : 'renderer $1 node ' + process.version); }).listen(3000, '127.0.0.1');" >"$src/server.js"
  }
  server PINNED
  git -C "$src" add -A && git -C "$src" commit -qm pinned
  local ref
  ref="$(git -C "$src" rev-parse HEAD)"
  server NEWER
  git -C "$src" commit -qam newer
  git clone -q --bare "$src" "$work/git/tile-renderer.git"
  git -C "$work/git/tile-renderer.git" config uploadpack.allowAnySHA1InWant true
  git -C "$work/git/tile-renderer.git" config http.receivepack false
  # A test CA and one certificate for every name the VM reaches over HTTPS.
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=brume boot test CA" \
    -keyout "$work/tls/ca.key" -out "$work/tls/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=github.com" -keyout "$work/tls/server.key" -out "$work/tls/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:github.com,DNS:objects.githubusercontent.com,DNS:secretmanager.googleapis.com,DNS:base.tiles.example.com,DNS:packages.cloud.google.com\n' >"$work/tls/ext"
  openssl x509 -req -in "$work/tls/server.csr" -CA "$work/tls/ca.crt" -CAkey "$work/tls/ca.key" -CAcreateserial \
    -days 30 -extfile "$work/tls/ext" -out "$work/tls/server.pem" 2>/dev/null
  echo "AGENT_SHA256=$(sha256sum "$work/files/dployrd_linux_amd64.tar.gz" | cut -d ' ' -f 1)"
  echo "VFOX_SHA256=$(sha256sum "$work/files/vfox_0.6.0_linux_x86_64.tar.gz" | cut -d ' ' -f 1)"
  echo "GIT_REF=$ref"
}

# ---------------------------------------------------------------------------------------------
ok() { echo "ok $1"; }
notok() { echo "not ok $1: $2"; }
skip() { echo "skip $1: $2"; }
check() { # check <name> <why-if-false> <command...>
  local name="$1" why="$2"
  shift 2
  if "$@" >/dev/null 2>&1; then ok "$name"; else notok "$name" "$why"; fi
}

nspawn_pid="" leader="" merged="" console=""

vm() { nsenter -t "$leader" -m -u -i -n -p -- "$@"; }

# eventually <seconds> <command...>: true once the command succeeds (polling every 2 s).
eventually() {
  local deadline=$((SECONDS + $1))
  shift
  while [ "$SECONDS" -lt "$deadline" ]; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 2
  done
  return 1
}

make_machine() { # make_machine <name> <startup script>
  local name="$1" script="$2" root
  root="$(bash "$here/.ci/boot-root.sh")" || { echo "not ok root: .ci/boot-root.sh failed"; exit 1; }
  local dir="$work/boot-$name"
  umount "$dir/merged" 2>/dev/null || true
  rm -rf "$dir"
  mkdir -p "$dir/upper" "$dir/work" "$dir/merged"
  mount -t overlay overlay -o "lowerdir=$root,upperdir=$dir/upper,workdir=$dir/work" "$dir/merged" || { echo "not ok overlay: cannot mount"; exit 1; }
  merged="$dir/merged"
  console="$dir/console.log"
  : >"$console"
  # Stand-ins and their data.
  mkdir -p "$merged/standin"
  cp -a "$work/files" "$work/git" "$work/tls" "$merged/standin/"
  install -m 0644 "$script" "$merged/standin/startup-script"
  install -m 0755 "$boot_files/standins.py" "$merged/standin/standins.py"
  install -m 0644 "$work/tls/ca.crt" "$merged/usr/local/share/ca-certificates/brume-boot-test.crt"
  chroot "$merged" update-ca-certificates >/dev/null 2>&1
  printf '127.0.0.2 github.com objects.githubusercontent.com secretmanager.googleapis.com base.tiles.example.com packages.cloud.google.com\n169.254.169.254 metadata.google.internal\n127.0.1.1 brume-boot\n' >>"$merged/etc/hosts"
  cat >"$merged/etc/systemd/system/standins.service" <<'UNIT'
[Unit]
Description=brume boot test stand-ins (metadata, GitHub, git, Secret Manager) on loopback
DefaultDependencies=no
After=systemd-networkd.service local-fs.target
Before=network-online.target google-startup-scripts.service brume-converge.service dployrd-bootstrap-token.service

[Service]
Type=simple
ExecStartPre=/sbin/ip link set lo up
ExecStartPre=-/sbin/ip addr add 127.0.0.2/8 dev lo
ExecStartPre=-/sbin/ip addr add 169.254.169.254/32 dev lo
ExecStartPre=/usr/sbin/iptables -t nat -A OUTPUT -d 127.0.0.2 -p tcp --dport 443 -j DNAT --to-destination 127.0.0.2:8443
ExecStart=/usr/bin/python3 /standin/standins.py
ExecStartPost=/bin/bash -c 'for i in $(seq 50); do (exec 3<>/dev/tcp/169.254.169.254/80) 2>/dev/null && exit 0; sleep 0.1; done; exit 1'

[Install]
WantedBy=multi-user.target
UNIT
  ln -sf /etc/systemd/system/standins.service "$merged/etc/systemd/system/multi-user.target.wants/standins.service"
  ln -sf /lib/systemd/system/google-startup-scripts.service "$merged/etc/systemd/system/multi-user.target.wants/google-startup-scripts.service"
  rm -f "$merged/etc/systemd/system/multi-user.target.wants/google-guest-agent.service"
  # No shutdown-script is rendered; its runner would wait on the (stopped) metadata stand-in at every poweroff.
  ln -sf /dev/null "$merged/etc/systemd/system/google-shutdown-scripts.service"
  # Node.js for the process runner: the host's node (vfox's download, stood in), npm stood in.
  mkdir -p "$merged/opt/standin/node/bin"
  install -m 0755 "$(command -v node)" "$merged/opt/standin/node/bin/node"
  install -m 0755 "$boot_files/npm" "$merged/opt/standin/node/bin/npm"
  # docker.io is not in the boot root (the container runner is not booted here, see the skip):
  # an empty package of that name lets the startup script's package step pass offline.
  mkdir -p "$dir/deb/DEBIAN"
  printf 'Package: docker.io\nVersion: 0-brume-boot-standin\nArchitecture: all\nMaintainer: brume\nDescription: stand-in, no docker here\n' >"$dir/deb/DEBIAN/control"
  dpkg-deb -b "$dir/deb" "$merged/tmp/docker-standin.deb" >/dev/null
  chroot "$merged" dpkg -i /tmp/docker-standin.deb >/dev/null
  make_ops_agent_repo "$dir"
  : >"$merged/etc/machine-id"
}

# Google's Ops Agent repository, stood in: a package google-cloud-ops-agent of the pinned version (its
# unit starts only if the config has brume's systemd_journald receiver; its own config.yaml is a
# conffile, so --force-confold must keep brume's), in an apt repository signed by a throwaway key
# (gpg in the VM's root), the key served where Google serves its own (/apt/doc/apt-key.gpg).
make_ops_agent_repo() {
  local dir="$1" pkg="$1/ops-agent" version="${OPS_AGENT_VERSION:?}~debian12" suite="${OPS_AGENT_SUITE:?}"
  local apt="$merged/standin/apt" deb
  mkdir -p "$pkg/DEBIAN" "$pkg/etc/google-cloud-ops-agent" "$pkg/lib/systemd/system" "$apt/doc" "$apt/dists/$suite/main/binary-amd64" "$apt/pool/main/g"
  printf 'Package: google-cloud-ops-agent\nVersion: %s\nArchitecture: all\nMaintainer: brume boot test\nDescription: stand-in for Google Cloud Ops Agent\n' "$version" >"$pkg/DEBIAN/control"
  printf '/etc/google-cloud-ops-agent/config.yaml\n' >"$pkg/DEBIAN/conffiles"
  printf '# the package default (stand-in)\nlogging: {}\n' >"$pkg/etc/google-cloud-ops-agent/config.yaml"
  printf '#!/bin/sh\nset -e\nif [ "$1" = configure ]; then systemctl daemon-reload; systemctl enable google-cloud-ops-agent.service; systemctl restart google-cloud-ops-agent.service || true; fi\n' >"$pkg/DEBIAN/postinst"
  chmod 0755 "$pkg/DEBIAN/postinst"
  cat >"$pkg/lib/systemd/system/google-cloud-ops-agent.service" <<'UNIT'
[Unit]
Description=Google Cloud Ops Agent (boot test stand-in)

[Service]
ExecStartPre=/bin/grep -q "type: systemd_journald" /etc/google-cloud-ops-agent/config.yaml
ExecStart=/bin/sleep infinity

[Install]
WantedBy=multi-user.target
UNIT
  deb="pool/main/g/google-cloud-ops-agent_${version}_all.deb"
  dpkg-deb --root-owner-group -b "$pkg" "$apt/$deb" >/dev/null
  { dpkg-deb -f "$apt/$deb"; printf 'Filename: %s\nSize: %s\nSHA256: %s\n\n' "$deb" "$(stat -c %s "$apt/$deb")" "$(sha256sum "$apt/$deb" | cut -d ' ' -f 1)"; } \
    >"$apt/dists/$suite/main/binary-amd64/Packages"
  local packages="$apt/dists/$suite/main/binary-amd64/Packages"
  printf 'Origin: brume boot test\nSuite: %s\nCodename: %s\nDate: %s\nArchitectures: amd64\nComponents: main\nSHA256:\n %s %s main/binary-amd64/Packages\n' \
    "$suite" "$suite" "$(date -Ru)" "$(sha256sum "$packages" | cut -d ' ' -f 1)" "$(stat -c %s "$packages")" >"$apt/dists/$suite/Release"
  install -d -m 0700 "$merged/standin/gnupg"
  local gpg=(chroot "$merged" gpg --homedir /standin/gnupg --batch --quiet --pinentry-mode loopback --passphrase '')
  "${gpg[@]}" --quick-gen-key "brume boot test apt repository" rsa2048 sign never 2>/dev/null
  "${gpg[@]}" --yes --clearsign -o "/standin/apt/dists/$suite/InRelease" "/standin/apt/dists/$suite/Release"
  "${gpg[@]}" --export >"$apt/doc/apt-key.gpg"
  chroot "$merged" gpgconf --homedir /standin/gnupg --kill all
}

start_machine() {
  SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 SYSTEMD_NSPAWN_TMPFS_TMP=0 systemd-nspawn -q -b -D "$merged" \
    --register=no --keep-unit --private-network --machine=brume-boot >>"$console" 2>&1 </dev/null &
  nspawn_pid=$!
  leader=""
  local deadline=$((SECONDS + 60)) child
  while [ "$SECONDS" -lt "$deadline" ] && [ -z "$leader" ]; do
    for child in $(pgrep -P "$nspawn_pid"); do
      if [ "$(cat "/proc/$child/comm" 2>/dev/null)" = systemd ]; then leader="$child"; fi
    done
    sleep 0.5
  done
  [ -n "$leader" ] || { echo "not ok boot: systemd did not start in the container"; tail -20 "$console"; return 1; }
  # The boot is done when the startup script has run (its unit is a oneshot, RemainAfterExit).
  eventually 300 bash -c "s=\$(nsenter -t $leader -m -u -i -n -p -- systemctl show --value -p ActiveState google-startup-scripts.service); [ \"\$s\" = active ] || [ \"\$s\" = failed ]"
}

stop_machine() {
  [ -n "$nspawn_pid" ] || return 0
  # SIGRTMIN+4 to the container's systemd: poweroff.
  kill -s RTMIN+4 "$leader" 2>/dev/null || true
  local deadline=$((SECONDS + 60))
  while kill -0 "$nspawn_pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 1; done
  if kill -0 "$nspawn_pid" 2>/dev/null; then echo "not ok poweroff: the machine did not stop within 60 s"; kill -s KILL "$leader" "$nspawn_pid" 2>/dev/null; fi
  wait "$nspawn_pid" 2>/dev/null || true
  nspawn_pid=""
}

reboot_machine() {
  # SIGINT to the container's systemd: ctrl-alt-del.target, a reboot; nspawn exits and is started again.
  kill -s INT "$leader" 2>/dev/null || true
  local deadline=$((SECONDS + 90))
  while kill -0 "$nspawn_pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 1; done
  wait "$nspawn_pid" 2>/dev/null || true
  start_machine
}

https_get() { vm curl -sk --max-time 5 --resolve "$1:443:127.0.0.1" "https://$1$2"; }
health() { vm curl -s --max-time 5 "http://127.0.0.1:9000$1"; }
health_code() { vm curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:9000$1"; }
renderer_answers() { https_get tiles.example.com / | grep -q "renderer PINNED"; }
agent_active() { [ "$(vm systemctl is-active dployrd.service)" = active ]; }
agent_and_renderer() { agent_active && renderer_answers; }
ops_agent_installed() { [ "$(vm dpkg-query -W -f='${Version}' google-cloud-ops-agent 2>/dev/null)" = "${OPS_AGENT_VERSION}~debian12" ] && [ "$(vm systemctl is-active brume-ops-agent.service)" = active ]; }
ops_agent_runs() { [ "$(vm systemctl is-active google-cloud-ops-agent.service)" = active ] && head -1 "$merged/etc/google-cloud-ops-agent/config.yaml" | grep -q "Rendered by brume"; }
services_up_without_ops_agent() { agent_and_renderer && [ "$(vm systemctl is-active brume-ops-agent.service)" != active ]; }
ops_agent_kept() { journal_has brume-ops-agent.service 'already installed' -b && ops_agent_runs; }
renderer_restarted() { [ "$(vm systemctl show --value -p NRestarts brume-renderer.service)" -ge 1 ] && renderer_answers; }
# Output captured first: `grep -q` ending a pipeline early would fail it under pipefail (SIGPIPE).
journal_has() { local out; out="$(vm journalctl --no-pager "${@:3}" -u "$1" -o cat)"; grep -qF -- "$2" <<<"$out"; }
output_has() { local want="$1" out; shift; out="$("$@" 2>/dev/null)"; grep -qF -- "$want" <<<"$out"; }
not() { ! "$@"; }
run_filtered() { vm systemd-run --quiet --wait --pipe --collect -p DynamicUser=yes -p Environment=HOME=/tmp -p Environment=GOCACHE=/tmp/go-cache "$@"; }

# ---------------------------------------------------------------------------------------------
main_boot() {
  make_machine main "$work/startup-good.sh"
  # Outage during the first boot: release server and git host down.
  touch "$merged/standin/down-releases" "$merged/standin/down-git" "$merged/standin/down-packages"
  start_machine || return
  check "startup-script run by google_metadata_script_runner" "google-startup-scripts.service did not run the script" \
    journal_has google-startup-scripts.service 'Found startup-script in metadata'
  check "outage: the failed install is reported by the startup script" "no error line from brume-startup" \
    journal_has google-startup-scripts.service 'brume-startup: error: brume-converge.service failed'
  check "outage: /healthz is 503 while nothing is installed" "got $(health_code /healthz)" test "$(health_code /healthz)" = 503
  rm -f "$merged/standin/down-releases" "$merged/standin/down-git"
  check "outage heals when the stand-ins come back (bounded retries)" "agent or renderer not up 240 s after the outage" \
    eventually 240 agent_and_renderer

  # Google's apt repository still down: the services run, the Ops Agent's install says why it waits.
  check "ops agent: the repository down does not hold the agent or the services" "brume-ops-agent.service is $(vm systemctl is-active brume-ops-agent.service)" \
    services_up_without_ops_agent
  check "ops agent: the failed install is a clear line on the console" "no 'brume-ops-agent: error' on the console" \
    grep -q "brume-ops-agent: error: .*service journals are not shipped" "$console"
  check "ops agent: /healthz stays 200 and says journals are not shipped" "$(health /healthz)" output_has "ok; journals not shipped yet" health /healthz
  rm -f "$merged/standin/down-packages"
  # The unit's next try (every 5 min), now.
  # (restart: a start request would wait for the pending auto-restart.)
  vm systemctl restart --no-block brume-ops-agent.service
  check "ops agent: installed at the pinned version from the signed repository once it answers" \
    "$(vm dpkg-query -W -f='${Version}' google-cloud-ops-agent 2>&1)" eventually 120 ops_agent_installed
  check "ops agent: runs with brume's config (systemd_journald receiver, the package's conffile not taken)" \
    "$(vm systemctl is-active google-cloud-ops-agent.service) $(head -1 "$merged/etc/google-cloud-ops-agent/config.yaml")" ops_agent_runs
  check "ops agent: /healthz says ok once journals are shipped" "$(health /healthz)" test "$(health /healthz)" = ok

  # The agent: its user, the token 0600, its JSON log.
  local pid
  pid="$(vm systemctl show --value -p MainPID dployrd.service)"
  check "agent runs as dployrd" "MainPID $pid runs as $(vm stat -c %U "/proc/$pid" 2>&1)" test "$(vm stat -c %U "/proc/$pid" 2>/dev/null)" = dployrd
  check "token is 0600 dployrd:dployrd" "$(vm stat -c '%a %U:%G' /var/lib/dployrd/bootstrap-token 2>&1)" \
    test "$(vm stat -c '%a %U:%G' /var/lib/dployrd/bootstrap-token)" = "600 dployrd:dployrd"
  check "agent logs JSON to /var/log/dployrd/app.log" "no JSON line" bash -c "grep -q '\"msg\": \"started\"' '$merged/var/log/dployrd/app.log'"
  check "logrotate -d accepts the agent's rotation file" "$(vm logrotate -d /etc/logrotate.d/dployrd 2>&1 | tail -3)" \
    output_has "considering log /var/log/dployrd/app.log" vm sh -c 'logrotate -d /etc/logrotate.d/dployrd 2>&1'
  check "process service answers through Caddy at the pinned commit" "$(https_get tiles.example.com / 2>&1)" renderer_answers
  check "/healthz is 200 once installed and the agent runs" "$(health /healthz)" test "$(health_code /healthz)" = 200
  check "/ready asks each service's own check through Caddy" "$(health /ready | tr '\n' ' ')" output_has "renderer: ok" health /ready
  check "/healthz/renderer proxies the service's own health path" "$(health /healthz/renderer)" test "$(health /healthz/renderer)" = ready
  skip "container service answers through Caddy" "docker.io is not in the boot root and podman/crun cannot start containers here (no CAP_SYS_RESOURCE in the bounding set); the container unit is rated offline"

  # Kill the service with the git host down: it restarts without fetching.
  touch "$merged/standin/down-git"
  vm systemctl kill -s KILL brume-renderer.service
  check "killing the process service restarts it (git host down: no fetch of a present ref)" "renderer not back within 60 s" \
    eventually 60 renderer_restarted
  vm systemctl kill -s KILL dployrd.service
  sleep 6
  check "killing the agent restarts it" "agent not back within 30 s" eventually 30 agent_active

  # Runtimes under the rendered process filter (the unit's sandbox lines, read from the unit file).
  local props=() line
  while IFS= read -r line; do props+=(-p "$line"); done < <(grep -E '^(SystemCall|NoNewPrivileges|Protect|Private|Restrict|LockPersonality|CapabilityBoundingSet)' "$merged/etc/systemd/system/brume-renderer.service")
  printf 'package main\nimport "fmt"\nfunc main() { fmt.Println("go ok") }\n' >"$merged/standin/hello.go"
  check "node runs under the rendered filter" "$(run_filtered "${props[@]}" /opt/standin/node/bin/node -e 'console.log("node ok")' 2>&1 | tail -3)" \
    output_has "node ok" run_filtered "${props[@]}" /opt/standin/node/bin/node -e 'console.log("node ok")'
  check "python3 runs under the rendered filter" "$(run_filtered "${props[@]}" /usr/bin/python3 -c 'print(1)' 2>&1 | tail -3)" \
    output_has "python ok" run_filtered "${props[@]}" /usr/bin/python3 -c 'import ssl, sqlite3, threading; print("python ok")'
  check "go (build and run) runs under the rendered filter" "$(run_filtered "${props[@]}" /usr/bin/go run /standin/hello.go 2>&1 | tail -3)" \
    output_has "go ok" run_filtered "${props[@]}" /usr/bin/go run /standin/hello.go
  check "ruby runs under the rendered filter" "$(run_filtered "${props[@]}" /usr/bin/ruby -e 'puts 1' 2>&1 | tail -3)" \
    output_has "ruby ok" run_filtered "${props[@]}" /usr/bin/ruby -e 'require "openssl"; puts "ruby ok"'
  check "the filter check is live: plain @system-service kills node (SIGSYS)" "node was not killed" \
    not run_filtered -p 'SystemCallFilter=@system-service' /opt/standin/node/bin/node -e 1

  # Reboot with the release server, the git host and Google's apt repository down: the installed versions keep serving.
  touch "$merged/standin/down-releases" "$merged/standin/down-git" "$merged/standin/down-packages"
  reboot_machine || return
  check "reboot (release server down): agent back" "agent not active 120 s after the reboot" \
    eventually 120 agent_active
  check "reboot (release server down): process service back through Caddy" "renderer not back" \
    eventually 120 renderer_answers
  check "reboot: the startup script ran again and succeeded" "startup script failed at the reboot" \
    journal_has google-startup-scripts.service 'brume-startup: ready' -b
  check "reboot: /healthz 200" "$(health /healthz)" test "$(health_code /healthz)" = 200
  check "reboot (repository down): the Ops Agent is not reinstalled and runs" \
    "$(vm journalctl --no-pager -b -u brume-ops-agent.service -o cat 2>&1 | tail -2)" \
    eventually 60 ops_agent_kept
  stop_machine
}

bad_boot() {
  make_machine bad "$work/startup-bad.sh"
  start_machine || return
  check "checksum mismatch: the install fails with status 3, not retried" \
    "$(vm systemctl show -p Result -p ExecMainStatus -p NRestarts brume-converge.service | tr '\n' ' ')" \
    test "$(vm systemctl show --value -p ExecMainStatus brume-converge.service)/$(vm systemctl show --value -p NRestarts brume-converge.service)" = "3/0"
  check "checksum mismatch: nothing installed" "/usr/local/bin/dployrd exists" test ! -e "$merged/usr/local/bin/dployrd"
  check "checksum mismatch: a clear line on the serial console" "no 'checksum mismatch' on the console" grep -q "checksum mismatch" "$console"
  check "checksum mismatch: the load balancer's /ready is 503" "got $(health_code /ready)" test "$(health_code /ready)" = 503
  check "checksum mismatch: /healthz says degraded (status 3), so autohealing does not recreate forever" "$(health /healthz)" \
    output_has 'degraded: install failed with status 3' health /healthz
  check "checksum mismatch: the Ops Agent installs anyway (the failed machine's journals reach Cloud Logging)" \
    "$(vm journalctl --no-pager -u brume-ops-agent.service -o cat 2>&1 | tail -3)" eventually 120 ops_agent_installed
  stop_machine
}

cleanup() {
  stop_machine
  for d in "$work"/boot-*/merged; do umount "$d" 2>/dev/null || true; done
}

case "$cmd" in
  prepare) prepare ;;
  run)
    trap cleanup EXIT
    if [ "$(id -u)" != 0 ]; then echo "skip boot: needs root (systemd-nspawn, overlay mounts)"; exit 0; fi
    main_boot
    bad_boot
    skip "Container-Optimized OS boot" "no COS userland can be built here; its user-data is judged offline (cloud-init schema, unit ratings)"
    ;;
  *) echo "usage: boot-test.sh prepare|run <work>" >&2; exit 2 ;;
esac
