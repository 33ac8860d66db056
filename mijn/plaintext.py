"""What every free text Mijn keeps must be: no control characters (a NUL byte, an escape
sequence), and not only invisible characters. One rule for every area and the web boundary."""

from __future__ import annotations

import re
import unicodedata

# A line break and a tab belong in a message; every other control character does not.
ALLOWED_CONTROLS = frozenset("\n\t")


# Unicode's category Cc is fixed (stability policy): C0, DEL and C1, 65 code points.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")


def has_control(text: str, allowed: frozenset[str] = ALLOWED_CONTROLS) -> bool:
    """Whether the text holds a control character (Unicode category Cc) it may not hold."""
    return any(m.group() not in allowed for m in _CONTROLS.finditer(text))


def is_blank(text: str) -> bool:
    """Whether nothing visible is left once format characters (zero-width spaces, direction
    marks) and white space are taken away."""
    return not "".join(c for c in text if unicodedata.category(c) != "Cf").strip()
