#!/usr/bin/env bash
# Installs what is needed, loads the demo data and runs the portal on http://127.0.0.1:8000
# (PORT=8100 ./scripts/demo.sh for another port) with a SQLite file (var/mijn.sqlite3) and
# the built-in development identity provider.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
PORT="${PORT:-8000}"
# The identity provider sends the browser back to the base URL: it must name this port.
export MIJN_BASE_URL="${MIJN_BASE_URL:-http://127.0.0.1:${PORT}}"
.venv/bin/mijn demo
exec .venv/bin/mijn serve --host 127.0.0.1 --port "${PORT}"
