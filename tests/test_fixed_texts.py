"""Fixed texts are translated when a template is compiled (mijn.http.translated), in the
language of its environment, and render as the gettext call did: escaped variables, no
escaping of the translation itself."""

from __future__ import annotations

from mijn.http.common import make_environment
from mijn.i18n import language


def test_a_fixed_text_is_compiled_in_the_environments_language() -> None:
    english, dutch = make_environment(language("en")), make_environment(language("nl"))
    source = '{{ _("Mijn dossiers") }}|{{ gettext("Mijn vragen") }}'
    assert english.from_string(source).render() == "My cases|My questions"
    assert dutch.from_string(source).render() == "Mijn dossiers|Mijn vragen"
    # Compiled in: the generated code holds the translation, not a call.
    code = english.compile(source, raw=True)
    assert "My cases" in code and "Mijn dossiers" not in code


def test_calls_with_variables_and_other_names_stay_calls() -> None:
    env = make_environment(language("en"))
    name = "<b>Jan</b>"
    page = env.from_string('{{ _("Ingelogd als %(name)s.", name=name) }}').render(name=name)
    assert page == "Logged in as &lt;b&gt;Jan&lt;/b&gt;."
    # An attribute called _ is not gettext.
    other = env.from_string('{{ x._("Mijn dossiers") }}').render(x={"_": lambda t: t + "!"})
    assert other == "Mijn dossiers!"


def test_a_fixed_text_is_markup_as_gettext_returned_it() -> None:
    env = make_environment(language("nl"))
    # As Markup, the text is not escaped again, in output and in a variable alike.
    value = env.from_string('{% set t = _("A & B") %}{{ t }}').render()
    assert value == "A & B"
    assert env.from_string('{{ _("A & B") }}').render() == "A & B"
