"""Personal data masked in a free text before others read it (examples of questions for the
editors, a proposed answer made from a question): BSNs (only numbers that pass the
11-proef), IBANs, e-mail addresses, Dutch phone numbers, a postcode with its house number
and a date of birth written as one ("geboren op 3-4-1980"). Pure: text in, text out.

What it cannot see stays: names, street names, a number written in words. Masking is a
help for the editor, who still reads the text before anything is published.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from stdnum import iban as iban_number
from stdnum.nl import bsn as bsn_number

# The marks that replace what was found, as the editor reads them (Dutch, like the texts).
MARKS = {
    "email": "[e-mailadres]",
    "iban": "[IBAN]",
    "birth_date": "[geboortedatum]",
    "address": "[postcode en huisnummer]",
    "phone": "[telefoonnummer]",
    "bsn": "[BSN]",
}

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", re.IGNORECASE)
# A Dutch IBAN by its form, also in lower case (a mistyped one is still someone's account):
# NL, two check digits, a bank's four letters, ten digits, maybe in groups of four.
_NL_IBAN = re.compile(r"(?<![\w])NL\d{2} ?[A-Z]{4}(?: ?\d){10}(?![\w])", re.IGNORECASE)
# Another country's: two capitals, two check digits, 11 to 30 capitals and digits (maybe in
# groups of four), and its check digits right.
_IBAN = re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![\w])")
_MONTHS = ("januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november"
           "|december|jan|feb|mrt|apr|jun|jul|aug|sep|sept|okt|nov|dec")
_DATE = (r"(?:\d{1,2}[-/.]\d{1,2}[-/.](?:19|20)\d{2}"
         rf"|\d{{1,2}} (?:{_MONTHS})\.? (?:19|20)\d{{2}})")
# A date is a date of birth only where the text says so, right before it.
_BIRTH = re.compile(
    rf"(?P<lead>\b(?:geboren|geboortedatum|geb\.)(?: op| is)?:? *){_DATE}\b", re.IGNORECASE)
# A postcode (1000-9999, two capital letters; SA, SD and SS are not used) with the house
# number after it ("1234 AB 12a"), or before it ("12, 1234 AB").
_POSTCODE = r"[1-9]\d{3}(?: ?(?!SA|SD|SS)[A-Z]{2}|(?!sa|sd|ss)[a-z]{2})"
_ADDRESS = re.compile(
    rf"(?<![\w-])(?:{_POSTCODE},? +\d{{1,5}}(?: ?[a-zA-Z](?![a-zA-Z]))?(?:-\d{{1,4}})?"
    rf"|\d{{1,5}}[a-zA-Z]?,? +{_POSTCODE})(?![\w])")
# Dutch numbers: 06 and ten digits in all, or a landline (0 and nine more digits), written
# with or without spaces, dashes or brackets; or the same after +31 or 0031 (without the 0).
_SEP = r"(?:\) ?|[ -])?"
_PHONE = re.compile(
    r"(?<![\w+/-])(?:(?:\+|00)31 ?(?:\(0\) ?)?|0|\(0)"
    rf"(?:[1-9]{_SEP}(?:\d{_SEP}){{7}}\d)(?![\w/-]|[.,]\d)")
# Nine digits, maybe in groups with dots or spaces; the 11-proef decides.
_BSN = re.compile(r"(?<![\w.,/-])\d(?:[ .]?\d){8}(?![\w/-]|[.,]\d)")


def _is_bsn(found: str) -> bool:
    digits = re.sub(r"\D", "", found)
    return len(digits) == 9 and bool(bsn_number.is_valid(digits))


def _is_iban(found: str) -> bool:
    return bool(iban_number.is_valid(found.replace(" ", ""), check_country=False))


def _is_phone(found: str) -> bool:
    digits = re.sub(r"\D", "", found)
    if found.startswith(("+", "0031")):
        national = digits.removeprefix("00")[2:].removeprefix("0")
    else:
        national = digits[1:]
    # 0800 and 0900 numbers are services, not people; 14 0xx is a municipality's.
    return len(national) == 9 and not national.startswith(("800", "900", "909", "906"))


@dataclass(frozen=True)
class _Rule:
    kind: str
    pattern: re.Pattern[str]
    check: Callable[[str], bool] | None = None
    group: str | None = None  # the part before what is masked, kept as it was


# In this order: an e-mail address may hold digits, an IBAN holds a BSN-like run of digits.
RULES = (
    _Rule("email", _EMAIL),
    _Rule("iban", _NL_IBAN),
    _Rule("iban", _IBAN, _is_iban),
    _Rule("birth_date", _BIRTH, group="lead"),
    _Rule("address", _ADDRESS),
    _Rule("phone", _PHONE, _is_phone),
    _Rule("bsn", _BSN, _is_bsn),
)


def _apply(rule: _Rule, text: str, found: list[str]) -> str:
    def replace(match: re.Match[str]) -> str:
        whole = match.group(0)
        kept = match.group(rule.group) if rule.group else ""
        if rule.check is not None and not rule.check(whole[len(kept):]):
            return whole
        found.append(rule.kind)
        return kept + MARKS[rule.kind]

    return rule.pattern.sub(replace, text)


def mask_found(text: str) -> tuple[str, list[str]]:
    """The text with what looks like personal data replaced by a mark ("[BSN]"), and the
    kinds replaced (in the order of RULES, once per occurrence)."""
    found: list[str] = []
    for rule in RULES:
        text = _apply(rule, text, found)
    return text, found


def mask(text: str) -> str:
    """The text with what looks like personal data replaced by a mark ("[BSN]")."""
    return mask_found(text)[0]


def personal_kinds(text: str) -> list[str]:
    """The kinds of personal data a text seems to hold (each once, in the order of RULES)."""
    return list(dict.fromkeys(mask_found(text)[1]))
