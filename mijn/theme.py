"""The organisation's theme: its name, the portal's name, logo, colours (design tokens),
phone numbers, the pages the footer links to (accessibility, privacy, contact) and, when
it wants its own, the wording of the satisfaction question (KTO) per kind.

A theme is a TOML file (MIJN_THEME_FILE; the demo's own is mijn/themes/voorbeeld.toml) with
its logo beside it. It is read and checked once at start-up: a wrong colour, a colour pair
below the WCAG contrast minimum or a missing text stops the portal with a message that
says what to change.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_THEME = Path(__file__).parent / "themes" / "voorbeeld.toml"
PAGES = ("toegankelijkheid", "privacy", "contact")  # the footer's pages, in its order
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
# Token name -> CSS custom property; the pairs below must keep a contrast of at least 4.5:1.
TOKENS = {"accent": "--mijn-accent", "accent_text": "--mijn-accent-text", "focus": "--mijn-focus"}
_PAIRS = (("accent", "accent_text"), ("accent", "#ffffff"))
# Satisfaction (KTO): the kinds it is asked after, and the longest wording a theme may give.
SURVEY_KINDS = ("question", "callback", "dossier")
SURVEY_TEXTS = {"question": 200, "invitation": 500}  # the question asked; the e-mail's sentence


@dataclass(frozen=True)
class Text:
    """A text in Dutch and English."""

    nl: str
    en: str

    def __call__(self, lang: str) -> str:
        return self.en if lang == "en" and self.en else self.nl


@dataclass(frozen=True)
class Page:
    """A page the footer links to: title and paragraphs, in both languages."""

    title: Text
    body: Text

    def paragraphs(self, lang: str) -> list[str]:
        return [part.strip() for part in self.body(lang).split("\n\n") if part.strip()]


@dataclass(frozen=True)
class Phone:
    """A phone number as shown, and as dialled (tel: link)."""

    shown: str
    dial: str


@dataclass(frozen=True)
class Theme:
    """Everything the pages take from the organisation."""

    name: Text = Text("Gemeente Voorbeeld", "Municipality of Voorbeeld")
    portal_name: Text = Text("Mijn Gemeente Voorbeeld", "My Voorbeeld Municipality")
    phone: Phone = Phone("14 020", "14020")
    phone_abroad: Phone = Phone("+31 20 123 45 67", "+31201234567")
    website: str = ""
    colours: Mapping[str, str] = field(default_factory=lambda: {
        "accent": "#01689b", "accent_text": "#ffffff", "focus": "#ffbf47"})
    logo: Path | None = None
    logo_alt: Text = Text("", "")
    pages: Mapping[str, Page] = field(default_factory=dict)
    # Per kind (SURVEY_KINDS) the theme's own "question" and "invitation"; none: Mijn's own.
    survey: Mapping[str, Mapping[str, Text]] = field(default_factory=dict)

    def survey_text(self, kind: str, key: str, lang: str) -> str | None:
        """The theme's own satisfaction wording of this kind ("question": the question
        asked, "invitation": the e-mail's sentence; its {org} the organisation's name), in
        this language; None when it has none (then Mijn's own, translated, is used)."""
        text = self.survey.get(kind, {}).get(key)
        return text(lang).replace("{org}", self.name(lang)) if text is not None else None

    def css(self) -> str:
        """The theme's design tokens as CSS custom properties (served as /thema.css)."""
        lines = [f"  {TOKENS[name]}: {value};" for name, value in self.colours.items()]
        return ":root {\n" + "\n".join(lines) + "\n}\n"


def _luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(colour[i:i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    """The WCAG contrast ratio of two #rrggbb colours."""
    high, low = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _text(data: Mapping[str, Any], key: str, where: str, fail: Callable[[str], Exception]) -> Text:
    value = data.get(key)
    if not isinstance(value, dict) or not isinstance(value.get("nl"), str) or not value["nl"]:
        raise fail(f"{where}: [{key}] needs nl = \"...\" (and en = \"...\").")
    return Text(value["nl"], str(value.get("en", "")))


def _colours(
    data: Mapping[str, Any], where: str, fail: Callable[[str], Exception]
) -> dict[str, str]:
    colours = {**Theme().colours, **data.get("colours", {})}
    for name, value in colours.items():
        if name not in TOKENS or not isinstance(value, str) or not _COLOUR.fullmatch(value):
            raise fail(f"{where}: colours.{name} must be one of {', '.join(TOKENS)} "
                       f"with a value like \"#01689b\", not {value!r}.")
    for one, other in _PAIRS:
        first, second = colours[one], colours.get(other, other)
        if contrast(first, second) < 4.5:
            raise fail(f"{where}: colours.{one} {first} on {second} has a contrast of "
                       f"{contrast(first, second):.1f}:1; WCAG needs 4.5:1. "
                       "Choose a darker accent.")
    return colours


def _phone(data: Mapping[str, Any], key: str, default: Phone) -> Phone:
    shown = str(data.get(key, default.shown))
    return Phone(shown, re.sub(r"[^0-9+]", "", shown))


def _survey(
    data: Mapping[str, Any], where: str, fail: Callable[[str], Exception]
) -> dict[str, dict[str, Text]]:
    """The optional [satisfaction.<kind>] tables: each text in both languages, not too long."""
    tables = data.get("satisfaction", {})
    wrong = [str(kind) for kind in tables if kind not in SURVEY_KINDS] if isinstance(
        tables, dict) else ["satisfaction"]
    if wrong:
        raise fail(f"{where}: [satisfaction] has tables {', '.join(SURVEY_KINDS)} only, "
                   f"not {', '.join(wrong)}.")
    wording: dict[str, dict[str, Text]] = {}
    for kind, table in tables.items():
        at = f"{where} satisfaction.{kind}"
        texts = table if isinstance(table, dict) else {}
        if not texts or any(key not in SURVEY_TEXTS for key in texts):
            raise fail(f"{at}: give question = {{ nl = \"...\", en = \"...\" }} and/or "
                       "invitation = { nl = \"...\", en = \"...\" }, nothing else.")
        wording[kind] = {}
        for key, longest in SURVEY_TEXTS.items():
            if key not in texts:
                continue
            value = texts[key]
            for lang in ("nl", "en"):
                own = value.get(lang) if isinstance(value, dict) else None
                if not isinstance(own, str) or not own.strip():
                    raise fail(f"{at}: {key}.{lang} is missing; give the text in Dutch (nl) "
                               "and in English (en).")
                if len(own.strip()) > longest:
                    raise fail(f"{at}: {key}.{lang} has {len(own.strip())} characters; make it "
                               f"at most {longest}.")
            wording[kind][key] = Text(value["nl"].strip(), value["en"].strip())
    return wording


def load_theme(path: Path | None, fail: Callable[[str], Exception]) -> Theme:
    """Read and check a theme file (default: the demo's)."""
    path = path or DEFAULT_THEME
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise fail(f"MIJN_THEME_FILE {path} cannot be read: {exc}.") from exc
    where = str(path)
    pages = {}
    for slug in PAGES:
        page = data.get("pages", {}).get(slug)
        if not isinstance(page, dict):
            raise fail(f"{where}: [pages.{slug}] is missing (title and body, nl and en).")
        pages[slug] = Page(_text(page, "title", f"{where} pages.{slug}", fail),
                           _text(page, "body", f"{where} pages.{slug}", fail))
    logo = data.get("logo", {})
    logo_path = path.parent / logo["file"] if isinstance(logo, dict) and logo.get("file") else None
    if logo_path is not None and not logo_path.is_file():
        raise fail(f"{where}: logo.file {logo_path} does not exist.")
    contact = data.get("contact", {})
    return Theme(
        name=_text(data, "name", where, fail), portal_name=_text(data, "portal_name", where, fail),
        phone=_phone(contact, "phone", Theme.phone), website=str(contact.get("website", "")),
        phone_abroad=_phone(contact, "phone_abroad", Theme.phone_abroad),
        colours=_colours(data, where, fail), logo=logo_path, pages=pages,
        survey=_survey(data, where, fail),
        logo_alt=_text(logo, "alt", f"{where} logo", fail) if logo_path else Text("", ""),
    )
