"""The deployment files agree with one another (README.md, "Running Mijn in production").

The build machines have no container runtime, so `Containerfile` and `compose.yaml` are not
built or run here; tests/test_scaleout.py runs the same topology as processes, with
deploy/haproxy.cfg and deploy/pgbouncer.ini as they are. What can be checked without a
runtime is checked here: the topology compose describes, one image for every Mijn process,
read-only root file systems, a non-root user, the setup script as the build step, HAProxy's
health check on /health/ready and time enough to stop gracefully.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from mijn.serving import DRAIN_SECONDS

ROOT = Path(__file__).resolve().parent.parent
MIJN_SERVICES = ("migrate", "portal1", "portal2", "worker", "zgw-retry")


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services: dict[str, Any] = data["services"]
    return services


def test_compose_runs_the_topology_from_one_read_only_image() -> None:
    services = _compose()
    assert set(services) == {"postgres", "pgbouncer", "haproxy", *MIJN_SERVICES}
    for name in MIJN_SERVICES:
        assert services[name]["image"] == "mijn", name
        assert services[name]["read_only"] is True, name
    assert services["worker"]["command"] == ["worker"]
    assert services["zgw-retry"]["command"] == ["zgw", "retry", "--loop"]
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert "pgbouncer:6432" in services["portal1"]["environment"]["MIJN_DATABASE_URL"]
    assert "@postgres:5432" in services["migrate"]["environment"]["MIJN_DATABASE_URL"]
    haproxy = services["haproxy"]
    assert "./deploy/haproxy.cfg:/etc/haproxy/haproxy.cfg:ro" in haproxy["volumes"]
    assert (haproxy["environment"]["MIJN_PORTAL1"], haproxy["environment"]["MIJN_PORTAL2"]) == (
        "portal1:8000", "portal2:8000")
    assert any("deploy/pgbouncer.ini" in volume for volume in services["pgbouncer"]["volumes"])


def test_a_portal_has_time_to_drain_and_finish_its_requests() -> None:
    grace = _compose()["portal1"]["stop_grace_period"]
    seconds = int(re.fullmatch(r"(\d+)s", grace).group(1))  # type: ignore[union-attr]
    assert seconds > DRAIN_SECONDS + 30  # `mijn serve`'s default --graceful-timeout


def test_the_containerfile_builds_with_the_setup_script_and_runs_as_no_root() -> None:
    steps = (ROOT / "Containerfile").read_text(encoding="utf-8")
    assert re.search(r"^RUN \./scripts/setup\.sh", steps, re.MULTILINE)
    users = re.findall(r"^USER (\S+)", steps, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r'^ENTRYPOINT \["mijn"\]', steps, re.MULTILINE)


def test_haproxy_checks_readiness_so_a_draining_instance_is_taken_out() -> None:
    config = (ROOT / "deploy" / "haproxy.cfg").read_text(encoding="utf-8")
    assert re.search(r"^\s*http-check send meth GET uri /health/ready$", config, re.MULTILINE)
    check = re.search(r"^\s*default-server check inter (\d+)s fall (\d+)", config, re.MULTILINE)
    assert check, config
    interval, fall = int(check.group(1)), int(check.group(2))
    assert interval * fall <= DRAIN_SECONDS  # taken out before the listener closes
