"""Finding a caller at the KCC: by name and date of birth, postcode and house number, phone,
e-mail, a dossier's or a question's reference (and by number, as before). The terms travel in
a POST body only: no Location, link or form action carries one; every look-up is audited, a
hit naming the party, a miss with an HMAC of the terms only; specialists and editors find
nobody (404); look-ups are rate limited per staff member."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient
from test_kcc_http import FATIMA_BSN, JAN_BSN, Ids, _audits, _ids, post

from conftest import Auth, Runner, steady_clock
from mijn.audit.models import AuditEvent
from mijn.audit.service import subject_hash
from mijn.dev.personas import CITIZENS
from mijn.parties import keys
from mijn.parties.models import Party
from mijn.parties.search import SearchError, mask, parse_house_number, parse_postcode
from mijn.parties.service import note_birth_date
from mijn.settings import Settings

SANNE_BSN = CITIZENS[2].bsn


@pytest.fixture
def ids(run: Runner, demo: None) -> Ids:
    """The demo data, with its references and ids."""
    result: Ids = run(_ids)
    return result


@pytest.fixture
def seen(client: TestClient) -> list[str]:
    """Every URL requested, every Location sent, and every link and form action shown."""
    found: list[str] = []

    def record(response: httpx.Response) -> None:
        found.append(str(response.request.url))
        found.extend(response.headers.get(h, "") for h in ("location", "hx-redirect"))
        response.read()
        found.extend(re.findall(r'(?:href|action)="([^"]*)"', response.text))

    client.event_hooks["response"].append(record)
    return found


def find(client: TestClient, auth: Auth, by: str, **terms: str) -> httpx.Response:
    """One look-up as the search page's form for `by` sends it."""
    return post(client, "/kcc/klanten", {"by": by, **terms}, auth.csrf())


def _party_id(identifier: str) -> Callable[[AsyncSession], object]:
    async def query(session: AsyncSession) -> int | None:
        return await session.scalar(select(Party.id).where(Party.identifier == identifier))
    return query


def party_id(run: Runner, identifier: str) -> int:
    """The id of the party with this identifier."""
    found = run(_party_id(identifier))
    assert isinstance(found, int)
    return found


async def _add_people(session: AsyncSession, people: list[tuple[str, str, date | None]]) -> None:
    for identifier, name, born in people:
        session.add(Party(kind="person", identifier_type="bsn", identifier=identifier, name=name,
                          birth_date=born, postcode="3511AB", house_number=12))


def add_people(run: Runner, *people: tuple[str, str, date | None]) -> None:
    """Parties of the test's own (at Jan's address), with made-up nine-digit numbers."""
    run(_add_people, list(people))


def rows(page: str) -> list[str]:
    """The rows of the list to choose from."""
    return re.findall(r"<tr>\s*<td>(.*?)</tr>", page, re.S)


def audits(run: Runner, action: str) -> list[AuditEvent]:
    """The audit rows of one action."""
    found: list[AuditEvent] = run(_audits, action)
    return found


# --- the normal forms ------------------------------------------------------------------------


def test_search_keys_are_normal_forms() -> None:
    assert keys.name_key("  Fátima  EL-Amrani ") == "fatima el amrani"
    assert keys.name_key("Zoë d'Ancona") == "zoe dancona"
    assert keys.postcode_key("1234 ab") == "1234AB"
    assert keys.phone_key("+31 6 1234 5678") == keys.phone_key("0031612345678") == "0612345678"
    assert keys.phone_key("+31 (0)6 12345678") == "0612345678"
    assert keys.phone_key("+32 2 123 45 67") == "3221234567"
    assert keys.email_key(" Jan@Example.ORG ") == "jan@example.org"
    assert parse_postcode("1234ab") == "1234AB" and parse_postcode("1000") == "1000"
    assert parse_house_number("12") == (12, None)
    assert parse_house_number("12 a") == parse_house_number("12-A") == (12, "A")
    for wrong in ("", "a12", "0"):
        with pytest.raises(SearchError):
            parse_house_number(wrong)
    with pytest.raises(SearchError):
        parse_postcode("0123 AB")
    assert mask("999990019") == "*****0019"


def test_the_model_keeps_its_keys_in_step() -> None:
    party = Party(name="Ümit Öztürk", phone="06-12 34 56 78", email="U@X.NL", postcode="1234 ab",
                  house_number_addition=" b ")
    assert (party.name_key, party.phone_key, party.email_key) == (
        "umit ozturk", "0612345678", "u@x.nl")
    assert (party.postcode, party.house_number_addition) == ("1234AB", "B")
    party.email = None
    assert party.email_key is None


def test_a_login_notes_the_claimed_birth_date() -> None:
    party = Party(name="Jan")
    for wrong in (None, 19680417, "17-04-1968", "1968-02-30", "2999-01-01"):
        note_birth_date(party, wrong)
        assert party.birth_date is None, wrong
    note_birth_date(party, "1968-04-17")
    assert party.birth_date == date(1968, 4, 17)


def test_the_development_login_brings_the_birth_date(
    client: TestClient, auth: Auth, run: Runner
) -> None:
    auth.login("demo-fatima")  # no demo data: the login creates the party
    party = run(_party(FATIMA_BSN))
    assert party.birth_date == date(1985, 11, 2) and party.name_key == "fatima el amrani"


def _party(identifier: str) -> Callable[[AsyncSession], object]:
    async def query(session: AsyncSession) -> Party | None:
        return await session.scalar(select(Party).where(Party.identifier == identifier))
    return query


# --- each kind of look-up --------------------------------------------------------------------


def test_the_form_has_a_labelled_group_for_each_way_to_find(
    client: TestClient, auth: Auth, ids: Ids
) -> None:
    auth.login_staff("demo-agent")
    page = client.get("/kcc/klanten").text
    legends = re.findall(r"<legend[^>]*>(.*?)</legend>", page)
    assert legends == ["Op nummer", "Op naam en geboortedatum", "Op adres", "Op telefoonnummer",
                       "Op e-mailadres", "Op kenmerk van een dossier of vraag"]
    assert page.count('method="post" action="/kcc/klanten"') == 6
    assert 'method="get"' not in page
    for name in ("identifier", "name", "birth_date", "postcode", "house_number", "phone", "email",
                 "reference"):
        assert f'<label class="utrecht-form-label" for="veld-{name}">' in page, name


@pytest.mark.parametrize(("by", "terms", "who"), [
    ("name", {"name": "jan jansen", "birth_date": "17-04-1968"}, JAN_BSN),
    ("name", {"name": "FATIMA EL AMRANI", "birth_date": "1985-11-02"}, FATIMA_BSN),
    ("name", {"name": "fátima", "birth_date": "2/11/1985"}, FATIMA_BSN),
    ("address", {"postcode": "3521kl", "house_number": "7b"}, FATIMA_BSN),
    ("address", {"postcode": "3581 CD", "house_number": "101"}, SANNE_BSN),
    ("phone", {"phone": "+31 6 12345678"}, JAN_BSN),
    ("phone", {"phone": "06-23456789"}, FATIMA_BSN),
    ("email", {"email": " Sanne.DeVries@Example.org"}, SANNE_BSN),
    ("reference", {"reference": "z-2026-0001"}, JAN_BSN),
    ("reference", {"reference": "Z-2026-0101"}, FATIMA_BSN),
    ("number", {"identifier_type": "bsn", "identifier": JAN_BSN}, JAN_BSN),
])
def test_one_hit_opens_the_party_and_is_audited_by_name(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, seen: list[str],
    by: str, terms: dict[str, str], who: str,
) -> None:
    auth.login_staff("demo-agent")
    response = find(client, auth, by, **terms)
    assert response.status_code == 303, response.text
    found = party_id(run, who)
    assert response.headers["location"] == f"/kcc/klanten/{found}"
    [hit] = audits(run, "kcc.party.search_hit")
    assert (hit.actor_id, hit.actor_role, hit.party_id) == (
        str(ids.staff["demo-agent"]), "agent", found)
    assert hit.subject_hash and len(hit.subject_hash) == 64
    assert audits(run, "kcc.party.search_miss") == []
    typed = [v.strip().lower() for v in terms.values() if len(v.strip()) >= 5]
    assert not any(value in url.lower() for value in typed for url in seen), seen


def test_a_question_reference_finds_its_party(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    auth.login_staff("demo-lead")
    response = find(client, auth, "reference", reference=f" {ids.demo2.lower()} ")
    assert response.status_code == 303
    assert response.headers["location"] == f"/kcc/klanten/{ids.jan}"


def test_a_name_without_a_birth_date_gives_a_short_list_with_masked_numbers(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    auth.login_staff("demo-agent")
    page = find(client, auth, "name", name="el amrani")
    assert page.status_code == 200  # one hit, but a name alone never opens a party
    [row] = rows(page.text)
    assert "Fatima el Amrani" in row and "*****0020" in row and FATIMA_BSN not in page.text
    assert "2 november 1985" in row and "3521 KL 7B" in row
    assert f'href="/kcc/klanten/{ids.fatima}"' in row
    [hit] = audits(run, "kcc.party.search_hit")
    assert hit.party_id == ids.fatima


def test_several_hits_give_a_list_to_choose_from(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, settings: Settings, seen: list[str]
) -> None:
    add_people(run, ("100000001", "Jan Jansen", date(1990, 1, 1)),
               ("100000002", "Jan Jansen", date(1968, 4, 17)))
    auth.login_staff("demo-agent")
    same_birthday = find(client, auth, "name", name="Jan Jansen", birth_date="17-04-1968")
    assert same_birthday.status_code == 200
    assert len(rows(same_birthday.text)) == 2 and "2 klanten gevonden" in same_birthday.text
    assert "*****0019" in same_birthday.text and "*****0002" in same_birthday.text
    by_name = find(client, auth, "name", name="jansen")
    assert len(rows(by_name.text)) == 3
    at_home = find(client, auth, "address", postcode="3511 AB", house_number="12")
    assert len(rows(at_home.text)) == 3 and "3511 AB 12" in at_home.text
    hits = audits(run, "kcc.party.search_hit")
    assert len(hits) == 2 + 3 + 3
    key = settings.secret_key.reveal()
    assert {h.subject_hash for h in hits} == {
        subject_hash(key, "name", "jan jansen|1968-04-17"), subject_hash(key, "name", "jansen|"),
        subject_hash(key, "address", "3511AB|12|"),
    }
    for url in seen:
        assert "100000001" not in url and "jansen" not in url.lower() and "3511" not in url


def test_more_than_ten_asks_for_a_narrower_search(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    add_people(run, *((f"2000000{n:02d}", f"Pietje Puk {n}", None) for n in range(12)))
    auth.login_staff("demo-agent")
    page = find(client, auth, "name", name="pietje puk")
    assert len(rows(page.text)) == 10
    assert "Er zijn meer dan 10 klanten gevonden." in page.text


# --- misses, errors, sight --------------------------------------------------------------------


@pytest.mark.parametrize(("by", "terms", "kind", "hashed"), [
    ("name", {"name": "Nie Mand", "birth_date": "01-01-1970"}, "name", "nie mand|1970-01-01"),
    ("address", {"postcode": "0000AA", "house_number": "1"}, "", ""),
    ("address", {"postcode": "9999 zz", "house_number": "1 a"}, "address", "9999ZZ|1|A"),
    ("phone", {"phone": "06 99999999"}, "phone", "0699999999"),
    ("email", {"email": "Nie.Mand@example.org"}, "email", "nie.mand@example.org"),
    ("reference", {"reference": "z-1999-0001"}, "reference", "Z-1999-0001"),
])
def test_a_miss_is_audited_as_an_hmac_of_the_terms(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, settings: Settings,
    by: str, terms: dict[str, str], kind: str, hashed: str,
) -> None:
    auth.login_staff("demo-agent")
    response = find(client, auth, by, **terms)
    if not kind:  # a postcode that cannot be: the form's error, and no look-up at all
        assert response.status_code == 422
        assert audits(run, "kcc.party.search_miss") == []
        return
    assert response.status_code == 200
    assert "Met deze gegevens is geen klant gevonden." in response.text
    assert "Klant vastleggen" not in response.text  # only a number records a new party
    [miss] = audits(run, "kcc.party.search_miss")
    assert miss.party_id is None and miss.actor_role == "agent"
    assert miss.subject_hash == subject_hash(settings.secret_key.reveal(), kind, hashed)
    row = " ".join(str(getattr(miss, c)) for c in ("actor_type", "actor_id", "actor_role", "action",
                                                    "party_id", "dossier_id", "question_id")).lower()
    for value in terms.values():
        for part in re.split(r"[\s@.-]+", value.lower()):
            assert len(part) < 3 or part not in row, part


def test_errors_are_shown_at_their_fields_with_what_was_typed(
    client: TestClient, auth: Auth, ids: Ids
) -> None:
    auth.login_staff("demo-agent")
    page = find(client, auth, "name", name=" x ", birth_date="31-02-1980")
    assert page.status_code == 422
    assert 'id="fout-name"' in page.text and 'id="fout-birth_date"' in page.text
    assert "Vul een naam in van minstens 2 letters." in page.text
    assert "Vul een geldige geboortedatum in, bijvoorbeeld 31-12-1980." in page.text
    assert 'value="31-02-1980"' in page.text and 'value=" x "' in page.text
    assert 'aria-describedby="hint-birth_date fout-birth_date"' in page.text
    future = find(client, auth, "name", name="Jan", birth_date="01-01-2999")
    assert "Deze geboortedatum kan niet kloppen." in future.text
    address = find(client, auth, "address", postcode="12", house_number="")
    assert address.status_code == 422
    assert "Vul een geldige postcode in" in address.text and "Vul een huisnummer in" in address.text
    assert 'href="#veld-postcode"' in address.text and 'href="#veld-house_number"' in address.text
    phone = find(client, auth, "phone", phone="12")
    assert "Vul een geldig telefoonnummer in" in phone.text and 'value="12"' in phone.text
    email = find(client, auth, "email", email="geen-adres")
    assert "Vul een geldig e-mailadres in" in email.text
    empty = find(client, auth, "reference", reference=" ")
    assert "Vul het kenmerk van een dossier of een vraag in." in empty.text


def test_errors_in_english(client: TestClient, auth: Auth, ids: Ids) -> None:
    auth.login_staff("demo-agent")
    token = auth.csrf()
    client.post("/taal", data={"lang": "en", "next": "/kcc/klanten", "csrf_token": token})
    page = find(client, auth, "address", postcode="12", house_number="x")
    assert page.status_code == 422
    assert "Enter a valid postcode, for example 1234 AB." in page.text
    assert "Enter a house number, for example 12 or 12a." in page.text
    assert "By address" in page.text


@pytest.mark.parametrize("persona", ["demo-specialist", "demo-editor"])
@pytest.mark.parametrize(("by", "terms"), [
    ("name", {"name": "jan jansen", "birth_date": "17-04-1968"}),
    ("address", {"postcode": "3511AB", "house_number": "12"}),
    ("phone", {"phone": "0612345678"}),
    ("reference", {"reference": "Z-2026-0001"}),
])
def test_only_agents_and_leads_find_callers(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, persona: str,
    by: str, terms: dict[str, str],
) -> None:
    auth.login_staff(persona)
    assert client.get("/kcc/klanten").status_code == 404
    assert find(client, auth, by, **terms).status_code == 404
    assert audits(run, "kcc.party.search_hit") == []


def test_a_question_another_sees_is_found_only_by_who_may_see_it(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    # Agents and leads see every question (the house's rule): the specialist is refused above.
    auth.login_staff("demo-agent")
    handed_over = find(client, auth, "reference", reference=ids.demo3)
    assert handed_over.headers["location"] == f"/kcc/klanten/{ids.jan}"


@pytest.mark.rate_limits
def test_look_ups_are_rate_limited_per_staff_member(
    client_with: Callable[..., TestClient],
) -> None:
    client = client_with(MIJN_RATE_KCC_FIND="2/10m")
    steady_clock(client)
    auth = Auth(client)
    auth.login_staff("demo-agent")
    for _ in range(2):
        assert find(client, auth, "phone", phone="06 99999999").status_code == 200
    refused = find(client, auth, "phone", phone="06 88888888")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert "U heeft dit in korte tijd te vaak gedaan." in refused.text
    assert 'value="06 88888888"' in refused.text
    assert 'href="#veld-phone"' in refused.text
    auth.login_staff("demo-lead")  # another staff member has a count of their own
    assert find(client, auth, "phone", phone="06 99999999").status_code == 200
