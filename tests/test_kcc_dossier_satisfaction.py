"""What the KCC sees of the satisfaction with a closed dossier, on SQLite and PostgreSQL: the
score beside the dossier in the customer's picture, the score and comment on the staff
dossier page, and the comment in a week's answers for a team lead (not for an agent: nobody
at the KCC answered the dossier). Specialists and editors find the pages as before."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient
from test_dossier_satisfaction import _close, _jan_dossiers
from test_kcc_http import Ids
from test_kcc_http import ids as ids  # noqa: F401 - the fixture

from conftest import Auth, Runner
from mijn.questions import dossier_satisfaction as dossier_kto

COMMENT = "Het duurde wel lang"


async def _answered(session: AsyncSession, dossier_id: int) -> None:
    assert await dossier_kto.record(session, dossier_id, "five", 2, COMMENT, "email") is not None


def test_the_kcc_sees_the_dossiers_score_where_it_reads_the_dossier(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    dossier = run(_jan_dossiers)[0]
    run(_close, dossier.reference, 30)
    auth.login_staff("demo-lead")
    assert "tevredenheid:" not in client.get(f"/kcc/klanten/{ids.jan}").text.split(
        "beeld-vragen")[0]  # closed, not answered yet: no score beside it
    run(_answered, dossier.id)
    picture = client.get(f"/kcc/klanten/{ids.jan}").text
    dossiers = picture[picture.index('id="beeld-dossiers"'):picture.index('id="beeld-vragen"')]
    assert "afgerond · tevredenheid: 2 van 5 (ontevreden)" in dossiers
    assert COMMENT not in picture  # the comment is on the dossier's page, not in the list
    page = client.get(f"/kcc/dossiers/{dossier.reference}").text
    assert "2 van 5 (ontevreden)" in page and f'<q class="mijn-text">{COMMENT}</q>' in page
    week = client.get("/kcc/tevredenheid").text
    assert COMMENT in week and f'href="/kcc/dossiers/{dossier.reference}"' in week
    auth.login_staff("demo-agent")
    assert COMMENT in client.get(f"/kcc/dossiers/{dossier.reference}").text
    own = client.get("/kcc/tevredenheid")
    assert own.status_code == 200 and COMMENT not in own.text
    assert "ziet de teamleider" in own.text
    auth.login_staff("demo-specialist")
    assert client.get(f"/kcc/dossiers/{dossier.reference}").status_code == 404
    assert COMMENT not in client.get("/kcc/tevredenheid").text
    auth.login_staff("demo-editor")
    assert client.get("/kcc/tevredenheid").status_code == 404
