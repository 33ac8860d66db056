"""The citizen's side of issue 16: pages that name the party acted for instead of "u", whose
notification settings the settings page shows under "namens", searching answers by the last
word's beginning (with a live region for the count), and a question or reply typed after the
session expired that is kept for the same person and put back after logging in again."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from conftest import Auth, Runner, form_fields
from mijn.mandates.models import Mandate
from mijn.parties.models import Party
from mijn.questions.models import Question
from mijn.sessions.models import WebSession

JAN_DOSSIER = "Z-2026-0001"
TEXT = "Mijn dakkapel: mag de aannemer al beginnen? Ik wacht al lang op een antwoord. " * 3


def _bewind(run: Runner) -> int:
    async def mid(session: AsyncSession) -> int:
        found = await session.scalar(select(Mandate.id).where(Mandate.external_id == "demo-bewind"))
        assert found is not None
        return found

    result: int = run(mid)
    return result


def _act_for_jan(client: TestClient, auth: Auth, run: Runner) -> None:
    auth.login("demo-sanne")
    done = client.post("/mijn/namens", data={"csrf_token": auth.csrf(), "keuze": str(_bewind(run))})
    assert done.status_code == 303


def _expire(run: Runner) -> None:
    async def move(session: AsyncSession) -> None:
        for row in await session.scalars(select(WebSession)):
            row.last_seen_at -= timedelta(minutes=16)

    run(move)


def _textarea(page: str) -> str:
    found = re.search(r'<textarea[^>]*name="body"[^>]*>([^<]*)</textarea>', page)
    assert found, "no text area"
    return found.group(1)


# --- acting for someone: the party is named -------------------------------------------------


def test_asking_and_a_thread_for_someone_name_that_party(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    _act_for_jan(client, auth, run)
    dossier = client.get(f"/mijn/dossiers/{JAN_DOSSIER}").text
    assert "Antwoorden bij dit dossier van Jan Jansen" in dossier
    assert "Stel hier een vraag namens Jan Jansen." in dossier
    form = client.get("/mijn/vragen/nieuw").text
    assert "Stel een vraag namens Jan Jansen" in form
    assert "Terug naar de vragen van Jan Jansen" in form
    fields = form_fields(form)
    fields.update(topic="1", body="Wanneer hoort Jan iets over de dakkapel?",
                  dossier=JAN_DOSSIER, suggestions_seen="1")
    sent = client.post("/mijn/vragen", data=fields)
    assert sent.status_code == 303, sent.text
    thread = client.get(sent.headers["location"]).text
    assert "De vraag namens Jan Jansen is verstuurd" in thread
    assert "Uw vraag is verstuurd" not in thread
    assert "Uw reactie namens Jan Jansen" in thread
    assert "Dit is een vraag van Jan Jansen." in thread
    assert "Geen vragen meer: de vraag van Jan Jansen sluiten" in thread
    assert "Ik heb geen vragen meer" not in thread


def test_jan_himself_still_reads_uw(client: TestClient, auth: Auth, demo: None) -> None:
    auth.login("demo-jan")
    form = client.get("/mijn/vragen/nieuw").text
    assert "Stel een vraag namens" not in form and "Terug naar mijn vragen" in form
    fields = form_fields(form)
    fields.update(topic="1", body="Wanneer hoor ik iets over de dakkapel?", suggestions_seen="1")
    thread = client.get(client.post("/mijn/vragen", data=fields).headers["location"]).text
    assert "Uw vraag is verstuurd" in thread and "namens" not in thread.split("<main")[1]
    assert "Ik heb geen vragen meer: sluiten" in thread


# --- whose notification settings ------------------------------------------------------------


def test_a_representative_sees_and_changes_only_her_own_settings(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    _act_for_jan(client, auth, run)
    page = client.get("/mijn/instellingen")
    assert page.status_code == 200
    assert "Zo krijgt u zelf bericht" in page.text
    assert "Dit zijn uw eigen instellingen, niet die van Jan Jansen." in page.text
    assert "sanne.devries@example.org" in page.text
    assert "Zo krijgt u zelf bericht" in client.get("/mijn/berichten").text
    saved = client.post("/mijn/instellingen", data={"csrf_token": auth.csrf(), "channel": "portal",
                                                    "email": "sanne.devries@example.org"})
    assert saved.status_code == 303

    async def choices(session: AsyncSession) -> dict[str, bool]:
        rows = await session.execute(select(Party.name, Party.notify_by_email)
                                     .where(Party.name.in_(("Jan Jansen", "Sanne de Vries"))))
        return {name: notify for name, notify in rows.all()}

    assert run(choices) == {"Jan Jansen": True, "Sanne de Vries": False}


def test_a_company_employee_is_told_the_settings_are_the_company_s(
    client: TestClient, auth: Auth, demo: None
) -> None:
    auth.login("demo-karin", audience="business")
    page = client.get("/mijn/instellingen").text
    assert "Zo krijgt Bakkerij De Korenschoof bericht" in page
    assert "Iedereen die namens Bakkerij De Korenschoof inlogt" in page


# --- searching answers while typing ---------------------------------------------------------


def test_the_last_word_is_a_prefix_and_the_count_is_announced(
    client: TestClient, demo: None
) -> None:
    typing = client.get("/antwoorden", params={"q": "paspo"}, headers={"HX-Request": "true"})
    assert typing.status_code == 200
    assert "paspoort" in typing.text.lower()
    live = re.search(r'<p [^>]*id="zoek-aantal"[^>]* hx-swap-oob="innerHTML">([^<]+)</p>',
                     typing.text)
    assert live and re.fullmatch(r"\d+ antwoord(en)? gevonden", live.group(1))
    page = client.get("/antwoorden", params={"q": "paspo"})  # without JavaScript: Enter
    assert 'id="zoek-aantal" role="status">' in page.text and "hx-swap-oob" not in page.text
    assert typing.text.index('id="resultaten"') < typing.text.index('id="zoek-aantal"')
    assert live.group(1) in page.text
    assert 'aria-describedby="zoek-aantal"' in page.text


# --- nothing typed is lost when the session expired ------------------------------------------


def test_a_question_sent_after_the_session_expired_comes_back_after_logging_in(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    auth.login("demo-jan")
    fields = form_fields(client.get("/mijn/vragen/nieuw", params={"dossier": JAN_DOSSIER}).text)
    _expire(run)
    fields.update(topic="1", body=TEXT)
    sent = client.post("/mijn/vragen", data=fields)
    assert sent.status_code == 303
    login = sent.headers["location"]
    assert login.startswith("/inloggen?") and "reden=verlopen" in login
    assert "dakkapel" not in login.lower() and "aannemer" not in login  # no text in addresses
    assert any(c.startswith("mijn_bewaard") for c in client.cookies)
    assert TEXT[:20] not in "".join(client.cookies.values())  # encrypted, not readable

    async def asked(session: AsyncSession) -> int:
        return len(list(await session.scalars(select(Question))))

    before = run(asked)
    auth.login("demo-jan", next_url=f"/mijn/vragen/nieuw?dossier={JAN_DOSSIER}")
    page = client.get("/mijn/vragen/nieuw", params={"dossier": JAN_DOSSIER})
    assert "Wij hebben uw tekst bewaard, maar nog niet verstuurd." in page.text
    assert _textarea(page.text).strip() == TEXT.strip()
    assert run(asked) == before  # nothing was sent behind the citizen's back
    again = client.get("/mijn/vragen/nieuw", params={"dossier": JAN_DOSSIER}).text
    assert "tekst bewaard" not in again and _textarea(again) == ""  # once only


def test_a_kept_text_goes_back_only_to_the_same_person(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    auth.login("demo-jan")
    fields = form_fields(client.get("/mijn/vragen/nieuw").text)
    _expire(run)
    fields.update(topic="1", body="Nog een vraag over mijn dakkapel.")
    assert "/inloggen?" in client.post("/mijn/vragen", data=fields).headers["location"]
    # Someone else logs in at the same browser: the text is not shown, and is forgotten.
    auth.login("demo-fatima", next_url="/mijn/vragen/nieuw")
    other = client.get("/mijn/vragen/nieuw").text
    assert "dakkapel" not in other and "tekst bewaard" not in other
    assert not any(c.startswith("mijn_bewaard") for c in client.cookies)
    auth.login("demo-jan", next_url="/mijn/vragen/nieuw")
    assert "dakkapel" not in client.get("/mijn/vragen/nieuw").text


def test_a_reply_kept_comes_back_on_the_thread(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    auth.login("demo-jan")
    fields = form_fields(client.get("/mijn/vragen/nieuw").text)
    fields.update(topic="1", body="Een eerste vraag van Jan.", suggestions_seen="1")
    thread_url = client.post("/mijn/vragen", data=fields).headers["location"].split("?")[0]
    form = form_fields(client.get(thread_url).text)
    _expire(run)
    htmx = client.post(f"{thread_url}/reactie", data={**form, "body": "Nog een vraag."},
                       headers={"HX-Request": "true"})
    assert htmx.status_code == 204 and htmx.headers["HX-Redirect"].startswith("/inloggen?")
    assert "mijn_bewaard0" in htmx.headers["set-cookie"]
    reply = client.post(f"{thread_url}/reactie", data={**form, "body": "Nog een vraag."})
    assert reply.status_code == 303
    assert f"next={thread_url.replace('/', '%2F')}" in reply.headers["location"]
    auth.login("demo-jan", next_url=thread_url)
    page = client.get(thread_url).text
    assert "Wij hebben uw tekst bewaard" in page and _textarea(page) == "Nog een vraag."


def test_a_forged_or_foreign_kept_text_is_refused(
    client: TestClient, auth: Auth, demo: None
) -> None:
    auth.login("demo-jan")
    client.cookies.set("mijn_bewaard0", "gAAAAAnep", path="/mijn")
    page = client.get("/mijn/vragen/nieuw").text
    assert "tekst bewaard" not in page and _textarea(page) == ""
