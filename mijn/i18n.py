"""Dutch (the source language) and English, from the .po catalogues under translations/."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from io import BytesIO

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from mijn import PROJECT_ROOT

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"
TRANSLATIONS_DIR = PROJECT_ROOT / "translations"


@dataclass(frozen=True)
class Language:
    """The translation functions of one language, for code and for templates."""

    code: str
    catalogue: NullTranslations

    def gettext(self, message: str, **variables: object) -> str:
        """Translate a message and fill in its %(name)s variables."""
        text = self.catalogue.gettext(message)
        return text % variables if variables else text

    def ngettext(self, singular: str, plural: str, n: int, **variables: object) -> str:
        """Translate a message with a singular and plural form; num is filled in."""
        text = self.catalogue.ngettext(singular, plural, n)
        return text % {"num": n, **variables}

    def template_globals(self) -> dict[str, object]:
        """gettext functions for Jinja's i18n extension; variables are escaped."""

        @pass_context
        def gettext(context: Context, message: str, **variables: object) -> str:
            text = self.catalogue.gettext(message)
            if context.eval_ctx.autoescape:
                text = Markup(text)  # noqa: S704 - our own catalogue; variables are escaped
            return text % variables if variables else text

        @pass_context
        def ngettext(
            context: Context, singular: str, plural: str, n: int, **variables: object
        ) -> str:
            text = self.catalogue.ngettext(singular, plural, n)
            if context.eval_ctx.autoescape:
                text = Markup(text)  # noqa: S704 - our own catalogue; variables are escaped
            return text % {"num": n, **variables}

        return {"gettext": gettext, "_": gettext, "ngettext": ngettext, "lang": self.code}


def _catalogue(code: str) -> NullTranslations:
    path = TRANSLATIONS_DIR / code / "LC_MESSAGES" / "messages.po"
    if code == DEFAULT_LANGUAGE or not path.exists():
        return NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=code)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


@cache
def language(code: str) -> Language:
    """The translations for a language code (unknown codes fall back to Dutch)."""
    if code not in LANGUAGES:
        code = DEFAULT_LANGUAGE
    return Language(code=code, catalogue=_catalogue(code))


def N_(message: str) -> str:  # noqa: N802 - the customary name for gettext_noop
    """Mark a message for translation where it is defined; it is translated where shown."""
    return message
