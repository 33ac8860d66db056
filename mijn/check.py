"""`mijn check`: is the configuration usable, and does Mijn reach what it needs? Prints one
line per check with its result and, for a failure, what to do; exit code 0 when all pass, 1
when one fails (for scripts and deployment pipelines)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

import aiosmtplib
import httpx

from mijn.objectstore.s3 import S3Store
from mijn.objectstore.settings import ObjectStoreSettings
from mijn.scanning.clamd import Clamd
from mijn.scanning.settings import ScannerSettings
from mijn.settings import ConfigurationError, OidcAudience, Settings, load_settings


@dataclass(frozen=True)
class Result:
    """One check: passed or not, what was found, and what to do when it failed."""

    name: str
    ok: bool
    detail: str
    advice: str = ""


def _where(url: str) -> str:
    """Host and port (and path) of a URL, without a user or password."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.hostname or ''}{port}{parts.path}"


def _error(exc: BaseException) -> str:
    """An exception in a few words (never a URL's password: only its type and message)."""
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:200] if text else type(exc).__name__


async def _timed(name: str, work: Awaitable[Result], seconds: float, advice: str) -> Result:
    """Run one check within so many seconds; an exception is its failure."""
    try:
        return await asyncio.wait_for(work, seconds)
    except Exception as exc:
        return Result(name, False, _error(exc), advice)


def configuration(env: Mapping[str, str] | None = None) -> tuple[Settings | None, Result]:
    """The settings, or why they cannot be used."""
    try:
        settings = load_settings(env)
    except ConfigurationError as exc:
        return None, Result("configuration", False, str(exc),
                            "set the MIJN_* variable the message names (README.md, "
                            "Configuration)")
    mode = "production" if settings.is_production else "development (not for real data)"
    return settings, Result("configuration", True, f"MIJN_ENV={settings.env}: {mode}")


def _missing_file(settings: Settings) -> Result | None:
    """An SQLite file that is not there (connecting would make an empty one)."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    if Path(url.database).exists():
        return None
    return Result("database", False, f"there is no SQLite file {url.database}",
                  "run: mijn db upgrade (mijn serve does so too), or correct MIJN_DATABASE_URL")


async def _database(settings: Settings, seconds: float) -> Result:
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from mijn.db import make_engine
    from mijn.migrate import alembic_config

    missing = _missing_file(settings)
    if missing:
        return missing
    heads = set(ScriptDirectory.from_config(alembic_config(settings.database_url)).get_heads())
    connect_args = {} if settings.is_embedded_database else {"timeout": seconds}
    engine = make_engine(settings.database_url, pool_size=1, max_overflow=0,
                         connect_args=connect_args)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            has_table = await connection.run_sync(
                lambda sync: sync.dialect.has_table(sync, "alembic_version"))
            current = set((await connection.execute(
                text("SELECT version_num FROM alembic_version"))).scalars()) if has_table else set()
    finally:
        await engine.dispose()
    where = f"{engine.dialect.name} {_where(settings.database_url)}"
    if current != heads:
        return Result("database", False,
                      f"{where} reachable, but at revision {', '.join(current) or 'none'}, "
                      f"not {', '.join(heads)}", "run: mijn db upgrade")
    return Result("database", True, f"{where}, migrations at head ({', '.join(heads)})")


async def _smtp(settings: Settings, seconds: float) -> Result:
    parts = urlsplit(settings.smtp_url)
    client = aiosmtplib.SMTP(
        hostname=parts.hostname or "127.0.0.1",
        port=parts.port or (465 if parts.scheme == "smtps" else 25),
        use_tls=parts.scheme == "smtps", start_tls=parts.scheme == "smtp+starttls",
        timeout=seconds,
    )
    await client.connect()
    try:
        if parts.username:
            await client.login(parts.username, parts.password or "")
        await client.noop()
    finally:
        await client.quit()
    login = ", logged in" if parts.username else ""
    return Result("smtp", True, f"{parts.scheme}://{_where(settings.smtp_url)} answers{login}")


def _smtp_check(settings: Settings, seconds: float) -> Awaitable[Result] | Result:
    if not settings.smtp_url:
        what = "not set: e-mails are not sent (the inbox in Mijn still works)"
        return Result("smtp", not settings.is_production, what,
                      "set MIJN_SMTP_URL, e.g. smtp+starttls://user:password@mail.example.nl:587")
    if urlsplit(settings.smtp_url).scheme not in ("smtp", "smtps", "smtp+starttls"):
        return Result("smtp", False, "MIJN_SMTP_URL has an unknown scheme",
                      "MIJN_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://")
    return _smtp(settings, seconds)


async def _discovery(audience: OidcAudience, http: httpx.AsyncClient) -> Result:
    name = f"login {audience.name}"
    url = f"{audience.issuer}/.well-known/openid-configuration"
    response = await http.get(url)
    if response.status_code != 200:
        return Result(name, False, f"{url} answered {response.status_code}",
                      f"check MIJN_OIDC_{audience.name.upper()}_ISSUER")
    document = response.json()
    missing = [key for key in ("authorization_endpoint", "token_endpoint", "jwks_uri")
               if not document.get(key)]
    if document.get("issuer", "").rstrip("/") != audience.issuer or missing:
        return Result(name, False, f"{url}: issuer {document.get('issuer')!r}, missing "
                      f"{', '.join(missing) or 'nothing'}",
                      f"MIJN_OIDC_{audience.name.upper()}_ISSUER must be the provider's "
                      "issuer exactly as its discovery document names it")
    return Result(name, True, f"{audience.issuer}: discovery document valid")


async def _zgw_api(settings: Settings, api: str, url: str, http: httpx.AsyncClient) -> Result:
    from mijn.intake.zgw_client import ZgwClient

    token = ZgwClient(settings.zgw, http).token()
    response = await http.get(url, headers={"Authorization": f"Bearer {token}",
                                            "Accept": "application/json"})
    status = response.status_code
    if status in (401, 403):
        return Result(api, False, f"{url} refused Mijn's credentials ({status})",
                      "check MIJN_ZGW_CLIENT_ID and MIJN_ZGW_SECRET with the API's "
                      "administrator (the client needs read access)")
    if status >= 500:
        return Result(api, False, f"{url} answered {status}",
                      "the API has a problem: ask its administrator")
    return Result(api, True, f"{url} answers ({status})")


async def run_checks(settings: Settings, seconds: float) -> list[Result]:
    """Every check but the configuration's, each within so many seconds, all at once."""
    http = httpx.AsyncClient(timeout=httpx.Timeout(seconds), follow_redirects=False)
    try:
        work: list[Awaitable[Result] | Result] = [
            _timed("database", _database(settings, seconds), seconds,
                   "check MIJN_DATABASE_URL and that the database server runs and lets Mijn "
                   "in"),
        ]
        smtp = _smtp_check(settings, seconds)
        work.append(smtp if isinstance(smtp, Result) else _timed(
            "smtp", smtp, seconds, "check MIJN_SMTP_URL and that the mail server runs"))
        work.extend(_login_checks(settings, http, seconds))
        work.extend(_zgw_checks(settings, http, seconds))
        work.append(scanner_check(settings.scanner, seconds))
        work.append(object_store_check(settings.object_store, seconds))
        work.append(_openklant_check(settings, seconds))
        return list(await asyncio.gather(*(_ready(item) for item in work)))
    finally:
        await http.aclose()


async def _ready(item: Awaitable[Result] | Result) -> Result:
    return item if isinstance(item, Result) else await item


def _login_checks(settings: Settings, http: httpx.AsyncClient,
                  seconds: float) -> list[Awaitable[Result] | Result]:
    found: list[Awaitable[Result] | Result] = []
    for audience in settings.audiences.values():
        if audience.uses_dev_provider:  # production refuses it for citizens (the settings)
            found.append(Result(f"login {audience.name}", True, "not configured: this login "
                                "is not offered" if settings.is_production else
                                "the built-in development provider (not for real logins)"))
            continue
        found.append(_timed(f"login {audience.name}", _discovery(audience, http), seconds,
                            f"check MIJN_OIDC_{audience.name.upper()}_ISSUER and that Mijn "
                            "may reach it (proxy, firewall)"))
    return found


def _zgw_checks(settings: Settings, http: httpx.AsyncClient,
                seconds: float) -> list[Awaitable[Result] | Result]:
    if not settings.zgw.enabled:
        return [Result("zgw", True, "not configured (MIJN_ZGW_NOTIFICATIONS_TOKEN unset)")]
    return [
        _timed(api, _zgw_api(settings, api, url, http), seconds,
               f"check {variable} and that Mijn may reach it (proxy, firewall)")
        for api, url, variable in (
            ("zgw zaken", settings.zgw.zaken_url, "MIJN_ZGW_ZAKEN_URL"),
            ("zgw catalogi", settings.zgw.catalogi_url, "MIJN_ZGW_CATALOGI_URL"),
        )
    ]


async def _clamd(scanner: ScannerSettings) -> Result:
    clamd = Clamd(scanner)
    pong = await clamd.command("PING")
    if pong != "PONG":
        return Result("virus scanner", False, f"clamd answered {pong[:40]!r} to PING",
                      "check that MIJN_CLAMD_SOCKET is clamd's socket")
    return Result("virus scanner", True, f"{scanner.socket}: {await clamd.command('VERSION')}")


async def scanner_check(scanner: ScannerSettings, seconds: float) -> Result:
    """clamd answers PING and names its version (when MIJN_CLAMD_SOCKET is set)."""
    if not scanner.enabled:
        return Result("virus scanner", True, "not configured (MIJN_CLAMD_SOCKET unset): "
                      "uploads are not scanned")
    return await _timed("virus scanner", _clamd(scanner), seconds,
                        "check MIJN_CLAMD_SOCKET and that clamd runs (Debian: clamav-daemon)")


async def _bucket(store: ObjectStoreSettings) -> Result:
    s3 = S3Store(store)
    try:
        return Result("object store", True, await s3.check())
    finally:
        await s3.aclose()


async def object_store_check(store: ObjectStoreSettings, seconds: float) -> Result:
    """The bucket answers Mijn's signed request (when MIJN_S3_ENDPOINT is set)."""
    if not store.enabled:
        return Result("object store", True, "not configured (MIJN_S3_ENDPOINT unset)")
    return await _timed("object store", _bucket(store), seconds,
                        "check MIJN_S3_ENDPOINT, MIJN_S3_BUCKET and the key pair "
                        "(MIJN_S3_ACCESS_KEY, MIJN_S3_SECRET_KEY)")
def _openklant_check(settings: Settings, seconds: float) -> Awaitable[Result] | Result:
    if not settings.openklant.enabled:
        return Result("open klant", True, "not configured (MIJN_OPENKLANT_URL unset)")
    return _timed("open klant", _openklant(settings), seconds,
                  "check MIJN_OPENKLANT_URL and that Mijn may reach it (proxy, firewall)")


async def _openklant(settings: Settings) -> Result:
    """Open Klant answers a list of klantcontacten to Mijn's token."""
    from mijn.openklant.client import OpenKlantClient, OpenKlantError

    url = settings.openklant.url
    async with OpenKlantClient(settings.openklant) as client:
        try:
            await client.ping()
        except OpenKlantError as exc:
            refused = " 401 " in str(exc) or " 403 " in str(exc)
            return Result("open klant", False, f"{url}: {exc}",
                          "check MIJN_OPENKLANT_TOKEN with Open Klant's administrator" if refused
                          else "Open Klant has a problem: ask its administrator")
    return Result("open klant", True, f"{url}: Mijn's token is accepted")


def report(results: list[Result], out: TextIO) -> int:
    """Print each result (and what to do about a failure); 0 when all passed, else 1."""
    for result in results:
        out.write(f"{'ok' if result.ok else 'FAIL':<5} {result.name:<15} {result.detail}\n")
        if not result.ok and result.advice:
            out.write(f"{'':<5} {'':<15} what to do: {result.advice}\n")
    failed = sum(not result.ok for result in results)
    out.write(f"{failed} of {len(results)} checks failed.\n" if failed
              else f"All {len(results)} checks passed.\n")
    return 1 if failed else 0


def main(seconds: float, env: Mapping[str, str] | None = None) -> int:
    """`mijn check`: the configuration first; with usable settings, everything it reaches."""
    settings, result = configuration(env)
    if settings is None:
        return report([result], sys.stdout)
    return report([result, *asyncio.run(run_checks(settings, seconds))], sys.stdout)
