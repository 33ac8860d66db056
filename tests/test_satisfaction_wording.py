"""Satisfaction (KTO) in the organisation's own words, on SQLite and PostgreSQL: a theme that
gives its own question and e-mail sentence per kind (question, callback, dossier) has them on
the portal's form, in the e-mail and on the link's page, in Dutch and in English; the kinds it
gives nothing for keep Mijn's own wording."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient
from test_dossier_satisfaction import _close, _jan_dossiers
from test_kcc_http import Ids
from test_kcc_http import ids as ids  # noqa: F401 - the fixture
from test_satisfaction import _answered_ago, _verify_jan

from conftest import BASE_URL, Auth, Runner, make_settings
from mijn.http.common import LANG_COOKIE
from mijn.notifications.mail import compose_survey
from mijn.notifications.models import Notification
from mijn.questions.invitations import invite_due
from mijn.questions.models import Question
from mijn.settings import Settings
from mijn.theme import DEFAULT_THEME

OWN = {
    "question": ("Hielp ons antwoord u verder?", "Did our answer help you?"),
    "callback": ("Hielp ons telefoontje u verder?", "Did our call help you?"),
    "dossier": ("Hoe vond u het verloop van uw zaak?", "How did your case go for you?"),
}
INVITES = {
    "question": ("{org} wil graag weten of ons antwoord hielp.",
                 "{org} would like to know whether our answer helped."),
    "callback": ("{org} belde u terug. Hielp dat?", "{org} called you back. Did it help?"),
}


def _theme(folder: Path) -> Path:
    lines = [DEFAULT_THEME.read_text(encoding="utf-8")]
    for kind, (nl, en) in OWN.items():
        lines += [f"[satisfaction.{kind}]", f'question = {{ nl = "{nl}", en = "{en}" }}']
        if kind in INVITES:
            lines.append('invitation = {{ nl = "{}", en = "{}" }}'.format(*INVITES[kind]))
    (folder / "voorbeeld-logo.svg").write_bytes(
        (DEFAULT_THEME.parent / "voorbeeld-logo.svg").read_bytes())
    path = folder / "theme.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def settings(database_url: str, data_dir: Path, tmp_path: Path) -> Settings:
    """The test settings with a theme of its own wording, asked after a dossier too."""
    return make_settings(database_url, data_dir, MIJN_THEME_FILE=str(_theme(tmp_path)),
                         MIJN_SATISFACTION_DOSSIER="five")


def _english(client: TestClient, auth: Auth) -> None:
    sent = client.post("/taal", data={"lang": "en", "next": "/", "csrf_token": auth.csrf()})
    assert sent.status_code == 303


def test_the_portal_forms_ask_in_the_themes_words(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    run(_answered_ago, ids.demo1, 2)
    closed = run(_jan_dossiers)[0].reference
    run(_close, closed, 2)
    auth.login("demo-jan")
    page = client.get(f"/mijn/vragen/{ids.demo1}").text
    assert f">{OWN['question'][0]}</legend>" in page
    assert "Hoe tevreden bent u over ons antwoord?" not in page
    assert f">{OWN['dossier'][0]}</legend>" in client.get(f"/mijn/dossiers/{closed}").text
    _english(client, auth)
    assert f">{OWN['question'][1]}</legend>" in client.get(f"/mijn/vragen/{ids.demo1}").text
    assert f">{OWN['dossier'][1]}</legend>" in client.get(f"/mijn/dossiers/{closed}").text


async def _links(session: AsyncSession, settings: Settings) -> dict[str, str]:
    """Invite now; the links by bundle key's kind (the e-mail's payload, before sending)."""
    assert await invite_due(session, settings) == 2
    found = await session.scalars(select(Notification).where(Notification.kind == "survey"))
    return {n.bundle_key.partition(":")[0]: str(n.payload) for n in found}


async def _make_callback(session: AsyncSession, reference: str) -> None:
    await session.execute(update(Question).where(Question.reference == reference)
                          .values(kind="callback", state="closed", closed_at=Question.answered_at))


def test_the_link_page_asks_in_the_themes_words_per_kind(
    client: TestClient, ids: Ids, run: Runner, settings: Settings
) -> None:
    run(_verify_jan, ids.jan)
    run(_answered_ago, ids.demo1, 2)
    run(_answered_ago, ids.demo3, 2)
    run(_make_callback, ids.demo3)
    links = run(_links, settings)
    assert set(links) == {"survey", "callbacksurvey"}  # the e-mail knows the callback
    for key, kind in (("survey", "question"), ("callbacksurvey", "callback")):
        path = links[key].removeprefix(BASE_URL)
        assert f">{OWN[kind][0]}</legend>" in client.get(path).text
        client.cookies.set(LANG_COOKIE, "en")
        english = client.get(path).text
        client.cookies.delete(LANG_COOKIE)
        assert '<html lang="en">' in english and f">{OWN[kind][1]}</legend>" in english


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_email_invites_in_the_themes_words(settings: Settings, lang: str) -> None:
    org = settings.theme.name(lang)
    at = 0 if lang == "nl" else 1
    for kind in ("question", "callback"):
        mail = compose_survey(settings, lang, "jan@example.org", f"{BASE_URL}/tevredenheid/x",
                              kind)
        body = mail.get_body(("plain",))
        assert body is not None
        text = body.get_content()
        assert INVITES[kind][at].format(org=org) in re.sub(r"\s+", " ", text)
        assert "U stelde" not in text and "You recently asked" not in text
    dossier = compose_survey(settings, lang, "jan@example.org", f"{BASE_URL}/tevredenheid/x",
                             "dossier")
    body = dossier.get_body(("plain",))
    assert body is not None and org in body.get_content()  # none given: Mijn's own sentence
