"""One authorisation matrix over every route of the portal, the KCC and the API, for every
kind of visitor: who gets the page, who finds nothing (404: another party's data looks like
data that does not exist), who is sent to log in, who must log in at a higher level of
assurance first, which staff role finds nothing (404) and which API client is refused.

The world (tests/matrix_world.py) is built once per backend; every visitor logs in once
through the real login flow and keeps its own cookies. `test_every_route_is_in_the_matrix`
fails when a route (method and path) is added without a row here, so a new route cannot
slip through without its rules being written down.

A form post is sent with a valid CSRF token of the visitor, so the answer is the route's
own authorisation (the CSRF check has tests of its own, tests/test_security.py). Refused
visitors go before allowed ones (an allowed one may claim or resolve the object), and for
some posts the database is read before and after each refused visitor: nothing changed.
Besides the status: a refused visitor sees nothing of the object (`marker`), a 404 is the
page of an unknown address, and no page a visitor gets shows another party's dossiers or
questions, nor a specialist or an editor a question that is not theirs (`SEES`).

Refusals, as the portal answers them: 404 for another party's data, one out of a branch's
or a mandate's scope and a staff page of another role ("finds nothing here"); 403 for
what a visitor sees but may not do (a read-only mandate asks nothing, a branch employee
does not set the company's address); 409 for a question a colleague holds; 422 for a form
that names a dossier the visitor does not have.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from matrix_world import (
    API_REPRESENTATIVE,
    BRANCH_DOSSIER,
    COMPANY_DOSSIER,
    FATIMA_DOSSIER,
    GRANT_DOSSIER,
    HIGH_DOSSIER,
    JAN_DOSSIER,
    OTHER_COMPANY_DOSSIER,
    World,
    build_world,
)
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from conftest import BASE_URL, Auth, _wipe, build_app, form_fields, make_settings
from mijn.answers.models import Answer, AnswerFlag
from mijn.documents.models import Document
from mijn.mandates.models import Mandate
from mijn.parties.models import Party
from mijn.questions.models import (
    CallbackAttempt,
    Contact,
    DossierSatisfaction,
    Question,
    QuestionMessage,
    ReplyDraft,
    SatisfactionResponse,
)
from mijn.staff.models import TextModule
from mijn.tasks.models import Task

# --- who -------------------------------------------------------------------------------------

CITIZENS = ("jan", "fatima", "fatima_hoog")
BUSINESS = ("karin", "ahmed")
REPRESENTATIVES = ("rep", "rep_readonly", "rep_expired")
PORTAL = (*CITIZENS, *BUSINESS, *REPRESENTATIVES)
STAFF = ("agent", "specialist", "lead", "editor")
BROWSER = ("anonymous", *PORTAL, *STAFF)
API = ("api", "api_no_scope", "api_other_source", "zgw", "openklant")
ACTORS = (*BROWSER, *API)

WHO = {
    # actor: what it is
    "anonymous": "nobody logged in",
    "jan": "a citizen (the owner of most of the world's data)",
    "fatima": "another citizen, at substantieel: below the level of her own 'hoog' dossier",
    "fatima_hoog": "the same citizen, logged in at hoog",
    "karin": "a company-wide employee of the bakery",
    "ahmed": "an employee of the bakery restricted to one branch (vestiging)",
    "rep": "Sanne acting for Jan (bewindvoerder: every dossier type, may ask)",
    "rep_readonly": "Sanne acting for the bakery (grants only: other types out of scope; "
                    "read-only: may not ask)",
    "rep_expired": "Sanne, whose mandate for Fatima expired yesterday (the switch is refused)",
    "agent": "a KCC agent", "specialist": "a permits specialist", "lead": "a KCC team lead",
    "editor": "an editor of the answers",
    "api": "an API client of source gemeente with the route's scope",
    "api_no_scope": "an API client of source gemeente without the route's scope",
    "api_other_source": "an API client of source provincie, with every scope",
    "zgw": "the Notificaties API of the ZGW intake, with its notifications token",
    "openklant": "Open Klant's Notificaties API, with the import's notifications token",
}
assert set(WHO) == set(ACTORS)

LOGINS = {
    # actor: (persona, audience, level, mandate to act through)
    "jan": ("demo-jan", "citizen", None, None),
    "fatima": ("demo-fatima", "citizen", None, None),
    "fatima_hoog": ("demo-fatima", "citizen", "hoog", None),
    "karin": ("demo-karin", "business", None, None),
    "ahmed": ("demo-ahmed", "business", None, None),
    "rep": ("demo-sanne", "citizen", None, "for_jan"),
    "rep_readonly": ("demo-sanne", "citizen", None, "bakery_grants"),
    "rep_expired": ("demo-sanne", "citizen", None, "expired"),
    "agent": ("demo-agent", "staff", None, None),
    "specialist": ("demo-specialist", "staff", None, None),
    "lead": ("demo-lead", "staff", None, None),
    "editor": ("demo-editor", "staff", None, None),
}

# --- what each of them may see ----------------------------------------------------------------

TITLES = {  # a dossier or question of the world: the text that shows it
    JAN_DOSSIER: "Dakkapel aan de achterkant", FATIMA_DOSSIER: "Vergoeding waterkosten",
    HIGH_DOSSIER: "Bijzondere bijstand voor een wasmachine",
    COMPANY_DOSSIER: "Uitbreiding bakkerij", BRANCH_DOSSIER: "Terras voor de winkel",
    GRANT_DOSSIER: "Subsidie zonnepanelen", OTHER_COMPANY_DOSSIER: "Subsidie elektrische bedrijfsbus",
    "q-jan": "Moet ik nog tekeningen opsturen", "q-team": "Mag de dakkapel 3 meter breed zijn",
    "q-fatima": "Matrixvraag fatima", "q-high": "Matrixvraag high",
    "q-company": "Matrixvraag company", "q-branch": "Matrixvraag branch",
    "q-grant": "Matrixvraag grant",
    "t-jan": "Matrixtaak jan", "t-high": "Matrixtaak high", "t-company": "Matrixtaak company",
    "t-branch": "Matrixtaak branch", "t-grant": "Matrixtaak grant",
}
SEES = {  # what of it each visitor may see anywhere (a locked dossier is listed by its title,
    # and so is a task about it)
    "jan": {JAN_DOSSIER, "q-jan", "q-team", "t-jan"},
    "rep": {JAN_DOSSIER, "q-jan", "q-team", "t-jan"},
    "fatima": {FATIMA_DOSSIER, HIGH_DOSSIER, "q-fatima", "t-high"},
    "fatima_hoog": {FATIMA_DOSSIER, HIGH_DOSSIER, "q-fatima", "q-high", "t-high"},
    "karin": {COMPANY_DOSSIER, BRANCH_DOSSIER, GRANT_DOSSIER, "q-company", "q-branch",
              "q-grant", "t-company", "t-branch", "t-grant"},
    "ahmed": {BRANCH_DOSSIER, "q-branch", "t-branch"},
    "rep_readonly": {GRANT_DOSSIER, "q-grant", "t-grant"},
    "rep_expired": set(),
    "specialist": {"q-team"},  # questions handed to the permits team only
    "editor": set(),  # no questions at all
}
FOREIGN = {actor: tuple(text for key, text in TITLES.items() if key not in seen
                        and (actor not in STAFF or key.startswith("q-")))
           for actor, seen in SEES.items()}

# --- what they get -----------------------------------------------------------------------------

Outcome = int | str
LOGIN, KCC_LOGIN, STEP_UP, DONE = "login", "kcc-login", "step-up", "done"
# LOGIN / KCC_LOGIN: 303 to the portal's / the staff login. STEP_UP: the page that asks to log
# in again at the dossier's level (and shows nothing of it). DONE: a form post that was
# carried out (a redirect elsewhere than a login, or 200/201/204), or found its object
# already changed by an allowed visitor before (409).
REFUSALS = {LOGIN, KCC_LOGIN, STEP_UP, 400, 401, 403, 404, 409, 422}
STEP_UP_TEXT = "Opnieuw inloggen met niveau"
NOT_FOUND = "Pagina niet gevonden"


def outcome(response: httpx.Response) -> Outcome:
    """What a response means for the matrix."""
    location = response.headers.get("location", "")
    if response.status_code == 303 and location.startswith("/inloggen?"):
        return LOGIN
    if response.status_code == 303 and location.startswith("/kcc/inloggen?"):
        return KCC_LOGIN
    if response.status_code == 200 and STEP_UP_TEXT in response.text:
        return STEP_UP
    return response.status_code


def matches(expected: Outcome, got: Outcome) -> bool:
    if expected == DONE:
        return got in (200, 201, 204, 303, 409)
    return expected == got


def portal(default: Outcome = 404, **cells: Outcome) -> dict[str, Outcome]:
    """A portal page: nobody and staff (their session is the KCC's) are sent to log in."""
    table: dict[str, Outcome] = {"anonymous": LOGIN, **dict.fromkeys(STAFF, LOGIN)}
    table.update(dict.fromkeys(PORTAL, default))
    table.update(cells)
    return table


def kcc(default: Outcome = 404, **cells: Outcome) -> dict[str, Outcome]:
    """A KCC page: nobody and portal visitors are sent to the staff login."""
    table: dict[str, Outcome] = {"anonymous": KCC_LOGIN, **dict.fromkeys(PORTAL, KCC_LOGIN)}
    table.update(dict.fromkeys(STAFF, default))
    table.update(cells)
    return table


def everyone(result: Outcome, **cells: Outcome) -> dict[str, Outcome]:
    """A public route: the same for every browser visitor."""
    return {**dict.fromkeys(BROWSER, result), **cells}


def api(allowed: Outcome, *, other_source: Outcome = 403, no_scope: Outcome = 403
        ) -> dict[str, Outcome]:
    """An API route: no bearer token (every browser visitor, whatever its cookies) is 401."""
    return {**dict.fromkeys(BROWSER, 401), "api_no_scope": no_scope,
            "api_other_source": other_source, "api": allowed, "zgw": 401, "openklant": 401}


# --- the table ---------------------------------------------------------------------------------

Probe = Callable[[AsyncSession, World], Awaitable[object]]


@dataclass(frozen=True)
class Case:
    """One row: a request (the path and form may name the world's objects as {fields} of
    `names`) and what each visitor gets."""

    method: str
    route: str  # the pattern as the router has it
    path: str
    expect: dict[str, Outcome]
    form: dict[str, str] | None = None  # a form post (with the visitor's CSRF token)
    json: dict[str, Any] | None = None  # an API body
    files: tuple[tuple[str, bytes], ...] = ()  # with the form: files (multipart, token first)
    scope: str = "dossiers"  # the API scope the route needs (api_no_scope lacks it)
    marker: str = ""  # text of the object that no refused visitor may see
    fresh: bool = False  # it changes the session: log the visitor in anew for it
    probe: Probe | None = None  # read before and after every refused visitor: no change
    label: str = ""  # tells two rows of the same request apart

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}" + (f" ({self.label})" if self.label else "")


def _count(model: Any, *where: Any) -> Probe:
    async def probe(session: AsyncSession, world: World) -> object:
        return await session.scalar(select(func.count()).select_from(model).where(*where))
    return probe


async def _questions_of_jan_dossier(session: AsyncSession, world: World) -> object:
    return await session.scalar(select(func.count()).select_from(Question).where(
        Question.party_id == world.parties["jan"]))


def _question_messages(key: str) -> Probe:
    async def probe(session: AsyncSession, world: World) -> object:
        question = select(Question.id).where(Question.reference == world.questions[key])
        messages = await session.scalar(select(func.count()).select_from(QuestionMessage).where(
            QuestionMessage.question_id.in_(question.scalar_subquery())))
        state = await session.scalar(select(Question.state).where(
            Question.reference == world.questions[key]))
        return messages, state
    return probe


async def _flag_open(session: AsyncSession, world: World) -> object:
    return await session.scalar(select(AnswerFlag.resolved_at).where(
        AnswerFlag.id == world.flags["wrong"]))


async def _answers(session: AsyncSession, world: World) -> object:
    return [tuple(row) for row in await session.execute(
        select(Answer.id, Answer.published, Answer.title).order_by(Answer.id))]


async def _mandate_revoked(session: AsyncSession, world: World) -> object:
    return await session.scalar(select(Mandate.revoked_at).where(
        Mandate.source == "gemeente", Mandate.external_id == "matrix-m1"))


async def _party_email(session: AsyncSession, world: World) -> object:
    return [tuple(row) for row in await session.execute(
        select(Party.id, Party.email, Party.notify_by_email).order_by(Party.id))]


def _task_status(key: str) -> Probe:
    async def probe(session: AsyncSession, world: World) -> object:
        return await session.scalar(select(Task.status).where(Task.id == world.tasks[key]))
    return probe


def names(world: World) -> dict[str, Any]:
    """What a case's path and form may name."""
    return {
        "q": world.questions, "m": world.mandates, "p": world.parties,
        "answer": world.published_answer[0], "slug": world.published_answer[1],
        "draft": world.draft_answer[0], "draft_slug": world.draft_answer[1],
        "flag": world.flags["wrong"], "topic": world.topic, "tm": world.text_modules,
        "proposal": world.proposal,
        "t": world.tasks,
        "tf": world.task_files,
        "doc": world.documents,
        "att": world.attachments,
    }


JAN_ONLY = {"jan": 200, "rep": 200}
TASK_FILE = "/mijn/taken/{task_id:int}/bestanden/{file_id}"
MATRIX_PDF = b"%PDF-1.7\n" + bytes(range(1, 256)) * 8 + b"\n%%EOF\n"
DOC = "/mijn/dossiers/{reference}/documenten/{document_id}"
KCC_DOC = "/kcc/dossiers/{reference}/documenten/{document_id}"
ATT = "/mijn/vragen/{reference}/bijlagen/{attachment_id}"
KCC_ATT = "/kcc/vragen/{reference}/bijlagen/{attachment_id}"
KCC_TASK_FILE = "/kcc/klanten/{party_id}/taken/{task_id}/bestanden/{file_id}"
API_DOCS = "/api/v1/dossiers/{source}/{external_id}/documents"
ASK = {"topic": "{topic}", "body": "Een vraag van de matrix over mijn dossier.",
       "suggestions_seen": "1"}
STATUS = {"event_id": "matrix-e1", "status": "ontvangen", "occurred_at": "2026-03-02T10:00:00+01:00"}
MANDATE = {"representative": {"type": "bsn", "id": API_REPRESENTATIVE},
           "represented": {"type": "bsn", "id": "999990020"}, "role": "mentor",
           "valid_from": "2026-01-01"}
TYPE = {"kind": "report", "name_nl": "Matrixmelding", "statuses": [
    {"code": "ontvangen", "label_nl": "Ontvangen", "text_nl": "Wij hebben uw melding."}]}
DOSSIER = {"party": {"type": "bsn", "id": "999990019"}, "dossier_type": "matrix-melding",
           "title": "Matrixdossier", "channel": "web", "opened_on": "2026-03-01"}
TASK = {"party": {"type": "bsn", "id": "999990019"}, "kind": "confirm", "title": "Matrixtaak api",
        "deadline": "2026-12-31"}
REVIEW_BY = (date.today() + timedelta(days=90)).isoformat()
FORWARD = {"partner_source": "provincie", "partner_external_id": "matrix-p1",
           "partner_name": "Provincie", "occurred_at": "2026-03-03T10:00:00+01:00"}

CASES: list[Case] = [
    # --- public pages and the login ------------------------------------------------------
    Case("GET", "/", "/", everyone(200)),
    Case("GET", "/health", "/health", everyone(200)),
    Case("GET", "/health/live", "/health/live", everyone(200)),
    Case("GET", "/health/ready", "/health/ready", everyone(200)),
    Case("GET", "/thema.css", "/thema.css", everyone(200)),
    Case("GET", "/thema/logo", "/thema/logo", everyone(200)),
    Case("GET", "/over/{slug}", "/over/privacy", everyone(200)),
    Case("POST", "/taal", "/taal", everyone(303), form={"lang": "nl", "next": "/"}),
    Case("GET", "/inloggen", "/inloggen", everyone(200)),
    Case("GET", "/uitgelogd", "/uitgelogd", everyone(200)),
    Case("GET", "/auth/{audience}/login", "/auth/citizen/login", everyone(303)),
    Case("GET", "/auth/{audience}/login", "/auth/staff/login", everyone(404)),  # now /kcc/auth
    Case("GET", "/kcc/auth/login", "/kcc/auth/login", everyone(303)),
    Case("GET", "/kcc/auth/callback", "/kcc/auth/callback?state=x&code=y", everyone(400)),
    Case("GET", "/auth/{audience}/login", "/auth/onbekend/login", everyone(404)),
    Case("GET", "/auth/{audience}/callback", "/auth/citizen/callback?state=x&code=y",
         everyone(400)),
    Case("GET", "/static/{path:path}", "/static/css/mijn.css", everyone(200)),
    Case("GET", "/static/vendor/htmx/{path:path}", "/static/vendor/htmx/htmx.min.js",
         everyone(200)),
    Case("GET", "/static/vendor/utrecht-css/{path:path}",
         "/static/vendor/utrecht-css/index.css", everyone(200)),
    Case("GET", "/static/vendor/utrecht-tokens/{path:path}",
         "/static/vendor/utrecht-tokens/index.css", everyone(200)),
    # --- the development identity provider (only with MIJN_ENV=development) -----------------
    Case("GET", "/dev-idp/.well-known/openid-configuration",
         "/dev-idp/.well-known/openid-configuration", everyone(200)),
    Case("GET", "/dev-idp/jwks", "/dev-idp/jwks", everyone(200)),
    Case("GET", "/dev-idp/authorize", "/dev-idp/authorize", everyone(400)),
    Case("POST", "/dev-idp/authorize", "/dev-idp/authorize", everyone(400), form={}),
    Case("POST", "/dev-idp/token", "/dev-idp/token", everyone(401), form={}),
    Case("GET", "/dev-idp/userinfo", "/dev-idp/userinfo", everyone(401)),
    Case("GET", "/dev-idp/logout", "/dev-idp/logout", everyone(200)),
    # --- dossiers -----------------------------------------------------------------------------
    Case("GET", "/mijn/dossiers", "/mijn/dossiers", portal(200)),
    Case("GET", "/mijn/dossiers", "/mijn/dossiers?tab=closed", portal(200)),
    Case("GET", "/mijn/dossiers", "/mijn/dossiers?tab=closed&pagina=2", portal(200)),
    Case("GET", "/mijn/dossiers/{reference}", f"/mijn/dossiers/{JAN_DOSSIER}",
         portal(**JAN_ONLY), marker="Dakkapel aan de achterkant"),
    Case("GET", "/mijn/dossiers/{reference}", f"/mijn/dossiers/{FATIMA_DOSSIER}",
         portal(fatima=200, fatima_hoog=200), marker="Vergoeding waterkosten"),
    Case("GET", "/mijn/dossiers/{reference}", f"/mijn/dossiers/{HIGH_DOSSIER}",
         # The step-up page names the owner's dossier, but shows nothing in it.
         portal(fatima=STEP_UP, fatima_hoog=200), marker="Een consulent bekijkt uw inkomen"),
    Case("GET", "/mijn/dossiers/{reference}", f"/mijn/dossiers/{COMPANY_DOSSIER}",
         portal(karin=200), marker="Uitbreiding bakkerij"),
    Case("GET", "/mijn/dossiers/{reference}", f"/mijn/dossiers/{BRANCH_DOSSIER}",
         portal(karin=200, ahmed=200), marker="Terras voor de winkel"),
    Case("GET", "/mijn/dossiers/{reference}", f"/mijn/dossiers/{GRANT_DOSSIER}",
         portal(karin=200, rep_readonly=200), marker="Subsidie zonnepanelen"),
    Case("GET", "/mijn/dossiers/{reference}", f"/mijn/dossiers/{OTHER_COMPANY_DOSSIER}",
         portal(), marker="Subsidie elektrische bedrijfsbus"),
    Case("GET", "/mijn/dossiers/{reference}", "/mijn/dossiers/BESTAAT-NIET", portal()),
    # --- tasks (Te doen): a read-only mandate sees its scope's tasks but does not do them ------
    Case("GET", "/mijn/taken/{task_id:int}", "/mijn/taken/{t[jan]}", portal(**JAN_ONLY),
         marker="Matrixtaak jan"),
    Case("GET", "/mijn/taken/{task_id:int}", "/mijn/taken/{t[high]}",
         portal(fatima=STEP_UP, fatima_hoog=200), marker="Matrixtaak high"),
    Case("GET", "/mijn/taken/{task_id:int}", "/mijn/taken/{t[company]}", portal(karin=200),
         marker="Matrixtaak company"),
    Case("GET", "/mijn/taken/{task_id:int}", "/mijn/taken/{t[branch]}",
         portal(karin=200, ahmed=200), marker="Matrixtaak branch"),
    Case("GET", "/mijn/taken/{task_id:int}", "/mijn/taken/{t[grant]}",
         portal(karin=200, rep_readonly=200), marker="Matrixtaak grant"),
    Case("GET", "/mijn/taken/{task_id:int}", "/mijn/taken/999999999", portal()),
    Case("GET", "/mijn/taken/{task_id:int}", "/mijn/taken/99999999999999", portal(),
         label="beyond a database integer"),
    Case("POST", "/mijn/taken/{task_id:int}", "/mijn/taken/{t[jan]}", portal(jan=DONE, rep=DONE),
         form={"version": "1"}, marker="Matrixtaak jan", probe=_task_status("jan")),
    Case("POST", "/mijn/taken/{task_id:int}", "/mijn/taken/{t[high]}",
         portal(fatima=STEP_UP, fatima_hoog=DONE), form={"version": "1"},
         marker="Matrixtaak high", probe=_task_status("high")),
    Case("POST", "/mijn/taken/{task_id:int}", "/mijn/taken/{t[branch]}",
         portal(karin=DONE, ahmed=DONE), form={"version": "1"}, probe=_task_status("branch")),
    Case("POST", "/mijn/taken/{task_id:int}", "/mijn/taken/{t[grant]}",
         portal(karin=DONE, rep_readonly=403), form={"version": "1"},
         probe=_task_status("grant")),
    # An upload task sent without files: 422 for who may do it (nothing done either way).
    Case("POST", "/mijn/taken/{task_id:int}", "/mijn/taken/{t[upgrant]}",
         portal(karin=422, rep_readonly=403), form={"version": "1"},
         probe=_task_status("upgrant")),
    Case("POST", "/mijn/taken/{task_id:int}", "/mijn/taken/{t[upbranch]}",
         portal(karin=422, ahmed=422), form={"version": "1"}, probe=_task_status("upbranch")),
    Case("GET", TASK_FILE, "/mijn/taken/{t[upjan]}/bestanden/{tf[upjan]}", portal(**JAN_ONLY)),
    Case("GET", TASK_FILE, "/mijn/taken/{t[uphigh]}/bestanden/{tf[uphigh]}",
         portal(fatima=STEP_UP, fatima_hoog=200)),
    Case("GET", TASK_FILE, "/mijn/taken/{t[upjan]}/bestanden/{tf[uphigh]}", portal(),
         label="a file of another task"),
    Case("GET", TASK_FILE, "/mijn/taken/{t[upjan]}/bestanden/99999999999", portal(),
         label="beyond a database integer"),
    # --- documents: the dossier's rules, and only what the citizen may see ------------------
    Case("GET", DOC, f"/mijn/dossiers/{JAN_DOSSIER}/documenten/{{doc[jan]}}",
         portal(**JAN_ONLY)),
    Case("GET", DOC, f"/mijn/dossiers/{JAN_DOSSIER}/documenten/{{doc[jan_hidden]}}", portal()),
    Case("GET", DOC, f"/mijn/dossiers/{FATIMA_DOSSIER}/documenten/{{doc[jan]}}", portal(),
         label="another dossier's document"),
    Case("GET", DOC, f"/mijn/dossiers/{HIGH_DOSSIER}/documenten/{{doc[high]}}",
         portal(fatima=STEP_UP, fatima_hoog=200)),
    Case("GET", DOC, f"/mijn/dossiers/{COMPANY_DOSSIER}/documenten/{{doc[company]}}",
         portal(karin=200)),
    Case("GET", DOC, f"/mijn/dossiers/{BRANCH_DOSSIER}/documenten/{{doc[branch]}}",
         portal(karin=200, ahmed=200)),
    Case("GET", DOC, f"/mijn/dossiers/{GRANT_DOSSIER}/documenten/{{doc[grant]}}",
         portal(karin=200, rep_readonly=200)),
    # --- questions --------------------------------------------------------------------------
    Case("GET", "/mijn/vragen", "/mijn/vragen", portal(200)),
    Case("GET", "/mijn/vragen/nieuw", "/mijn/vragen/nieuw", portal(200, rep_readonly=403)),
    Case("GET", "/mijn/vragen/{reference}", "/mijn/vragen/{q[jan]}", portal(**JAN_ONLY),
         marker="Moet ik nog tekeningen opsturen"),
    Case("GET", "/mijn/vragen/{reference}", "/mijn/vragen/{q[fatima]}",
         portal(fatima=200, fatima_hoog=200), marker="Matrixvraag fatima"),
    Case("GET", "/mijn/vragen/{reference}", "/mijn/vragen/{q[high]}",
         portal(fatima=STEP_UP, fatima_hoog=200), marker="Matrixvraag high"),
    Case("GET", "/mijn/vragen/{reference}", "/mijn/vragen/{q[company]}",
         portal(karin=200), marker="Matrixvraag company"),
    Case("GET", "/mijn/vragen/{reference}", "/mijn/vragen/{q[branch]}",
         portal(karin=200, ahmed=200), marker="Matrixvraag branch"),
    Case("GET", "/mijn/vragen/{reference}", "/mijn/vragen/{q[grant]}",
         portal(karin=200, rep_readonly=200), marker="Matrixvraag grant"),
    Case("GET", "/mijn/vragen/{reference}", "/mijn/vragen/V-ONBEKEND", portal()),
    # --- files sent with a question: the question's rules -----------------------------------
    Case("GET", ATT, "/mijn/vragen/{q[jan]}/bijlagen/{att[jan]}", portal(**JAN_ONLY)),
    Case("GET", ATT, "/mijn/vragen/{q[high]}/bijlagen/{att[high]}",
         portal(fatima=STEP_UP, fatima_hoog=200)),
    Case("GET", ATT, "/mijn/vragen/{q[fatima]}/bijlagen/{att[high]}",
         portal(), label="another question's file"),
    Case("GET", ATT, "/mijn/vragen/{q[jan]}/bijlagen/99999999999", portal(),
         label="beyond a database integer"),
    # --- mandates, messages, settings -------------------------------------------------------
    Case("GET", "/mijn/namens", "/mijn/namens",
         portal(rep=200, rep_readonly=200, rep_expired=200)),
    Case("GET", "/mijn/berichten", "/mijn/berichten", portal(200)),
    Case("GET", "/mijn/instellingen", "/mijn/instellingen", portal(200, ahmed=403)),
    # Mijn gegevens: everyone's own (or the party acted for); the views in scope only (FOREIGN)
    Case("GET", "/mijn/gegevens", "/mijn/gegevens", portal(200)),
    Case("GET", "/mijn/gegevens", "/mijn/gegevens?pagina=2", portal(200), label="page 2"),
    Case("GET", "/mijn/instellingen/bevestigen/{token}", "/mijn/instellingen/bevestigen/x.y",
         portal(200, ahmed=403)),
    # --- answers (public; tailored for a logged-in visitor) ----------------------------------
    Case("GET", "/antwoorden", "/antwoorden", everyone(200)),
    Case("GET", "/antwoorden/{slug}", "/antwoorden/{slug}", everyone(200)),
    Case("GET", "/antwoorden/{slug}", "/antwoorden/{slug}?dossier=" + HIGH_DOSSIER,
         everyone(200), marker="Bijzondere bijstand voor een wasmachine"),
    Case("GET", "/antwoorden/{slug}", "/antwoorden/{draft_slug}", everyone(404),
         marker="Alleen voor redacteuren"),
    # --- the KCC ----------------------------------------------------------------------------
    Case("GET", "/kcc", "/kcc", kcc(200, editor=303)),
    Case("GET", "/kcc/", "/kcc/", everyone(308)),
    Case("GET", "/kcc/inloggen", "/kcc/inloggen", everyone(200)),
    Case("GET", "/kcc/vragen/{reference}", "/kcc/vragen/{q[jan]}", kcc(200, specialist=404,
         editor=404), marker="Moet ik nog tekeningen opsturen"),
    Case("GET", "/kcc/vragen/{reference}", "/kcc/vragen/{q[team]}", kcc(200, editor=404),
         marker="Mag de dakkapel 3 meter breed zijn"),
    Case("GET", "/kcc/vragen/{reference}", "/kcc/vragen/{q[high]}",
         kcc(200, specialist=404, editor=404), marker="Matrixvraag high"),
    Case("GET", "/kcc/vragen/{reference}", "/kcc/vragen/V-ONBEKEND", kcc()),
    Case("GET", KCC_ATT, "/kcc/vragen/{q[jan]}/bijlagen/{att[jan]}",
         kcc(200, specialist=404, editor=404)),
    Case("GET", KCC_ATT, "/kcc/vragen/{q[high]}/bijlagen/{att[high]}",
         kcc(200, specialist=404, editor=404)),
    Case("GET", KCC_ATT, "/kcc/vragen/{q[team]}/bijlagen/{att[jan]}", kcc(),
         label="another question's file"),
    Case("GET", "/kcc/meldingen", "/kcc/meldingen", kcc(agent=200, lead=200)),
    # only a dead item is put back; one that does not exist (or is not dead) is a 404 to all
    Case("POST", "/kcc/meldingen/{kind}/{item_id}/opnieuw", "/kcc/meldingen/email/999999/opnieuw",
         kcc(), form={}),
    Case("GET", "/kcc/klanten", "/kcc/klanten", kcc(agent=200, lead=200)),
    Case("GET", "/kcc/bewaartermijnen", "/kcc/bewaartermijnen", kcc(lead=200),
         marker="Logboek van inzage"),
    Case("GET", "/kcc/klanten/{party_id}", "/kcc/klanten/{p[jan]}", kcc(agent=200, lead=200),
         marker="Jan Jansen"),
    Case("GET", "/kcc/klanten/{party_id}", "/kcc/klanten/999999", kcc()),
    # a file sent for an upload task: staff who see every party; the task must be the party's
    # and the file the task's
    Case("GET", KCC_TASK_FILE, "/kcc/klanten/{p[jan]}/taken/{t[upjan]}/bestanden/{tf[upjan]}",
         kcc(agent=200, lead=200)),
    Case("GET", KCC_TASK_FILE, "/kcc/klanten/{p[fatima]}/taken/{t[upjan]}/bestanden/{tf[upjan]}",
         kcc()),
    Case("GET", KCC_TASK_FILE, "/kcc/klanten/{p[jan]}/taken/{t[upjan]}/bestanden/{tf[uphigh]}",
         kcc()),
    Case("GET", KCC_TASK_FILE, "/kcc/klanten/{p[jan]}/taken/{t[upjan]}/bestanden/9x", kcc()),
    Case("GET", "/kcc/dossiers/{reference}", f"/kcc/dossiers/{JAN_DOSSIER}",
         kcc(agent=200, lead=200), marker="Dakkapel aan de achterkant"),
    Case("GET", "/kcc/dossiers/{reference}", f"/kcc/dossiers/{HIGH_DOSSIER}",
         kcc(agent=200, lead=200), marker="Bijzondere bijstand voor een wasmachine"),
    Case("GET", "/kcc/dossiers/{reference}", "/kcc/dossiers/Z-0000-0000", kcc()),
    Case("GET", KCC_DOC, f"/kcc/dossiers/{JAN_DOSSIER}/documenten/{{doc[jan_hidden]}}",
         kcc(agent=200, lead=200)),
    Case("GET", KCC_DOC, f"/kcc/dossiers/{HIGH_DOSSIER}/documenten/{{doc[high]}}",
         kcc(agent=200, lead=200)),
    Case("GET", KCC_DOC, f"/kcc/dossiers/{FATIMA_DOSSIER}/documenten/{{doc[jan]}}", kcc(),
         label="another dossier's document"),
    Case("GET", "/kcc/kennisbank", "/kcc/kennisbank", kcc(200)),
    Case("GET", "/kcc/kennisbank/{answer_id}", "/kcc/kennisbank/{answer}", kcc(200)),
    Case("GET", "/kcc/kennisbank/{answer_id}", "/kcc/kennisbank/{draft}", kcc(),
         marker="Alleen voor redacteuren"),
    Case("GET", "/kcc/antwoorden", "/kcc/antwoorden", kcc(editor=200)),
    Case("GET", "/kcc/antwoorden/nieuw", "/kcc/antwoorden/nieuw", kcc(editor=200)),
    # Questions without an answer: masked examples of questions, for editors only.
    Case("GET", "/kcc/antwoorden/zonder-antwoord", "/kcc/antwoorden/zonder-antwoord",
         kcc(editor=200)),
    # Proposing an answer from a question: from an answered one, by whoever sees it in the
    # workspace and by an editor (who reads it masked); from one not answered, by nobody.
    Case("GET", "/kcc/vragen/{reference}/voorstel", "/kcc/vragen/{q[answered]}/voorstel",
         kcc(200, specialist=404), marker="Mijn subsidie voor isolatie"),
    Case("GET", "/kcc/vragen/{reference}/voorstel", "/kcc/vragen/{q[jan]}/voorstel", kcc(),
         marker="Moet ik nog tekeningen opsturen", label="not answered"),
    Case("GET", "/kcc/antwoorden/{answer_id}", "/kcc/antwoorden/{draft}", kcc(editor=200),
         marker="Alleen voor redacteuren"),
    Case("GET", "/kcc/antwoorden/{answer_id}/vergelijk", "/kcc/antwoorden/{answer}/vergelijk",
         kcc(editor=200)),
    Case("GET", "/kcc/tekstblokken", "/kcc/tekstblokken", kcc(lead=200, editor=200)),
    Case("GET", "/kcc/tekstblokken/{module_id}", "/kcc/tekstblokken/{tm[kept]}",
         kcc(lead=200, editor=200), marker="matrix-kept"),
    Case("GET", "/kcc/tekstblokken/{module_id}", "/kcc/tekstblokken/999999", kcc()),
    Case("GET", "/kcc/inzicht", "/kcc/inzicht", kcc(lead=200, editor=200)),
    Case("GET", "/kcc/inzicht/afdrukken", "/kcc/inzicht/afdrukken", kcc(lead=200, editor=200)),
    Case("GET", "/kcc/inzicht.csv", "/kcc/inzicht.csv?tabel=trend", kcc(lead=200, editor=200)),
    Case("GET", "/kcc/leiding", "/kcc/leiding", kcc(lead=200)),
    Case("GET", "/kcc/tevredenheid", "/kcc/tevredenheid", kcc(200, editor=404)),
    Case("GET", "/kcc/inzicht/tevredenheid", "/kcc/inzicht/tevredenheid",
         kcc(lead=200, editor=200)),
    Case("GET", "/kcc/inzicht/tevredenheid.csv",
         "/kcc/inzicht/tevredenheid.csv?tabel=tevredenheid-trend", kcc(lead=200, editor=200)),
    # --- the API (a bearer token; cookies count for nothing) ---------------------------------
    Case("GET", "/api/v1/openapi.json", "/api/v1/openapi.json",
         {**everyone(200), **dict.fromkeys(API, 200)}),
    Case("GET", "/api/v1/ping", "/api/v1/ping", api(200, other_source=200)),
    Case("PUT", "/api/v1/dossier-types/{code}", "/api/v1/dossier-types/matrix-melding",
         api(204), json=TYPE, scope="catalogue"),
    Case("PUT", "/api/v1/dossiers/{source}/{external_id}", "/api/v1/dossiers/gemeente/matrix-1",
         api(200), json=DOSSIER),
    Case("GET", "/api/v1/dossiers/{source}/{external_id}", "/api/v1/dossiers/gemeente/matrix-1",
         api(200)),
    Case("POST", "/api/v1/dossiers/{source}/{external_id}/statuses",
         "/api/v1/dossiers/gemeente/matrix-1/statuses", api(201), json=STATUS),
    Case("POST", "/api/v1/dossiers/{source}/{external_id}/forwardings",
         "/api/v1/dossiers/gemeente/matrix-1/forwardings", api(201), json=FORWARD),
    # Past the token and the source, a reference to nowhere: no Documenten API is configured.
    Case("POST", API_DOCS, "/api/v1/dossiers/gemeente/matrix-1/documents", api(422),
         json={"kind": "brief", "zgw_url": "http://127.0.0.1:9/documenten/x"}),
    Case("GET", API_DOCS, "/api/v1/dossiers/gemeente/matrix-1/documents", api(200)),
    Case("DELETE", API_DOCS + "/{document_id}",
         "/api/v1/dossiers/gemeente/matrix-1/documents/{doc[jan]}", api(404),
         label="a document of another dossier"),
    Case("PUT", "/api/v1/mandates/{source}/{external_id}", "/api/v1/mandates/gemeente/matrix-m1",
         api(200), json=MANDATE, scope="mandates"),
    Case("GET", "/api/v1/mandates/{source}/{external_id}", "/api/v1/mandates/gemeente/matrix-m1",
         api(200), scope="mandates"),
    Case("DELETE", "/api/v1/mandates/{source}/{external_id}",
         "/api/v1/mandates/gemeente/matrix-m1", api(204), scope="mandates",
         probe=_mandate_revoked),
    Case("POST", "/api/v1/tasks/search", "/api/v1/tasks/search", api(200, other_source=200),
         json={"status": "open"}),
    Case("PUT", "/api/v1/tasks/{source}/{external_id}", "/api/v1/tasks/gemeente/matrix-t-api",
         api(201), json=TASK, probe=_count(Task, Task.external_id == "matrix-t-api")),
    Case("GET", "/api/v1/tasks/{source}/{external_id}", "/api/v1/tasks/gemeente/matrix-t-jan",
         api(200)),
    Case("DELETE", "/api/v1/tasks/{source}/{external_id}",
         "/api/v1/tasks/gemeente/matrix-t-company", api(204), probe=_task_status("company")),
    Case("GET", "/api/v1/tasks/{source}/{external_id}/files/{file_id}",
         "/api/v1/tasks/gemeente/matrix-t-upjan/files/{tf[upjan]}", api(200)),
    Case("GET", "/api/v1/tasks/{source}/{external_id}/files/{file_id}",
         "/api/v1/tasks/gemeente/matrix-t-upjan/files/{tf[uphigh]}", api(404),
         label="a file of another task"),
    # Only the notifications token opens it (an empty notification: refused by its schema,
    # so nothing is fetched from the ZGW APIs, which are not there).
    Case("POST", "/api/v1/zgw/notificaties", "/api/v1/zgw/notificaties",
         {**dict.fromkeys(ACTORS, 401), "zgw": 422}, json={}),
    # Only Open Klant's notifications token opens it (an empty notification: refused by its
    # schema, so nothing is read from Open Klant, which is not there).
    Case("POST", "/api/v1/openklant/notificaties", "/api/v1/openklant/notificaties",
         {**dict.fromkeys(ACTORS, 401), "openklant": 422}, json={}),
    # --- form posts of the portal -----------------------------------------------------------
    Case("POST", "/antwoorden/suggesties", "/antwoorden/suggesties", portal(200),
         form={"body": "dakkapel"}),
    Case("POST", "/antwoorden/geopend", "/antwoorden/geopend", everyone(204),
         form={"answer": "{answer}", "context": "ask"}),
    Case("POST", "/antwoorden/{slug}/feedback", "/antwoorden/{slug}/feedback", everyone(303),
         form={"helpful": "ja"}),
    Case("POST", "/antwoorden/{slug}/feedback", "/antwoorden/{draft_slug}/feedback",
         everyone(404), form={"helpful": "ja"}),
    Case("POST", "/mijn/vragen", "/mijn/vragen",
         portal(422, jan=DONE, rep=DONE, rep_readonly=403),
         form={**ASK, "dossier": JAN_DOSSIER}, probe=_questions_of_jan_dossier,
         label="about Jan's dossier"),
    Case("POST", "/mijn/vragen", "/mijn/vragen",
         portal(422, fatima=STEP_UP, fatima_hoog=DONE, rep_readonly=403),
         form={**ASK, "dossier": HIGH_DOSSIER},
         probe=_count(QuestionMessage, QuestionMessage.body == ASK["body"]),
         label="about a 'hoog' dossier"),
    Case("POST", "/mijn/vragen/{reference}/{action:str}", "/mijn/vragen/{q[jan]}/reactie",
         portal(jan=DONE, rep=DONE), form={"body": "Een reactie van de matrix."},
         probe=_question_messages("jan")),
    Case("POST", "/mijn/vragen/{reference}/{action:str}", "/mijn/vragen/{q[high]}/reactie",
         portal(fatima=STEP_UP, fatima_hoog=DONE), form={"body": "Een reactie van de matrix."},
         probe=_question_messages("high")),
    Case("POST", "/mijn/vragen/{reference}/{action:str}",
         "/mijn/vragen/{q[grant]}/reactie", portal(karin=DONE, rep_readonly=403),
         form={"body": "Een reactie van de matrix."}, probe=_question_messages("grant")),
    Case("POST", "/mijn/vragen/{reference}/{action:str}",
         "/mijn/vragen/{q[branch]}/sluiten", portal(karin=DONE, ahmed=DONE),
         form={}, probe=_question_messages("branch")),
    Case("POST", "/mijn/vragen/{reference}/{action:str}", "/mijn/vragen/{q[jan]}/wissen",
         portal(), form={}),
    # Satisfaction: only the party's own question (asked or not yet: a redirect either way);
    # a read-only mandate gives no answer; reopening without "niet tevreden" first: 409.
    Case("POST", "/mijn/vragen/{reference}/mening", "/mijn/vragen/{q[jan]}/mening",
         portal(**{"jan": DONE, "rep": DONE}), form={"score": "4", "comment": "Matrix"},
         probe=_count(SatisfactionResponse)),
    Case("POST", "/mijn/vragen/{reference}/mening", "/mijn/vragen/{q[grant]}/mening",
         portal(karin=DONE, rep_readonly=403), form={"score": "4"},
         probe=_count(SatisfactionResponse)),
    Case("POST", "/mijn/vragen/{reference}/heropenen", "/mijn/vragen/{q[jan]}/heropenen",
         portal(jan=409, rep=409), form={"reason": "Niet tevreden in de matrix."},
         probe=_question_messages("jan")),
    # After a dossier is closed (not asked by default: a redirect to the page either way): only
    # the party's own dossier, at its level of assurance; a read-only mandate gives no answer.
    Case("POST", "/mijn/dossiers/{reference}/mening", f"/mijn/dossiers/{JAN_DOSSIER}/mening",
         portal(jan=DONE, rep=DONE), form={"score": "4"}, probe=_count(DossierSatisfaction)),
    Case("POST", "/mijn/dossiers/{reference}/mening", f"/mijn/dossiers/{HIGH_DOSSIER}/mening",
         portal(fatima=STEP_UP, fatima_hoog=DONE), form={"score": "4"},
         probe=_count(DossierSatisfaction)),
    Case("POST", "/mijn/dossiers/{reference}/mening", f"/mijn/dossiers/{GRANT_DOSSIER}/mening",
         portal(karin=DONE, rep_readonly=403), form={"score": "4"},
         probe=_count(DossierSatisfaction)),
    # The e-mail link: no login for anyone; a token that was never made is a 404 to all.
    Case("GET", "/tevredenheid/{token}", "/tevredenheid/onbekend", everyone(404)),
    Case("POST", "/tevredenheid/{token}", "/tevredenheid/onbekend", everyone(404),
         form={"score": "5"}, probe=_count(SatisfactionResponse)),
    Case("POST", "/mijn/namens", "/mijn/namens",
         portal(rep=DONE, rep_readonly=DONE, rep_expired=DONE),
         form={"keuze": "{m[for_jan]}"}, fresh=True, label="Sanne's mandate for Jan"),
    Case("POST", "/mijn/namens", "/mijn/namens", portal(), form={"keuze": "{m[expired]}"},
         fresh=True, label="an expired mandate"),
    Case("POST", "/mijn/instellingen", "/mijn/instellingen", portal(DONE, ahmed=403),
         form={"channel": "portal", "email": ""}, probe=_party_email),
    Case("POST", "/mijn/instellingen/bevestigen/{token}", "/mijn/instellingen/bevestigen/x.y",
         portal(400, ahmed=403), form={}, probe=_party_email),
    # --- form posts of the KCC --------------------------------------------------------------
    Case("POST", "/kcc/vragen/{reference}/signaal", "/kcc/vragen/{q[jan]}/signaal",
         kcc(DONE, specialist=404, editor=404),
         form={"kind": "missing", "comment": "Matrixsignaal."},
         probe=_count(AnswerFlag, AnswerFlag.comment == "Matrixsignaal.")),
    Case("POST", "/kcc/vragen/{reference}/concept", "/kcc/vragen/{q[jan]}/concept",
         kcc(DONE, specialist=404, editor=404), form={"body": "Matrixconcept.", "note": ""},
         probe=_count(ReplyDraft, ReplyDraft.body == "Matrixconcept.")),
    Case("POST", "/kcc/vragen/{reference}/concept", "/kcc/vragen/V-ONBEKEND/concept", kcc(),
         form={"body": "Matrixconcept."}),
    Case("POST", "/kcc/vragen/{reference}/invoegen", "/kcc/vragen/{q[jan]}/invoegen",
         kcc(200, specialist=404, editor=404),
         form={"body": "Matrixinvoeging.", "note": "", "gebruik": "{answer}"},
         marker="Moet ik nog tekeningen opsturen",
         probe=_count(ReplyDraft, ReplyDraft.body.like("Matrixinvoeging.%"))),
    # Adding documents to the question's dossier: whoever may reply to it; none without one.
    Case("POST", "/kcc/vragen/{reference}/documenten", "/kcc/vragen/{q[jan]}/documenten",
         kcc(DONE, specialist=404, editor=404),
         form={"titel": "Matrixdocument", "soort": "brief", "zichtbaar": "1"},
         files=(("matrix.pdf", MATRIX_PDF),),
         probe=_count(Document, Document.title == "Matrixdocument")),
    Case("POST", "/kcc/vragen/{reference}/documenten", "/kcc/vragen/{q[held]}/documenten",
         kcc(), form={"titel": "Matrixdocument"}, files=(("matrix.pdf", MATRIX_PDF),),
         probe=_count(Document, Document.title == "Matrixdocument"), label="no dossier"),
    Case("POST", "/kcc/vragen/{reference}/{action}", "/kcc/vragen/{q[team]}/note",
         kcc(DONE, editor=404), form={"note": "Matrixnotitie."}, probe=_question_messages("team")),
    Case("POST", "/kcc/vragen/{reference}/{action}", "/kcc/vragen/{q[claim]}/claim",
         kcc(DONE, specialist=404, editor=404), form={}, probe=_question_messages("claim")),
    Case("POST", "/kcc/vragen/{reference}/{action}", "/kcc/vragen/{q[held]}/reply",
         kcc(404, agent=409, lead=DONE), form={"body": "Een antwoord van de matrix."},
         probe=_question_messages("held")),
    Case("POST", "/kcc/vragen/{reference}/{action}", "/kcc/vragen/{q[held]}/close",
         kcc(404, agent=409, lead=422), form={}, probe=_question_messages("held"),
         label="without a reason"),
    Case("POST", "/kcc/vragen/{reference}/{action}", "/kcc/vragen/{q[held]}/close",
         kcc(404, agent=409, lead=DONE), form={"reason": "phone"},
         probe=_question_messages("held")),
    Case("POST", "/kcc/vragen/{reference}/{action}", "/kcc/vragen/{q[handed]}/reply",
         kcc(404, agent=409, lead=409, specialist=DONE),  # handed over: the KCC only reads
         form={"body": "Een antwoord van de matrix."}, probe=_question_messages("handed"),
         label="handed over"),
    Case("POST", "/kcc/vragen/{reference}/{action}", "/kcc/vragen/{q[handback]}/hand_back",
         kcc(404, agent=409, lead=409, specialist=422), form={},
         probe=_question_messages("handback"), label="without a note"),
    Case("POST", "/kcc/vragen/{reference}/{action}", "/kcc/vragen/{q[handback]}/hand_back",
         kcc(404, agent=409, lead=409, specialist=DONE),
         form={"handback": "Dit is voor het KCC."}, probe=_question_messages("handback")),
    Case("POST", "/kcc/vragen/{reference}/{action}", "/kcc/vragen/{q[jan]}/wissen",
         kcc(), form={}),
    # How a callback went: only its holder (the specialist it was handed to) records it.
    Case("POST", "/kcc/vragen/{reference}/terugbellen/uitkomst",
         "/kcc/vragen/{q[callback]}/terugbellen/uitkomst",
         kcc(404, agent=409, lead=409, specialist=DONE), form={"outcome": "voicemail"},
         probe=_count(CallbackAttempt)),
    Case("POST", "/kcc/vragen/{reference}/terugbellen/uitkomst",
         "/kcc/vragen/{q[jan]}/terugbellen/uitkomst", kcc(), form={"outcome": "reached"},
         probe=_count(CallbackAttempt), label="not a callback"),
    Case("POST", "/kcc/klanten", "/kcc/klanten", kcc(agent=DONE, lead=DONE),
         form={"identifier_type": "bsn", "identifier": "999990019"}),
    Case("POST", "/kcc/klanten", "/kcc/klanten", kcc(agent=DONE, lead=DONE),
         form={"by": "name", "name": "Jan Jansen", "birth_date": "17-04-1968"}),
    Case("POST", "/kcc/klanten", "/kcc/klanten", kcc(agent=DONE, lead=DONE),
         form={"by": "reference", "reference": "Z-2026-0001"}),
    Case("POST", "/kcc/klanten/{party_id}/{action}", "/kcc/klanten/{p[jan]}/contact",
         kcc(agent=DONE, lead=DONE),
         form={"channel": "phone", "summary": "Matrixcontact."},
         probe=_count(Contact, Contact.summary == "Matrixcontact.")),
    Case("POST", "/kcc/antwoorden/signalen/{flag_id}", "/kcc/antwoorden/signalen/{flag}",
         kcc(editor=DONE), form={}, probe=_flag_open),
    Case("POST", "/kcc/antwoorden", "/kcc/antwoorden", kcc(editor=DONE),
         form={"title": "Matrix: een nieuw antwoord", "body": "Tekst.", "audience": "all",
               "review_by": REVIEW_BY},
         probe=_answers),
    Case("POST", "/kcc/antwoorden/{answer_id}", "/kcc/antwoorden/{draft}", kcc(editor=DONE),
         form={"title": "Matrix: bijgewerkt", "body": "Tekst.", "audience": "all",
               "review_by": REVIEW_BY},
         probe=_answers),
    Case("POST", "/kcc/antwoorden/{answer_id}/offline", "/kcc/antwoorden/{draft}/offline",
         kcc(editor=DONE), form={}, probe=_answers),
    Case("POST", "/kcc/vragen/{reference}/voorstel", "/kcc/vragen/{q[answered]}/voorstel",
         kcc(DONE, specialist=404),
         form={"title": "Matrix: voorgesteld", "body": "Tekst.", "review_by": REVIEW_BY},
         probe=_answers),
    Case("POST", "/kcc/vragen/{reference}/voorstel", "/kcc/vragen/{q[jan]}/voorstel", kcc(),
         form={"title": "Matrix: voorgesteld", "body": "Tekst.", "review_by": REVIEW_BY},
         probe=_answers, label="not answered"),
    Case("POST", "/kcc/antwoorden/{answer_id}/afwijzen", "/kcc/antwoorden/{proposal}/afwijzen",
         kcc(editor=DONE), form={}, probe=_answers),
    Case("POST", "/kcc/antwoorden/{answer_id}/afwijzen", "/kcc/antwoorden/{draft}/afwijzen",
         kcc(), form={}, probe=_answers, label="not a proposal"),
    Case("POST", "/kcc/volgende", "/kcc/volgende", kcc(agent=DONE, lead=DONE), form={}),
    Case("POST", "/kcc/leiding", "/kcc/leiding", kcc(lead=DONE),
         form={"vraag": "{q[lead]}", "actie": "teruggeven"}, probe=_question_messages("lead")),
    # One of them adds it; the other finds its name taken by then (one name per team: 409).
    Case("POST", "/kcc/tekstblokken", "/kcc/tekstblokken", kcc(lead=DONE, editor=DONE),
         form={"team": "", "name": "matrix-nieuw", "body": "Nieuw."},
         probe=_count(TextModule, TextModule.name == "matrix-nieuw")),
    Case("POST", "/kcc/tekstblokken/{module_id}", "/kcc/tekstblokken/{tm[kept]}",
         kcc(lead=DONE, editor=DONE), form={"name": "matrix-kept", "body": "Bijgewerkt."},
         probe=_count(TextModule, TextModule.body == "Bijgewerkt.")),
    # One of them removes it; for the other it is gone just as well (303).
    Case("POST", "/kcc/tekstblokken/{module_id}/verwijderen",
         "/kcc/tekstblokken/{tm[removed]}/verwijderen", kcc(lead=DONE, editor=DONE), form={},
         probe=_count(TextModule, TextModule.name == "matrix-removed")),
    # --- ending a session (last: a fresh login of each visitor) -----------------------------
    Case("POST", "/kcc/uitloggen", "/kcc/uitloggen", everyone(303), form={}, fresh=True),
    Case("POST", "/uitloggen", "/uitloggen", everyone(303), form={}, fresh=True),
    Case("POST", "/sessie/verlengen", "/sessie/verlengen", portal(204), form={}),
]
ZGW_TOKEN = "matrix-zgw-notifications-token-0123456789"
ZGW = {  # the ZGW intake on, its APIs nowhere: no request of the matrix gets that far
    "MIJN_ZGW_NOTIFICATIONS_TOKEN": ZGW_TOKEN, "MIJN_ZGW_ZAKEN_URL": "http://127.0.0.1:9/zaken",
    "MIJN_ZGW_CATALOGI_URL": "http://127.0.0.1:9/catalogi", "MIJN_ZGW_CLIENT_ID": "mijn",
    "MIJN_ZGW_SECRET": "matrix-zgw-secret",
}
OPENKLANT_TOKEN = "matrix-openklant-notifications-0123456789"
OPENKLANT = {  # the import on, its Open Klant nowhere: no request of the matrix gets that far
    "MIJN_OPENKLANT_URL": "http://127.0.0.1:9/klantinteracties/api/v1",
    "MIJN_OPENKLANT_TOKEN": "matrix-openklant-token",
    "MIJN_OPENKLANT_NOTIFICATIONS_TOKEN": OPENKLANT_TOKEN,
}
NO_SCOPE_CLIENT = {"dossiers": "matrix-no-dossiers", "catalogue": "matrix-no-catalogue",
                   "mandates": "matrix-no-mandates"}


# --- running it --------------------------------------------------------------------------------


@dataclass
class Matrix:
    """The portal on one backend with its world, and every visitor's cookies."""

    app: Starlette
    client: TestClient
    world: World
    cookies: dict[str, httpx.Cookies] = field(default_factory=dict)
    csrf: dict[str, str] = field(default_factory=dict)

    def db(self, fn: Callable[[AsyncSession, World], Awaitable[Any]]) -> Any:
        async def call() -> Any:
            async with self.app.state.sessionmaker() as session:
                return await fn(session, self.world)
        assert self.client.portal is not None
        return self.client.portal.call(call)

    def log_in(self, actor: str) -> None:
        """Log the visitor in anew, in a cookie jar of its own (kept in `cookies`)."""
        self.client.cookies = httpx.Cookies()
        if actor in LOGINS:
            persona, audience, level, mandate = LOGINS[actor]
            auth = Auth(self.client)
            if audience == "staff":
                auth.login_staff(persona)
            else:
                auth.login(persona, audience=audience, level=level)
            if mandate is not None:
                switched = self.client.post("/mijn/namens", data={
                    "keuze": str(self.world.mandates[mandate]), "csrf_token": auth.csrf()})
                assert switched.status_code == (404 if mandate == "expired" else 303), actor
        page = self.client.get("/")
        self.csrf[actor] = form_fields(page.text)["csrf_token"]
        self.cookies[actor] = httpx.Cookies(self.client.cookies)

    def request(self, case: Case, actor: str) -> httpx.Response:
        values = names(self.world)
        path = case.path.format(**values)
        headers: dict[str, str] = {}
        if actor in API:
            tokens = {**self.world.tokens, "zgw": ZGW_TOKEN, "openklant": OPENKLANT_TOKEN}
            client = {"api": "matrix-all", "api_no_scope": NO_SCOPE_CLIENT[case.scope],
                      "api_other_source": "matrix-other-source", "zgw": "zgw",
                      "openklant": "openklant"}[actor]
            headers["Authorization"] = f"Bearer {tokens[client]}"
            self.client.cookies = httpx.Cookies()
        else:
            self.client.cookies = httpx.Cookies(self.cookies[actor])
        response: httpx.Response
        if case.json is not None:
            response = self.client.request(case.method, path, json=case.json, headers=headers)
        elif case.form is not None:
            data = {"csrf_token": ""}  # the first field: a multipart body's first part
            data.update({key: value.format(**values) for key, value in case.form.items()})
            data["csrf_token"] = self.csrf.get(actor, "")
            files = [("bestanden", (name, content, "application/octet-stream"))
                     for name, content in case.files]
            response = self.client.request(case.method, path, data=data, files=files or None,
                                           headers=headers)
        else:
            response = self.client.request(case.method, path, headers=headers)
        assert isinstance(response, httpx.Response)
        return response


@pytest.fixture(scope="module")
def matrix(database_url: str, data_dir: Path) -> Iterator[Matrix]:
    """The world on this backend, built once for every case, with every visitor logged in."""
    app = build_app(make_settings(database_url, data_dir, **ZGW, **OPENKLANT))
    with TestClient(app, base_url=BASE_URL, follow_redirects=False) as client:
        assert client.portal is not None
        try:
            world: World = client.portal.call(_build, app)
            found = Matrix(app, client, world)
            for actor in BROWSER:
                found.log_in(actor)
            yield found
        finally:
            client.portal.call(_wipe, app)


async def _build(app: Starlette) -> World:
    async with app.state.sessionmaker() as session:
        return await build_world(session, app.state.settings)


def _order(case: Case) -> list[str]:
    """Refused visitors first: an allowed one may change the object (claim, resolve)."""
    actors = [a for a in ACTORS if a in case.expect]
    return sorted(actors, key=lambda a: case.expect[a] not in REFUSALS)


def _send(matrix: Matrix, case: Case, actor: str) -> httpx.Response:
    """The case's request as this visitor (in a session of its own when it ends one)."""
    if not (case.fresh and actor in LOGINS):
        return matrix.request(case, actor)
    kept = matrix.cookies[actor], matrix.csrf[actor]
    matrix.log_in(actor)
    try:
        return matrix.request(case, actor)
    finally:
        matrix.cookies[actor], matrix.csrf[actor] = kept


def _wrong(case: Case, actor: str, response: httpx.Response) -> list[str]:
    """What is wrong with this visitor's response (nothing: an empty list)."""
    expected, got = case.expect[actor], outcome(response)
    wrong = []
    if not matches(expected, got):
        wrong.append(f"{actor} ({WHO[actor]}): expected {expected}, got {got}")
    if expected in REFUSALS and case.marker and case.marker in response.text:
        wrong.append(f"{actor}: refused, but the page shows {case.marker!r}")
    web_page = actor in BROWSER and not case.route.startswith(("/api/", "/dev-idp/"))
    if got == 404 and web_page and NOT_FOUND not in response.text:
        wrong.append(f"{actor}: 404, but not the page of an unknown address")
    shown = [text for text in FOREIGN.get(actor, ()) if text in response.text]
    if response.status_code == 200 and shown:
        wrong.append(f"{actor}: the page shows what is not theirs: {shown}")
    return wrong


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_authorisation_matrix(matrix: Matrix, case: Case) -> None:
    assert set(case.expect) in (set(BROWSER), set(ACTORS)), "a row names every visitor"
    wrong = []
    for actor in _order(case):
        probe = case.probe if case.expect[actor] in REFUSALS else None
        before = matrix.db(probe) if probe else None
        wrong += _wrong(case, actor, _send(matrix, case, actor))
        if probe and matrix.db(probe) != before:
            wrong.append(f"{actor}: refused, but the database changed")
    assert not wrong, f"{case.id}:\n" + "\n".join(wrong)


# --- every route has its row -------------------------------------------------------------------


def app_routes(app: Starlette) -> set[tuple[str, str]]:
    """Every (method, path) the app answers, mounted sub-apps included (HEAD goes with GET)."""
    found: set[tuple[str, str]] = set()

    def walk(routes: list[Any], prefix: str) -> None:
        for route in routes:
            if isinstance(route, Mount):
                inner = getattr(route.app, "routes", None)
                if inner is not None:
                    walk(list(inner), prefix + route.path)
                else:  # a mounted app (static files): everything below it
                    found.add(("GET", prefix + route.path + "/{path:path}"))
            elif isinstance(route, Route):
                for method in route.methods or ("GET",):
                    if method != "HEAD":
                        found.add((method, prefix + route.path))
            else:
                raise AssertionError(f"a route of an unknown kind: {route!r}")

    walk(list(app.routes), "")
    return found


def test_every_route_is_in_the_matrix(tmp_path: Path) -> None:
    app = build_app(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}", tmp_path, **ZGW))
    routes = app_routes(app)
    assert ("POST", "/kcc/antwoorden/signalen/{flag_id}") in routes
    assert ("GET", "/dev-idp/jwks") in routes and ("GET", "/static/{path:path}") in routes
    covered = {(case.method, case.route) for case in CASES}
    missing = sorted(routes - covered)
    assert not missing, f"routes without a row in the authorisation matrix: {missing}"
    assert not covered - routes, f"rows of routes that do not exist: {sorted(covered - routes)}"

