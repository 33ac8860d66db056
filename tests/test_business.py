"""Businesses: employees log in for their company (eHerkenning, or a KBO number), see the
company's dossiers or only their branch's, and ask questions that carry their name.

The authorisation matrix: every business persona against every business dossier (and a
citizen's): what is not theirs answers 404, exactly like an unknown reference."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from conftest import Auth, Runner, form_fields
from mijn.audit.models import AuditEvent
from mijn.dev.personas import BAKERY_BRANCH
from mijn.http.login.claims import branch_number, company_identifier, employee_ref
from mijn.parties.models import Party
from mijn.parties.service import InvalidIdentifier
from mijn.questions.models import Question, QuestionEvent, QuestionMessage

TITLES = {
    "Z-2026-0201": "Uitbreiding bakkerij",
    "Z-2026-0202": "Subsidie zonnepanelen bedrijfspand",
    "M-2026-0203": "Laadperron geblokkeerd",
    "Z-2026-0204": "Terras voor de winkel in het centrum",
    "Z-2026-0301": "Subsidie elektrische bedrijfsbus",
    "Z-2026-0401": "Proeflokaal aan de haven",
    "Z-2026-0001": "Dakkapel aan de achterkant",  # Jan's, a citizen
}
SEES = {
    "demo-karin": {"Z-2026-0201", "Z-2026-0202", "M-2026-0203", "Z-2026-0204"},  # company A
    "demo-ahmed": {"M-2026-0203", "Z-2026-0204"},  # company A, one branch
    "demo-pieter": {"Z-2026-0301"},  # company B
    "demo-lien": {"Z-2026-0401"},  # a Belgian company (KBO)
}
COMPANY = {"demo-karin": "Bakkerij De Korenschoof", "demo-ahmed": "Bakkerij De Korenschoof",
           "demo-pieter": "Installatiebedrijf Bos", "demo-lien": "Brouwerij Peeters"}


def login(auth: Auth, persona: str) -> None:
    done = auth.login(persona, audience="business")
    assert done.headers["location"] == "/mijn/dossiers"


@pytest.mark.parametrize("persona", sorted(SEES))
def test_each_employee_sees_exactly_their_company_or_branch(
    client: TestClient, auth: Auth, demo: None, persona: str
) -> None:
    login(auth, persona)
    overview = client.get("/mijn/dossiers")
    assert overview.status_code == 200
    closed = client.get("/mijn/dossiers?tab=closed").text
    for reference, title in TITLES.items():
        detail = client.get(f"/mijn/dossiers/{reference}")
        if reference in SEES[persona]:
            assert detail.status_code == 200, (persona, reference)
            assert title in overview.text + closed
        else:
            assert detail.status_code == 404, (persona, reference)
            assert title not in detail.text and title not in overview.text + closed
    # The header says for whom they act.
    assert f"U handelt namens {COMPANY[persona]}" in overview.text


def test_header_names_the_employee_and_the_branch(client: TestClient, auth: Auth, demo: None) -> None:
    login(auth, "demo-ahmed")
    page = client.get("/mijn/dossiers").text
    assert "U handelt namens Bakkerij De Korenschoof" in page
    assert f"vestiging {BAKERY_BRANCH}" in page and "Ingelogd als Ahmed Yilmaz." in page
    assert f"uw vestiging ({BAKERY_BRANCH})" in page


def test_a_belgian_company_logs_in_with_its_kbo_number(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    login(auth, "demo-lien")

    async def party(session: AsyncSession) -> tuple[str, str, str]:
        found = await session.scalar(select(Party).where(Party.name == "Brouwerij Peeters"))
        assert found is not None
        return found.kind, found.identifier_type, found.identifier

    assert run(party) == ("organisation", "kbo", "0403170701")


def test_a_citizen_session_is_no_business_session(client: TestClient, auth: Auth, demo: None) -> None:
    auth.login("demo-jan")
    for reference in SEES["demo-karin"]:
        assert client.get(f"/mijn/dossiers/{reference}").status_code == 404


def _ask(client: TestClient, body: str, dossier: str = "") -> str:
    fields = form_fields(client.get("/mijn/vragen/nieuw").text)
    response = client.post("/mijn/vragen", data={
        "csrf_token": fields["csrf_token"], "submit_key": fields["submit_key"],
        "suggestions_seen": "1",  # as after the suggested answers came while typing
        "topic": _topic(client), "body": body, "dossier": dossier,
    })
    assert response.status_code == 303, response.text
    return str(response.headers["location"]).split("?")[0].rsplit("/", 1)[1]


def _topic(client: TestClient) -> str:
    """The first real topic of the ask form (the first option is "choose a topic")."""
    page: str = client.get("/mijn/vragen/nieuw").text
    return page.split('<option value="', 2)[2].split('"', 1)[0]


def test_a_question_belongs_to_the_company_and_carries_the_employees_name(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    login(auth, "demo-karin")
    karins = _ask(client, "Wanneer hoort de bakkerij iets over de uitbreiding?", "Z-2026-0201")
    page = client.get(f"/mijn/vragen/{karins}").text
    assert "Gesteld door" in page and "Karin Smit" in page and "Karin Smit schreef" in page

    async def stored(session: AsyncSession) -> tuple[Question, QuestionMessage, QuestionEvent, Party]:
        question = await session.scalar(select(Question).where(Question.reference == karins))
        assert question is not None
        message = await session.scalar(
            select(QuestionMessage).where(QuestionMessage.question_id == question.id))
        event = await session.scalar(
            select(QuestionEvent).where(QuestionEvent.question_id == question.id))
        company = await session.get(Party, question.party_id)
        assert message is not None and event is not None and company is not None
        return question, message, event, company

    question, message, event, company = run(stored)
    assert company.name == "Bakkerij De Korenschoof" and company.identifier_type == "kvk"
    assert question.asked_by_name == "Karin Smit" and question.branch is None
    assert message.author_name == "Karin Smit"
    # Both identities: the employee (a pseudonym, no raw identifier) and the company.
    assert event.actor_type == "employee" and event.actor_ref and event.actor_ref.startswith("emp:")
    assert event.on_behalf_of_id == company.id

    # Everyone of the company sees it; another company does not.
    auth.logout()
    login(auth, "demo-pieter")
    assert client.get(f"/mijn/vragen/{karins}").status_code == 404
    assert "Karin Smit" not in client.get("/mijn/vragen").text


def test_a_branch_employee_asks_for_the_branch_and_sees_only_its_questions(
    client: TestClient, auth: Auth, demo: None
) -> None:
    login(auth, "demo-karin")
    company_wide = _ask(client, "Een vraag over het hele bedrijf.")
    auth.logout()
    login(auth, "demo-ahmed")
    # A dossier of the company outside his branch cannot be chosen: as unknown.
    fields = form_fields(client.get("/mijn/vragen/nieuw").text)
    refused = client.post("/mijn/vragen", data={
        "csrf_token": fields["csrf_token"], "submit_key": fields["submit_key"],
        "suggestions_seen": "1",  # as after the suggested answers came while typing
        "topic": _topic(client), "body": "Over de uitbreiding", "dossier": "Z-2026-0201",
    })
    assert refused.status_code == 422
    branch_question = _ask(client, "Mag het terras groter?", "Z-2026-0204")
    assert client.get(f"/mijn/vragen/{branch_question}").status_code == 200
    assert client.get(f"/mijn/vragen/{company_wide}").status_code == 404
    listing = client.get("/mijn/vragen").text
    assert branch_question in listing and company_wide not in listing
    auth.logout()
    login(auth, "demo-karin")  # the whole company: both
    listing = client.get("/mijn/vragen").text
    assert branch_question in listing and company_wide in listing and "Ahmed Yilmaz" in listing


def test_viewing_a_dossier_is_audited_with_the_employee_and_the_company(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    login(auth, "demo-ahmed")
    assert client.get("/mijn/dossiers/Z-2026-0204").status_code == 200

    async def audit(session: AsyncSession) -> list[tuple[str, str, str | None, str]]:
        rows = await session.execute(
            select(AuditEvent.actor_type, AuditEvent.actor_id, AuditEvent.actor_role, Party.name)
            .join(Party, Party.id == AuditEvent.party_id)
            .where(AuditEvent.action == "dossier.view"))
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]

    [(actor_type, actor_id, role, company)] = run(audit)
    assert actor_type == "employee" and actor_id.startswith("emp:") and role == "employee"
    assert company == "Bakkerij De Korenschoof"


@pytest.mark.parametrize(("raw", "expected"), [
    ("69599084", ("kvk", "69599084")),
    ("urn:etoegang:1.9:EntityConcernedID:KvKnr:69599084", ("kvk", "69599084")),
    ("0403.170.701", ("kbo", "0403170701")),
    ("BE0403170701", ("kbo", "0403170701")),
])
def test_company_numbers_from_claims(raw: str, expected: tuple[str, str]) -> None:
    assert company_identifier(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "1234567", "0403170702", True, "abcdefgh"])
def test_a_missing_or_invalid_company_number_is_refused(raw: object) -> None:
    with pytest.raises(InvalidIdentifier):
        company_identifier(raw)


def test_branch_numbers_from_claims() -> None:
    assert branch_number(None) is None and branch_number("") is None
    assert branch_number(BAKERY_BRANCH) == BAKERY_BRANCH
    assert branch_number([BAKERY_BRANCH]) == BAKERY_BRANCH
    for bad in ("12345", "00003850950x", [BAKERY_BRANCH, BAKERY_BRANCH]):
        with pytest.raises(InvalidIdentifier):
            branch_number(bad)


def test_employee_pseudonyms_are_stable_and_per_provider() -> None:
    one = employee_ref("https://broker", "abc")
    assert one == employee_ref("https://broker", "abc") and one.startswith("emp:")
    assert one != employee_ref("https://other", "abc") and "abc" not in one


async def _news(session: AsyncSession, references: tuple[str, ...]) -> None:
    """A new status on each of these dossiers: news in the company's inbox."""
    from datetime import UTC, datetime

    from mijn.dossiers.changes import record_status, status_type
    from mijn.dossiers.models import Dossier

    for reference in references:
        dossier = await session.scalar(select(Dossier).where(Dossier.reference == reference))
        assert dossier is not None
        status = await status_type(session, dossier.dossier_type_id, "ontvangen")
        await record_status(session, dossier, status, datetime.now(UTC))


def test_a_branch_employee_hears_only_of_the_branch(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    run(_news, ("Z-2026-0201", "Z-2026-0204"))  # company-wide, and the branch's
    login(auth, "demo-ahmed")
    page = client.get("/mijn/dossiers").text
    assert '<span class="mijn-badge">1<' in page
    inbox = client.get("/mijn/berichten").text
    assert "Terras voor de winkel in het centrum" in inbox
    assert "Uitbreiding bakkerij" not in inbox
    # The company's address is not the branch's to change.
    assert "Zo krijgt u bericht" not in inbox
    assert client.get("/mijn/instellingen").status_code == 403
    changed = client.post("/mijn/instellingen", data={
        "csrf_token": auth.csrf(), "channel": "email", "email": "filiaal@example.org"})
    assert changed.status_code == 403
    auth.logout()
    login(auth, "demo-karin")  # the other news is still new for the company
    assert '<span class="mijn-badge">1<' in client.get("/mijn/dossiers").text
    assert "Uitbreiding bakkerij" in client.get("/mijn/berichten").text
    assert client.get("/mijn/instellingen").status_code == 200


def test_the_kcc_sees_which_employee_asked_for_the_company(
    client: TestClient, auth: Auth, demo: None
) -> None:
    login(auth, "demo-ahmed")
    reference = _ask(client, "Mag het terras groter?", "Z-2026-0204")
    auth.login_staff("demo-agent")
    page = client.get(f"/kcc/vragen/{reference}").text
    assert "Ahmed Yilmaz (namens de klant)" in page and f"vestiging {BAKERY_BRANCH}" in page
    assert "Klant · Ahmed Yilmaz" in page


def test_a_dossier_page_lists_the_questions_about_it_in_the_visitors_scope(
    client: TestClient, auth: Auth, demo: None
) -> None:
    """The dossier page's questions (read in the page's one statement, issue 17): about
    this dossier only, newest first, titled by their first message, with who asked; a
    question about a branch's dossier is the branch's (its employees see it), another
    company's visitor gets a 404, not the list."""
    login(auth, "demo-karin")
    company = _ask(client, "Wanneer is de vergunning voor het terras klaar?", "Z-2026-0204")
    elsewhere = _ask(client, "Een vraag over de uitbreiding.", "Z-2026-0201")
    auth.logout()
    login(auth, "demo-ahmed")
    branch = _ask(client, "Mag het terras groter?", "Z-2026-0204")
    for who in ("demo-ahmed", "demo-karin"):
        auth.logout()
        login(auth, who)
        section = client.get("/mijn/dossiers/Z-2026-0204").text.split('id="vragen-kop"', 1)[1]
        assert section.index(branch) < section.index(company)  # newest first
        assert "Mag het terras groter?" in section and "gesteld door Ahmed Yilmaz" in section
        assert "Wanneer is de vergunning voor het terras klaar?" in section
        assert "gesteld door Karin Smit" in section and elsewhere not in section
    auth.logout()
    login(auth, "demo-pieter")
    assert client.get("/mijn/dossiers/Z-2026-0204").status_code == 404
