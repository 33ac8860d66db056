"""Fixed texts translated once, when a template is compiled, instead of on every render.

A page has a hundred `{{ _("Vraag") }}` without variables; each was a call through Jinja's
context at render time. Every language has its own environment (mijn.http.common), so
such a call can be replaced by its translation in that language while the template is
compiled: `("Question"|safe)`, the Markup the call returned. Calls with variables, and
ngettext, stay calls. pybabel still reads the messages from the template source.
"""

from __future__ import annotations

from collections.abc import Iterator

from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream

from mijn.i18n import Language

GETTEXT_NAMES = ("_", "gettext")


class FixedTexts(Extension):
    """Replaces `_("text")` and `gettext("text")` by the text in the environment's language
    (`environment.mijn_language`, set by make_environment)."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        """The template's tokens with each fixed-text call replaced by its translation."""
        lang: Language = getattr(self.environment, "mijn_language")  # noqa: B009
        tokens = list(stream)
        i = 0
        while i < len(tokens):
            if _fixed_call(tokens, i):
                line, message = tokens[i].lineno, tokens[i + 2].value
                yield from (Token(line, "lparen", "("),
                            Token(line, "string", lang.catalogue.gettext(message)),
                            Token(line, "pipe", "|"), Token(line, "name", "safe"),
                            Token(line, "rparen", ")"))
                i += 4
            else:
                yield tokens[i]
                i += 1


def _fixed_call(tokens: list[Token], i: int) -> bool:
    """Whether tokens[i:i + 4] are `_ ( "text" )`, the name not an attribute (`x._`)."""
    return (
        tokens[i].type == "name" and tokens[i].value in GETTEXT_NAMES
        and i + 3 < len(tokens) and (i == 0 or tokens[i - 1].type != "dot")
        and [t.type for t in tokens[i + 1:i + 4]] == ["lparen", "string", "rparen"]
    )
