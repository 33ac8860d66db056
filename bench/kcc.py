"""The KCC's "Volgende vraag" under load: 20 agents claiming from a queue of 100,000.

    .venv/bin/python -m bench.kcc                       # 2 workers, 20 agents, 5 s + 30 s per phase
    .venv/bin/python -m bench.kcc --questions 5000 --duration 5 --warmup 1    # smoke run

Seeds the database mijn_bench_kcc (created when missing, migrated): parties, --agents staff
members with the agent role (through mijn.staff.service.record_login) and --questions open
questions (state 'new', with their first message and 'ask' event) spread over the topics,
parties and channels, created over the last --days days, each due when its topic's SLA in
working time says (mijn.workingtime.add_working_time with the portal's calendar). The
questions are loaded anew (TRUNCATE + COPY, the same rows every time) before every measured
run, so every run starts with exactly --questions open questions.

Starts the portal (`mijn serve`-style: bench/serve.py, 2 workers, TCP_NODELAY; or the stock
`uvicorn --workers 2` with --server uvicorn) with bench.app:create_kcc_bench_app, mints
one staff session (mijn_staff: a session row as a login writes it) and CSRF cookie plus
token per agent, checks the routes (preflight), then measures with wrk, one connection per
agent (wrk -t20 -c20: every wrk thread has its own Lua state and exactly one connection,
so each connection sends its own agent's cookies):

  A. POST /kcc/bench/noop: the same request without the claim (staff session, CSRF, form,
     a transaction with SELECT 1, commit, 303): the baseline;
  B. POST /kcc/volgende: claim the most urgent open question; 303 to /kcc/vragen/<ref>
     (not followed).

Afterwards the database is checked: one 'claim' event per claimed question, no question
claimed twice, every 303 a question claimed by that connection's agent, claimed questions
= 303 responses (+ the requests wrk hung up on when it stopped), no other responses.
Reports p50/p90/p99, claims/s, the ratios to the baseline, the targets (issue 17: p99 <= 2 x
the no-op's p99 in the same run; p99 <= 50 ms, reported, for agents who pause; no double
claim), where the CPU and PostgreSQL's time went, EXPLAIN ANALYZE of the claim,
and writes everything as JSON under bench/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import secrets
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from itsdangerous import URLSafeSerializer
from sqlalchemy import event, select, text
from sqlalchemy.engine import make_url

from bench import BENCH_DIR, RESULTS_DIR
from bench.app import KCC_NOOP_PATH, KCC_NOOP_REFERENCE
from bench.common import (
    SmokeResult,
    add_smoke_flag,
    asyncpg_dsn,
    database_name,
    ensure_database,
    lua_string,
    quote_ident,
    run_smoke,
    settle,
    smoke_sizes,
    truncate,
    wal_bytes,
    wrk_counts,
)
from bench.ingest import log_problems
from bench.product import (
    CSRF_COOKIE,
    REFERENCE_ALPHABET,
    STAFF_SESSION_COOKIE,
    TOUCH_INTERVAL,
    Identity,
    Progress,
    Staff,
    StaffMember,
    WorkingCalendar,
    add_working_time,
    claim_next,
    load_settings,
    make_engine,
    make_sessionmaker,
    record_login,
    upgrade_async,
)
from bench.run import (
    SECRET_KEY,
    CpuMeter,
    RssSampler,
    Server,
    machine,
    start_server,
    status_kb,
    verdict,
    wait_for_quiet,
    worker_connections,
    worker_pids,
)
from bench.seed import party_records, valid_bsns
from bench.sessions import mint

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/mijn_bench_kcc"
APP = "bench.app:create_kcc_bench_app"
CLAIM_PATH = "/kcc/volgende"
TARGET_P99_MS = 50.0
TARGET_P99_NOOP_RATIO = 2.0
SESSION_MAX_HOURS = 8
AGENT_SUBJECT = "bench-kcc|agent-{:02d}"
QUESTION_TABLES = ("questions", "question_messages", "question_events")

# Questions arrive mostly through the website; phone and counter ones are typed by an agent.
CHANNEL_WEIGHTS = {"web": 55, "phone": 20, "email": 12, "social_media": 5, "counter": 8}
TOPIC_WEIGHTS = {
    "dossier": 30, "vergunning": 10, "subsidie": 12, "openbare-ruimte": 28, "belasting": 10,
    "overig": 10,
}
OFFICE_HOURS_SHARE = 0.75  # of the questions come in during working hours
CALLBACK_SHARE_OF_PHONE = 0.25
QUESTION_TEXTS = (
    "Wanneer hoor ik iets over mijn aanvraag?",
    "Ik heb een brief gekregen die ik niet begrijp. Kunt u mij bellen?",
    "De lantaarnpaal in onze straat doet het al twee weken niet.",
    "Hoe lang duurt het voordat mijn vergunning klaar is?",
    "Ik wil bezwaar maken tegen mijn aanslag. Hoe doe ik dat?",
    "Mijn subsidie is nog niet uitbetaald. Klopt dat?",
    "Kan ik een afspraak maken aan de balie?",
    "Er ligt al dagen grofvuil naast de container.",
    "Ik ben verhuisd. Moet ik nog iets doorgeven?",
    "Waarom is mijn melding gesloten terwijl het probleem er nog is?",
)

PHASE_LABELS = {
    "noop": f"A no-op POST {KCC_NOOP_PATH}",
    "claim": f"B claim POST {CLAIM_PATH}",
}

LUA = r"""
-- Generated by bench/kcc.py. One wrk thread = one connection = one agent (run with
-- -tN -cN): wrk's request() cannot tell connections apart, but every thread has its own
-- Lua state, so the cookies chosen per thread are the connection's cookies.
-- Mode "noop": POST the no-op; mode "claim": POST /kcc/volgende. Every response must be
-- a 303; the claim's Location names the question, written to this thread's ack file.

local threads = {}
local count = 0
local run_tag = nil

local function own_pid()
  local f = io.open("/proc/self/stat", "r")
  local pid = f:read("*n")
  f:close()
  return pid
end

function setup(thread)
  if run_tag == nil then
    run_tag = string.format("w%dp%d", os.time(), own_pid())
  end
  count = count + 1
  thread:set("tid", count)
  thread:set("tag", run_tag)
  table.insert(threads, thread)
end

function init(args)
  mode = args[1]
  local agent = AGENTS[(tid - 1) % #AGENTS + 1]
  staff_id = agent[1]
  sent, answered, ok, non_303, wrong, empty, resigned, last_bad = 0, 0, 0, 0, 0, 0, 0, 0
  sample = ""
  math.randomseed(os.time() + tid * 7919)
  local path = CLAIM_PATH
  if mode == "noop" then path = NOOP_PATH end
  req = wrk.format("POST", path, {
    ["Cookie"] = agent[2],
    ["X-CSRF-Token"] = agent[3],
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, "csrf_token=" .. agent[3])
  if mode == "claim" then
    -- Line-buffered: the references survive a wrk that is killed (restarted for balance).
    local name = ACK_DIR .. "/" .. tag .. "-" .. tid .. "-" .. staff_id .. ".txt"
    acks = assert(io.open(name, "w"))
    acks:setvbuf("line")
  end
end

function request()
  sent = sent + 1
  return req
end

function response(status, headers, body)
  answered = answered + 1
  if headers["set-cookie"] or headers["Set-Cookie"] then
    resigned = resigned + 1
  end
  if status ~= 303 then
    non_303 = non_303 + 1
    last_bad = status
    if sample == "" then sample = status .. " " .. string.sub(body or "", 1, 400) end
    return
  end
  local location = headers["location"] or headers["Location"] or ""
  if mode == "claim" then
    local ref = string.match(location, "^/kcc/vragen/(V%-[0-9A-Z]+)%?opgepakt=1$")
      or string.match(location, "^/kcc/vragen/(V%-[0-9A-Z]+)$")
    if ref ~= nil then
      ok = ok + 1
      acks:write(ref, "\n")
    elseif string.find(location, "leeg=1", 1, true) then
      empty = empty + 1
    else
      wrong = wrong + 1
      if sample == "" then sample = "303 to " .. location end
    end
  elseif location == NOOP_LOCATION then
    ok = ok + 1
  else
    wrong = wrong + 1
    if sample == "" then sample = "303 to " .. location end
  end
end

function done(summary, latency, requests)
  local t_sent, t_answered, t_ok, t_bad = 0, 0, 0, 0
  local t_wrong, t_empty, t_resigned, t_last = 0, 0, 0, 0
  local per_thread = {}
  local samples = {}
  for _, t in ipairs(threads) do
    t_sent = t_sent + t:get("sent")
    t_answered = t_answered + t:get("answered")
    t_ok = t_ok + t:get("ok")
    t_bad = t_bad + t:get("non_303")
    t_wrong = t_wrong + t:get("wrong")
    t_empty = t_empty + t:get("empty")
    t_resigned = t_resigned + t:get("resigned")
    if t:get("last_bad") ~= 0 then t_last = t:get("last_bad") end
    table.insert(per_thread, string.format(
      '{"tid": %d, "staff_id": %d, "sent": %d, "answered": %d, "ok": %d}',
      t:get("tid"), t:get("staff_id"), t:get("sent"), t:get("answered"), t:get("ok")))
    local s = t:get("sample")
    if s ~= nil and s ~= "" then table.insert(samples, s) end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"tag": "%s", "sent": %d, "answered": %d, "ok_303": %d, "non_303": %d, ' ..
    '"wrong_location": %d, "queue_empty": %d, "set_cookie": %d, "last_bad_status": %d, ' ..
    '"per_thread": [%s], ' ..
    '"latency_us": {"mean": %.1f, "stdev": %.1f, "max": %d, ' ..
    '"p50": %d, "p90": %d, "p99": %d, "p99_9": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    run_tag, t_sent, t_answered, t_ok, t_bad, t_wrong, t_empty, t_resigned, t_last,
    table.concat(per_thread, ", "),
    latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9)))
  for _, s in ipairs(samples) do
    io.write("BENCH_ERROR " .. (string.gsub(s, "[\r\n]+", " ")) .. "\n")
  end
end
"""


# --- seeding -------------------------------------------------------------------------------

@dataclass(frozen=True)
class TopicRow:
    """A topic as the seed needs it."""

    id: int
    code: str
    sla_hours: int


@dataclass
class QuestionPlan:
    """The rows of the three question tables, made once and loaded before every run."""

    questions: list[tuple[Any, ...]]
    messages: list[tuple[Any, ...]]
    events: list[tuple[Any, ...]]
    facts: dict[str, Any]


async def seed_parties(url: str, parties: int, seed: int) -> int:
    """Parties with valid BSNs (as bench/seed.py makes them); reused when the count matches."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        have = int(await conn.fetchval("SELECT count(*) FROM parties"))
        if have == parties:
            return 0
        rng = random.Random(seed)
        now = datetime.now(UTC).replace(microsecond=0)
        progress = Progress("parties      ", parties)
        bsns = valid_bsns(parties, rng)
        async with conn.transaction():
            await truncate(conn, "parties")
            rows = party_records(bsns, rng, now)
            await conn.copy_records_to_table(
                "parties",
                columns=["id", "kind", "identifier_type", "identifier", "branch", "name",
                         "email", "phone", "language", "created_at"],
                records=_counted(rows, progress),
            )
            await conn.execute(
                "SELECT setval(pg_get_serial_sequence('parties', 'id'), "
                "(SELECT max(id) FROM parties))"
            )
        progress.finish(f"Copied {parties} parties")
        return parties
    finally:
        await conn.close()


async def seed_agents(url: str, agents: int) -> list[int]:
    """--agents staff members with the agent role, as a staff login records them."""
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            progress = Progress("agents       ", agents)
            ids = []
            for n in range(1, agents + 1):
                member = await record_login(
                    session, AGENT_SUBJECT.format(n), f"Agent {n:02d} (benchmark)", ["agent"], []
                )
                ids.append(member.id)
                progress.advance()
            others = (await session.scalars(
                select(StaffMember.id).where(StaffMember.subject.not_like("bench-kcc|%"))
            )).all()
            await session.commit()
            progress.finish(f"{agents} agents (staff members {ids[0]}..{ids[-1]}, role agent)"
                            + (f"; {len(others)} other staff members left as they are"
                               if others else ""))
    finally:
        await engine.dispose()
    return ids


async def load_topics(url: str) -> list[TopicRow]:
    """The active topics the migration seeded, with their SLA in working hours."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await conn.fetch(
            "SELECT id, code, sla_hours FROM question_topics WHERE active ORDER BY position, id"
        )
    finally:
        await conn.close()
    return [TopicRow(r["id"], r["code"], r["sla_hours"]) for r in rows]


def _in_working_time(calendar: WorkingCalendar, moment: datetime) -> bool:
    period = calendar.period(calendar.local_date(moment))
    return period is not None and period[0] <= moment < period[1]


def _references(count: int, rng: random.Random) -> list[str]:
    """Distinct question references like new_reference() makes (V- and ten characters)."""
    found: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        ref = "V-" + "".join(rng.choice(REFERENCE_ALPHABET) for _ in range(10))
        if ref not in found:
            found.add(ref)
            out.append(ref)
    return out


def plan_questions(args: argparse.Namespace, topics: list[TopicRow], agent_ids: list[int],
                   parties: int, now: datetime, calendar: WorkingCalendar) -> QuestionPlan:
    """--questions open questions, ids in the order they came in, each due per its topic's SLA.

    Created over the last --days days: OFFICE_HOURS_SHARE of them during working hours, the
    rest at any hour (web forms in the evening and the weekend). Due = created + the topic's
    SLA hours of working time, so questions that came in after hours on the same evening
    share their due time (ties, ordered by id in the queue).
    """
    rng = random.Random(args.seed)
    n = args.questions
    progress = Progress("planning     ", n)
    span = args.days * 86400.0
    start = now - timedelta(days=args.days)
    moments = []
    for _ in range(n):
        moment = start + timedelta(seconds=rng.random() * span)
        for _attempt in range(20):
            if rng.random() >= OFFICE_HOURS_SHARE or _in_working_time(calendar, moment):
                break
            moment = start + timedelta(seconds=rng.random() * span)
        moments.append(moment.replace(microsecond=0))
    moments.sort()
    by_code = {t.code: t for t in topics}
    weighted = [(by_code[c], w) for c, w in TOPIC_WEIGHTS.items() if c in by_code]
    weighted += [(t, 5) for t in topics if t.code not in TOPIC_WEIGHTS]
    picked_topics = rng.choices([t for t, _ in weighted], weights=[w for _, w in weighted], k=n)
    channels = rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()), k=n)
    references = _references(n, rng)
    questions: list[tuple[Any, ...]] = []
    messages: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    overdue = 0
    due_cache: dict[tuple[datetime, int], datetime] = {}
    for i in range(n):
        qid = i + 1
        created, topic, channel = moments[i], picked_topics[i], channels[i]
        key = (created, topic.sla_hours)
        due = due_cache.get(key)
        if due is None:
            due = due_cache[key] = add_working_time(calendar, created, topic.sla_hours * 3600)
        overdue += due < now
        party_id = 1 + int(parties * rng.random() ** 1.5)  # some parties ask a lot
        by_staff = channel in ("phone", "counter")
        staff_id = rng.choice(agent_ids) if by_staff else None
        callback = channel == "phone" and rng.random() < CALLBACK_SHARE_OF_PHONE
        if callback:
            local = (created + timedelta(days=1)).astimezone(calendar.tz)
            window_from = local.replace(hour=9 + rng.randrange(7), minute=0, second=0)
            phone: str | None = f"06-{rng.randrange(10**8):08d}"
            window: tuple[datetime | None, datetime | None] = (
                window_from.astimezone(UTC), (window_from + timedelta(hours=2)).astimezone(UTC)
            )
        else:
            phone, window = None, (None, None)
        submit_key = f"{rng.getrandbits(64):016x}" if channel == "web" else None
        questions.append((
            qid, references[i], "callback" if callback else "question", party_id, None,
            topic.id, channel, "new", created, created, due, None, None, None, staff_id,
            None, None, None, False, None, False, submit_key, phone, window[0], window[1],
        ))
        if callback:
            messages.append((qid, "handover", "Terugbelverzoek: " + rng.choice(QUESTION_TEXTS),
                             "staff", staff_id, created))
        else:
            messages.append((qid, "citizen", rng.choice(QUESTION_TEXTS),
                             "staff" if by_staff else "party", staff_id, created))
        actor = ("staff", staff_id, "agent") if by_staff else ("party", party_id, None)
        events.append((qid, "ask", None, "new", actor[0], actor[1], actor[2], None, None, created))
        if qid % 10_000 == 0:
            progress.advance(10_000)
    if n % 10_000:
        progress.advance(n % 10_000)
    per_topic = Counter(t.code for t in picked_topics)
    facts = {
        "questions": n, "overdue_at_seed": overdue,
        "first_due": min(q[10] for q in questions).isoformat() if questions else None,
        "last_due": max(q[10] for q in questions).isoformat() if questions else None,
        "distinct_due_times": len({q[10] for q in questions}),
        "per_topic": dict(per_topic.most_common()),
        "per_channel": dict(Counter(channels).most_common()),
        "callbacks": sum(1 for q in questions if q[2] == "callback"),
        "parties_asking": len({q[3] for q in questions}),
    }
    progress.finish(
        f"Planned {n} open questions over {args.days} days ({overdue} past their due time, "
        f"{facts['distinct_due_times']} distinct due times, {facts['callbacks']} callbacks, "
        f"{facts['parties_asking']} parties)"
    )
    return QuestionPlan(questions, messages, events, facts)


def _counted(
    records: Iterator[tuple[Any, ...]] | list[tuple[Any, ...]], progress: Progress
) -> Iterator[tuple[Any, ...]]:
    n = 0
    for n, record in enumerate(records, start=1):
        yield record
        if n % 10_000 == 0:
            progress.advance(10_000)
    if n % 10_000:
        progress.advance(n % 10_000)


QUESTION_COLUMNS = [
    "id", "reference", "kind", "party_id", "dossier_id", "topic_id", "channel", "state",
    "created_at", "updated_at", "sla_due_at", "sla_remaining_seconds", "assignee_id", "team_id",
    "created_by_id", "answered_at", "answered_by_id", "closed_at", "handed_over",
    "first_contact_resolution", "party_unread", "submit_key", "callback_phone",
    "callback_from", "callback_until",
]
MESSAGE_COLUMNS = ["question_id", "kind", "body", "author_type", "author_staff_id", "created_at"]
EVENT_COLUMNS = ["question_id", "action", "from_state", "to_state", "actor_type", "actor_id",
                 "actor_role", "team_id", "target_staff_id", "at"]


async def load_questions(url: str, plan: QuestionPlan, quiet: bool = False) -> dict[str, Any]:
    """Empty the question tables and load the plan (the same rows every time); VACUUM ANALYZE.

    Rows go in with their indexes in place, in the order the questions came in, as a real
    table grows; the tables are emptied first so that every run starts from the same state.
    """
    started = time.monotonic()
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await settle(conn)
        async with conn.transaction():
            await conn.execute("SET LOCAL synchronous_commit = off")
            await truncate(conn, "questions", "question_messages", "question_events",
                           "contacts")
            for table, columns, rows in (
                ("questions", QUESTION_COLUMNS, plan.questions),
                ("question_messages", MESSAGE_COLUMNS, plan.messages),
                ("question_events", EVENT_COLUMNS, plan.events),
            ):
                progress = None if quiet else Progress(f"{table:13}", len(rows))
                records = _counted(rows, progress) if progress else rows
                await conn.copy_records_to_table(table, columns=columns, records=records)
                if progress:
                    progress.finish(f"Copied {len(rows)} rows into {table}")
            for table in QUESTION_TABLES:
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"greatest((SELECT max(id) FROM {table}), 1))"
                )
        await conn.execute("VACUUM (ANALYZE) questions, question_messages, question_events")
        open_now = int(await conn.fetchval("SELECT count(*) FROM questions WHERE state = 'new'"))
    finally:
        await conn.close()
    if open_now != len(plan.questions):
        raise SystemExit(f"kcc: loaded {open_now} open questions, expected {len(plan.questions)}")
    return {"open_questions": open_now, "seconds": round(time.monotonic() - started, 1)}


async def database_facts(url: str) -> dict[str, Any]:
    """Settings that decide what a claim costs, and the sizes."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        facts: dict[str, Any] = {
            name: await conn.fetchval(f"SHOW {name}")
            for name in ("server_version", "shared_buffers", "synchronous_commit", "fsync",
                         "wal_level", "max_connections", "plan_cache_mode")
        }
        for table in ("parties", "staff_members", *QUESTION_TABLES):
            facts[table] = int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
        facts["database_size"] = await conn.fetchval(
            "SELECT pg_size_pretty(pg_database_size(current_database()))"
        )
        facts["questions_size"] = await conn.fetchval(
            "SELECT pg_size_pretty(pg_total_relation_size('questions'))"
        )
        facts["ix_questions_queue_size"] = await conn.fetchval(
            "SELECT pg_size_pretty(pg_relation_size('ix_questions_queue'))"
        )
    finally:
        await conn.close()
    return facts


# --- sessions and the wrk script -------------------------------------------------------------

@dataclass
class Agent:
    """A logged-in agent as the load generator uses it: a browser's cookies and the token."""

    staff_id: int
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    cookie: str = ""
    token: str = ""

    def login(self, session: str) -> None:
        """Fresh cookies, as just after a staff login (session: the session cookie's value)."""
        self.cookie = f"{STAFF_SESSION_COOKIE}={session}; {CSRF_COOKIE}={self.csrf}"
        # The form token: mijn.http.common.csrf_token signs the CSRF cookie's value.
        self.token = str(URLSafeSerializer(SECRET_KEY, salt="mijn.csrf").dumps(self.csrf))


def login_agents(agents: list[Agent], url: str) -> None:
    """A new staff session for every agent, logged in now (as mijn.http.session.start_session
    makes it: a row in the sessions table, the cookie its random id)."""
    logins = [Identity(party_id=a.staff_id, audience="staff", roles=("agent",), loa="")
              for a in agents]
    for agent, token in zip(agents, mint(url, logins, time.time()), strict=True):
        agent.login(token)


def write_lua(
    path: Path, agents: list[Agent], ack_dir: Path, url: str, think_ms: int = 0
) -> None:
    """The wrk script with every agent logged in anew (wrk does not keep re-signed cookies).

    With think_ms, each connection waits a random pause (exponential, mean think_ms) after
    a response before its next request (wrk's delay(); not counted in the latency).
    """
    login_agents(agents, url)
    lines = [
        f"CLAIM_PATH = {lua_string(CLAIM_PATH)}",
        f"NOOP_PATH = {lua_string(KCC_NOOP_PATH)}",
        f"NOOP_LOCATION = {lua_string('/kcc/vragen/' + KCC_NOOP_REFERENCE)}",
        f"ACK_DIR = {lua_string(str(ack_dir))}",
        "AGENTS = {",
        *(f"  {{{a.staff_id}, {lua_string(a.cookie)}, {lua_string(a.token)}}}," for a in agents),
        "}",
    ]
    # Exponentially distributed pauses (mean think_ms): with a fixed pause the agents
    # would stay in step and press all at once, every time.
    think = (f"\nfunction delay()\n  return math.floor(-{think_ms} * math.log(1 - math.random()))"
             "\nend\n") if think_ms > 0 else ""
    path.write_text("\n".join(lines) + "\n" + LUA + think)


# --- checks before measuring ----------------------------------------------------------------

async def queue_head(url: str, n: int) -> list[str]:
    """References of the n most urgent open questions, in queue order."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await conn.fetch(
            "SELECT reference FROM questions WHERE state = 'new' ORDER BY sla_due_at, id LIMIT $1",
            n,
        )
    finally:
        await conn.close()
    return [r["reference"] for r in rows]


async def claimed_by(url: str, references: list[str]) -> dict[str, tuple[str, int | None]]:
    """(state, assignee_id) of some questions."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await conn.fetch(
            "SELECT reference, state, assignee_id FROM questions WHERE reference = ANY($1)",
            references,
        )
    finally:
        await conn.close()
    return {r["reference"]: (r["state"], r["assignee_id"]) for r in rows}


def preflight(base: str, url: str, agents: list[Agent]) -> dict[str, Any]:
    """The requests wrk sends answer as expected, and only with a staff session and CSRF.

    Claims a few questions (the load reloads the questions before measuring).
    """
    problems: list[str] = []
    login_agents(agents, url)
    a, b = agents[0], agents[1 % len(agents)]

    def headers(agent: Agent, token: str | None = None) -> dict[str, str]:
        return {"Cookie": agent.cookie, "X-CSRF-Token": token or agent.token,
                "Content-Type": "application/x-www-form-urlencoded"}

    head = asyncio.run(queue_head(url, 3))
    with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as client:
        body = f"csrf_token={a.token}"
        # Without cookies: the CSRF check refuses (403); with CSRF but no staff session: login.
        r = client.post(CLAIM_PATH, content=body)
        if r.status_code != 403:
            problems.append(f"{CLAIM_PATH} without cookies gave {r.status_code}, not 403")
        r = client.post(CLAIM_PATH, content=body, headers={
            "Cookie": f"{CSRF_COOKIE}={a.csrf}", "X-CSRF-Token": a.token,
            "Content-Type": "application/x-www-form-urlencoded"})
        if r.status_code != 303 or "/kcc/inloggen" not in r.headers.get("location", ""):
            problems.append(f"{CLAIM_PATH} without a staff session gave {r.status_code} "
                            f"{r.headers.get('location')}, not 303 to the staff login")
        r = client.post(CLAIM_PATH, content=body, headers=headers(a, b.token))
        if r.status_code != 403:
            problems.append(f"{CLAIM_PATH} with another browser's CSRF token gave "
                            f"{r.status_code}, not 403")
        r = client.post(KCC_NOOP_PATH, content=body, headers=headers(a))
        expected = f"/kcc/vragen/{KCC_NOOP_REFERENCE}"
        if r.status_code != 303 or r.headers.get("location") != expected:
            problems.append(f"no-op gave {r.status_code} {r.headers.get('location')}")
        if "set-cookie" in r.headers and STAFF_SESSION_COOKIE in r.headers["set-cookie"]:
            problems.append("the no-op re-signed the staff session")
        # Three claims, alternating agents: the three most urgent questions, in order.
        got = []
        for agent in (a, b, a):
            r = client.post(CLAIM_PATH, content=f"csrf_token={agent.token}",
                            headers=headers(agent))
            location = r.headers.get("location", "")
            if r.status_code != 303 or not location.startswith("/kcc/vragen/V-"):
                problems.append(f"claim gave {r.status_code} {location}")
                continue
            # /kcc/vragen/V-...?opgepakt=1: the page opens with the reply box focused
            got.append((location.rsplit("/", 1)[1].split("?", 1)[0], agent.staff_id))
        if [ref for ref, _ in got] != head:
            problems.append(f"claims got {[ref for ref, _ in got]}, the queue's head is {head}")
        states = asyncio.run(claimed_by(url, [ref for ref, _ in got]))
        for ref, staff_id in got:
            if states.get(ref) != ("claimed", staff_id):
                problems.append(f"{ref} is {states.get(ref)}, not claimed by {staff_id}")
        page_bytes = 0
        if got:
            page = client.get(f"/kcc/vragen/{got[0][0]}", headers={"Cookie": a.cookie})
            page_bytes = len(page.content)
            if page.status_code != 200 or got[0][0] not in page.text:
                problems.append(f"the claimed question's page gave {page.status_code}")
    if problems:
        raise SystemExit("kcc: preflight failed:\n  " + "\n  ".join(problems))
    return {"claimed_in_order": [ref for ref, _ in got], "question_page_bytes": page_bytes}


# --- measuring -------------------------------------------------------------------------------

@dataclass
class Bench:
    """What every phase needs."""

    args: argparse.Namespace
    server: Server
    agents: list[Agent]
    plan: QuestionPlan
    script: Path
    ack_dir: Path


def start_wrk(bench: Bench, mode: str, duration: float) -> subprocess.Popen[str]:
    """wrk with one thread per connection (= per agent)."""
    args = bench.args
    write_lua(bench.script, bench.agents, bench.ack_dir, args.database_url, args.think_ms)
    cmd = ["wrk", f"-t{args.agents}", f"-c{args.agents}", f"-d{duration:g}s", "--latency",
           f"--timeout={args.wrk_timeout}s", "-s", str(bench.script),
           f"http://127.0.0.1:{args.port}", "--", mode]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_wrk(bench: Bench, mode: str, duration: float, meter: CpuMeter | None = None,
            before_start: Callable[[], None] | None = None) -> dict[str, Any]:
    """One wrk run; restarted (after before_start again) while the workers got uneven shares.

    A worker that wakes first accepts every pending connection it can, so the connections,
    opened at once, can land mostly on one worker and stay there (bench/run.py does the
    same, with a quarter as the minimum; with 20 agents, 15 on one single-threaded worker
    shows that worker's queue, so here each worker must hold 40% by default). For the
    claim, before_start reloads the questions, so that a discarded start's claims are gone
    too.
    """
    args, workers = bench.args, bench.server.workers
    least = int(args.agents * args.balance_min_share) if args.balance else 0
    discarded: list[dict[str, int]] = []
    for attempt in range(1, args.balance_attempts + 1):
        if before_start:
            before_start()
        if meter:
            meter.start()
        wrk = start_wrk(bench, mode, duration)
        time.sleep(min(1.0, duration / 4))
        spread = worker_connections(workers, args.port)
        balanced = min(spread.values()) >= least
        if balanced or attempt == args.balance_attempts:
            break
        wrk.kill()
        wrk.communicate()
        discarded.append({str(p): n for p, n in spread.items()})
    stdout, stderr = wrk.communicate()
    line = next((x for x in stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if wrk.returncode != 0 or line is None:
        raise SystemExit(f"kcc: wrk failed ({wrk.returncode}):\n{stdout}\n{stderr}")
    result: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
    result["error_samples"] = [x.removeprefix("BENCH_ERROR ") for x in stdout.splitlines()
                               if x.startswith("BENCH_ERROR ")]
    result["attempts"] = attempt
    result["balanced"] = balanced
    result["connections_at_start"] = {str(p): n for p, n in spread.items()}
    result["discarded_starts"] = discarded
    seconds = result["duration_us"] / 1e6
    result["requests_per_s"] = round(result["requests"] / seconds, 1)
    lat = result["latency_us"]
    for key in ("p50", "p90", "p99", "p99_9", "mean", "max"):
        result[f"{key}_ms"] = round(lat[key] / 1000, 2)
    result["ok"] = (sum(result["errors"].values()) == 0 and result["non_303"] == 0
                    and result["wrong_location"] == 0 and result["queue_empty"] == 0
                    and result["ok_303"] == result["requests"])
    return result


class WaitSampler(threading.Thread):
    """What the database's client backends are doing, sampled from pg_stat_activity.

    Every --sample-interval s: each backend of the bench database (but this one) is counted
    as idle (the pool waits for the workers), idle in transaction (PostgreSQL waits for the
    worker between two statements of a transaction), active on the CPU, or active waiting
    (for a lock, the WAL flush of a commit, ...). Averaged over the samples: how many
    backends were in each state at a time.
    """

    def __init__(self, url: str, interval: float) -> None:
        super().__init__(daemon=True)
        self.url, self.interval = url, interval
        self.counts: Counter[str] = Counter()
        self.samples = 0
        self.halt = threading.Event()
        self.failed: str | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._loop())
        except Exception as error:  # noqa: BLE001 - a diagnostic; never stop the run for it
            self.failed = repr(error)

    async def _loop(self) -> None:
        conn = await asyncpg.connect(asyncpg_dsn(self.url))
        try:
            while not self.halt.is_set():
                rows = await conn.fetch(
                    """
                    SELECT state, wait_event_type, wait_event FROM pg_stat_activity
                    WHERE datname = current_database() AND pid <> pg_backend_pid()
                      AND backend_type = 'client backend'
                    """
                )
                self.samples += 1
                for r in rows:
                    if r["state"] == "active":
                        key = (f"active, waiting on {r['wait_event_type']}:{r['wait_event']}"
                               if r["wait_event_type"] else "active (CPU)")
                    else:
                        key = str(r["state"])
                    self.counts[key] += 1
                await asyncio.sleep(self.interval)
        finally:
            await conn.close()

    def stop(self) -> dict[str, Any]:
        self.halt.set()
        self.join(timeout=10)
        n = max(self.samples, 1)
        return {
            "samples": self.samples, "interval_s": self.interval, "failed": self.failed,
            "mean_backends": {k: round(v / n, 2) for k, v in self.counts.most_common()},
        }


async def pg_counters(url: str) -> dict[str, Any]:
    """Counters to compare around a phase: commits, the queue index's use, WAL, checkpoints."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        row = await conn.fetchrow(
            """
            SELECT d.xact_commit, d.xact_rollback, d.sessions, d.blks_hit, d.blks_read,
                   pg_current_wal_lsn()::text AS wal_lsn,
                   (SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter)
                     AS checkpoints,
                   (SELECT coalesce(sum(xact_commit + xact_rollback), 0) FROM pg_stat_database
                    WHERE datname IS DISTINCT FROM current_database()) AS other_xacts,
                   i.idx_scan AS queue_idx_scan, i.idx_tup_read AS queue_idx_tup_read,
                   i.idx_tup_fetch AS queue_idx_tup_fetch,
                   io.idx_blks_hit + io.idx_blks_read AS queue_idx_blks,
                   t.n_tup_upd, t.n_tup_hot_upd, t.n_dead_tup
            FROM pg_stat_database d,
                 pg_stat_user_indexes i JOIN pg_statio_user_indexes io USING (indexrelid),
                 pg_stat_user_tables t
            WHERE d.datname = current_database() AND i.indexrelname = 'ix_questions_queue'
              AND t.relname = 'questions'
            """
        )
    finally:
        await conn.close()
    assert row is not None
    return dict(row)


def counter_deltas(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What changed between two pg_counters()."""
    out = {k: int(after[k]) - int(before[k]) for k in before
           if k not in ("wal_lsn", "n_dead_tup")}
    out["wal_bytes"] = wal_bytes(before["wal_lsn"], after["wal_lsn"])
    out["n_dead_tup_after"] = int(after["n_dead_tup"])
    return out


def read_acks(ack_dir: Path, tag: str) -> list[tuple[str, int]]:
    """(reference, staff id) of every 303 to a question that this wrk run got."""
    found = []
    for path in sorted(ack_dir.glob(f"{tag}-*.txt")):
        staff_id = int(path.stem.rsplit("-", 1)[1])
        found += [(ref, staff_id) for ref in path.read_text().split()]
    return found


async def claims_in_db(url: str) -> dict[str, Any]:
    """What the database says was claimed since the questions were loaded."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        counts = await conn.fetchrow(
            """
            SELECT
              (SELECT count(*) FROM questions WHERE state = 'new') AS open,
              (SELECT count(*) FROM questions WHERE state = 'claimed') AS claimed,
              (SELECT count(*) FROM questions WHERE state NOT IN ('new', 'claimed')) AS other,
              (SELECT count(*) FROM question_events WHERE action = 'claim') AS claim_events,
              (SELECT count(*) FROM (SELECT question_id FROM question_events
                                     WHERE action = 'claim' GROUP BY question_id
                                     HAVING count(*) > 1) d) AS claimed_twice,
              (SELECT count(*) FROM questions q WHERE q.state = 'claimed'
                 AND (SELECT count(*) FROM question_events e WHERE e.question_id = q.id
                        AND e.action = 'claim') <> 1) AS claimed_without_one_event,
              (SELECT count(*) FROM question_events e JOIN questions q ON q.id = e.question_id
                 WHERE e.action = 'claim' AND (q.state <> 'claimed'
                   OR q.assignee_id IS DISTINCT FROM e.actor_id)) AS events_not_matching,
              (SELECT count(*) FROM questions WHERE state = 'new' AND (sla_due_at, id) <
                 (SELECT sla_due_at, id FROM questions WHERE state = 'claimed'
                  ORDER BY sla_due_at DESC, id DESC LIMIT 1)) AS skipped_in_queue
            """
        )
        rows = await conn.fetch(
            "SELECT reference, assignee_id FROM questions WHERE state = 'claimed'"
        )
    finally:
        await conn.close()
    assert counts is not None
    return {**dict(counts), "assignees": {r["reference"]: r["assignee_id"] for r in rows}}


def verify_claims(bench: Bench, result: dict[str, Any], loaded: int) -> dict[str, Any]:
    """The database against what wrk saw: no double claim, every 303 one claim of its agent."""
    db = asyncio.run(claims_in_db(bench.args.database_url))
    assignees: dict[str, int] = db.pop("assignees")
    acks = read_acks(bench.ack_dir, result["tag"])
    acked_refs = [ref for ref, _ in acks]
    acked_set = set(acked_refs)
    # wrk calls request() once more on its first thread to check the script: never sent.
    unanswered = {t["staff_id"]: t["sent"] - t["answered"] - (1 if t["tid"] == 1 else 0)
                  for t in result["per_thread"]}
    unacked = Counter(staff for ref, staff in assignees.items() if ref not in acked_set)
    check: dict[str, Any] = {
        "questions_loaded": loaded,
        "open_after": db["open"],
        "claimed_questions": db["claimed"],
        "claim_events": db["claim_events"],
        "questions_claimed_twice": db["claimed_twice"],
        "claimed_without_exactly_one_event": db["claimed_without_one_event"],
        "claim_events_not_matching_question": db["events_not_matching"],
        "other_states": db["other"],
        "responses_303_to_a_question": result["ok_303"],
        "references_in_303s": len(acked_refs),
        "same_question_in_two_303s": len(acked_refs) - len(acked_set),
        "303_not_claimed_by_that_agent": sum(
            1 for ref, staff in acks if assignees.get(ref) != staff
        ),
        "unanswered_at_stop": sum(max(v, 0) for v in unanswered.values()),
        "claimed_unanswered": sum(unacked.values()),
        "claimed_unanswered_beyond_in_flight": sum(
            max(0, n - max(unanswered.get(staff, 0), 0)) for staff, n in unacked.items()
        ),
        "skipped_in_queue_order": db["skipped_in_queue"],
    }
    check["no_double_claim"] = (
        check["questions_claimed_twice"] == 0 and check["same_question_in_two_303s"] == 0
        and check["claim_events"] == check["claimed_questions"]
        and check["claimed_without_exactly_one_event"] == 0
        and check["claim_events_not_matching_question"] == 0
    )
    check["counts_add_up"] = (
        check["claimed_questions"] == check["responses_303_to_a_question"]
        + check["claimed_unanswered"]
        and check["references_in_303s"] == check["responses_303_to_a_question"]
        and check["open_after"] + check["claimed_questions"] == loaded
        and check["other_states"] == 0
        and check["claimed_unanswered_beyond_in_flight"] == 0
        and check["303_not_claimed_by_that_agent"] == 0
    )
    check["ok"] = check["no_double_claim"] and check["counts_add_up"]
    return check


def measure_once(bench: Bench, mode: str) -> dict[str, Any]:
    """Wait for a quiet machine, warm up, measure one phase (the claim: on fresh questions)."""
    args, server = bench.args, bench.server
    url = args.database_url
    busy_before = wait_for_quiet(args.wait_idle)
    def reload_quietly() -> None:
        asyncio.run(load_questions(url, bench.plan, quiet=True))

    if args.warmup > 0:
        warm = run_wrk(bench, mode, args.warmup,
                       before_start=reload_quietly if mode == "claim" else None)
        if not warm["ok"]:
            fail_loudly(f"{mode} warm-up", warm)
    db_port = make_url(url).port or 5432
    meter = CpuMeter(server.workers, db_port, (server.process.pid,))
    loaded: dict[str, Any] = {}
    before: dict[str, Any] = {}

    def before_start() -> None:
        if mode == "claim":
            loaded.update(asyncio.run(load_questions(url, bench.plan, quiet=True)))
        before.update(asyncio.run(pg_counters(url)))

    sampler = WaitSampler(url, args.sample_interval) if args.sample_interval > 0 else None
    if sampler:
        sampler.start()
    result = run_wrk(bench, mode, args.duration, meter, before_start)
    result["cpu"] = meter.stop() | {"machine_busy_before_pct": busy_before}
    result["pg_activity"] = sampler.stop() if sampler else None
    time.sleep(0.5)  # the requests wrk hung up on finish in the server
    result["pg"] = counter_deltas(before, asyncio.run(pg_counters(url)))
    cpu = result["cpu"]
    cpu["postgres_total_cpu_s"] = round(
        cpu["postgres_cpu_s"] + cpu.get("postgres_ended_backends_cpu_s", 0), 1
    )
    cpu["other_pct"] = round(100 * cpu["other_cpu_s"] / max(cpu["available_cpu_s"], 1), 1)
    if not result["ok"]:
        fail_loudly(mode, result)
    if mode == "claim":
        result["questions_reloaded_s"] = loaded.get("seconds")
        result["check"] = verify_claims(bench, result, loaded["open_questions"])
    return result


def fail_loudly(phase: str, result: dict[str, Any]) -> None:
    """Stop with the counts and a sample of what went wrong."""
    samples = result.get("error_samples", [])
    raise SystemExit(
        f"kcc: FAILED in {phase}: errors {result['errors']}, non-303 {result['non_303']} "
        f"(last status {result['last_bad_status']}), wrong location {result['wrong_location']}, "
        f"queue empty {result['queue_empty']}\n"
        + ("sample:\n  " + "\n  ".join(samples) if samples else "no sample kept")
    )


def measure_phase(bench: Bench, mode: str) -> dict[str, Any]:
    """Measure a phase, again (up to --phase-attempts) while other load disturbed it."""
    tries: list[dict[str, Any]] = []
    for _ in range(bench.args.phase_attempts):
        progress = Progress(f"{mode:8}", 1)
        result = measure_once(bench, mode)
        progress.advance()
        other = result["cpu"]["other_pct"]
        extra = (f", check {'OK' if result['check']['ok'] else 'FAILED'}"
                 if "check" in result else "")
        progress.finish(f"{PHASE_LABELS[mode]}: {result['requests_per_s']} req/s, p50 "
                        f"{result['p50_ms']} ms, p99 {result['p99_ms']} ms, other load "
                        f"{other}%{extra}")
        result["explain_after"] = (asyncio.run(explain_claim(bench.args.database_url,
                                                             bench.agents[0].staff_id))
                                   if mode == "claim" and not bench.args.no_explain else None)
        tries.append(result)
        if other <= bench.args.max_other_pct:
            break
        again = len(tries) < bench.args.phase_attempts
        print(f"kcc: other processes used {other}% of the CPU during {mode}; "
              + ("measuring it again" if again else "keeping the least disturbed attempt"),
              file=sys.stderr)
    best = min(tries, key=lambda r: r["cpu"]["other_pct"])
    best["phase_attempts"] = [
        {"requests_per_s": r["requests_per_s"], "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"],
         "other_pct": r["cpu"]["other_pct"], "check_ok": r.get("check", {}).get("ok")}
        for r in tries
    ]
    best["disturbed"] = best["cpu"]["other_pct"] > bench.args.max_other_pct
    if any(r.get("check", {}).get("ok") is False for r in tries):
        best["check_failed_in_an_attempt"] = True
    return best


def measure(bench: Bench) -> dict[str, Any]:
    """The phases in order; results and worker memory."""
    server = bench.server
    sampler = RssSampler(server.workers, bench.args.port)
    sampler.start()
    phases: dict[str, Any] = {}
    peaks: dict[str, dict[int, int]] = {}
    try:
        for mode in bench.args.phases.split(","):
            sampler.take()
            result = measure_phase(bench, mode)
            peaks[mode], conns = sampler.take()
            result["connections_per_worker_max"] = {str(p): n for p, n in conns.items()}
            phases[mode] = result
        restarted = worker_pids(server.process.pid) != server.workers
    finally:
        sampler.halt.set()
    if restarted:
        raise SystemExit("kcc: a worker was restarted during the run; numbers are not valid")
    memory = {
        str(pid): {"vmhwm_mb": round(status_kb(pid, "VmHWM") / 1024, 1),
                   "phase_peak_mb": {k: round(v[pid] / 1024, 1) for k, v in peaks.items()}}
        for pid in server.workers
    }
    return {"phases": phases, "memory": memory}


# --- the claim statement itself ---------------------------------------------------------------

def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool | int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


async def explain_claim(url: str, staff_id: int, calls: int = 200) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, BUFFERS) of the exact SQL claim_next sends, on the queue as it is.

    The statements are captured from claim_next itself (rolled back), then explained as a
    custom and as a generic plan (asyncpg prepares every statement, so after five runs
    PostgreSQL may use the generic plan), each in a transaction that is rolled back. Then
    claim_next + commit is timed in-process, one call after another (no HTTP, no
    concurrency): `calls` questions are claimed for real.
    """
    engine = make_engine(url, pool_size=1, max_overflow=0)
    captured: list[tuple[str, tuple[Any, ...]]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        captured.append((statement, tuple(parameters or ())))

    staff = Staff(id=staff_id, roles=("agent",))
    sessionmaker = make_sessionmaker(engine)
    try:
        event.listen(engine.sync_engine, "before_cursor_execute", capture)
        async with sessionmaker() as session:
            await claim_next(session, staff)
            await session.rollback()
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
        statements = list(captured)
        timings = []
        for _ in range(calls):
            started = time.perf_counter()
            async with sessionmaker() as session:
                await claim_next(session, staff)
                await session.commit()
            timings.append(time.perf_counter() - started)
        async with sessionmaker() as session:
            n_open = (await session.execute(
                text("SELECT count(*) FROM questions WHERE state = 'new'"))).scalar_one()
    finally:
        await engine.dispose()
    plans = []
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        for n, (sql, params) in enumerate(statements):
            args = f"({', '.join(_literal(p) for p in params)})" if params else ""
            modes = {}
            for mode in ("force_custom_plan", "force_generic_plan"):
                transaction = conn.transaction()
                await transaction.start()
                try:
                    await conn.execute(f"SET LOCAL plan_cache_mode = {mode}")
                    await conn.execute(f"PREPARE bench_kcc_{n} AS {sql}")
                    rows = await conn.fetch(
                        f"EXPLAIN (ANALYZE, BUFFERS, VERBOSE) EXECUTE bench_kcc_{n}{args}"
                    )
                    modes[mode.split("_")[1]] = "\n".join(r[0] for r in rows)
                finally:
                    await transaction.rollback()  # nothing is claimed by explaining
                    await conn.execute(f"DEALLOCATE bench_kcc_{n}")
            plans.append({"sql": sql, "params": [str(p) for p in params], **modes})
    finally:
        await conn.close()
    timings.sort()
    return {
        "open_questions_after": n_open,
        "statements": plans,
        "in_process_claim_commit": {
            "calls": len(timings),
            "mean_ms": round(statistics.fmean(timings) * 1000, 3) if timings else None,
            "p50_ms": round(timings[len(timings) // 2] * 1000, 3) if timings else None,
            "p99_ms": round(timings[min(len(timings) - 1, int(len(timings) * 0.99))] * 1000, 3)
            if timings else None,
        },
    }


def plan_headline(plan: str) -> str:
    """One line: the indexes the claim's row is found with, buffers and execution time."""
    scans = re.findall(r"(Index Scan|Index Only Scan|Bitmap Index Scan|Seq Scan)"
                       r"(?: using (\w+))? on ([\w.]+)", plan)
    sorts = "Incremental Sort" if "Incremental Sort" in plan else (
        "Sort" if re.search(r"->  Sort ", plan) else "")
    buffers = re.search(r"Buffers: ([^\n]+)", plan)
    rows = re.findall(r"Index Scan using \w+ on [\w.]+ questions_1 .*?rows=(\d+) loops", plan)
    took = re.search(r"Execution Time: ([\d.]+) ms", plan)
    parts = [", ".join(f"{kind} {index or table}" for kind, index, table in scans)]
    if sorts:
        parts.append(sorts)
    if rows:
        parts.append(f"{rows[0]} index entries returned to find the row")
    if buffers:
        parts.append(f"buffers {buffers.group(1)}")
    if took:
        parts.append(f"{took.group(1)} ms")
    return "; ".join(parts)


def plan_summary(plan: str) -> str:
    """The lines of a plan that tell where the time went (nodes, buffers, timing)."""
    keep = []
    for line in plan.splitlines():
        stripped = line.strip()
        if stripped.startswith(("Output:", "Sort Key:", "Presorted Key:")):
            continue
        keep.append(line)
    return "\n".join(keep)


# --- report --------------------------------------------------------------------------------

def judge(results: dict[str, Any]) -> None:
    """Claims per second, the ratios to the baseline and the verdicts."""
    phases = results["phases"]
    claim, noop = phases.get("claim"), phases.get("noop")
    if claim is None:
        results["valid"] = all(r["ok"] for r in phases.values())
        return
    seconds = claim["duration_us"] / 1e6
    claim["claims_per_s"] = round(claim["ok_303"] / seconds, 1)
    if noop:
        results["ratios"] = {
            "claims_per_s / noop_requests_per_s": round(
                claim["claims_per_s"] / noop["requests_per_s"], 3),
            "p50 claim / noop": round(claim["p50_ms"] / max(noop["p50_ms"], 1e-9), 2),
            "p90 claim / noop": round(claim["p90_ms"] / max(noop["p90_ms"], 1e-9), 2),
            "p99 claim / noop": round(claim["p99_ms"] / max(noop["p99_ms"], 1e-9), 2),
        }
    check = claim["check"]
    # Issue 17: without a pause, p99 <= 2 x the no-op's p99 in the same run; the absolute
    # 50 ms of the KCC issue holds for agents who pause (--think-ms), and is reported.
    relative = claim["p99_ms"] <= TARGET_P99_NOOP_RATIO * noop["p99_ms"] if noop else None
    results["targets"] = {
        "p99_max_ms": TARGET_P99_MS,
        "p99_met": claim["p99_ms"] <= TARGET_P99_MS,
        "p99_max_noop_ratio": TARGET_P99_NOOP_RATIO, "p99_noop_met": relative,
        "no_double_claim": check["no_double_claim"],
        "met": (relative if relative is not None else claim["p99_ms"] <= TARGET_P99_MS)
        and check["no_double_claim"],
    }
    for r in phases.values():
        n = max(r["requests"], 1)
        cpu = r["cpu"]
        r["per_request"] = {
            "workers_cpu_ms": round(1000 * cpu["workers_cpu_s"] / n, 3),
            "postgres_cpu_ms": round(1000 * cpu["postgres_total_cpu_s"] / n, 3),
            "wrk_cpu_ms": round(1000 * cpu["wrk_cpu_s"] / n, 3),
            "commits": round(r["pg"]["xact_commit"] / n, 2),
            "wal_bytes": round(r["pg"]["wal_bytes"] / n),
            "queue_index_entries_read": round(r["pg"]["queue_idx_tup_read"] / n, 1),
            "queue_index_blocks": round(r["pg"]["queue_idx_blks"] / n, 1),
        }
    results["valid"] = all(r["ok"] for r in phases.values()) and check["ok"]


def report(results: dict[str, Any]) -> str:
    """The table and the verdicts."""
    out = []
    phases, cfg, m = results["phases"], results["config"], results["machine"]
    dirty = " + uncommitted changes" if m["git_uncommitted"] else ""
    out.append(
        f"commit {m['git_commit']}{dirty}; server {cfg['server']} x{cfg['workers']} workers; "
        f"wrk -t{cfg['agents']} -c{cfg['agents']} -d{cfg['duration']:g}s (warm-up "
        f"{cfg['warmup']:g} s), one connection per agent"
        + (f", pauses of {cfg['think_ms']} ms on average between a response and the next press"
           if cfg["think_ms"] else ", no pause between presses")
        + f"; {results['database']['questions']} "
        f"questions loaded before each claim run; {m['cpus']} CPUs"
    )
    out.append(f"{'phase':32} {'req/s':>8} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} "
               f"{'max ms':>7} {'requests':>8} {'bad':>4}  cpu s: workers/pg/wrk/other, busy")
    for name, r in phases.items():
        cpu = r["cpu"]
        bad = sum(r["errors"].values()) + r["non_303"] + r["wrong_location"] + r["queue_empty"]
        out.append(
            f"{PHASE_LABELS[name]:32} {r['requests_per_s']:8.1f} {r['p50_ms']:7.2f} "
            f"{r['p90_ms']:7.2f} {r['p99_ms']:7.2f} {r['max_ms']:7.1f} {r['requests']:8d} "
            f"{bad:4d}  {cpu['workers_cpu_s']}/{cpu['postgres_total_cpu_s']}/{cpu['wrk_cpu_s']}/"
            f"{cpu['other_cpu_s']}, {cpu['machine_busy_pct']}%"
        )
    for name, r in phases.items():
        pr = r.get("per_request", {})
        conns = r["connections_at_start"]
        out.append(
            f"  {name:5} per request: workers {pr.get('workers_cpu_ms')} ms CPU, PostgreSQL "
            f"{pr.get('postgres_cpu_ms')} ms, wrk {pr.get('wrk_cpu_ms')} ms; "
            f"{pr.get('wal_bytes')} WAL bytes; queue index: {pr.get('queue_index_entries_read')} "
            f"entries, {pr.get('queue_index_blocks')} blocks"
        )
        out.append(
            "        connections per worker at start: "
            + ", ".join(f"{p}: {n}" for p, n in conns.items())
            + f"; wrk started {r['attempts']}x" + ("" if r["balanced"] else " (UNBALANCED)")
            + (f"; measured {len(r['phase_attempts'])}x" if len(r["phase_attempts"]) > 1 else "")
            + (f" (DISTURBED: other load {r['cpu']['other_pct']}%)" if r["disturbed"] else
               f"; other load {r['cpu']['other_pct']}%")
            + (f"; {r['set_cookie']} responses re-signed the session" if r["set_cookie"] else "")
        )
        if r["pg"]["checkpoints"] or r["pg"]["other_xacts"]:
            out.append(f"        meanwhile on the same PostgreSQL: {r['pg']['checkpoints']} "
                       f"checkpoints, {r['pg']['other_xacts']} transactions in other databases")
        act = r.get("pg_activity")
        if act and act["samples"]:
            out.append("        PostgreSQL backends of the bench database, mean at a time: "
                       + ", ".join(f"{k} {v}" for k, v in act["mean_backends"].items()))
    claim = phases.get("claim")
    if claim:
        c = claim["check"]
        out.append("")
        out.append(
            f"claims: {c['claimed_questions']} questions claimed of {c['questions_loaded']} "
            f"loaded ({c['open_after']} still open); {c['claim_events']} claim events"
        )
        out.append(
            f"  no question claimed twice: {c['questions_claimed_twice']} with two claim "
            f"events, {c['same_question_in_two_303s']} in two 303s, "
            f"{c['claimed_without_exactly_one_event']} claimed without exactly one event, "
            f"{c['claim_events_not_matching_question']} events not matching their question's "
            f"assignee: " + ("OK" if c["no_double_claim"] else "FAILED")
        )
        out.append(
            f"  claimed {c['claimed_questions']} = {c['responses_303_to_a_question']} 303s to "
            f"a question + {c['claimed_unanswered']} requests in flight when wrk stopped (of "
            f"{c['unanswered_at_stop']} it hung up on); every 303 claimed by its own agent "
            f"({c['303_not_claimed_by_that_agent']} not); non-303 responses: {claim['non_303']}: "
            + ("OK" if c["counts_add_up"] else "MISMATCH")
        )
        out.append(
            f"  queue order: {c['skipped_in_queue_order']} open questions more urgent than the "
            "last one claimed" + (" (the claimed ones are exactly the most urgent)"
                                  if c["skipped_in_queue_order"] == 0 else "")
        )
        out.append("")
        out.append(f"claims/s: {claim['claims_per_s']:.1f}")
        for name, ratio in results.get("ratios", {}).items():
            out.append(f"ratio {name}: {ratio}")
        t = results["targets"]
        if t["p99_noop_met"] is not None:
            out.append(f"p99 claim / no-op: {results['ratios']['p99 claim / noop']}   (target <= "
                       f"{TARGET_P99_NOOP_RATIO:g}, issue 17: {verdict(t['p99_noop_met'])})")
        out.append(f"p99 claim: {claim['p99_ms']:.2f} ms   (the KCC issue's <= "
                   f"{TARGET_P99_MS:g} ms, for agents who pause between claims (--think-ms): "
                   f"{verdict(t['p99_met'])})")
        out.append(f"no double claim: {verdict(t['no_double_claim'])}")
        out.append(f"TARGET: {verdict(t['met'])}")
    out.append("")
    for pid, mem in results["memory"].items():
        text_ = ", ".join(f"{k} {v:.1f} MB" for k, v in mem["phase_peak_mb"].items())
        out.append(f"worker {pid}: peak RSS (VmHWM) {mem['vmhwm_mb']:.1f} MB; per phase: {text_}")
    db = results["database"]
    out.append(f"PostgreSQL {db['server_version']}: synchronous_commit={db['synchronous_commit']}"
               f", fsync={db['fsync']}, shared_buffers={db['shared_buffers']}; questions "
               f"{db['questions_size']}, ix_questions_queue {db['ix_questions_queue_size']}")
    logged = results["server_log"]
    out.append(f"uvicorn log: {logged['errors']} errors ({logged['client_disconnect']} "
               f"ClientDisconnect, {logged['other']} other)")
    return "\n".join(out)


def print_explain(explain: dict[str, Any], heading: str) -> None:
    """The claim's plans and the in-process timing."""
    print(f"\n=== {heading}: {explain['open_questions_after']} open questions afterwards")
    for q in explain["statements"]:
        print(f"--- {q['sql'].strip()}\n    params {q['params']}")
        for kind in ("custom", "generic"):
            print(f"  [{kind} plan]")
            print("\n".join("    " + line for line in plan_summary(q[kind]).splitlines()))
    t = explain["in_process_claim_commit"]
    print(f"in-process claim_next + commit, one after another: mean {t['mean_ms']} ms, "
          f"p50 {t['p50_ms']} ms, p99 {t['p99_ms']} ms ({t['calls']} calls)")


def save(results: dict[str, Any], stamp: str, verbose: bool) -> None:
    """Print the report and write it (and the JSON) under bench/results/."""
    out = RESULTS_DIR / f"kcc-{stamp}.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    text_ = report(results)
    (RESULTS_DIR / f"kcc-{stamp}.txt").write_text(text_ + "\n")
    claim = results["phases"].get("claim")
    if claim and claim.get("explain_after"):
        if verbose:
            print_explain(claim["explain_after"], "the claim after the measured run")
        if results.get("explain_fresh") and verbose:
            print_explain(results["explain_fresh"], "the claim on freshly loaded questions")
        for label, ex in (("after the measured run", claim["explain_after"]),
                          ("on a freshly loaded queue", results.get("explain_fresh"))):
            if ex:
                update = ex["statements"][0]
                print(f"claim UPDATE {label}: custom plan: {plan_headline(update['custom'])}")
                print(f"{'':{len('claim UPDATE ' + label)}}  generic plan: "
                      f"{plan_headline(update['generic'])}")
                t = ex["in_process_claim_commit"]
                print(f"  in-process claim_next + commit, one at a time: p50 {t['p50_ms']} ms, "
                      f"p99 {t['p99_ms']} ms ({t['calls']} calls)")
    print()
    print(text_)
    print(f"\nsaved {out.relative_to(BENCH_DIR.parent)} ({results['elapsed_s']} s)")


# --- main --------------------------------------------------------------------------------------

async def seed(args: argparse.Namespace) -> tuple[list[int], list[TopicRow]]:
    """The database, parties, agents and topics (the questions are loaded per run)."""
    name = database_name(args.database_url)
    if "bench" not in name:
        raise SystemExit(f"kcc: refusing to use database {name!r}: its name does not contain "
                         "'bench' (its questions are emptied on every run)")
    if await ensure_database(args.database_url, recreate=args.recreate):
        print(f"kcc: created database {quote_ident(name)}", file=sys.stderr)
    await upgrade_async(args.database_url)
    if not await seed_parties(args.database_url, args.parties, args.seed):
        print(f"kcc: {args.parties} parties already there; reusing them", file=sys.stderr)
    agent_ids = await seed_agents(args.database_url, args.agents)
    topics = await load_topics(args.database_url)
    if not topics:
        raise SystemExit("kcc: no active question topics (migration 0003 seeds them)")
    return agent_ids, topics


def main_inner(args: argparse.Namespace) -> tuple[int, dict[str, Any]]:
    """The run; the exit status (0 only when every response and the claims checked out)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    started = time.monotonic()
    url = args.database_url
    agent_ids, topics = asyncio.run(seed(args))
    now = datetime.now(UTC).replace(microsecond=0)
    plan = plan_questions(args, topics, agent_ids, args.parties, now, load_settings().calendar)
    loaded = asyncio.run(load_questions(url, plan))
    db = asyncio.run(database_facts(url))
    print(f"kcc: seeded {name_of(url)}: {db['questions']} open questions, {db['parties']} "
          f"parties, {len(agent_ids)} agents ({db['database_size']}; questions loaded in "
          f"{loaded['seconds']} s)", file=sys.stderr)
    if args.seed_only:
        return (0), {}
    if args.warmup > TOUCH_INTERVAL or args.duration > TOUCH_INTERVAL:
        print(f"kcc: note: after {TOUCH_INTERVAL} s each session's activity is noted in its "
              "row once a minute (one write per session a minute)",
              file=sys.stderr)
    ack_dir = RESULTS_DIR / f"kcc-acks-{stamp}"
    ack_dir.mkdir()
    log = RESULTS_DIR / f"kcc-uvicorn-{stamp}.log"
    server = start_server(args, log, app=APP, label="kcc")
    agents = [Agent(staff_id) for staff_id in agent_ids]
    results: dict[str, Any] = {
        "started_at": stamp, "machine": machine(), "config": vars(args), "app": APP,
        "workers": server.workers, "seeded": plan.facts, "database": db,
    }
    try:
        try:
            base = f"http://127.0.0.1:{args.port}"
            results["preflight"] = preflight(base, url, agents)
            script = RESULTS_DIR / f"kcc-wrk-{stamp}.lua"
            results |= measure(Bench(args, server, agents, plan, script, ack_dir))
        finally:
            server.stop()
        results["server_log"] = log_problems(log)
        judge(results)
        # Leave the database as every run starts: all questions open again.
        asyncio.run(load_questions(url, plan, quiet=True))
        if not args.no_explain and "claim" in results["phases"]:
            results["explain_fresh"] = asyncio.run(explain_claim(url, agent_ids[0]))
            asyncio.run(load_questions(url, plan, quiet=True))
    finally:
        if not args.keep_acks:
            for path in ack_dir.glob("*.txt"):
                path.unlink()
            ack_dir.rmdir()
    results["elapsed_s"] = round(time.monotonic() - started, 1)
    save(results, stamp, args.verbose)
    if results["server_log"]["other"]:
        print(f"kcc: the server logged other errors than ClientDisconnect; see {log}",
              file=sys.stderr)
        return (1), results
    return (0 if results["valid"] else 1), results


def name_of(url: str) -> str:
    """The database's name."""
    return database_name(url)


def smoke(args: argparse.Namespace) -> SmokeResult:
    """2,000 questions, 4 agents, each phase for a second."""
    smoke_sizes(args, questions=2000, parties=200, agents=4, duration=1, warmup=0, wait_idle=0,
                phase_attempts=1, balance_attempts=1, no_explain=True, port=8867)
    code, results = main_inner(args)
    return SmokeResult(code, wrk_counts(results.get("phases", {})))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=DEFAULT_DATABASE_URL,
                   help="created when missing; its questions are reloaded on every run "
                        "(its name must contain 'bench')")
    p.add_argument("--questions", type=int, default=100_000, help="open questions per run")
    p.add_argument("--agents", type=int, default=20,
                   help="agents = concurrent connections (one wrk thread each)")
    p.add_argument("--parties", type=int, default=20_000, help="parties the questions are of")
    p.add_argument("--days", type=int, default=10, help="the questions came in over these days")
    p.add_argument("--port", type=int, default=8767)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--server", choices=("nodelay", "uvicorn"), default="nodelay",
                   help="nodelay: workers as `mijn serve --workers N` runs them (bench/serve.py, "
                        "TCP_NODELAY); uvicorn: the stock `uvicorn --workers N` command")
    p.add_argument("--phases", default="noop,claim", help="noop and/or claim, in this order")
    p.add_argument("--duration", type=float, default=30, help="seconds measured per phase")
    p.add_argument("--warmup", type=float, default=5, help="seconds of unmeasured load first")
    p.add_argument("--wrk-timeout", type=int, default=10)
    p.add_argument("--think-ms", type=int, default=0,
                   help="each agent waits a random pause of this mean (exponential) after a "
                        "response before pressing again (default 0: as fast as the portal "
                        "answers, a saturation test)")
    p.add_argument("--seed", type=int, default=42, help="random seed (same questions every run)")
    p.add_argument("--wait-idle", type=float, default=300,
                   help="wait up to this many seconds for other load to stop before each phase")
    p.add_argument("--no-balance", dest="balance", action="store_false",
                   help="keep wrk's connections however they landed on the workers")
    p.add_argument("--balance-attempts", type=int, default=5)
    p.add_argument("--balance-min-share", type=float, default=0.4,
                   help="restart wrk while a worker holds less than this share of the "
                        "connections (0.4: at least 8 of 20 on each of 2 workers)")
    p.add_argument("--max-other-pct", type=float, default=5.0,
                   help="measure a phase again when other processes used more CPU than this")
    p.add_argument("--phase-attempts", type=int, default=3)
    p.add_argument("--sample-interval", type=float, default=0.1,
                   help="seconds between samples of pg_stat_activity during a phase (0: none)")
    p.add_argument("--keep-acks", action="store_true",
                   help="keep the files of claimed references wrk wrote")
    p.add_argument("--no-explain", action="store_true",
                   help="skip EXPLAIN ANALYZE and the in-process timing of the claim")
    p.add_argument("--verbose", action="store_true", help="print the query plans too")
    p.add_argument("--recreate", action="store_true", help="drop and create the database first")
    p.add_argument("--seed-only", action="store_true", help="seed and load, do not measure")
    add_smoke_flag(p)
    args = p.parse_args(argv)
    phases = args.phases.split(",")
    if not phases or set(phases) - set(PHASE_LABELS) or len(set(phases)) != len(phases):
        p.error(f"--phases: a comma-separated selection of {sorted(PHASE_LABELS)}")
    if args.agents < 1 or args.questions < 1 or args.parties < 1 or args.days < 1:
        p.error("--agents, --questions, --parties and --days must be at least 1")
    return args


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    args = parse_args(argv)
    if args.smoke:
        sys.exit(run_smoke("kcc", args, smoke, need_wrk=True))
    sys.exit(main_inner(args)[0])


if __name__ == "__main__":
    main()
