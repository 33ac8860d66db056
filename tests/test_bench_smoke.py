"""Every benchmark at its smoke size: a fresh database, a real server, a second of load.

Each runs `python -m bench.<name> --smoke` as its own process (the benchmarks start servers,
wrk and worker processes, and create and drop their own PostgreSQL database), then checks
the exit status and the summary line it prints. Deselect with `-m "not bench"`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ["run", "answers", "kcc", "notify", "ingest", "insight", "workspace", "scaleout",
              "openklant", "documents", "ingest_cpu", "profile"]
SUMMARY = re.compile(r"^SMOKE (\w+): (PASS|FAIL) in [\d.]+ s; requests (\d+), failed (\d+)",
                     re.MULTILINE)

pytestmark = pytest.mark.bench


@pytest.mark.parametrize("name", BENCHMARKS)
def test_smoke(name: str) -> None:
    assert name in ("notify", "openklant", "ingest_cpu", "profile") or shutil.which("wrk"), "wrk is missing: run ./scripts/setup.sh"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run([sys.executable, "-m", f"bench.{name}", "--smoke"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=180, check=False)
    output = done.stdout + done.stderr
    found = SUMMARY.search(done.stdout)
    assert found, f"no summary line:\n{output[-4000:]}"
    assert (done.returncode, found.group(2)) == (0, "PASS"), output[-4000:]
    assert found.group(1) == name
    assert int(found.group(3)) > 0, "no requests were made"
    assert int(found.group(4)) == 0, output[-4000:]
