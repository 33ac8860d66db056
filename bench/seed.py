"""Fill a PostgreSQL database with production-like volumes for the page benchmark.

    .venv/bin/python -m bench.seed                      # 100k parties, 1M dossiers, 5M events
    .venv/bin/python -m bench.seed --parties 1000 --dossiers 10000 --events 50000   # quick

Creates the database when missing and runs Mijn's Alembic migrations. When the tables
already hold exactly the requested numbers of rows, the data is reused; other numbers
make it drop and recreate the database (only when its name contains "bench").

Loading: the demo dossier types (mijn.dev.demo, with their levels of assurance) through
ensure_dossier_type, then parties, dossiers and status events with COPY (asyncpg
copy_records_to_table) in one transaction. The secondary indexes, unique and foreign-key
constraints of those three tables are dropped first and rebuilt from their own catalogue
definitions afterwards (the usual way to bulk-load PostgreSQL); the schema ends up exactly
as migrated.

The physical layout is like a real database's: dossier ids follow their opening time,
with owners interleaved (a party's dossiers are spread over the table), and status
events are stored in the order they happened. At the end: VACUUM ANALYZE, a summary,
and a CSV of (party_id, reference) pairs for bench/run.py.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import select
from stdnum.nl import bsn as nl_bsn

from bench import DEFAULT_DATABASE_URL, RESULTS_DIR
from bench.common import asyncpg_dsn, database_name, ensure_database
from bench.product import (
    CHANNELS,
    DOSSIER_TYPES,
    MIN_LOA,
    Progress,
    StatusType,
    ensure_dossier_type,
    make_engine,
    make_sessionmaker,
    upgrade_async,
)

LOADED_TABLES = ("parties", "dossiers", "status_events")
CHANNEL_WEIGHTS = {
    "web": 50, "phone": 15, "email": 12, "social_media": 5, "counter": 10, "partner": 8,
}
assert set(CHANNEL_WEIGHTS) == set(CHANNELS)

# Per demo type: how common, the department, the usual term in days, and some titles.
TYPE_DETAILS: dict[str, tuple[int, str, int, tuple[str, ...]]] = {
    "omgevingsvergunning": (20, "Vergunningen", 56, (
        "Dakkapel aan de achterkant", "Uitbouw keuken", "Kappen van een boom", "Nieuwe schuur",
        "Verbouwing zolder", "Zonnepanelen op monument", "Inrit aanleggen", "Erfafscheiding",
    )),
    "subsidie": (20, "Duurzaamheid", 56, (
        "Subsidie isolatie woning", "Subsidie buurtfeest", "Subsidie warmtepomp",
        "Subsidie groen dak", "Subsidie sportvereniging", "Subsidie zonneboiler",
    )),
    "water_energie": (20, "Werk en inkomen", 28, (
        "Vergoeding energiekosten", "Vergoeding waterkosten", "Energietoeslag",
        "Tegemoetkoming vaste lasten",
    )),
    "bijzondere_bijstand": (5, "Werk en inkomen", 56, (
        "Bijzondere bijstand bril", "Bijzondere bijstand tandarts", "Vergoeding wasmachine",
    )),
    "melding_openbare_ruimte": (40, "Beheer openbare ruimte", 14, (
        "Losse stoeptegel bij de bushalte", "Lantaarnpaal doet het niet", "Zwerfafval in het park",
        "Boom hangt over het fietspad", "Kapotte bank op het plein", "Gat in de weg",
        "Graffiti op de brug", "Verstopte put", "Overvolle afvalbak", "Wateroverlast in de straat",
        "Kapotte schommel", "Losliggende kabel", "Scheve verkeerspaal", "Omgewaaid hek",
    )),
}
EXPLANATIONS = (
    "", "", "", "", "Wij hebben aanvullende informatie bij u opgevraagd.",
    "Wij hebben de aanvullende informatie ontvangen.", "Een medewerker heeft contact met u gehad.",
    "Uw aanvraag is doorgestuurd naar de juiste afdeling.",
)
FIRST_NAMES = (
    "Jan", "Fatima", "Daan", "Sanne", "Mohamed", "Emma", "Lucas", "Julia", "Noah", "Anna",
    "Sem", "Lotte", "Mila", "Finn", "Yara", "Bram", "Sophie", "Ahmed", "Eva", "Thijs",
)
LAST_NAMES = (
    "de Vries", "Jansen", "El Amrani", "Bakker", "Visser", "Smit", "Meijer", "de Boer",
    "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "Yilmaz", "van Dijk",
)


@dataclass(frozen=True)
class TypeInfo:
    """A seeded dossier type with its status type ids in order."""

    id: int
    code: str
    kind: str
    statuses: tuple[int, ...]
    weight: int
    department: str
    term_days: int
    titles: tuple[str, ...]


@dataclass(frozen=True)
class Sizes:
    """How much to load."""

    parties: int
    dossiers: int
    events: int


def sample_path(url: str) -> Path:
    """Where the (party_id, reference) sample of this database is written."""
    return RESULTS_DIR / f"sample-{database_name(url)}.csv"


async def table_counts(conn: asyncpg.Connection) -> dict[str, int]:
    """Row counts of the loaded tables."""
    return {t: int(await conn.fetchval(f"SELECT count(*) FROM {t}")) for t in LOADED_TABLES}


async def seed_types(url: str) -> list[TypeInfo]:
    """The demo dossier types with their statuses, through the product's own service."""
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            seeded = {}
            for code, (kind, name_nl, name_en, statuses) in DOSSIER_TYPES.items():
                seeded[code] = await ensure_dossier_type(
                    session, code, kind, name_nl, name_en, statuses, MIN_LOA.get(code)
                )
            await session.commit()
            status_rows = (
                await session.scalars(select(StatusType).order_by(StatusType.position))
            ).all()
    finally:
        await engine.dispose()
    infos = []
    for code, dossier_type in seeded.items():
        # A type added to the demo later is seeded too, plainly, rather than failing here.
        weight, department, term_days, titles = TYPE_DETAILS.get(
            code, (5, "Klantcontact", 56, (dossier_type.name_nl,))
        )
        ids = tuple(s.id for s in status_rows if s.dossier_type_id == dossier_type.id)
        infos.append(
            TypeInfo(dossier_type.id, code, dossier_type.kind, ids, weight, department,
                     term_days, titles)
        )
    return infos


def valid_bsns(count: int, rng: random.Random) -> list[str]:
    """Distinct nine-digit numbers that pass the 11-proef, in random order."""
    weights = (9, 8, 7, 6, 5, 4, 3, 2)
    found: list[str] = []
    prefix = 10_000_000 + rng.randrange(1000)
    while len(found) < count:
        digits = f"{prefix:08d}"
        check = sum(w * int(d) for w, d in zip(weights, digits, strict=True)) % 11
        if check < 10:
            found.append(digits + str(check))
        prefix += 37
    rng.shuffle(found)
    for number in found[:1000]:
        assert nl_bsn.is_valid(number), number
    return found


def fit_total(counts: list[int], total: int, low: list[int], high: int,
              rng: random.Random) -> None:
    """Nudge randomly chosen counts (within their bounds) until they add up to total."""
    if not sum(low) <= total <= high * len(counts):
        raise SystemExit(
            f"seed: cannot spread {total} over {len(counts)} items with {sum(low)} at least "
            f"and {high} each at most; change the sizes."
        )
    diff = total - sum(counts)
    n = len(counts)
    while diff:
        i = rng.randrange(n)
        if diff > 0 and counts[i] < high:
            counts[i] += 1
            diff -= 1
        elif diff < 0 and counts[i] > low[i]:
            counts[i] -= 1
            diff += 1


def party_records(bsns: list[str], rng: random.Random, now: datetime) -> Iterator[tuple[Any, ...]]:
    """Rows of the parties table."""
    for party_id, number in enumerate(bsns, start=1):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        email = f"burger{party_id}@example.nl" if rng.random() < 0.6 else None
        phone = f"06-{rng.randrange(10**8):08d}" if rng.random() < 0.4 else None
        created = now - timedelta(days=rng.randrange(5 * 365), seconds=rng.randrange(86400))
        language = "en" if rng.random() < 0.1 else "nl"
        yield (party_id, "person", "bsn", number, None, name, email, phone, language, created)


class DossierPlan:
    """Who owns which dossier, of which type, open or closed, with how many events."""

    def __init__(self, sizes: Sizes, types: list[TypeInfo], rng: random.Random,
                 max_per_party: int, closed_share: float) -> None:
        mean = sizes.dossiers / sizes.parties
        per_party = [min(max_per_party, round(rng.expovariate(1 / mean))) for _ in
                     range(sizes.parties)]
        fit_total(per_party, sizes.dossiers, [0] * sizes.parties, max_per_party, rng)
        self.per_party = per_party
        owners = [pid for pid, n in enumerate(per_party, start=1) for _ in range(n)]
        rng.shuffle(owners)
        self.owners = owners
        self.types = rng.choices(types, weights=[t.weight for t in types], k=sizes.dossiers)
        # Older dossiers are more often closed; on average closed_share of them.
        d = sizes.dossiers
        self.closed = [rng.random() < min(1.0, 2 * closed_share * (d - i) / d) for i in range(d)]
        mean_events = sizes.events / d
        low = [2 if c else 1 for c in self.closed]
        high = max(3, int(2 * mean_events) + 1)
        events = [
            max(lo, min(high, round(rng.gauss(mean_events, 0.35 * mean_events))))
            for lo in low
        ]
        fit_total(events, sizes.events, low, high, rng)
        self.events = events


def dossier_records(plan: DossierPlan, rng: random.Random, now: datetime, years: float,
                    events_out: list[tuple[Any, ...]],
                    progress: Progress) -> Iterator[tuple[Any, ...]]:
    """Rows of the dossiers table; their status events are appended to events_out.

    Each dossier's current status, status_changed_at, last_changed_at and closed_on follow
    from its last event, as record_status would have left them.
    """
    channels, channel_weights = list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values())
    d = len(plan.owners)
    now_ts = int(now.timestamp())
    span = int(years * 365 * 86400)
    width = max(7, len(str(d)))
    picked_channels = rng.choices(channels, weights=channel_weights, k=d)
    for i in range(d):
        dossier_id = i + 1
        t = plan.types[i]
        k = plan.events[i]
        closed = plan.closed[i]
        channel = picked_channels[i]
        n = len(t.statuses)
        middle = range(1, n - 1)
        if closed:
            positions = [0, *sorted(rng.choices(middle, k=k - 2)), n - 1]
        else:
            positions = [0, *sorted(rng.choices(middle, k=k - 1))]
        opened_ts = now_ts - span + (span * i) // d + rng.randrange(4 * 3600)
        opened_ts = min(opened_ts, now_ts - 3600)
        gaps = [rng.randrange(3600, 14 * 86400) for _ in range(k - 1)]
        room = now_ts - 60 - opened_ts
        if sum(gaps) > room:
            scale = room / sum(gaps)
            gaps = [max(1, int(g * scale)) for g in gaps]
        at = opened_ts
        for position, gap in zip(positions, [0, *gaps], strict=True):
            at += gap
            events_out.append((
                at, dossier_id, t.statuses[position], rng.choice(EXPLANATIONS),
                "agent" if rng.random() < 0.3 else "system",
                channel if position == 0 else None,
            ))
        last = datetime.fromtimestamp(at, UTC)
        opened_on = datetime.fromtimestamp(opened_ts, UTC).date()
        expected_end = (
            opened_on + timedelta(days=t.term_days) if rng.random() < 0.9 else None
        )
        yield (
            dossier_id, f"B-{dossier_id:0{width}d}", t.kind, t.id, rng.choice(t.titles),
            plan.owners[i], channel, t.department, opened_on,
            last.date() if closed else None, expected_end,
            t.statuses[positions[-1]], last, last, None, None, None,
        )
        if dossier_id % 10_000 == 0:
            progress.advance(10_000)
    if d % 10_000:
        progress.advance(d % 10_000)


def event_records(events: list[tuple[Any, ...]], progress: Progress) -> Iterator[tuple[Any, ...]]:
    """Rows of the status_events table, ids in the order the events happened."""
    for event_id, (ts, dossier_id, status_id, explanation, set_by, channel) in enumerate(
        events, start=1
    ):
        at = datetime.fromtimestamp(ts, UTC)
        yield (event_id, dossier_id, status_id, explanation, at, set_by, channel, None, at)
        if event_id % 10_000 == 0:
            progress.advance(10_000)
    if len(events) % 10_000:
        progress.advance(len(events) % 10_000)


def counted(records: Iterator[tuple[Any, ...]], progress: Progress) -> Iterator[tuple[Any, ...]]:
    """Pass records through, advancing the progress bar."""
    n = 0
    for n, record in enumerate(records, start=1):
        yield record
        if n % 10_000 == 0:
            progress.advance(10_000)
    if n % 10_000:
        progress.advance(n % 10_000)


async def drop_secondary(conn: asyncpg.Connection) -> list[str]:
    """Drop non-primary indexes and constraints of the loaded tables; the SQL to rebuild them."""
    tables = list(LOADED_TABLES)
    constraints = await conn.fetch(
        """
        SELECT conrelid::regclass::text AS tbl, quote_ident(conname) AS name, contype,
               pg_get_constraintdef(oid) AS def
        FROM pg_constraint
        WHERE conrelid = ANY($1::regclass[]) AND contype IN ('u', 'f')
        ORDER BY contype, conname
        """,
        tables,
    )
    indexes = await conn.fetch(
        """
        SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS def
        FROM pg_index i
        WHERE indrelid = ANY($1::regclass[]) AND NOT indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                          WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid
                            AND c.contype IN ('u', 'p', 'x'))
        ORDER BY 1
        """,
        tables,
    )
    # Foreign keys ('f') are dropped before unique constraints ('u'), rebuilt after them.
    for c in constraints:
        await conn.execute(f"ALTER TABLE {c['tbl']} DROP CONSTRAINT {c['name']}")
    for ix in indexes:
        await conn.execute(f"DROP INDEX {ix['name']}")
    rebuild = [ix["def"] for ix in indexes]
    rebuild += [
        f"ALTER TABLE {c['tbl']} ADD CONSTRAINT {c['name']} {c['def']}"
        for c in sorted(constraints, key=lambda c: c["contype"] == "f")
    ]
    return rebuild


async def load(url: str, sizes: Sizes, types: list[TypeInfo], args: argparse.Namespace) -> None:
    """Generate and COPY parties, dossiers and status events, then rebuild the indexes."""
    rng = random.Random(args.seed)
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.monotonic()
    progress = Progress("planning", 3)
    bsns = valid_bsns(sizes.parties, rng)
    progress.advance()
    plan = DossierPlan(sizes, types, rng, args.max_per_party, args.closed_share)
    progress.advance(2)
    progress.finish(
        f"Planned {sizes.parties} parties ({sum(1 for n in plan.per_party if n == 0)} without "
        f"dossiers, {sum(1 for n in plan.per_party if n == args.max_per_party)} with "
        f"{args.max_per_party}), {sizes.dossiers} dossiers ({sum(plan.closed)} closed), "
        f"{sizes.events} events"
    )
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        async with conn.transaction():
            await conn.execute("SET LOCAL maintenance_work_mem = '1GB'")
            await conn.execute("SET LOCAL synchronous_commit = off")
            rebuild = await drop_secondary(conn)

            progress = Progress("parties      ", sizes.parties)
            await conn.copy_records_to_table(
                "parties",
                columns=["id", "kind", "identifier_type", "identifier", "branch", "name",
                         "email", "phone", "language", "created_at"],
                records=counted(party_records(bsns, rng, now), progress),
            )
            progress.finish(f"Copied {sizes.parties} parties")

            events: list[tuple[Any, ...]] = []
            progress = Progress("dossiers     ", sizes.dossiers)
            await conn.copy_records_to_table(
                "dossiers",
                columns=["id", "reference", "kind", "dossier_type_id", "title", "party_id",
                         "channel", "department", "opened_on", "closed_on", "expected_end",
                         "current_status_id", "status_changed_at", "last_changed_at", "source",
                         "external_id", "zgw_url"],
                records=dossier_records(plan, rng, now, args.years, events, progress),
            )
            progress.finish(f"Copied {sizes.dossiers} dossiers ({len(events)} events made)")
            del plan

            progress = Progress("status events", sizes.events)
            events.sort()
            await conn.copy_records_to_table(
                "status_events",
                columns=["id", "dossier_id", "status_type_id", "explanation", "occurred_at",
                         "set_by", "channel", "source_event_id", "created_at"],
                records=event_records(events, progress),
            )
            progress.finish(f"Copied {sizes.events} status events (in the order they happened)")
            del events

            progress = Progress("indexes, keys", len(rebuild))
            for statement in rebuild:
                await conn.execute(statement)
                progress.advance()
            progress.finish(f"Rebuilt {len(rebuild)} indexes and constraints")
            for table in LOADED_TABLES:
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
        progress = Progress("vacuum analyze", 1)
        await conn.execute("VACUUM (ANALYZE)")
        progress.advance()
        progress.finish("VACUUM ANALYZE of every table done")
    finally:
        await conn.close()
    print(f"seed: loaded in {time.monotonic() - started:.1f} s", file=sys.stderr)


async def write_sample(url: str, parties: int, seed: int) -> tuple[Path, int, int]:
    """(party_id, reference) of every dossier of some random parties that have dossiers."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await conn.fetch(
            """
            WITH chosen AS (
              SELECT party_id FROM (SELECT DISTINCT party_id FROM dossiers) p
              ORDER BY md5(party_id::text || $2) LIMIT $1
            )
            SELECT d.party_id, d.reference FROM dossiers d JOIN chosen USING (party_id)
            ORDER BY d.party_id, d.id
            """,
            parties, str(seed),
        )
    finally:
        await conn.close()
    path = sample_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["party_id", "reference"])
        writer.writerows((r["party_id"], r["reference"]) for r in rows)
    return path, len({r["party_id"] for r in rows}), len(rows)


async def summary(url: str) -> dict[str, object]:
    """What the database now holds."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        counts = await table_counts(conn)
        row = await conn.fetchrow(
            """
            SELECT count(*) FILTER (WHERE closed_on IS NOT NULL)::float / greatest(count(*), 1)
                     AS closed_share,
                   count(DISTINCT party_id) AS parties_with_dossiers
            FROM dossiers
            """
        )
        per_party = await conn.fetchrow(
            "SELECT max(n) AS max, count(*) FILTER (WHERE n = (SELECT max(n) FROM "
            "(SELECT count(*) n FROM dossiers GROUP BY party_id) m)) AS at_max "
            "FROM (SELECT count(*) n FROM dossiers GROUP BY party_id) c"
        )
        size = await conn.fetchval("SELECT pg_size_pretty(pg_database_size(current_database()))")
        types = await conn.fetchval("SELECT count(*) FROM dossier_types")
    finally:
        await conn.close()
    return {
        **counts, "dossier_types": types, "closed_share": round(row["closed_share"], 3),
        "parties_with_dossiers": row["parties_with_dossiers"],
        "max_dossiers_per_party": per_party["max"], "parties_at_max": per_party["at_max"],
        "database_size": size,
    }


async def main_async(args: argparse.Namespace) -> None:
    """Seed (or reuse) the database and write the sample."""
    started = time.monotonic()
    url = args.database_url
    sizes = Sizes(args.parties, args.dossiers, args.events)
    if sizes.dossiers > sizes.parties * args.max_per_party:
        raise SystemExit("seed: more dossiers than parties * --max-per-party")
    created = await ensure_database(url, recreate=args.recreate)
    await upgrade_async(url)
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        counts = await table_counts(conn)
    finally:
        await conn.close()
    wanted = {"parties": sizes.parties, "dossiers": sizes.dossiers, "status_events": sizes.events}
    if counts == wanted and not created:
        print(f"seed: {database_name(url)} already holds {counts}; reusing it", file=sys.stderr)
    else:
        if any(counts.values()):
            await ensure_database(url, recreate=True)
            await upgrade_async(url)
        types = await seed_types(url)
        await load(url, sizes, types, args)
    path, n_parties, n_pairs = await write_sample(url, args.sample_parties, args.seed)
    info = await summary(url)
    elapsed = time.monotonic() - started
    print(f"seed: wrote {n_pairs} (party_id, reference) pairs of {n_parties} parties to {path}")
    print("seed: " + ", ".join(f"{k}={v}" for k, v in info.items()))
    print(f"seed: done in {elapsed:.1f} s")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    p.add_argument("--parties", type=int, default=100_000)
    p.add_argument("--dossiers", type=int, default=1_000_000)
    p.add_argument("--events", type=int, default=5_000_000)
    p.add_argument("--max-per-party", type=int, default=50)
    p.add_argument("--closed-share", type=float, default=0.3)
    p.add_argument("--years", type=float, default=3.0, help="dossiers opened over this period")
    p.add_argument("--seed", type=int, default=42, help="random seed (same data every time)")
    p.add_argument("--sample-parties", type=int, default=5000,
                   help="parties in the sample file for bench/run.py")
    p.add_argument("--recreate", action="store_true",
                   help="drop and reseed even if the sizes match")
    args = p.parse_args(argv)
    if min(args.parties, args.dossiers, args.events) < 1:
        p.error("sizes must be at least 1")
    if not 0 <= args.closed_share <= 0.5:
        p.error("--closed-share must be between 0 and 0.5")
    return args


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    main()

