"""Documents: the citizen's download and the back office's API upload, on 2 workers.

    .venv/bin/python -m bench.documents               # 1 and 20 MB, 200 MB for memory (~5 min)
    .venv/bin/python -m bench.documents --no-s3       # the directory store only
    .venv/bin/python -m bench.documents --smoke       # small files, a second or two per phase

Creates the database mijn_bench_documents afresh (migrated), an API client, and starts the
portal as `mijn serve` does (bench/serve.py, --workers 2, TCP_NODELAY) with the directory
store in bench/results/documents-store, plus one bench-only route in the same server:
Starlette's StaticFiles at /bench/statisch serving the same bytes from the same disk
(bench/app.py). Through the API it registers a dossier type and a citizen's dossier and
uploads the documents (PDFs of --sizes MB and of --big-mb MB, random bytes after `%PDF-`).

Checked before measuring: each download (the citizen's session, level of assurance "hoog")
and each static file gives back exactly the bytes uploaded (sha256), as an attachment with
`no-store`; without a session the download is the login (303).

Measured, each phase after a wait for a quiet machine and a warm-up, with the machine's
load recorded:

  raw disk copy   the same files copied on the same disk by this process (read + write,
                  as the store's write does, no fsync): the MB/s the disk gives
  download        wrk at --connections: the static file (baseline) and the document
                  (session, dossier access, level of assurance, the audit row, streamed from
                  the store), per size: req/s, MB/s, p50/p99, and the ratio to the static file
  upload          wrk POSTing the multipart form of --sizes[0] MB to
                  POST /api/v1/dossiers/{source}/{id}/documents (token, sniffing, spooling,
                  the store, the row and the news): uploads/s and MB/s, against the raw disk copy
  memory          each worker's peak RSS (VmHWM, reset through /proc/PID/clear_refs) during
                  one download and one API upload of --sizes[0] MB and of --big-mb MB: what a
                  transfer adds to the worker must not grow with the file's size
  s3 (--s3)       the same upload and 1 MB download with the S3 store, against moto's S3
                  server on this machine (in memory, one Python process: a check that the
                  store streams under load, not a figure for a real object store)

Every response is checked (status, bytes per response); a bad one fails the run. Results
go to bench/results/documents-*.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import RESULTS_DIR
from bench.app import STATIC_DIR_VARIABLE, STATIC_PATH
from bench.common import (
    SmokeResult,
    add_smoke_flag,
    asyncpg_dsn,
    lua_string,
    run_smoke,
    smoke_sizes,
    wrk_counts,
)
from bench.ingest import DOSSIER_TYPE, make_token, recreate_database
from bench.product import Identity, Progress, language
from bench.run import Server, busy_total, machine, machine_ticks, start_server, status_kb
from bench.run import wait_for_quiet as quiet
from bench.sessions import mint

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/mijn_bench_documents"
APP = "bench.app:create_documents_bench_app"
SOURCE = "bench"  # bench.ingest.make_token's client writes this source
TYPE_CODE = "bench_documenten"
BSN = "999990019"
MB = 1024 * 1024
BUCKET = "mijn-bench-documenten"
FLAT_MARGIN_MB = 32  # what a big transfer may add above a small one (flat_margin)
BOUNDARY = "mijnbenchgrens7e1f"
FILES = RESULTS_DIR / "documents-files"  # the originals, also served as static files
STORE = RESULTS_DIR / "documents-store"  # the directory store of the bench server


# --- files --------------------------------------------------------------------------------

def make_pdf(path: Path, size: int) -> str:
    """A file of size bytes that sniffs as a PDF (random bytes after the magic); its sha256."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        head = b"%PDF-1.7\n"
        out.write(head)
        digest.update(head)
        left = size - len(head)
        while left > 0:
            chunk = os.urandom(min(MB, left))
            out.write(chunk)
            digest.update(chunk)
            left -= len(chunk)
    return digest.hexdigest()


def file_name(mb: float) -> str:
    """The name of the file of mb megabytes."""
    return f"document-{mb:g}mb.pdf"


def make_files(sizes: list[float]) -> dict[float, str]:
    """The originals of every size in FILES (made anew); their sha256 by size."""
    shutil.rmtree(FILES, ignore_errors=True)
    FILES.mkdir(parents=True)
    return {mb: make_pdf(FILES / file_name(mb), int(mb * MB)) for mb in sizes}


def multipart_body(mb: float) -> Path:
    """The API upload's multipart form for the file of mb MB, written once for wrk."""
    path = RESULTS_DIR / f"documents-upload-{mb:g}mb.form"
    head = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n"
            f"Besluit op uw aanvraag\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; "
            f"name=\"kind\"\r\n\r\nbesluit\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; "
            f"name=\"file\"; filename=\"besluit.pdf\"\r\nContent-Type: application/pdf\r\n\r\n")
    with path.open("wb") as out:
        out.write(head.encode())
        out.write((FILES / file_name(mb)).read_bytes())
        out.write(f"\r\n--{BOUNDARY}--\r\n".encode())
    return path


def disk_copy(mb: float, seconds: float) -> dict[str, Any]:
    """Copy the file of mb MB on the same disk again and again (at least 3 times)."""
    source, copies, began = FILES / file_name(mb), 0, time.monotonic()
    target = STORE / "raw-copy.tmp"
    while copies < 3 or time.monotonic() - began < seconds:
        shutil.copyfile(source, target)
        target.unlink()
        copies += 1
    elapsed = time.monotonic() - began
    return {"copies": copies, "per_second": round(copies / elapsed, 1),
            "mb_per_second": round(copies * mb / elapsed, 1)}


# --- the server and its setup ---------------------------------------------------------------

@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """os.environ with these values (start_server passes it on to the server)."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def start(args: argparse.Namespace, label: str, store: dict[str, str]) -> Server:
    """The bench app on 2 workers with this store's settings."""
    args.server, args.workers = "nodelay", 2
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    values = {STATIC_DIR_VARIABLE: str(FILES), "MIJN_DOCUMENTS_DIR": str(STORE),
              "MIJN_DOCUMENTS_MAX_MB": str(int(args.big_mb) + 1), **store}
    with environment(values):
        return start_server(args, RESULTS_DIR / f"documents-{label}-{stamp}.log", APP,
                            "documents")


def register(base: str, token: str) -> str:
    """The dossier type and the citizen's dossier, through the API; the dossier's reference."""
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=auth, timeout=60) as client:
        r = client.put(f"/api/v1/dossier-types/{TYPE_CODE}", json=DOSSIER_TYPE)
        if r.status_code != 204:
            raise SystemExit(f"documents: the dossier type: HTTP {r.status_code} {r.text[:300]}")
        r = client.put(f"/api/v1/dossiers/{SOURCE}/D1", json={
            "party": {"type": "bsn", "id": BSN}, "dossier_type": TYPE_CODE,
            "title": "Aanvraag bijzondere bijstand", "channel": "web",
            "department": "Werk en inkomen", "opened_on": "2026-11-01"})
        if r.status_code not in (200, 201):
            raise SystemExit(f"documents: the dossier: HTTP {r.status_code} {r.text[:300]}")
        return str(r.json()["reference"])


def upload(base: str, token: str, mb: float) -> dict[str, Any]:
    """One API upload of the file of mb MB, streamed from disk; the document as the API
    describes it."""
    with (FILES / file_name(mb)).open("rb") as f:
        r = httpx.post(f"{base}/api/v1/dossiers/{SOURCE}/D1/documents",
                       headers={"Authorization": f"Bearer {token}"}, timeout=300,
                       data={"title": f"Besluit {mb:g} MB", "kind": "besluit"},
                       files={"file": ("besluit.pdf", f, "application/pdf")})
    if r.status_code != 201:
        raise SystemExit(f"documents: upload of {mb:g} MB: HTTP {r.status_code} {r.text[:300]}")
    return dict(r.json())


async def _party_id(url: str) -> int:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return int(await conn.fetchval(
            "SELECT id FROM parties WHERE identifier_type = 'bsn' AND identifier = $1", BSN))
    finally:
        await conn.close()


def citizen_cookie(url: str, party_id: int) -> str:
    """A fresh session of the dossier's citizen, logged in at level "hoog"."""
    identity = Identity(party_id=party_id, audience="citizen", roles=(), loa="hoog")
    return f"mijn_session={mint(url, [identity], time.time())[0]}; mijn_csrf=bench"


def fetch(url: str, cookie: str = "") -> tuple[int, str, int, httpx.Headers]:
    """GET url, streamed: (status, sha256 of the body, bytes, headers)."""
    digest, size = hashlib.sha256(), 0
    headers = {"Cookie": cookie} if cookie else {}
    with httpx.stream("GET", url, headers=headers, timeout=300) as r:
        for chunk in r.iter_bytes(256 * 1024):
            digest.update(chunk)
            size += len(chunk)
        return r.status_code, digest.hexdigest(), size, r.headers


def preflight(base: str, cookie: str, paths: dict[float, str], sums: dict[float, str]) -> None:
    """Every download and static file is the bytes uploaded; the download is an attachment,
    never stored; without a session it is the login."""
    for mb, path in paths.items():
        for what, url in (("document", base + path),
                          ("static file", f"{base}{STATIC_PATH}/{file_name(mb)}")):
            status, digest, _, headers = fetch(url, cookie)
            if status != 200 or digest != sums[mb]:
                raise SystemExit(f"documents: the {what} of {mb:g} MB gave HTTP {status}, "
                                 f"{'the same' if digest == sums[mb] else 'other'} bytes")
            if what == "document" and not (
                    headers.get("content-disposition", "").startswith("attachment")
                    and headers.get("cache-control") == "no-store"):
                raise SystemExit("documents: the download is not a no-store attachment")
    anonymous = httpx.get(base + next(iter(paths.values())), timeout=30)
    if anonymous.status_code != 303:
        raise SystemExit(f"documents: without a session the download gave "
                         f"{anonymous.status_code}")


# --- wrk --------------------------------------------------------------------------------------

LUA = """
%(setup)s
local bad = 0
%(response)s
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %%d, "bytes": %%d, "bad": %%d, "p50": %%d, ' ..
    '"p99": %%d, "errors": %%d}\\n', summary.requests, summary.bytes, bad,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""
# Downloads: no response() function, so that wrk does not copy megabytes into Lua per
# response; a status of 400 and over counts in errors.status, the bytes are checked after.
DOWNLOAD_SETUP = "wrk.headers[\"Cookie\"] = %s"
UPLOAD_SETUP = """
wrk.method = "POST"
local f = assert(io.open(%s, "rb"))
wrk.body = f:read("*a")
f:close()
wrk.headers["Authorization"] = %s
wrk.headers["Content-Type"] = "multipart/form-data; boundary=%s"
"""
UPLOAD_RESPONSE = """
response = function(status, headers, body)
  if status ~= 201 then bad = bad + 1 end
end
"""


def write_lua(name: str, setup: str, response: str = "") -> Path:
    """A wrk script in the results."""
    path = RESULTS_DIR / f"documents-{name}.lua"
    path.write_text(LUA % {"setup": setup, "response": response})
    return path


def run_wrk(args: argparse.Namespace, url: str, script: Path, seconds: float) -> dict[str, Any]:
    """wrk at --connections on 2 threads for seconds; latencies in ms, the machine's load."""
    cmd = ["wrk", "-t2", f"-c{args.connections}", f"-d{max(1, round(seconds))}s",
           "--timeout", "60s", "-s", str(script), url]
    m0, began = machine_ticks(), time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - began
    busy, total = busy_total(m0, machine_ticks())
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"documents: wrk failed:\n{done.stdout}\n{done.stderr}")
    raw = json.loads(line[len("RESULT "):])
    return {"requests": raw["requests"], "bytes": raw["bytes"], "bad": raw["bad"],
            "errors": raw["errors"], "per_second": round(raw["requests"] / elapsed, 1),
            "p50": round(raw["p50"] / 1000, 1), "p99": round(raw["p99"] / 1000, 1),
            "machine_busy_pct": round(100 * busy / max(total, 1), 1),
            "load_average": round(os.getloadavg()[0], 2)}


def phase(args: argparse.Namespace, url: str, script: Path, mb: float,
          download: bool) -> dict[str, Any]:
    """Wait for a quiet machine, warm up, measure; MB/s, and the bytes checked."""
    busy_before = quiet(args.wait_idle)
    if args.warmup > 0:
        run_wrk(args, url, script, args.warmup)
    r = run_wrk(args, url, script, args.duration)
    r.update(busy_before_pct=busy_before, mb_per_second=round(r["per_second"] * mb, 1))
    if download:  # every response whole; those in flight at the end may add up to one each
        size = int(mb * MB)
        low, high = r["requests"] * size, (r["requests"] + args.connections) * (size + 4096)
        if not low <= r["bytes"] <= high:
            r["bad"] = max(r["bad"], 1)
            print(f"documents: {r['bytes']} bytes for {r['requests']} responses of {size}",
                  file=sys.stderr)
    return r


def show(name: str, r: dict[str, Any]) -> None:
    """One line of progress per measured phase."""
    print(f"documents: {name:<22} {r['per_second']:8.1f} req/s {r['mb_per_second']:8.1f} MB/s"
          f"  p50 {r['p50']:7.1f} ms  p99 {r['p99']:7.1f} ms  bad {r['bad'] + r['errors']}"
          f"  (machine {r['machine_busy_pct']}% busy, load {r['load_average']})",
          file=sys.stderr)


# --- the phases -------------------------------------------------------------------------------

def download_phases(args: argparse.Namespace, base: str, url: str,
                    paths: dict[float, str]) -> dict[str, Any]:
    """Per size: the static file, then the document; the ratio of their req/s."""
    found: dict[str, Any] = {}
    for mb, path in paths.items():
        static = write_lua(f"static-{mb:g}mb", DOWNLOAD_SETUP % lua_string(""))
        s = found[f"static {mb:g} MB"] = phase(
            args, f"{base}{STATIC_PATH}/{file_name(mb)}", static, mb, True)
        show(f"static {mb:g} MB", s)
        # A fresh session per phase: a session notes its activity once a minute.
        cookie = DOWNLOAD_SETUP % lua_string(citizen_cookie(url, args.party_id))
        d = found[f"download {mb:g} MB"] = phase(
            args, base + path, write_lua(f"download-{mb:g}mb", cookie), mb, True)
        d["ratio_to_static"] = round(d["per_second"] / max(s["per_second"], 0.1), 3)
        show(f"download {mb:g} MB", d)
        args.progress.advance()
    return found


def upload_phase(args: argparse.Namespace, base: str, token: str, label: str,
                 count: Callable[[], int]) -> dict[str, Any]:
    """wrk POSTing the upload form of the first size to the API; every upload answered 201
    must be in the store (count: the files or objects the store holds)."""
    mb = args.sizes[0]
    setup = UPLOAD_SETUP % (lua_string(str(multipart_body(mb))),
                            lua_string(f"Bearer {token}"), BOUNDARY)
    script = write_lua(f"upload-{label}", setup, UPLOAD_RESPONSE)
    before = count()
    r = phase(args, f"{base}/api/v1/dossiers/{SOURCE}/D1/documents", script, mb, False)
    r["stored"] = count() - before  # the warm-up's too; those in flight at the end may be
    if r["stored"] < r["requests"] - r["bad"]:
        print(f"documents: {r['requests'] - r['bad']} uploads answered 201, "
              f"{r['stored']} files are in the store", file=sys.stderr)
        r["bad"] = max(r["bad"], 1)
    show(f"upload {mb:g} MB ({label})", r)
    args.progress.advance()
    return r


def reset_peaks(pids: list[int]) -> None:
    """Start each process's VmHWM afresh at its VmRSS (Linux: clear_refs 5)."""
    for pid in pids:
        Path(f"/proc/{pid}/clear_refs").write_text("5")


def peak_growth(server: Server, action: Any) -> dict[str, Any]:
    """What one transfer adds to a worker at its peak: VmHWM after minus VmRSS before."""
    rss = {pid: status_kb(pid, "VmRSS") for pid in server.workers}
    reset_peaks(server.workers)
    action()
    growth = {pid: status_kb(pid, "VmHWM") - rss[pid] for pid in server.workers}
    pid = max(growth, key=lambda p: growth[p])
    return {"worker_rss_before_mb": round(rss[pid] / 1024, 1),
            "worker_peak_mb": round((rss[pid] + growth[pid]) / 1024, 1),
            "growth_mb": round(growth[pid] / 1024, 1)}


def flat_margin(big_mb: float) -> float:
    """How much more than a small transfer a big one may add: 32 MB, a quarter of a
    smaller big file (a copy of the file held in memory is more)."""
    return min(FLAT_MARGIN_MB, big_mb / 4)


def memory_phase(args: argparse.Namespace, server: Server, base: str, token: str,
                 reference: str) -> dict[str, Any]:
    """On fresh workers (before any load, before the big file went through them): one API
    upload and then one download of the small and of the big file, each alone."""
    cookie = citizen_cookie(args.database_url, args.party_id)
    small, big = args.sizes[0], args.big_mb
    found: dict[str, Any] = {}
    kept: dict[float, int] = {}
    upload(base, token, small)  # the upload and download code paths imported in both
    upload(base, token, small)  # workers (probably: the kernel picks the worker)
    for mb in (small, big):
        found[f"upload {mb:g} MB"] = peak_growth(
            server, lambda mb=mb: kept.__setitem__(mb, upload(base, token, mb)["id"]))
    for mb in (small, big):
        url = f"{base}/mijn/dossiers/{reference}/documenten/{kept[mb]}"
        got: list[tuple[int, str, int, httpx.Headers]] = []
        found[f"download {mb:g} MB"] = peak_growth(server, lambda u=url, g=got: g.append(
            fetch(u, cookie)))
        if got[0][:2] != (200, args.sums[mb]):
            raise SystemExit(f"documents: the download of {mb:g} MB gave HTTP {got[0][0]}, "
                             f"{'the same' if got[0][1] == args.sums[mb] else 'other'} bytes")
    for kind in ("download", "upload"):
        extra = found[f"{kind} {big:g} MB"]["growth_mb"] - found[f"{kind} {small:g} MB"][
            "growth_mb"]
        found[f"{kind}_flat"] = extra <= flat_margin(big)
    for name, r in found.items():
        if isinstance(r, dict):
            print(f"documents: memory, {name:<16} worker {r['worker_rss_before_mb']:6.1f} -> "
                  f"peak {r['worker_peak_mb']:6.1f} MB (+{r['growth_mb']:.1f})", file=sys.stderr)
    args.progress.advance()
    return found


def directory_files() -> int:
    """How many documents the directory store holds."""
    return sum(1 for p in STORE.rglob("*") if p.is_file() and p.suffix != ".tmp")


# --- S3 against moto's server -----------------------------------------------------------------

def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Moto:
    """moto's S3 server (no IAM checks), started early: it takes seconds to import."""

    process: subprocess.Popen[bytes]
    endpoint: str
    log: Path

    @classmethod
    def start(cls, log: Path) -> Moto:
        """Start it on a free port of 127.0.0.1 (ready() waits for it)."""
        port = free_port()
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        return cls(process, f"http://127.0.0.1:{port}", log)

    def ready(self) -> str:
        """Wait until it answers and make the bucket; its address."""
        deadline = time.monotonic() + 60
        while self.process.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.put(f"{self.endpoint}/{BUCKET}", timeout=2).status_code == 200:
                    return self.endpoint
            time.sleep(0.1)
        raise SystemExit(f"documents: moto's S3 server did not start:\n"
                         f"{self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        """End it."""
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def bucket_objects(endpoint: str) -> int:
    """How many objects the bucket holds (ListObjectsV2, page by page)."""
    total, token = 0, ""
    while True:
        query = {"list-type": "2", "max-keys": "1000",
                 **({"continuation-token": token} if token else {})}
        listed = httpx.get(f"{endpoint}/{BUCKET}", params=query, timeout=60).text
        count = re.search(r"<KeyCount>(\d+)</KeyCount>", listed)
        if count is None:
            raise SystemExit(f"documents: moto's bucket listing: {listed[:300]}")
        total += int(count[1])
        found = re.search(r"<NextContinuationToken>([^<]+)</NextContinuationToken>", listed)
        if not found:
            return total
        token = found[1]


def s3_phases(args: argparse.Namespace, token: str, reference: str, moto: Moto
              ) -> dict[str, Any]:
    """The upload and the small download with the S3 store in moto's server."""
    endpoint = moto.ready()
    store = {"MIJN_S3_ENDPOINT": endpoint, "MIJN_S3_BUCKET": BUCKET,
             "MIJN_S3_ACCESS_KEY": "bench", "MIJN_S3_SECRET_KEY": "bench-secret"}
    server = start(args, "s3", store)
    base = f"http://127.0.0.1:{args.port}"
    try:
        mb = args.sizes[0]
        path = f"/mijn/dossiers/{reference}/documenten/{upload(base, token, mb)['id']}"
        preflight(base, citizen_cookie(args.database_url, args.party_id), {mb: path},
                  args.sums)
        found = {"upload": upload_phase(args, base, token, "s3",
                                        lambda: bucket_objects(endpoint))}
        cookie = DOWNLOAD_SETUP % lua_string(citizen_cookie(args.database_url, args.party_id))
        d = found["download"] = phase(args, base + path, write_lua("download-s3", cookie), mb,
                                      True)
        show(f"download {mb:g} MB (s3)", d)
        args.progress.advance()
        return found
    finally:
        server.stop()


# --- the run ----------------------------------------------------------------------------------

def report(results: dict[str, Any]) -> None:
    """The table of the run: 'other %' is how busy the machine was just before the phase
    (other work; during it wrk and the server keep it busy)."""
    print(f"\n{'phase':<26}{'req/s':>9}{'MB/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'other %':>8}"
          f"{'load':>6}  ratio")
    small = results["args"]["sizes"][0]
    copy = results["raw_disk_copy"]
    for name, r in copy.items():
        print(f"{'raw disk copy ' + name:<26}{r['per_second']:>9.1f}{r['mb_per_second']:>9.1f}")
    rows = {**results["downloads"], f"upload {small:g} MB (directory)": results["upload"],
            **{f"{k} {small:g} MB (s3)": v for k, v in results["s3"].items()}}
    for name, r in rows.items():
        size = name.split(" MB")[0].split()[-1]
        ratios = [f"{r['ratio_to_static']:.3f} x static"] if "ratio_to_static" in r else []
        if not name.startswith("static") and f"{size} MB" in copy:
            r["ratio_to_disk_copy"] = round(
                r["mb_per_second"] / max(copy[f"{size} MB"]["mb_per_second"], 0.1), 3)
            ratios.append(f"{r['ratio_to_disk_copy']:.3f} x raw disk copy")
        print(f"{name:<26}{r['per_second']:>9.1f}{r['mb_per_second']:>9.1f}{r['p50']:>9.1f}"
              f"{r['p99']:>9.1f}{r['busy_before_pct']:>8.1f}{r['load_average']:>6.2f}  "
              + ", ".join(ratios))
    memory = results["memory"]
    for kind in ("download", "upload"):
        steps = ", ".join(f"{mb:g} MB +{memory[f'{kind} {mb:g} MB']['growth_mb']:.1f} MB"
                          for mb in (small, results["args"]["big_mb"]))
        print(f"worker peak memory, one {kind}: {steps} above the worker's RSS: "
              f"{'flat, PASS' if memory[f'{kind}_flat'] else 'GROWS, FAIL'} "
              f"(at most {flat_margin(results['args']['big_mb']):g} MB more for the big file)")


def measure(args: argparse.Namespace, token: str) -> dict[str, Any]:
    """The directory store's server: set up, memory, check, download, upload."""
    server = start(args, "directory", {})
    base = f"http://127.0.0.1:{args.port}"
    try:
        reference = register(base, token)
        args.party_id = asyncio.run(_party_id(args.database_url))
        memory = memory_phase(args, server, base, token, reference)
        paths = {mb: f"/mijn/dossiers/{reference}/documenten/{upload(base, token, mb)['id']}"
                 for mb in args.sizes}
        preflight(base, citizen_cookie(args.database_url, args.party_id), paths, args.sums)
        downloads = download_phases(args, base, args.database_url, paths)
        uploaded = upload_phase(args, base, token, "directory", directory_files)
    finally:
        server.stop()
    return {"reference": reference, "downloads": downloads, "upload": uploaded,
            "memory": memory}


def main_inner(args: argparse.Namespace) -> tuple[int, dict[str, Any]]:
    """Database, files, the raw disk copy, both servers' phases; save and report."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    asyncio.run(recreate_database(args.database_url))
    token = asyncio.run(make_token(args.database_url))
    args.progress = Progress("documents", 3 + len(args.sizes) + 2 * args.s3)
    shutil.rmtree(STORE, ignore_errors=True)
    STORE.mkdir(parents=True)
    moto = Moto.start(RESULTS_DIR / f"documents-moto-{stamp}.log") if args.s3 else None
    try:
        args.sums = make_files(sorted({*args.sizes, args.big_mb}))
        quiet(args.wait_idle)
        copy = {f"{mb:g} MB": disk_copy(mb, args.duration / 2) for mb in args.sizes}
        args.progress.advance()
        measured = measure(args, token)
        s3 = s3_phases(args, token, measured["reference"], moto) if moto else {}
    finally:
        if moto:
            moto.stop()
        shutil.rmtree(STORE, ignore_errors=True)  # hundreds of MB: the files and the forms
        shutil.rmtree(FILES, ignore_errors=True)
        for form in RESULTS_DIR.glob("documents-upload-*.form"):
            form.unlink()
    args.progress.finish("documents: measured")
    saved = {k: v for k, v in vars(args).items() if k not in ("progress", "sums")}
    results = {"args": saved, "machine": machine(), "raw_disk_copy": copy, **measured,
               "s3": s3}
    report(results)
    out = RESULTS_DIR / f"documents-{stamp}.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nwritten: {out}")
    phases = [*measured["downloads"].values(), measured["upload"], *s3.values()]
    bad = any(r["bad"] or r["errors"] for r in phases)
    flat = results["memory"]["download_flat"] and results["memory"]["upload_flat"]
    return (1 if bad or not flat else 0), results


def smoke(args: argparse.Namespace) -> SmokeResult:
    """1 MB and 4 MB files, 24 MB for memory, a second a phase: works, no figures."""
    smoke_sizes(args, sizes=[1.0, 4.0], big_mb=24.0, duration=1, warmup=0, wait_idle=0,
                connections=4, port=8874)
    code, results = main_inner(args)
    phases = {**results["downloads"], "upload": results["upload"],
              **{f"s3 {k}": v for k, v in results["s3"].items()}}
    # The figures mean nothing at smoke size; a bad response, a failed check, or memory
    # that grows with the file (a download or upload held whole) fails it.
    return SmokeResult(code, wrk_counts(phases))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--database-url", default=DEFAULT_URL)
    p.add_argument("--sizes", type=float, nargs="+", default=[1.0, 20.0],
                   help="document sizes in MB measured with wrk (the first is also uploaded)")
    p.add_argument("--big-mb", type=float, default=200.0,
                   help="the big file of the memory phase, in MB")
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--duration", type=float, default=10.0, help="seconds measured per phase")
    p.add_argument("--warmup", type=float, default=2.0)
    p.add_argument("--wait-idle", type=float, default=30.0,
                   help="wait up to this long for an idle machine before each phase")
    p.add_argument("--port", type=int, default=8774)
    p.add_argument("--s3", action=argparse.BooleanOptionalAction, default=True,
                   help="also measure the S3 store against moto's server")
    add_smoke_flag(p)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark."""
    args = parse_args(argv)
    language("nl")
    if args.smoke:
        sys.exit(run_smoke("documents", args, smoke))
    sys.exit(main_inner(args)[0])


if __name__ == "__main__":
    main()
