#!/usr/bin/env bash
# Installs what the tests need (Chromium, the npm OIDC provider, ...), checks style and
# types, and runs every test on SQLite and on PostgreSQL (127.0.0.1:5432 by default,
# MIJN_TEST_POSTGRES_URL to change; each run creates and drops its own database).
set -euo pipefail
cd "$(dirname "$0")/.."
MIJN_SETUP_TESTS=1 ./scripts/setup.sh

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null && ls /etc/postgresql >/dev/null 2>&1; then
    echo "test: starting the local PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
fi

echo "test: ruff"
.venv/bin/ruff check .
echo "test: mypy (strict, also over the tests and benchmarks)"
.venv/bin/mypy mijn tests bench
echo "test: import-linter (the rules of the house, README.md \"Architecture\")"
.venv/bin/lint-imports
echo "test: pytest (SQLite and PostgreSQL)"
exec .venv/bin/pytest "$@"
