#!/usr/bin/env bash
# System tools the test suite drives for real: nginx (load-balancer tests), Chromium (the web
# console's browser tests, driven by puppeteer-core) and kubectl's kustomize (Kubernetes
# manifests). nginx and Chromium are installed from Debian's packages when missing and we are
# root; otherwise say what to install.
set -euo pipefail

ensure_nginx() {
  if [ -x /usr/sbin/nginx ]; then
    return 0
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
}

# puppeteer-core never downloads a browser: the tests drive Debian's chromium.
ensure_chromium() {
  if [ -x /usr/bin/chromium ]; then
    return 0
  fi
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "The console tests need Chromium at /usr/bin/chromium: install it (Debian: apt-get install chromium)." >&2
    exit 1
  fi
  echo "Installing chromium from Debian's packages (for the console's browser tests)..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends chromium >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends chromium >/dev/null; }
}

# Debian's kubernetes-client (1.20) bundles kustomize 2, which knows neither components nor
# `labels`: the manifests need kubectl >= 1.27 (kustomize 5), as in the machine image.
ensure_kustomize() {
  if kubectl kustomize --help >/dev/null 2>&1 && kubectl version --client 2>/dev/null | grep -q 'Kustomize Version: v5'; then
    return 0
  fi
  echo "The tests need kubectl >= 1.27 with kustomize v5 on PATH (https://kubernetes.io/docs/tasks/tools/)." >&2
  exit 1
}

ensure_nginx
ensure_chromium
ensure_kustomize
