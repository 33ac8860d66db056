"""The monthly report over HTTP: who may see it, its figures on the page against the hand-made
data set, every CSV download equal to its table, filters, the print view and anonymity."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from babel.dates import format_date
from insight_fixture import seed
from starlette.applications import Starlette
from starlette.testclient import TestClient
from test_query_counts import counting

from conftest import Auth, Runner
from mijn.http.kcc.insight import to_csv, today
from mijn.insight.report import Table

PATHS = ("/kcc/inzicht", "/kcc/inzicht/afdrukken", "/kcc/inzicht.csv?tabel=trend")
MARCH = "maand=2026-03&maanden=3"
TABLES = ("afhandeling", "trend", "onderwerpen", "soorten", "kanalen", "overdrachten",
          "voorkomen", "nee-stemmen", "controledatum", "signalen")
# What the data set holds that identifies someone, or is free text: never in a report.
PERSONAL = ("Jan Jansen", "999990019", "INS-", "Niet duidelijk", "Een opmerking van een",
            "Gebeld over iets", "Dossier 1", "0612345678")


@pytest.mark.parametrize("persona", ["demo-lead", "demo-editor"])
def test_team_leads_and_editors_read_the_report(client: TestClient, auth: Auth,
                                                persona: str) -> None:
    auth.login_staff(persona)
    for path in PATHS:
        assert client.get(path).status_code == 200, path
    assert 'href="/kcc/inzicht"' in client.get("/kcc/kennisbank").text  # in the menu


@pytest.mark.parametrize("persona", ["demo-agent", "demo-specialist"])
def test_agents_and_specialists_find_nothing(client: TestClient, auth: Auth,
                                             persona: str) -> None:
    auth.login_staff(persona)
    for path in PATHS:
        assert client.get(path).status_code == 404, path
    assert 'href="/kcc/inzicht"' not in client.get("/kcc/kennisbank").text


@pytest.mark.parametrize("citizen", [True, False])
def test_citizens_and_strangers_go_to_the_staff_login(client: TestClient, auth: Auth,
                                                      citizen: bool) -> None:
    if citizen:
        auth.login()
    for path in PATHS:
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/kcc/inloggen")


@pytest.fixture
def lead(client: TestClient, auth: Auth, run: Runner) -> TestClient:
    """A team lead's browser, with the hand-made data set loaded."""
    run(seed)
    auth.login_staff("demo-lead")
    return client


def month_name() -> str:
    """This month in Dutch, as the report names it."""
    return format_date(today(), "LLLL yyyy", locale="nl")


def _section(page: str, key: str) -> str:
    found = re.search(rf'aria-labelledby="kop-{key}">(.*?)</section>', page, re.S)
    assert found, key
    return found.group(1)


def _cells(fragment: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", fragment, re.S)
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
             for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)] for row in rows]


def _as_csv(cell: str) -> str:
    """A cell as the Dutch page shows it, written as the CSV does (decimal point, no
    thousands separator, nothing for no figure)."""
    if cell == "–":
        return ""
    if re.fullmatch(r"[-−]?[\d.]+(,\d+)?", cell):
        return cell.replace("−", "-").replace(".", "").replace(",", ".")
    return cell


def test_every_csv_download_equals_its_table(lead: TestClient) -> None:
    page = lead.get(f"/kcc/inzicht?{MARCH}").text
    for key in TABLES:
        shown = [[_as_csv(c) for c in row] for row in _cells(_section(page, key))]
        response = lead.get(f"/kcc/inzicht.csv?tabel={key}&{MARCH}")
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert f'filename="inzicht-2026-03-{key}.csv"' in response.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(response.text)))
        assert rows == shown, key
        assert len(rows) > 1, key  # a header and figures: the data set fills every table


def test_the_page_shows_the_hand_made_figures(lead: TestClient) -> None:
    page = lead.get(f"/kcc/inzicht?{MARCH}").text
    assert _cells(_section(page, "afhandeling"))[1:] == [
        ["Vragen beantwoord", "6", "1"],
        ["Tijd tot het eerste antwoord, mediaan", "7 uur", "3 uur"],
        ["Tijd tot het eerste antwoord, 90% binnen", "132 uur", "3 uur"],
        # March: Q5 open past due; February: Q10 open past due (both late).
        ["Binnen de termijn beantwoord (%)", "50", "50"],
        ["Opgelost bij eerste contact (%)", "66,7", "0"],
        ["Doel opgelost bij eerste contact (%)", "80", "80"],
        ["Nog open en over de termijn (telt als te laat)", "1", "1"],
    ]
    assert _cells(_section(page, "trend"))[1:] == [
        ["januari 2026", "1", "0", "1", "0"], ["februari 2026", "3", "1", "0", "0"],
        ["maart 2026", "7", "2", "1", "1"]]
    assert _cells(_section(page, "onderwerpen"))[1] == ["Vergunningen", "3", "1", "2"]
    assert _cells(_section(page, "voorkomen"))[-1] == ["Vragen voorkomen (%)", "33,3", "33,3"]  # Feb: f4 against Q8, Q10
    assert "onder het doel van 80%" in page
    assert "meer dan één antwoord nodig" in _section(page, "afhandeling")  # what FCR means
    assert _cells(_section(page, "kanalen"))[2] == ["Telefoon", "1", "1", "0", "2", "1", "5"]


def test_charts_are_accessible_svg_beside_their_tables(lead: TestClient) -> None:
    page = lead.get(f"/kcc/inzicht?{MARCH}").text
    charts = re.findall(r'<svg class="mijn-chart" role="img" aria-labelledby="([^"]+)"', page)
    assert len(charts) == 6
    for labelled_by in charts:
        title, desc = labelled_by.split()
        assert f'<title id="{title}">' in page and f'<desc id="{desc}">' in page
    assert "style=" not in page and "<script>" not in page


def test_a_department_narrows_questions_and_dossiers(lead: TestClient) -> None:
    page = lead.get(f"/kcc/inzicht?{MARCH}&afdeling=Vergunningen").text
    assert _cells(_section(page, "trend"))[1:] == [
        ["januari 2026", "0", "0", "1", "0"], ["februari 2026", "1", "0", "0", "0"],
        ["maart 2026", "2", "0", "1", "0"]]
    assert "hele organisatie" in _section(page, "voorkomen")
    csv_rows = lead.get(f"/kcc/inzicht.csv?tabel=trend&{MARCH}&afdeling=Vergunningen").text
    assert csv_rows.splitlines()[-1] == "maart 2026,2,0,1,0"
    unknown = lead.get(f"/kcc/inzicht?{MARCH}&afdeling=Geheim&maanden=99&maand=1999-01").text
    heading = re.search(r'<div id="rapport".*?<h2[^>]*>(.*?)</h2>', unknown, re.S)
    assert heading and heading.group(1) == f"{month_name()} (tot nu toe)"  # the defaults


def test_htmx_gets_the_report_without_filters_and_print_has_no_navigation(
    lead: TestClient,
) -> None:
    fragment = lead.get(f"/kcc/inzicht?{MARCH}", headers={"HX-Request": "true"}).text
    assert fragment.lstrip().startswith('<div id="rapport"') and "<form" not in fragment
    printed = lead.get(f"/kcc/inzicht/afdrukken?{MARCH}").text
    assert "Wachtrij" not in printed and "Uitloggen" not in printed
    assert 'name="maand"' not in printed and "Download als CSV" not in printed
    assert _cells(_section(printed, "trend"))[-1] == ["maart 2026", "7", "2", "1", "1"]


def test_no_names_identifiers_or_free_text_in_the_report(lead: TestClient) -> None:
    texts = [lead.get(f"/kcc/inzicht?{MARCH}").text,
             lead.get(f"/kcc/inzicht/afdrukken?{MARCH}").text]
    texts += [lead.get(f"/kcc/inzicht.csv?tabel={key}&{MARCH}").text for key in TABLES]
    for text in texts:
        for personal in PERSONAL:
            assert personal not in text


def test_an_unknown_table_is_not_found(lead: TestClient) -> None:
    assert lead.get("/kcc/inzicht.csv?tabel=namen").status_code == 404
    assert lead.get("/kcc/inzicht.csv").status_code == 404


def test_the_report_speaks_english(lead: TestClient, auth: Auth) -> None:
    token = auth.csrf()
    lead.post("/taal", data={"csrf_token": token, "lang": "en", "next": "/kcc/inzicht"})
    page = lead.get(f"/kcc/inzicht?{MARCH}").text
    assert "Solved at first contact (%)" in page and "March 2026" in page


def test_the_report_sends_a_fixed_number_of_statements(lead: TestClient, app: Starlette) -> None:
    counts = set()
    for query in (MARCH, "maand=2025-06&maanden=3", "maand=2026-03&maanden=24",
                  f"{MARCH}&afdeling=Vergunningen"):
        with counting(app) as statements:
            assert lead.get(f"/kcc/inzicht?{query}").status_code == 200
        counts.add(len(statements))
    assert len(counts) == 1, counts  # however much data, however many months


@pytest.mark.parametrize(("title", "written"), [
    ("=1+1", "'=1+1"),
    ("Paspoort;=HYPERLINK(\"x\")", "Paspoort;'=HYPERLINK(\"x\")"),
    ("Rijbewijs, +31 6 123", "Rijbewijs, '+31 6 123"),
    ("a;b,@c; -d", "a;b,'@c; '-d"),
    ("Afval; wanneer?", "Afval; wanneer?"),
])
def test_no_part_of_a_csv_cell_can_run_as_a_formula(title: str, written: str) -> None:
    table = Table("t", "Titel", ["Onderwerp", "Aantal"], [[title, 3]])
    rows = list(csv.reader(io.StringIO(to_csv(table))))
    assert rows[1] == [written, "3"]


def test_a_month_without_answers_shows_a_dash_in_table_and_chart(lead: TestClient) -> None:
    section = _section(lead.get("/kcc/inzicht?maand=2025-06&maanden=3").text, "afhandeling")
    assert _cells(section)[5] == ["Opgelost bij eerste contact (%)", "–", "–"]
    chart = re.search(r"<svg.*?</svg>", section, re.S)
    assert chart and chart.group(0).count(">–</text>") == 2
    assert "<rect" not in chart.group(0)  # no bar of 0 for a figure that is not there
