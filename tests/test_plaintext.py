"""has_control finds exactly Unicode's control characters (category Cc), less the allowed."""

from __future__ import annotations

import sys
import unicodedata

from mijn.plaintext import ALLOWED_CONTROLS, has_control


def test_has_control_is_category_cc_for_every_code_point() -> None:
    for code in range(sys.maxunicode + 1):
        c = chr(code)
        control = unicodedata.category(c) == "Cc"
        assert has_control(f"a{c}b", frozenset()) is control, hex(code)
        assert has_control(c) is (control and c not in ALLOWED_CONTROLS), hex(code)


def test_has_control_in_longer_text() -> None:
    assert not has_control("Regel een\n\tregel twee")
    assert has_control("Regel een\r\nregel twee")
    assert has_control("naam\x00")
    assert not has_control("")
