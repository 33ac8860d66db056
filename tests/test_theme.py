"""The organisation's theme: read and checked at start-up, served as design tokens, a logo
and the footer's pages, in both languages."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mijn.settings import ConfigurationError, load_settings
from mijn.theme import DEFAULT_THEME, contrast, load_theme


def _theme_file(tmp_path: Path, replace: tuple[str, str] | None = None) -> Path:
    text = DEFAULT_THEME.read_text(encoding="utf-8")
    if replace:
        assert replace[0] in text
        text = text.replace(*replace)
    (tmp_path / "voorbeeld-logo.svg").write_bytes((DEFAULT_THEME.parent / "voorbeeld-logo.svg").read_bytes())
    path = tmp_path / "theme.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_demo_theme_has_every_page_in_both_languages() -> None:
    theme = load_theme(None, ConfigurationError)
    assert list(theme.pages) == ["toegankelijkheid", "privacy", "contact"]
    for page in theme.pages.values():
        assert page.title("nl") and page.title("en") != page.title("nl") or page.title("en")
        assert len(page.paragraphs("nl")) >= 2 and len(page.paragraphs("en")) >= 2
    assert theme.portal_name("en") == "My Voorbeeld Municipality"
    assert theme.phone.dial == "14020" and theme.phone_abroad.dial.startswith("+31")


def test_contrast_is_computed_as_wcag_does() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#01689b", "#ffffff") > 4.5
    assert contrast("#777777", "#ffffff") < 4.5


@pytest.mark.parametrize(("replace", "message"), [
    (('accent = "#01689b"', 'accent = "#88bbdd"'), "contrast"),
    (('accent = "#01689b"', 'accent = "blue"'), "#01689b"),
    (('[pages.privacy]', '[pages.privacyverklaring]'), "[pages.privacy] is missing"),
    (('file = "voorbeeld-logo.svg"', 'file = "elders.svg"'), "does not exist"),
    (('nl = "Mijn Gemeente Voorbeeld"\n', ''), "[portal_name] needs nl"),
    (("[pages.contact]", '[satisfaction.question]\nquestion = { nl = "Hielp het?" }\n'
      "[pages.contact]"), "satisfaction.question: question.en is missing"),
    (("[pages.contact]", '[satisfaction.dossier]\ninvitation = { nl = "%s", en = "x" }\n'
      "[pages.contact]" % ("a" * 501)), "invitation.nl has 501 characters; make it at most 500"),
    (("[pages.contact]", '[satisfaction.zaak]\nquestion = { nl = "x", en = "x" }\n'
      "[pages.contact]"), "not zaak"),
    (("[pages.contact]", '[satisfaction.callback]\nvraag = { nl = "x", en = "x" }\n'
      "[pages.contact]"), "nothing else"),
])
def test_a_wrong_theme_stops_the_start_with_what_to_change(
    tmp_path: Path, replace: tuple[str, str], message: str
) -> None:
    path = _theme_file(tmp_path, replace)
    with pytest.raises(ConfigurationError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_settings({"MIJN_THEME_FILE": str(path)})


def test_an_unreadable_theme_says_which_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot be read"):
        load_settings({"MIJN_THEME_FILE": str(tmp_path / "nothing.toml")})


def test_the_tokens_are_served_as_a_stylesheet(client: TestClient) -> None:
    response = client.get("/thema.css")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/css")
    assert "--mijn-accent: #01689b;" in response.text
    assert "max-age" in response.headers["cache-control"]
    logo = client.get("/thema/logo")
    assert logo.status_code == 200 and logo.headers["content-type"].startswith("image/svg+xml")


def test_every_page_has_the_footer_with_its_pages_and_dialable_numbers(client: TestClient) -> None:
    home = client.get("/").text
    footer = home[home.index('<footer'):]
    for slug in ("toegankelijkheid", "privacy", "contact"):
        assert f'href="/over/{slug}"' in footer
    assert 'href="tel:14020"' in footer and 'href="tel:+31201234567"' in footer
    assert '<link rel="stylesheet" href="/thema.css">' in home


def test_a_footer_page_in_dutch_and_in_english(client: TestClient) -> None:
    dutch = client.get("/over/toegankelijkheid")
    assert dutch.status_code == 200 and "<h1 class=\"utrecht-heading-1\">Toegankelijkheid</h1>" in dutch.text
    assert "WCAG 2.1" in dutch.text
    client.cookies.set("mijn_lang", "en")
    english = client.get("/over/toegankelijkheid")
    assert "<h1 class=\"utrecht-heading-1\">Accessibility</h1>" in english.text
    assert "My Voorbeeld Municipality" in english.text and "Mijn Gemeente Voorbeeld" not in english.text


def test_an_unknown_page_is_not_found(client: TestClient) -> None:
    assert client.get("/over/geheim").status_code == 404
