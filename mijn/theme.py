"""The organisation's theme: its name, the portal's name, logo, colours (design tokens),
phone numbers and the pages the footer links to (accessibility, privacy, contact).

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
        logo_alt=_text(logo, "alt", f"{where} logo", fail) if logo_path else Text("", ""),
    )
