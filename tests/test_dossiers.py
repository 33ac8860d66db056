"""Mijn dossiers: the overview, tabs and paging, a dossier's page, the audit of views."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from conftest import Auth, Runner
from mijn.audit.models import AuditEvent
from mijn.dossiers.models import Dossier, StatusEvent


def test_overview_lists_open_dossiers_first_with_their_facts(client: TestClient, auth: Auth, demo: None) -> None:
    auth.login("demo-jan")
    page = client.get("/mijn/dossiers")
    assert page.status_code == 200
    text = page.text
    assert "Dakkapel aan de achterkant" in text  # open case
    assert "Lantaarnpaal doet het niet" not in text  # closed report: other tab
    assert "Z-2026-0001" in text
    assert "Omgevingsvergunning" in text and "In behandeling" in text
    assert "Telefoon" in text and "Partnerorganisatie" in text  # channels of origin
    assert "Lopend <span class=\"mijn-count\">(5)</span>" in text
    assert "Afgerond <span class=\"mijn-count\">(12)</span>" in text
    assert "Termijn verstreken" in text  # the subsidy is overdue


def test_closed_tab_pages_without_javascript(client: TestClient, auth: Auth, demo: None) -> None:
    auth.login("demo-jan")
    first = client.get("/mijn/dossiers?tab=closed")
    second = client.get("/mijn/dossiers?tab=closed&pagina=2")
    assert "Pagina 1 van 2" in first.text and 'rel="next"' in first.text
    assert "Pagina 2 van 2" in second.text and 'rel="prev"' in second.text
    assert first.text.count('class="mijn-card"') == 10
    assert second.text.count('class="mijn-card"') == 2
    assert "Lantaarnpaal doet het niet" in first.text + second.text


def test_htmx_gets_only_the_listing_fragment(client: TestClient, auth: Auth, demo: None) -> None:
    auth.login("demo-jan")
    fragment = client.get("/mijn/dossiers?tab=closed", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="dossiers"')
    assert "<html" not in fragment.text
    assert "HX-Request" in fragment.headers["vary"]


def test_out_of_range_page_shows_the_last_page(client: TestClient, auth: Auth, demo: None) -> None:
    auth.login("demo-jan")
    page = client.get("/mijn/dossiers?tab=closed&pagina=99")
    assert page.status_code == 200 and "Pagina 2 van 2" in page.text


def test_empty_overview_says_so(client: TestClient, auth: Auth, demo: None) -> None:
    auth.login("demo-sanne")
    page = client.get("/mijn/dossiers")
    assert "geen lopende aanvragen of meldingen" in page.text


def test_detail_shows_timeline_next_step_and_department(client: TestClient, auth: Auth, demo: None) -> None:
    auth.login("demo-jan")
    page = client.get("/mijn/dossiers/Z-2026-0001")
    assert page.status_code == 200
    text = page.text
    assert "Vergunningen" in text  # department
    assert "Een vakspecialist beoordeelt uw aanvraag" in text  # what happens now
    assert "De volgende stap is: Gepubliceerd. Die is nog niet gezet." in text
    assert text.index("In behandeling</h3>") < text.index("Ontvangen</h3>")  # newest first
    assert "Website" in text


def test_detail_of_overdue_dossier_says_it_is_late(client: TestClient, auth: Auth, demo: None) -> None:
    auth.login("demo-jan")
    page = client.get("/mijn/dossiers/Z-2026-0002")
    assert "Dit duurt langer dan verwacht" in page.text


def test_closed_dossier_has_no_next_step(client: TestClient, auth: Auth, demo: None) -> None:
    auth.login("demo-jan")
    page = client.get("/mijn/dossiers/M-2026-0004")
    assert "Afgerond op" in page.text and "De volgende stap" not in page.text
    assert "Hoe is het afgelopen?" in page.text and "Dit dossier is afgerond op" in page.text


def _steps(html: str) -> list[tuple[str, str, bool]]:
    """The stepper's items: (state, title, marked as the current step)."""
    found = re.findall(r'<li class="mijn-steps__item mijn-steps__item--(\w+)"( aria-current="step")?>\s*'
                       r'<span class="mijn-steps__title">([^<]*)</span>', html)
    return [(state, title, bool(current)) for state, current, title in found]


def test_detail_shows_every_step_of_the_type_in_order(
    client: TestClient, auth: Auth, demo: None
) -> None:
    auth.login("demo-jan")
    page = client.get("/mijn/dossiers/Z-2026-0001")
    steps = _steps(page.text)
    assert len(steps) >= 3, steps
    states = [state for state, _title, _current in steps]
    current = states.index("current")
    assert set(states[:current]) == {"done"} and set(states[current + 1:]) == {"todo"}
    assert [title for _s, title, marked in steps if marked] == ["In behandeling"]
    assert steps[current - 1][1] == "Ontvangen" and steps[current + 1][1] == "Gepubliceerd"
    assert "Gedaan op" in page.text and "Hier zijn we nu" in page.text and "Nog niet" in page.text


def test_a_closed_dossier_has_every_step_done(client: TestClient, auth: Auth, demo: None) -> None:
    auth.login("demo-jan")
    page = client.get("/mijn/dossiers/M-2026-0004")
    steps = _steps(page.text)
    done = [title for state, title, _marked in steps if state == "done"]
    assert done and not any(marked for _s, _t, marked in steps)
    assert f"met: {done[-1]}." in page.text or "Dit dossier is afgerond op" in page.text


def test_the_dossiers_own_explanation_comes_before_the_general_text(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    async def explain(session: AsyncSession) -> None:
        dossier = await session.scalar(select(Dossier).where(Dossier.reference == "Z-2026-0001"))
        assert dossier is not None
        latest = (await session.scalars(select(StatusEvent).where(
            StatusEvent.dossier_id == dossier.id).order_by(StatusEvent.occurred_at.desc()))).first()
        assert latest is not None
        latest.explanation = "Wij wachten op het advies van de welstandscommissie."
        await session.commit()

    run(explain)
    auth.login("demo-jan")
    text = client.get("/mijn/dossiers/Z-2026-0001").text
    now = text[text.index('id="nu-kop"'):text.index('id="stappen-kop"')]
    assert "Wij wachten op het advies van de welstandscommissie." in now
    assert "Een vakspecialist beoordeelt uw aanvraag" not in now


def test_every_view_of_a_dossier_is_audited(client: TestClient, auth: Auth, demo: None, run: Runner) -> None:
    auth.login("demo-jan")
    client.get("/mijn/dossiers/Z-2026-0001")
    client.get("/mijn/dossiers/Z-2026-0001")

    async def count(session: AsyncSession) -> int:
        return int(await session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "dossier.view")
        ) or 0)

    assert run(count) == 2
