"""Dutch by default, with a complete English translation and a language switch."""

from __future__ import annotations

import re

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from starlette.testclient import TestClient

from conftest import Auth
from mijn import PROJECT_ROOT
from mijn.i18n import language

METHOD_MAP = [("mijn/**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def _source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PROJECT_ROOT), METHOD_MAP, OPTIONS, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_dutch_text_has_an_english_translation() -> None:
    with (PROJECT_ROOT / "translations/en/LC_MESSAGES/messages.po").open("rb") as po:
        catalogue = {
            (m.id[0] if isinstance(m.id, tuple) else m.id): (
                all(m.string) if isinstance(m.string, tuple) else m.string
            )
            for m in read_po(po) if m.id
        }
    messages = _source_messages()
    assert len(messages) > 50
    untranslated = sorted(m for m in messages if not catalogue.get(m))
    assert untranslated == [], "run pybabel extract/update and translate these"


def test_english_catalogue_is_used() -> None:
    assert language("en").gettext("Mijn dossiers") == "My cases"
    assert language("nl").gettext("Mijn dossiers") == "Mijn dossiers"
    assert language("xx").code == "nl"


def test_language_switch_keeps_the_page_and_translates(client: TestClient, auth: Auth, demo: None) -> None:
    auth.login("demo-jan")
    switched = client.post(
        "/taal", data={"lang": "en", "next": "/mijn/dossiers/Z-2026-0001", "csrf_token": auth.csrf()}
    )
    assert switched.status_code == 303
    assert switched.headers["location"] == "/mijn/dossiers/Z-2026-0001"
    page = client.get("/mijn/dossiers/Z-2026-0001")
    assert '<html lang="en">' in page.text
    assert "What happens now?" in page.text
    assert "A specialist is assessing your application." in page.text  # status text in English
    assert page.headers["content-language"] == "en"


DUTCH_MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
                "september", "oktober", "november", "december")
ENGLISH_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December")


def test_one_date_and_number_format_per_language(client: TestClient, auth: Auth, demo: None) -> None:
    auth.login("demo-jan")
    dutch = client.get("/mijn/dossiers/Z-2026-0001").text
    # (the demo's dates move with today's date: the day is read from the Dutch page)
    day = re.search(r"Ontvangen op</dt>\s*<dd>(\d{1,2}) (\w+) (\d{4})</dd>", dutch)
    assert "Maximaal 4.000 tekens." in dutch and day is not None
    client.post("/taal", data={"lang": "en", "next": "/", "csrf_token": auth.csrf()})
    english = client.get("/mijn/dossiers/Z-2026-0001").text
    assert "At most 4,000 characters." in english and "4.000" not in english
    # Dates with and without a time: day, month, year, in that order, also in English.
    month = dict(zip(DUTCH_MONTHS, ENGLISH_MONTHS, strict=True))[day[2]]
    assert f"{day[1]} {month} {day[3]}" in english
    assert not re.search(rf"({'|'.join(ENGLISH_MONTHS)}) \d{{1,2}}(?!\d)", english)
    assert '<h1 class="utrecht-heading-1" lang="nl">Dakkapel aan de achterkant</h1>' in english


def test_language_switch_refuses_foreign_redirects(client: TestClient, auth: Auth) -> None:
    response = client.post(
        "/taal", data={"lang": "en", "next": "//evil.example/x", "csrf_token": auth.csrf()}
    )
    assert response.headers["location"] == "/"
