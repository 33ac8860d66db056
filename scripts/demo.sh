#!/usr/bin/env bash
# Installs what is needed, loads the demo data and runs the portal on http://127.0.0.1:8000
# with a SQLite file (var/mijn.sqlite3) and the built-in development identity provider.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
.venv/bin/mijn demo
exec .venv/bin/mijn serve --host 127.0.0.1 --port "${PORT:-8000}"
