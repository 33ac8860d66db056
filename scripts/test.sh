#!/usr/bin/env bash
# Installs what the tests need (Chromium, the npm OIDC provider, ...), checks style and
# types, and runs every test on SQLite and on PostgreSQL (127.0.0.1:5432 by default,
# MIJN_TEST_POSTGRES_URL to change; each run creates and drops its own database), measuring
# coverage on the SQLite half (README.md, "Coverage"). With arguments: only `pytest ARGS`.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "test: $(date +%T) setup"
MIJN_SETUP_TESTS=1 ./scripts/setup.sh

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null && ls /etc/postgresql >/dev/null 2>&1; then
    echo "test: starting the local PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
fi

echo "test: $(date +%T) ruff"
.venv/bin/ruff check .
echo "test: mypy (strict, also over the tests and benchmarks)"
.venv/bin/mypy mijn tests bench
echo "test: import-linter (the rules of the house, README.md \"Architecture\")"
.venv/bin/lint-imports
if (( $# )); then
  echo "test: pytest $* (SQLite and PostgreSQL)"
  exec .venv/bin/pytest "$@"
fi

# Every test once: the SQLite half and the tests without a database under coverage (README.md,
# "Coverage"), and at the same time the PostgreSQL half without it (the same code again;
# tracing costs ~1.6x). The SQLite half is the longer one: it runs in MIJN_TEST_WORKERS
# processes (pytest-xdist, default 2, whole files per process). Both halves run even when one
# fails; the exit code says whether anything failed. The SQLite half streams its output, the
# PostgreSQL half's follows when both are done.
rm -f .coverage .coverage.*
log=$(mktemp -d)
# Under `set -e` a failing command in an EXIT trap becomes the script's exit status: the
# ticker is already ended when a run gets here, so its kill must not count (it made every
# passing run exit 1).
trap 'kill "${ticker:-}" 2>/dev/null || true; rm -rf "$log"' EXIT
workers="${MIJN_TEST_WORKERS:-2}"
# Every few minutes a line with both halves' progress and the PostgreSQL half's current file:
# CI shows only the end of a run's log, and these lines say where its time went.
started=$SECONDS
progress() { { grep -oE '\[ *[0-9]+%\]' "$1" 2>/dev/null || true; } | tail -n 1 | tr -d '[] '; }
( while sleep "${MIJN_TEST_TICK:-300}"; do
    printf '\ntest: %s, %d min: SQLite half at %s, PostgreSQL half at %s (%s)\n' "$(date +%T)" \
      $(( (SECONDS - started) / 60 )) "$(progress "$log/sqlite")" "$(progress "$log/postgresql")" \
      "$(tail -n 1 "$log/postgresql" 2>/dev/null | cut -d' ' -f1)"
  done ) &
ticker=$!
echo "test: $(date +%T) pytest on PostgreSQL (in the background; its output follows at the end)"
( .venv/bin/pytest --durations=15 -k postgresql >"$log/postgresql" 2>&1; echo $? >"$log/postgresql.rc" ) &
pg_pid=$!
echo "test: $(date +%T) pytest on SQLite and without a database in $workers processes, measuring coverage"
sqlite=0
.venv/bin/coverage run -m pytest --durations=15 -n "$workers" --dist loadfile -k "not postgresql" 2>&1 \
  | tee "$log/sqlite" || sqlite=$?
wait "$pg_pid" || true
kill "$ticker" 2>/dev/null || true
echo "test: $(date +%T) both halves done in $(( (SECONDS - started) / 60 )) min"
echo "test: pytest on PostgreSQL"
cat "$log/postgresql"
postgresql=$(cat "$log/postgresql.rc" 2>/dev/null || echo 1)

echo "test: coverage of the SQLite half, per area (floors in pyproject.toml [tool.mijn.coverage])"
areas=0
.venv/bin/coverage combine --quiet && .venv/bin/python scripts/coverage_areas.py || areas=$?

# One closing line for both halves, from pytest's own last lines: N passed, N failed, N skipped.
count() { tail -q -n 1 "$log/sqlite" "$log/postgresql" | { grep -oE "[0-9]+ $1" || true; } \
  | awk '{ n += $1 } END { print n + 0 }'; }
echo "test: SQLite:$(tail -n 1 "$log/sqlite" | tr -d '=')"
echo "test: PostgreSQL:$(tail -n 1 "$log/postgresql" | tr -d '=')"
echo "pytest: $(count passed) passed, $(( $(count failed) + $(count error) )) failed," \
     "$(count skipped) skipped"
# The verdict on stdout too: CI shows only the end of stdout (a run whose every test passed
# failed CI with nothing on stdout to say why).
verdict="pytest on SQLite: exit $sqlite, on PostgreSQL: exit $postgresql, coverage: exit $areas"
if (( sqlite || postgresql || areas )); then
  echo "test: FAILED ($verdict)"
  echo "test: FAILED ($verdict)" >&2
  exit 1
fi
echo "test: passed ($verdict)"
