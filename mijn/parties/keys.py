"""Search keys of a party: a name, a postcode, a phone number and an e-mail address in one
normal form, so that a look-up finds them however they were typed."""

from __future__ import annotations

import re
import unicodedata

NAME_KEY_LENGTH = 200


def name_key(name: str) -> str:
    """Lower case, accents off, one space between words: "  Fátima  el Amrani" -> "fatima el
    amrani" (ß, æ and ø spelled out as they are typed on a Dutch keyboard)."""
    folded = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    plain = plain.replace("æ", "ae").replace("ø", "o").replace("ł", "l").replace("đ", "d")
    words = re.sub(r"[^\w']+", " ", plain).replace("'", "").split()
    return " ".join(words)[:NAME_KEY_LENGTH]


def postcode_key(postcode: str) -> str:
    """Upper case without spaces: "1234 ab" -> "1234AB" (a Belgian "1000" stays "1000")."""
    return re.sub(r"[\s-]+", "", postcode).upper()


def phone_key(phone: str) -> str:
    """Digits only, international Dutch numbers in their national form: "+31 6 1234 5678" and
    "0031612345678" -> "0612345678"; other countries keep their code ("+32 ..." -> "32...")."""
    digits = re.sub(r"\D", "", phone)
    if phone.strip().startswith("+") or digits.startswith("00"):
        digits = digits.removeprefix("00")
        if digits.startswith("310") and len(digits) == 12:  # +31 (0)6 ...
            digits = "31" + digits[3:]
        return "0" + digits[2:] if digits.startswith("31") and len(digits) == 11 else digits
    return digits


def email_key(email: str) -> str:
    """Lower case, no surrounding spaces."""
    return email.strip().lower()
