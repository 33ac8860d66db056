"""The settings and small guards of this stop's areas, refused with a message naming what to
fix: satisfaction (KTO), documents, Open Klant; the Open Klant texts that do not fit; the
backfill without Open Klant; an API token without Mijn's prefix."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.cli import main
from mijn.documentsettings import document_settings
from mijn.envvalues import ConfigurationError
from mijn.intake.service import authenticate_with
from mijn.openklant.texts import ONDERWERP, REACTIE, contact_texts
from mijn.openklantsettings import openklant_settings
from mijn.satisfactionsettings import satisfaction_settings


@pytest.mark.parametrize(("env", "named"), [
    ({"MIJN_SATISFACTION_QUESTION": "tien"}, "MIJN_SATISFACTION_QUESTION must be five, two"),
    ({"MIJN_SATISFACTION_WAIT_MINUTES": "-1"}, "MIJN_SATISFACTION_WAIT_MINUTES must be 0 to"),
    ({"MIJN_SATISFACTION_DAYS": "0"}, "MIJN_SATISFACTION_DAYS must be 1 to"),
])
def test_wrong_satisfaction_settings(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):
        satisfaction_settings(env)


def test_wrong_document_and_open_klant_settings() -> None:
    with pytest.raises(ConfigurationError, match="MIJN_DOCUMENTS_MAX_MB must be from 1"):
        document_settings({"MIJN_DOCUMENTS_MAX_MB": "0"})
    with pytest.raises(ConfigurationError, match="MIJN_OPENKLANT_MAX_ATTEMPTS"):
        openklant_settings({"MIJN_OPENKLANT_URL": "http://127.0.0.1:9",
                            "MIJN_OPENKLANT_MAX_ATTEMPTS": "0"}, production=False)


def test_a_long_subject_travels_whole_in_the_metadata_and_a_too_long_reply_is_refused() -> None:
    subject = "Vergunning " * 30
    fields: dict[str, Any] = contact_texts(subject)
    assert len(fields["onderwerp"]) <= ONDERWERP and fields["onderwerp"] != subject
    assert fields["metadata"] == {"volledigOnderwerp": subject}
    with pytest.raises(ValueError, match="longer than reactie"):
        contact_texts("Vraag", reactie="x" * (REACTIE + 1))


def test_the_backfill_needs_open_klant(monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("MIJN_OPENKLANT_URL", raising=False)
    assert main(["openklant", "backfill"]) == 2
    assert "MIJN_OPENKLANT_URL is not set" in capsys.readouterr().err


def test_a_token_without_the_prefix_is_refused_before_any_statement() -> None:
    # no session is touched: a token that cannot be Mijn's costs the database nothing
    assert asyncio.run(authenticate_with(cast(AsyncSession, None), "geen-token")) == (None, None)
