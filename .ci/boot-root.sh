#!/usr/bin/env bash
# Builds (once) the Debian 12 root the boot test boots with systemd-nspawn, and prints its path.
# Cached under /var/cache/brume-boot/<hash of this file>/root: the inputs (suite, mirror, package lists) are
# all in this file, so editing it yields a new root and an unchanged file reuses the cached one.
# Cold: debootstrap + apt in a chroot (about 8-12 min on 2 cores); warm: nothing to do.
set -euo pipefail
suite=bookworm
mirror=${BRUME_BOOT_MIRROR:-http://deb.debian.org/debian}
# debootstrap's resolver ignores virtual packages, so it installs only the base; apt (in a chroot) the rest.
base=systemd-sysv,dbus,ca-certificates,curl,iproute2,procps,netbase,gnupg
# What GCE's Debian 12 image has (google-guest-agent runs `startup-script`) and what the startup script installs
# (caddy git), plus the runtimes the process filter must admit (python3 golang-go ruby) and logrotate.
extra="google-guest-agent caddy git python3 golang-go ruby logrotate iptables openssl"
hash=$(sha256sum "$0" | cut -c1-16)
cache=${BRUME_BOOT_CACHE:-/var/cache/brume-boot}/$hash
root=$cache/root
if [ -e "$cache/done" ]; then echo "$root"; exit 0; fi
mkdir -p "$cache"
exec 9>"$cache/lock"
flock 9
if [ -e "$cache/done" ]; then echo "$root"; exit 0; fi
rm -rf "$root"
debootstrap --variant=minbase --include="$base" "$suite" "$root" "$mirror" >&2
cat >"$root/etc/apt/sources.list" <<SRC
deb $mirror $suite main
deb $mirror $suite-updates main
SRC
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc"
trap 'umount "$root/proc" 2>/dev/null || true' EXIT
# shellcheck disable=SC2086 # a word list
chroot "$root" env DEBIAN_FRONTEND=noninteractive sh -c \
  "apt-get update -qq && apt-get install -y -qq --no-install-recommends $extra" >&2
chroot "$root" apt-get clean
rm -f "$root/usr/sbin/policy-rc.d"
# The guest agent itself needs GCE's metadata server and network; the boot test runs its script runner only.
chroot "$root" systemctl disable google-guest-agent.service >&2 2>/dev/null || true
echo brume-boot >"$root/etc/hostname"
touch "$cache/done"
echo "$root"
