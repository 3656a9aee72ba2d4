#!/usr/bin/env bash
# System tools the tests use to validate generated artifacts with the real tools.
# Idempotent; a machine that already has them installs nothing.
set -euo pipefail
packages=()
for tool in git; do
  command -v "$tool" >/dev/null 2>&1 || packages+=("$tool")
done
if [ "${#packages[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${packages[@]}"
fi
