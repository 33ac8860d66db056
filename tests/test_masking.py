"""Masking personal data in free text (mijn/masking.py): a table of what is masked and of
what looks like it and is not (a number that fails the 11-proef, a zaak number, a date that
is not a date of birth)."""

from __future__ import annotations

import pytest

from mijn.masking import mask, mask_found, personal_kinds

MASKED = [
    # text, what it becomes
    ("Mijn BSN is 111222333.", "Mijn BSN is [BSN]."),
    ("bsn 1112.22.333 graag", "bsn [BSN] graag"),
    ("BSN: 111 222 333", "BSN: [BSN]"),
    ("IBAN NL91ABNA0417164300 svp", "IBAN [IBAN] svp"),
    ("rekening NL91 ABNA 0417 1643 00.", "rekening [IBAN]."),
    ("nl91abna0417164301 (typfout)", "[IBAN] (typfout)"),  # Dutch: by its form alone
    ("Belgisch: BE68 5390 0754 7034", "Belgisch: [IBAN]"),
    ("Duits DE89370400440532013000", "Duits [IBAN]"),
    ("mail jan.jansen+mijn@example.nl of", "mail [e-mailadres] of"),
    ("J.de-Vries@gemeente.voorbeeld.nl", "[e-mailadres]"),
    ("bel 06-12345678 aub", "bel [telefoonnummer] aub"),
    ("bel 06 1234 5678", "bel [telefoonnummer]"),
    ("0612345678", "[telefoonnummer]"),
    ("tel. +31 6 12345678.", "tel. [telefoonnummer]."),
    ("+31612345678", "[telefoonnummer]"),
    ("+31 (0)6 12345678", "[telefoonnummer]"),
    ("0031 20 123 4567", "[telefoonnummer]"),
    ("vast: 020-1234567", "vast: [telefoonnummer]"),
    ("(020) 123 45 67 overdag", "[telefoonnummer] overdag"),
    ("010 123 45 67", "[telefoonnummer]"),
    ("Ik woon op 1234 AB 12a.", "Ik woon op [postcode en huisnummer]."),
    ("adres 1234AB 7", "adres [postcode en huisnummer]"),
    ("postcode 1234ab, 7", "postcode [postcode en huisnummer]"),
    ("Kerkstraat 12, 1234 AB Utrecht", "Kerkstraat [postcode en huisnummer] Utrecht"),
    ("geboren op 3-4-1980 in Gouda", "geboren op [geboortedatum] in Gouda"),
    ("Geboortedatum: 12 maart 1975", "Geboortedatum: [geboortedatum]"),
    ("geb. 01-01-1990", "geb. [geboortedatum]"),
    ("BSN 111222333 en 06-12345678",
     "BSN [BSN] en [telefoonnummer]"),
]

NOT_MASKED = [
    # text that looks like personal data and is not
    "Mijn nummer is 123456789.",  # nine digits that fail the 11-proef: not a BSN
    "Zaak Z-2026-0001 loopt nog.",  # a zaak number: no phone number
    "zaaknummer 2026-0612345678",  # digits after a dash belong to the reference
    "referentie ZAAK-0201234567",
    "vraag V-2026-00042",
    "Bel 14 020 of 0800-1234 of 0900-1234567",  # the municipality's and service numbers
    "KvK 69599084",  # eight digits: a company's number
    "Aangevraagd op 12-03-2026.",  # a date, not said to be a date of birth
    "In 1234 AB wonen veel mensen.",  # a postcode without a house number
    "Het kost € 1.234,56.",
    "Versie 1.2.3.4.5.6.7.8.9",
    "NL12 is een code",  # not an IBAN
    "BE68 5390 0754 7035",  # a Belgian IBAN whose check digits are wrong
    "info at example dot nl",
    "12345678901",  # eleven digits: neither a BSN nor a phone number
    "06-12-2026",  # a date that starts like a mobile number
]


@pytest.mark.parametrize(("text", "masked"), MASKED)
def test_personal_data_is_masked(text: str, masked: str) -> None:
    assert mask(text) == masked


@pytest.mark.parametrize("text", NOT_MASKED)
def test_what_only_looks_like_personal_data_stays(text: str) -> None:
    assert mask(text) == text
    assert personal_kinds(text) == []


def test_the_kinds_found_are_named_and_masking_twice_changes_nothing() -> None:
    text = ("Ik ben geboren op 3-4-1980, BSN 111222333, mail jan@example.nl, "
            "bel 0612345678, IBAN NL91ABNA0417164300, adres 1234 AB 5.")
    masked, found = mask_found(text)
    assert sorted(found) == ["address", "birth_date", "bsn", "email", "iban", "phone"]
    assert personal_kinds(text) == ["email", "iban", "birth_date", "address", "phone", "bsn"]
    assert mask(masked) == masked
    assert "111222333" not in masked and "jan@" not in masked
