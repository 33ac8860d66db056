"""Metrics and the log of the real server: `mijn serve --workers 2` with MIJN_METRICS_PORT and
MIJN_LOG_FORMAT=json, on each backend, with the demo data.

A journey over HTTP (citizens log in, read their dossiers, ask a question, search the answers
for a BSN and an e-mail address; an agent finds a caller by BSN; a login fails) moves the
figures that both workers' listeners report, scraped over HTTP; and the server's whole log
holds JSON lines with a request id, route, status and duration, and none of the demo
persons' BSNs, names or e-mail addresses.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import delete

from conftest import HIGH_RATE_LIMITS, TEST_POOL, form_fields
from mijn import PROJECT_ROOT
from mijn.db import Base, make_engine
from mijn.dev.demo import CONTACT_DETAILS
from mijn.dev.personas import BUSINESSES, CITIZENS, STAFF
from mijn.models import REFERENCE_TABLES, import_all

JAN, SANNE = CITIZENS[0], CITIZENS[2]
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@dataclass(frozen=True)
class Served:
    """The running server: its address, its metrics ports and its log."""

    url: str
    metrics: tuple[int, int]
    log: Path
    process: subprocess.Popen[bytes]


def _free_ports() -> tuple[int, int, int]:
    """A port for the portal and two neighbouring ones for the metrics of its two workers."""
    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        try:
            with socket.socket() as a, socket.socket() as b, socket.socket() as c:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 1))
                c.bind(("127.0.0.1", port + 2))
        except OSError:
            continue
        return port + 2, port, port + 1
    raise RuntimeError("no three neighbouring free ports")


def scrape(port: int) -> Samples:
    """Every sample a metrics listener reports, by name and labels (scope labels left out)."""
    response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    assert response.status_code == 200, response.text
    found: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = frozenset((k, v) for k, v in sample.labels.items()
                               if not k.startswith("otel_scope"))
            found[(sample.name, labels)] = sample.value
    return found


def total(samples: list[Samples], name: str, **labels: str) -> float:
    """The sum of a metric over listeners and over the labels not given."""
    wanted = set(labels.items())
    return sum(value for each in samples for (found, have), value in each.items()
               if found == name and wanted <= have)


def _wait_until_up(process: subprocess.Popen[bytes], url: str, log: Path) -> tuple[int, int]:
    """Wait until the portal is ready and both workers listen for Prometheus; their ports (as
    each logged it: a port taken meanwhile by another process is skipped)."""
    deadline = time.monotonic() + 120  # two workers starting, under coverage, on a busy machine
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"mijn serve stopped:\n{log.read_text()}")
        ports = sorted(int(p) for p in re.findall(r"metrics for Prometheus on "
                                                  r"http://127\.0\.0\.1:(\d+)/", log.read_text()))
        try:
            if len(ports) == 2 and httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                return ports[0], ports[1]
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"not up within 120 s:\n{log.read_text()}")


def _wipe(database_url: str) -> None:
    async def wipe() -> None:
        import_all()
        engine = make_engine(database_url)
        try:
            async with engine.begin() as connection:
                for table in reversed(Base.metadata.sorted_tables):
                    if table.name not in REFERENCE_TABLES:
                        await connection.execute(delete(table))
        finally:
            await engine.dispose()

    asyncio.run(wipe())


@pytest.fixture(scope="module")
def served(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`mijn serve --workers 2` with the demo data, metrics and JSON logs."""
    port, first, _second = _free_ports()
    data_dir = tmp_path_factory.mktemp("observe")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MIJN_")},
           **HIGH_RATE_LIMITS, **TEST_POOL, "MIJN_DATABASE_URL": database_url,
           "MIJN_BASE_URL": f"http://127.0.0.1:{port}", "MIJN_DATA_DIR": str(data_dir),
           "MIJN_METRICS_PORT": str(first), "MIJN_LOG_FORMAT": "json"}
    command = [sys.executable, "-m", "mijn.cli"]
    demo = subprocess.run([*command, "demo"], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert demo.returncode == 0, demo.stderr
    log = data_dir / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "serve", "--port", str(port), "--workers", "2"], cwd=PROJECT_ROOT,
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        yield Served(url, _wait_until_up(process, url, log), log, process)
    finally:
        process.terminate()
        process.wait(timeout=30)
        _wipe(database_url)


def log_in(client: httpx.Client, persona: str, audience: str = "citizen") -> None:
    """Through the development provider, as a browser does."""
    path = "/kcc/auth/login" if audience == "staff" else f"/auth/{audience}/login"
    start = client.get(path)
    assert start.status_code == 303, start.text
    page = client.get(start.headers["location"])
    fields = {**form_fields(page.text), "persona": persona}
    back = client.post("/dev-idp/authorize", data=fields)
    assert back.status_code == 303, back.text
    done = client.get(back.headers["location"])
    assert done.status_code == 303, done.text


def ask_question(client: httpx.Client) -> str:
    """Ask a question from Jan's dossier page; its reference."""
    page = client.get("/mijn/vragen/nieuw").text
    topic = re.findall(r'<option value="(\d+)"', page)[0]
    fields = {**form_fields(page), "topic": topic, "dossier": "Z-2026-0001",
              "body": "Wanneer hoor ik meer over mijn aanvraag?", "suggestions_seen": "1"}
    sent = client.post("/mijn/vragen", data=fields)
    assert sent.status_code == 303, sent.text
    return str(sent.headers["location"])


def journey(url: str) -> None:
    """Citizens, a public search, an agent and a failed login, each with their own cookies."""
    with httpx.Client(base_url=url, timeout=30) as jan:
        log_in(jan, "demo-jan")
        assert JAN.name in jan.get("/mijn/dossiers").text
        assert jan.get("/mijn/dossiers/Z-2026-0001").status_code == 200
        assert jan.get(ask_question(jan)).status_code == 200
        assert jan.get("/antwoorden", params={"q": JAN.bsn}).status_code == 200
        assert jan.get("/antwoorden", params={"q": "sanne.devries@example.org"}).status_code == 200
    with httpx.Client(base_url=url, timeout=30) as sanne:
        log_in(sanne, "demo-sanne")
        assert "sanne.devries@example.org" in sanne.get("/mijn/instellingen").text
    with httpx.Client(base_url=url, timeout=30) as agent:
        log_in(agent, "demo-agent", "staff")
        token = form_fields(agent.get("/kcc/klanten").text)["csrf_token"]
        found = agent.post("/kcc/klanten", data={
            "by": "number", "identifier_type": "bsn", "identifier": JAN.bsn, "csrf_token": token})
        assert found.status_code in (200, 303), found.text
    with httpx.Client(base_url=url, timeout=30) as stranger:
        assert stranger.get("/auth/citizen/callback", params={"state": "x", "code": "y"}
                            ).status_code == 400


@pytest.fixture(scope="module")
def journeyed(served: Served) -> tuple[list[Samples], list[Samples]]:
    """One journey (for the module): what both listeners reported before and after it."""
    before = [scrape(port) for port in served.metrics]
    journey(served.url)
    return before, [scrape(port) for port in served.metrics]


def test_metrics_of_both_workers_move_with_a_journey(
    journeyed: tuple[list[Samples], list[Samples]]
) -> None:
    before, after = journeyed

    def moved(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    requests = "http_server_request_duration_seconds_count"
    assert moved(requests, http_route="dossiers:detail", http_response_status_code="200") == 1
    assert moved(requests, http_route="questions:ask", http_request_method="POST") == 1
    assert moved(requests, http_route="kcc:find_post") == 1
    assert not any(label == "http_route" and "/" in value
                   for each in after for (_, labels) in each for label, value in labels)
    assert moved("mijn_logins_total", audience="citizen", result="ok") == 2
    assert moved("mijn_logins_total", audience="staff", result="ok") == 1
    assert moved("mijn_logins_total", audience="citizen", result="state") == 1
    # The database's figures come from the listener on MIJN_METRICS_PORT only.
    first, second = after
    assert total([first], "mijn_queue_waiting") == total(before[:1], "mijn_queue_waiting") + 1
    assert total([first], "mijn_queue_oldest_waiting_seconds") > 0
    for state in ("pending", "dead"):  # the outbox and the ZGW backlog: waiting and failed
        assert ("mijn_outbox_notifications", frozenset({("state", state)})) in first
        assert ("mijn_zgw_backlog", frozenset({("state", state)})) in first
    assert not any(name.startswith("mijn_queue") for name, _ in second)
    for each in after:  # every worker reports its own connection pool
        assert total([each], "db_client_connection_max") > 0
        assert ("db_client_connection_count",
                frozenset({("db_client_connection_state", "idle")})) in each


def test_the_log_is_json_lines_without_personal_data(
    served: Served, journeyed: tuple[list[Samples], list[Samples]]
) -> None:
    time.sleep(0.5)  # the workers' last lines
    text = served.log.read_text()  # from the start, with the journey
    lines = text.splitlines()
    assert lines[0].startswith("Mijn runs on ")  # printed by `mijn serve`; the rest is the log
    entries = [json.loads(line) for line in lines[1:]]
    requests = [e for e in entries if e["logger"] == "mijn.request"]
    assert {"dossiers:list", "questions:ask", "kcc:find_post", "auth:callback"} <= {
        e["route"] for e in requests}, requests
    for entry in requests:
        assert set(entry) >= {"time", "level", "request_id", "route", "method", "status",
                              "duration_ms"}, entry
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["time"])
    secrets = [p.bsn for p in CITIZENS] + [p.name for p in (*CITIZENS, *BUSINESSES, *STAFF)]
    secrets += [p.name.split()[-1] for p in CITIZENS]  # a family name on its own
    secrets += [d[5] for d in CONTACT_DETAILS.values() if d[5]] + ["sanne.devries"]
    secrets += [d[4] for d in CONTACT_DETAILS.values()]  # phone numbers
    for secret in secrets:
        assert secret not in text, f"{secret!r} is in the log"
    assert "demo-jan" not in text and "code=y" not in text and "?q=" not in text


def test_a_proxys_request_id_is_kept_and_a_bad_one_replaced(served: Served) -> None:
    offset = served.log.stat().st_size
    kept = httpx.get(f"{served.url}/antwoorden", headers={"X-Request-ID": "haproxy-42:7.1"})
    assert kept.headers["x-request-id"] == "haproxy-42:7.1"
    bad = httpx.get(f"{served.url}/antwoorden", headers={"X-Request-ID": 'x" 999990019'})
    assert re.fullmatch(r"[0-9a-f]{32}", bad.headers["x-request-id"])
    time.sleep(0.5)
    lines = [json.loads(line) for line in served.log.read_bytes()[offset:].decode().splitlines()]
    ids = {e.get("request_id") for e in lines if e["logger"] == "mijn.request"}
    assert {"haproxy-42:7.1", bad.headers["x-request-id"]} <= ids
