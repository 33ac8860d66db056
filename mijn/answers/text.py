"""An answer's Markdown as safe HTML or plain text, with its placeholders filled.

Markdown is rendered with raw HTML off, then sanitised by nh3 (an allow-list: no script,
no event handlers, no style, only http(s)/mailto/tel links). Placeholders ({{afdeling}})
are filled after sanitising, with escaped values, so a value can never become markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import nh3
from babel.dates import format_date
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

_MD = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_MD.enable("table")

ALLOWED_TAGS = {
    "p", "br", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "hr", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")

# The placeholders an editor may use, and what they say where no dossier is known. Answers
# are written in Dutch, so the fallbacks are Dutch too (the text is marked lang="nl").
PLACEHOLDERS = {
    "verwacht_klaar": "de datum die bij uw dossier staat",
    "afdeling": "de afdeling die uw dossier behandelt",
    "kenmerk": "het kenmerk van uw dossier",
    "status": "de status van uw dossier",
    "ontvangen_op": "de datum waarop wij uw aanvraag of melding ontvingen",
    "soort": "uw aanvraag of melding",
}


@lru_cache(maxsize=4096)  # babel parses its locale and pattern again on every call
def _long_date(value: date) -> str:
    """A date as the answers write it: in Dutch, babel's long format (4 december 2026)."""
    return format_date(value, format="long", locale="nl")


@dataclass(frozen=True)
class DossierFacts:
    """What placeholders may say about one dossier of the reader's own."""

    reference: str
    type_name: str
    status: str
    department: str
    opened_on: date
    expected_end: date | None

    def values(self) -> dict[str, str]:
        """The placeholder values (dates in Dutch, like the answer text)."""
        values = {
            "kenmerk": self.reference, "soort": self.type_name, "status": self.status,
            "afdeling": self.department,
            "ontvangen_op": _long_date(self.opened_on),
            "verwacht_klaar": _long_date(self.expected_end) if self.expected_end else "",
        }
        return {key: value for key, value in values.items() if value}


def unknown_placeholders(markdown: str) -> list[str]:
    """The placeholder names in a text that Mijn cannot fill."""
    return sorted({m.group(1) for m in PLACEHOLDER.finditer(markdown)} - PLACEHOLDERS.keys())


def _fill(text: str, values: Mapping[str, str], escape_values: bool) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in PLACEHOLDERS:
            return match.group(0)
        value = values.get(name) or PLACEHOLDERS[name]
        return str(escape(value)) if escape_values else value

    return PLACEHOLDER.sub(one, text)


def _markdown_html(markdown: str) -> str:
    tokens = _MD.parse(markdown)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):  # the page has the h1
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"
        elif token.type in ("th_open", "td_open") and token.attrs.get("style"):
            align = str(token.attrs.pop("style")).removeprefix("text-align:")
            token.attrs["align"] = align  # no style attributes; align survives sanitising
        for child in token.children or ():
            if child.type == "image":  # no images from elsewhere (CSP): their alt text
                child.type, child.tag, child.children = "text", "", None
    return str(_MD.renderer.render(tokens, _MD.options, {}))


def sanitise(raw_html: str) -> str:
    """Only the allowed tags, attributes and link schemes remain."""
    return nh3.clean(
        raw_html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer", strip_comments=True,
    )


@lru_cache(maxsize=256)
def _safe_html(markdown: str) -> str:
    """An answer's sanitised HTML, placeholders still in it: kept per process by its text
    (the same answers are shown beside many dossiers; a changed text is another key)."""
    return sanitise(_markdown_html(markdown))


def render_html(markdown: str, values: Mapping[str, str] | None = None) -> Markup:
    """The answer as safe HTML, placeholders filled from the dossier (or said generally)."""
    safe = _safe_html(markdown)
    return Markup(_fill(safe, values or {}, escape_values=True))  # noqa: S704 - sanitised


_BLOCK_END = re.compile(r"</(p|h[2-6]|li|tr|blockquote|pre)>|<br\s*/?>|<hr\s*/?>")
_LINK = re.compile(r'<a href="([^"]*)"[^>]*>(.*?)</a>', re.S)


def plain_text(markdown: str, values: Mapping[str, str] | None = None) -> str:
    """The answer as plain text (for a reply an agent sends, and for the search index):
    links as 'text (address)', list items with a dash, one blank line between blocks."""
    safe = sanitise(_markdown_html(markdown))
    safe = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})" if m.group(1) != m.group(2)
                     else m.group(2), safe)
    safe = safe.replace("<li>", "- ")
    safe = _BLOCK_END.sub("\n", safe)
    text = html.unescape(nh3.clean(safe, tags=set()))  # nh3 returns text escaped
    lines = [line.strip() for line in text.splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    text = re.sub(r"\n\n(?=- )", "\n", text).strip()  # list items on consecutive lines
    return _fill(text, values or {}, escape_values=False)


def summary(markdown: str, limit: int = 180) -> str:
    """The first words of an answer, for a list of results."""
    text = " ".join(plain_text(markdown).split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
