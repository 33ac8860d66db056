"""Plain labels for the citizen: a question is titled by its first words (not by its topic or
its reference), the inbox says what changed (the new status, the question's first words),
and someone acting for another party reads "van/namens <party>" instead of "uw"."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient
from test_kcc_http import Ids, ask, card, post, reference_of
from test_kcc_http import ids as ids  # noqa: F401 - the fixture
from test_mandates import _mandate_ids, switch
from test_notifications import change_status_of_type

from conftest import Auth, Runner, form_fields
from mijn.dossiers.models import Dossier
from mijn.questions.titles import short_title

JAN_DOSSIER, JAN_TITLE = "Z-2026-0001", "Dakkapel aan de achterkant"
LONG = "Moet ik nog tekeningen opsturen voor de dakkapel aan de achterkant van mijn huis?"


@pytest.mark.parametrize(("body", "title"), [
    ("Mag het raam groter?", "Mag het raam groter?"),
    ("  Mag   het\nraam\tgroter?  ", "Mag het raam groter?"),  # one line, single spaces
    (LONG, "Moet ik nog tekeningen opsturen voor de dakkapel…"),  # 8 words
    ("Subsidieaanvraagformulier " * 3, "Subsidieaanvraagformulier Subsidieaanvraagformulier…"),
    ("x" * 70, "x" * 60 + "…"),  # one word longer than a title: cut
    ("Een twee drie vier vijf zes zeven acht", "Een twee drie vier vijf zes zeven acht"),
])
def test_a_title_is_the_first_words_cut_at_a_word(body: str, title: str) -> None:
    assert short_title(body) == title
    assert len(short_title(body)) <= 61


def test_a_question_is_titled_by_its_first_words_everywhere(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    auth.login("demo-jan")
    fields = form_fields(client.get(f"/mijn/dossiers/{JAN_DOSSIER}").text)
    fields.update(topic=str(ids.topics["vergunning"]), body=LONG, suggestions_seen="1")
    reference = reference_of(client.post("/mijn/vragen", data=fields))
    title = "Moet ik nog tekeningen opsturen voor de dakkapel…"

    listing = html.unescape(client.get("/mijn/vragen").text)
    mine = card(listing, reference)
    assert f">{title}</a></h3>" in mine and "Vraag over:" not in mine
    assert "Onderwerp" in mine and reference in mine  # the topic and reference stay as facts
    page = html.unescape(client.get(f"/mijn/vragen/{reference}").text)
    assert f'<h1 class="utrecht-heading-1">{title}</h1>' in page
    assert f"<title>{title}" in page
    dossier = html.unescape(client.get(f"/mijn/dossiers/{JAN_DOSSIER}").text)
    assert f'href="/mijn/vragen/{reference}">{title}</a> · {reference}' in dossier

    auth.login_staff("demo-agent")
    token = auth.csrf()
    reply = post(client, f"/kcc/vragen/{reference}/reply", {"body": "Nee, dat hoeft niet."}, token)
    assert reply.status_code == 303
    inbox = html.unescape(client.get("/mijn/berichten").text)
    assert f'Er is een antwoord op uw vraag: <a class="utrecht-link" href="/mijn/vragen/{reference}">“{title}”</a>' in inbox


def test_a_short_question_is_its_own_title(
    client: TestClient, auth: Auth, ids: Ids
) -> None:
    auth.login("demo-jan")
    reference = reference_of(ask(client, auth.csrf(), ids, "Hoe lang duurt een vergunning?"))
    mine = card(client.get("/mijn/vragen").text, reference)
    assert ">Hoe lang duurt een vergunning?</a></h3>" in mine


def test_texts_say_for_whom_one_acts(client: TestClient, auth: Auth, demo: None, run: Runner) -> None:
    auth.login("demo-sanne")
    switch(client, auth, _mandate_ids(run)["demo-bewind"])
    questions = client.get("/mijn/vragen").text
    assert "Vragen van Jan Jansen" in questions and "Mijn vragen</h1>" not in questions
    assert "de vragen die namens Jan Jansen aan ons zijn gesteld" in questions
    assert "Vragen namens Jan Jansen" in questions and "Uw vragen" not in questions
    assert "Contact van Jan Jansen met ons" in questions
    inbox = client.get("/mijn/berichten").text
    assert "Berichten voor Jan Jansen" in inbox
    assert "in de dossiers en vragen van Jan Jansen" in inbox and "in uw dossiers" not in inbox
    reference = questions.split('href="/mijn/vragen/V-', 1)[1].split('"', 1)[0]
    page = client.get(f"/mijn/vragen/V-{reference}").text
    assert "Terug naar de vragen van Jan Jansen" in page

    assert switch(client, auth, "zelf").status_code == 303  # herself: "uw" again
    own = client.get("/mijn/vragen").text
    assert "Mijn vragen</h1>" in own and "Uw vragen" in own and "Jan Jansen" not in own
    assert "in uw dossiers en vragen" in client.get("/mijn/berichten").text


def test_status_news_for_a_represented_party_names_the_status(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    async def dossier_id(session: AsyncSession) -> int:
        found = await session.scalar(select(Dossier.id).where(Dossier.reference == JAN_DOSSIER))
        assert found is not None
        return found

    status = run(change_status_of_type, run(dossier_id))
    auth.login("demo-sanne")
    switch(client, auth, _mandate_ids(run)["demo-bewind"])
    inbox = html.unescape(client.get("/mijn/berichten").text)
    assert f"Nieuwe status: {status} – " in inbox and JAN_TITLE in inbox
