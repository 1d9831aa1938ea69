#!/usr/bin/env bash
# System tools the test suite drives for real: nginx (load-balancer tests and the outage suite),
# redis-server and PostgreSQL's server binaries (the outage suite starts, kills and restarts its
# own), Chromium (the web console's browser tests, driven by puppeteer-core) and kubectl's
# kustomize (Kubernetes manifests). Debian packages are installed when missing and we are root;
# otherwise say what to install. `ensure-test-tools.sh faults`: only the outage suite's
# (`npm run test:faults`).
set -euo pipefail

# Installs a Debian package when its binary is missing and we are root; otherwise says what to
# install.
ensure_debian_package() { # binary package purpose
  local binary=$1 package=$2 purpose=$3
  if [ -x "$binary" ]; then
    return 0
  fi
  install_debian_package "$binary" "$package" "$purpose"
}

install_debian_package() { # what package purpose
  local what=$1 package=$2 purpose=$3
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "The tests need $what ($purpose): install it (Debian/Ubuntu: apt-get install $package)." >&2
    exit 1
  fi
  echo "Installing $package from Debian's packages (for $purpose)..."
  export DEBIAN_FRONTEND=noninteractive
  # The binaries only: a policy-rc.d stops the package from starting a system service (nginx,
  # redis-server, a PostgreSQL cluster).
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get install -y -q "$package" >/dev/null ||
    { apt-get update -q >/dev/null && apt-get install -y -q "$package" >/dev/null; }
  rm -f /usr/sbin/policy-rc.d
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

# test/faults runs initdb and pg_ctl of the newest version under /usr/lib/postgresql.
ensure_postgres_server() {
  if compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
    return 0
  fi
  install_debian_package "PostgreSQL's initdb" postgresql "the outage suite"
}

ensure_debian_package /usr/sbin/nginx nginx-light "the load-balancer tests and the outage suite"
ensure_debian_package /usr/bin/redis-server redis-server "the outage suite"
ensure_postgres_server
if [ "${1:-}" = faults ]; then
  exit 0
fi
# puppeteer-core never downloads a browser: the console's tests drive Debian's chromium.
ensure_debian_package /usr/bin/chromium chromium "the web console's browser tests"
ensure_kustomize
