"""Callbacks in working time: a window is promised only within working hours on a working
day (holidays left out) and from the next free slot on; the queue shows its window and
number; the holder records each try to call (reached, not reached, voicemail), and the
citizen reads the planned window and how each try went in plain words.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from babel.dates import format_datetime
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient
from test_kcc_http import Ids, _ids, count, next_working_day, post, question, snapshot, textarea

from conftest import Auth, Runner, form_fields, make_settings
from mijn.http.common import LOCAL_TZ
from mijn.http.kcc.parties import window_fields
from mijn.questions.callbacks import WindowError, check_window, suggest_window
from mijn.questions.models import CallbackAttempt, Question
from mijn.settings import Settings
from mijn.workingtime import WorkingCalendar, in_working_time, next_slot

AMS = ZoneInfo("Europe/Amsterdam")
FIRST = next_working_day()  # the first working day after today: callbacks go there
HOLIDAY = next_working_day(WorkingCalendar(holidays=frozenset({FIRST})))  # the one after
SATURDAY = date.today() + timedelta(days=(5 - date.today().weekday()) % 7 or 7)
FOUND = "Het eerste moment dat kan:"


@pytest.fixture
def settings(database_url: str, data_dir: Path) -> Settings:
    """The tests' settings with one holiday on a working day: the second one from today."""
    return make_settings(database_url, data_dir, MIJN_HOLIDAYS=HOLIDAY.isoformat())


@pytest.fixture
def ids(run: Runner, demo: None) -> Ids:
    """The demo data, with its references and ids."""
    result: Ids = run(_ids)
    return result


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=AMS)


# --- the working calendar (pure) -------------------------------------------------------------

CALENDAR = WorkingCalendar(holidays=frozenset({date(2026, 12, 25)}))


@pytest.mark.parametrize(("now", "slot"), [
    (at(date(2026, 12, 8), 10, 7), at(date(2026, 12, 8), 10, 15)),  # rounded up
    (at(date(2026, 12, 8), 10, 15), at(date(2026, 12, 8), 10, 15)),  # on a slot already
    (at(date(2026, 12, 8), 3), at(date(2026, 12, 8), 8, 30)),  # at night: opening time
    (at(date(2026, 12, 8), 16, 50), at(date(2026, 12, 9), 8, 30)),  # at closing: next day
    (at(date(2026, 12, 5), 11), at(date(2026, 12, 7), 8, 30)),  # Saturday: Monday
    (at(date(2026, 12, 24), 17, 30), at(date(2026, 12, 28), 8, 30)),  # Christmas: Monday
])
def test_next_slot_is_now_rounded_up_within_working_time(now: datetime, slot: datetime) -> None:
    assert next_slot(CALENDAR, now) == slot.astimezone(UTC)


def test_the_suggested_window_ends_by_closing_time() -> None:
    start, end = suggest_window(CALENDAR, at(date(2026, 12, 8), 16, 5))
    assert (start, end) == (at(date(2026, 12, 8), 16, 15), at(date(2026, 12, 8), 17))
    assert in_working_time(CALENDAR, start, end)


@pytest.mark.parametrize(("start", "end", "code"), [
    (at(date(2026, 12, 12), 10), at(date(2026, 12, 12), 12), "closed_day"),  # Saturday
    (at(date(2026, 12, 25), 10), at(date(2026, 12, 25), 12), "closed_day"),  # a holiday
    (at(date(2026, 12, 9), 3), at(date(2026, 12, 9), 4), "hours"),  # at night
    (at(date(2026, 12, 9), 16), at(date(2026, 12, 9), 18), "hours"),  # past closing time
    (at(date(2026, 12, 7), 10), at(date(2026, 12, 7), 11), "past"),
    (at(date(2026, 12, 8), 10), at(date(2026, 12, 8), 12), "too_early"),  # now is 11:00
    (at(date(2026, 12, 9), 12), at(date(2026, 12, 9), 11), "order"),
])
def test_a_window_outside_working_time_is_refused_with_the_first_that_can(
    start: datetime, end: datetime, code: str
) -> None:
    now = at(date(2026, 12, 8), 11, 0)
    with pytest.raises(WindowError) as refused:
        check_window(CALENDAR, start, end, now)
    assert refused.value.code == code
    assert refused.value.suggestion == (at(date(2026, 12, 8), 11), at(date(2026, 12, 8), 13))


def test_a_window_in_working_time_from_the_next_slot_on_is_accepted() -> None:
    now = at(date(2026, 12, 8), 11, 0)
    check_window(CALENDAR, at(date(2026, 12, 8), 11), at(date(2026, 12, 8), 17), now)
    check_window(CALENDAR, at(date(2026, 12, 28), 8, 30), at(date(2026, 12, 28), 9), now)


# --- asking for a callback over HTTP ---------------------------------------------------------


def callback_form(ids: Ids, day: date, start: str, end: str, **extra: str) -> dict[str, str]:
    return {"topic": str(ids.topics["vergunning"]), "phone": "06 12345678",
            "day": day.isoformat(), "from": start, "until": end, "team": str(ids.team),
            "who": "Jan, liever na de lunch", "what": "Breedte van de dakkapel", "tried": "",
            **extra}


def test_the_form_is_filled_with_the_next_free_slot(
    client: TestClient, auth: Auth, ids: Ids, settings: Settings
) -> None:
    auth.login_staff("demo-agent")
    before = window_fields(suggest_window(settings.calendar, datetime.now(UTC)))
    page = client.get(f"/kcc/klanten/{ids.jan}").text
    after = window_fields(suggest_window(settings.calendar, datetime.now(UTC)))
    fields = form_fields(page[page.index('id="form-terugbellen"'):])
    shown = {name: fields[name] for name in ("day", "from", "until")}
    assert shown in (before, after)
    assert date.fromisoformat(shown["day"]) != HOLIDAY
    form = callback_form(ids, date.fromisoformat(shown["day"]), shown["from"], shown["until"])
    response = post(client, f"/kcc/klanten/{ids.jan}/terugbellen", form, auth.csrf())
    assert response.status_code == 303, response.text


@pytest.mark.parametrize(("day", "start", "end", "error"), [
    (SATURDAY, "10:00", "12:00", "Op deze dag bellen wij niet"),
    (FIRST, "03:00", "04:00", "Wij bellen alleen binnen onze werktijden."),
    (FIRST, "16:00", "18:00", "Wij bellen alleen binnen onze werktijden."),
    (HOLIDAY, "10:00", "12:00", "Op deze dag bellen wij niet"),
    (date.today() - timedelta(days=1), "10:00", "11:00", "Deze tijd is al voorbij."),
], ids=["saturday", "night", "after-closing", "holiday", "past"])
def test_a_window_outside_working_time_is_not_promised(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, day: date, start: str, end: str,
    error: str,
) -> None:
    auth.login_staff("demo-agent")
    before = snapshot(run)
    form = callback_form(ids, day, start, end)
    response = post(client, f"/kcc/klanten/{ids.jan}/terugbellen", form, auth.csrf())
    assert response.status_code == 422
    page = response.text
    assert error in page and FOUND in page
    kept = form_fields(page[page.index('id="form-terugbellen"'):])
    assert (kept["day"], kept["from"], kept["until"]) == (day.isoformat(), start, end)
    assert textarea(page[page.index('id="form-terugbellen"'):], "what") == form["what"]
    assert snapshot(run) == before


def test_the_english_page_says_the_same(client: TestClient, auth: Auth, ids: Ids) -> None:
    auth.login_staff("demo-agent")
    token = auth.csrf()
    client.post("/taal", data={"lang": "en", "next": "/", "csrf_token": token})
    form = callback_form(ids, SATURDAY, "10:00", "12:00")
    response = post(client, f"/kcc/klanten/{ids.jan}/terugbellen", form, token)
    assert response.status_code == 422
    assert "We do not call on this day" in response.text
    assert "The first possible moment:" in response.text


# --- the queue, the outcomes, the citizen's page ---------------------------------------------


async def _callback(session: AsyncSession) -> str:
    found = await session.scalar(select(Question.reference).where(Question.kind == "callback"))
    assert found is not None
    return found


def version(client: TestClient, reference: str) -> str:
    return form_fields(client.get(f"/kcc/vragen/{reference}").text)["version"]


def outcome(client: TestClient, token: str, reference: str, value: str, *,
            seen: str | None = None, **window: str) -> httpx.Response:
    form = {"outcome": value, "version": seen or version(client, reference), **window}
    return post(client, f"/kcc/vragen/{reference}/terugbellen/uitkomst", form, token)


def said(when: datetime, start: str, end: str) -> str:
    day = format_datetime(when, "EEEE d MMMM", tzinfo=LOCAL_TZ, locale="nl")
    return f"We bellen u op {day} tussen {start} en {end}."


def plan(client: TestClient, auth: Auth, ids: Ids, run: Runner) -> str:
    """The agent plans a callback for the permits team, tomorrow (a working day) 10-11."""
    auth.login_staff("demo-agent")
    form = callback_form(ids, FIRST, "10:00", "11:00")
    assert post(client, f"/kcc/klanten/{ids.jan}/terugbellen", form, auth.csrf()).status_code == 303
    reference: str = run(_callback)
    return reference


def test_the_queue_shows_window_and_phone(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    reference = plan(client, auth, ids, run)
    auth.login_staff("demo-specialist")
    page = client.get("/kcc?weergave=team").text
    row = page[page.index(reference):].split("</tr>")[0]
    day = format_datetime(at(FIRST, 10), "EEEE d MMMM", tzinfo=LOCAL_TZ, locale="nl")
    assert f"Bellen op {day} tussen 10:00 en 11:00" in row
    assert 'href="tel:0612345678"' in row and "06 12345678" in row


def test_only_the_holder_records_how_a_call_went(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    reference = plan(client, auth, ids, run)
    token = auth.csrf()
    assert outcome(client, token, reference, "reached").status_code == 409  # the agent
    auth.login_staff("demo-specialist")
    token = auth.csrf()
    page = client.get(f"/kcc/vragen/{reference}").text
    assert "terugbellen/uitkomst" not in page  # handed to the team: nobody holds it yet
    assert outcome(client, token, reference, "reached").status_code == 409
    assert count(run, CallbackAttempt) == 0
    assert post(client, f"/kcc/vragen/{ids.demo2}/terugbellen/uitkomst",
                {"outcome": "reached"}, token).status_code == 404  # not a callback
    response = post(client, f"/kcc/vragen/{reference}/terugbellen/uitkomst",
                    {"outcome": "reached"}, None)
    assert response.status_code == 403  # no CSRF token
    assert count(run, CallbackAttempt) == 0


def test_tries_are_recorded_and_the_citizen_reads_them(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    reference = plan(client, auth, ids, run)
    auth.login("demo-jan")
    assert said(at(FIRST, 10), "10:00", "11:00") in client.get(f"/mijn/vragen/{reference}").text
    auth.login_staff("demo-specialist")
    token = auth.csrf()
    assert post(client, f"/kcc/vragen/{reference}/take",
                {"version": version(client, reference)}, token).status_code == 303
    stale = version(client, reference)
    response = outcome(client, token, reference, "not_reached", seen=stale,
                       day=FIRST.isoformat(), **{"from": "14:00", "until": "15:00"})
    assert response.status_code == 303
    assert response.headers["location"].endswith("#terugbellen-kop")
    moved = question(run, reference)
    assert moved.state == "handed_over"
    assert moved.callback_from == at(FIRST, 14) and moved.sla_due_at == at(FIRST, 15)
    refused = outcome(client, token, reference, "voicemail", seen=stale)
    assert refused.status_code == 409
    assert "Sam Visser heeft net een belpoging vastgelegd." in refused.text
    assert count(run, CallbackAttempt) == 1
    assert outcome(client, token, reference, "voicemail").status_code == 303

    page = client.get(f"/kcc/vragen/{reference}").text
    start = page.index('id="belpogingen-kop"')
    tries = page[start:page.index("</ol>", start)]
    assert tries.count("Sam Visser") == 2
    assert "Niet bereikt, opnieuw proberen" in tries and "Voicemail ingesproken" in tries
    history = page[page.index('id="historie-kop"'):]
    assert "gebeld: niet bereikt" in history and "gebeld: voicemail ingesproken" in history

    auth.login("demo-jan")
    citizen = client.get(f"/mijn/vragen/{reference}").text
    assert said(at(FIRST, 14), "14:00", "15:00") in citizen
    assert "We hebben u gebeld maar niet bereikt. We proberen het opnieuw." in citizen
    assert "We hebben een bericht ingesproken op uw voicemail." in citizen
    assert "Sam Visser" not in citizen

    token = auth.csrf()  # a login rotates the token
    assert outcome(client, token, reference, "reached").status_code == 303
    reply = {"body": "Zoals besproken: 3 meter mag.", "version": version(client, reference)}
    assert post(client, f"/kcc/vragen/{reference}/reply", reply, token).status_code == 303
    assert question(run, reference).state == "answered"
    assert outcome(client, token, reference, "voicemail").status_code == 409  # not open
    citizen = client.get(f"/mijn/vragen/{reference}").text
    assert "We hebben u gebeld en gesproken." in citizen
    assert "We bellen u op" not in citizen


@pytest.mark.parametrize(("change", "error"), [
    ({"outcome": ""}, "Kies hoe het bellen ging."),
    ({"day": SATURDAY.isoformat()}, "Op deze dag bellen wij niet"),
    ({"from": "03:00", "until": "04:00"}, "Wij bellen alleen binnen onze werktijden."),
    ({"outcome": "reached"}, "Een nieuw moment om te bellen past alleen bij"),
], ids=["no-outcome", "saturday", "night", "reached-with-window"])
def test_a_bad_try_is_refused_with_the_typed_values_kept(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, change: dict[str, str], error: str
) -> None:
    reference = plan(client, auth, ids, run)
    auth.login_staff("demo-specialist")
    token = auth.csrf()
    post(client, f"/kcc/vragen/{reference}/take", {"version": version(client, reference)}, token)
    window = {"day": FIRST.isoformat(), "from": "14:00", "until": "15:00", **change}
    value = window.pop("outcome", "not_reached")
    response = outcome(client, token, reference, value, **window)
    assert response.status_code == 422
    assert error in response.text
    form = response.text[response.text.index('id="terugbellen-kop"'):]
    kept = form_fields(form)
    assert (kept["day"], kept["from"], kept["until"]) == (
        window["day"], window["from"], window["until"])
    assert re.search(r'href="#terugbel-(day|outcome)"', response.text)
    assert count(run, CallbackAttempt) == 0
