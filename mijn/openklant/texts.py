"""Texts longer than a Klantinteracties field holds travel whole, never cut silently.

The rule (README, "Open Klant"): a text that fits its field goes in it as it is. One that does
not fit goes in it shortened, ending with a marker that says where the whole text is, and the
whole text travels beside it:
- a klantcontact's `inhoud` (1,000) and `onderwerp` (200): the whole text in the
  klantcontact's `metadata`, as `volledigeInhoud` / `volledigOnderwerp`;
- an internetaak's `toelichting` (1,000): the whole handover note is the `inhoud` (and, when
  longer still, the metadata) of the klantcontact that gave rise to it
  (`aanleidinggevendKlantcontact`), which Mijn makes for every handover;
- a reply fits `reactie` (4,000, as Mijn's own limit), so it always travels whole.
"""

from __future__ import annotations

from typing import Any

INHOUD = 1000
ONDERWERP = 200
REACTIE = 4000
TOELICHTING = 1000
GEVRAAGDE_HANDELING = 200
MARK_METADATA = " […] (volledige tekst in metadata.{key})"
MARK_TASK = " […] (volledige toelichting: inhoud van het aanleidinggevende klantcontact)"


def shortened(text: str, limit: int, mark: str) -> str:
    """The text when it fits; else its start and the marker, `limit` characters in all."""
    if len(text) <= limit:
        return text
    return text[: limit - len(mark)].rstrip() + mark


def contact_texts(onderwerp: str, inhoud: str | None = None, reactie: str | None = None,
                  ) -> dict[str, Any]:
    """The text fields of a klantcontact, with `metadata` for what did not fit."""
    fields: dict[str, Any] = {}
    metadata: dict[str, str] = {}
    fields["onderwerp"] = shortened(onderwerp, ONDERWERP,
                                    MARK_METADATA.format(key="volledigOnderwerp"))
    if fields["onderwerp"] != onderwerp:
        metadata["volledigOnderwerp"] = onderwerp
    if inhoud:
        fields["inhoud"] = shortened(inhoud, INHOUD, MARK_METADATA.format(key="volledigeInhoud"))
        if fields["inhoud"] != inhoud:
            metadata["volledigeInhoud"] = inhoud
    if reactie:
        if len(reactie) > REACTIE:  # Mijn's own limit is the same: never happens
            raise ValueError("a reply longer than reactie holds")
        fields["reactie"] = reactie
    if metadata:
        fields["metadata"] = metadata
    return fields


def task_note(note: str) -> str:
    """An internetaak's toelichting: the note, or its start and where the rest is."""
    return shortened(note, TOELICHTING, MARK_TASK)
