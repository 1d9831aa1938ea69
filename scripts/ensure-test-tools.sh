#!/usr/bin/env bash
# System tools the test suite drives for real: nginx (load-balancer tests).
# Installed from Debian's packages when missing and we are root; otherwise say what to install.
set -euo pipefail

if [ -x /usr/sbin/nginx ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "The tests need nginx at /usr/sbin/nginx: install it (Debian/Ubuntu: apt-get install nginx-light)." >&2
  exit 1
fi
echo "Installing nginx-light from Debian's packages (for the load-balancer tests)..."
# Install the binary only: a policy-rc.d stops the package from starting a system nginx.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
chmod +x /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q nginx-light >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q nginx-light >/dev/null; }
