#!/usr/bin/env bash
# Installs everything Mijn needs on a fresh Debian machine: Debian packages (for the
# browser tests and benchmarks), a Python virtualenv from the lock file, and the npm
# packages from package-lock.json. Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian package -> a command it provides (skipped when that command is already there).
declare -A want_debian=([nodejs]=node [npm]=npm)
if [[ "${MIJN_SETUP_TESTS:-0}" == "1" ]]; then
  want_debian+=([chromium]=chromium [postgresql-client]=pg_isready [wrk]=wrk)
  # The scale-out test and benchmark run the production topology (tests/test_scaleout.py).
  want_debian+=([haproxy]=/usr/sbin/haproxy [pgbouncer]=/usr/sbin/pgbouncer)
  # Virus scanning of uploads runs against a real clamd with its own tiny signature database
  # (tests/test_scanning.py; no freshclam, no network).
  want_debian+=([clamav-daemon]=/usr/sbin/clamd)
fi
missing=()
for pkg in "${!want_debian[@]}"; do
  command -v "${want_debian[$pkg]}" >/dev/null 2>&1 || missing+=("$pkg")
done
if (( ${#missing[@]} )); then
  if [[ $(id -u) -ne 0 ]] && ! command -v sudo >/dev/null; then
    echo "setup: please install these Debian packages first: ${missing[*]}" >&2
    exit 1
  fi
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
fi
if ! cmp -s requirements.lock .venv/.installed-lock 2>/dev/null; then
  echo "setup: installing Python packages from requirements.lock"
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements.lock
  .venv/bin/pip install --quiet --disable-pip-version-check --no-deps -e .
  cp requirements.lock .venv/.installed-lock
fi

if ! cmp -s package-lock.json node_modules/.mijn-installed-lock 2>/dev/null; then
  echo "setup: installing npm packages from package-lock.json"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.mijn-installed-lock
fi
echo "setup: done"
