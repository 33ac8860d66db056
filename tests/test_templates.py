"""NL Design System components in every template as their documentation shows them
(issue 16): checked by reading the templates, so a new page cannot slip back.

- an alert holds one content block (`utrecht-alert__content` > `utrecht-alert__message`):
  its children directly in the alert stand side by side and break reflow at 320 px;
- a native radio button or checkbox carries its `--html-input` modifier, without which a
  chosen one looks like an unchosen one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent / "templates"
TEMPLATES = sorted(ROOT.rglob("*.html"))
ALERT = re.compile(r'<div class="utrecht-alert utrecht-alert--[a-z]+"[^>]*>\s*(?P<next><[^>]*>)')
INPUT = re.compile(r'<input\b[^>]*\btype="(?P<type>radio|checkbox)"[^>]*>')
MODIFIER = {"radio": "utrecht-radio-button--html-input",
            "checkbox": "utrecht-checkbox--html-input"}


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", TEMPLATES, ids=_name)
def test_every_alert_holds_one_content_block(path: Path) -> None:
    for found in ALERT.finditer(path.read_text()):
        assert found["next"] == '<div class="utrecht-alert__content">', (
            f"{_name(path)}: an alert's first child must be utrecht-alert__content, "
            f"not {found['next']}"
        )


@pytest.mark.parametrize("path", TEMPLATES, ids=_name)
def test_every_radio_button_and_checkbox_shows_its_state(path: Path) -> None:
    for found in INPUT.finditer(path.read_text()):
        assert MODIFIER[found["type"]] in found[0], (
            f"{_name(path)}: {found[0]} lacks {MODIFIER[found['type']]}"
        )


def test_the_checks_see_the_templates() -> None:
    text = "".join(path.read_text() for path in TEMPLATES)
    assert len(ALERT.findall(text)) >= 15
    assert len(INPUT.findall(text)) >= 8
