"""The SVG charts' geometry: bars in proportion to their values, every value written out."""

from __future__ import annotations

import pytest

from mijn.i18n import language
from mijn.insight.charts import MISSING, PALETTE, Chart, Series, draw, nice_max
from mijn.insight.report import duration


@pytest.mark.parametrize(("value", "top"), [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20),
                                            (24, 25), (132, 200), (83.3, 100)])
def test_nice_max(value: float, top: float) -> None:
    assert nice_max(value) == top


def _contrast(colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (luminance + 0.05)


def test_colours_keep_three_to_one_against_white() -> None:
    assert all(_contrast(colour) >= 4.5 for colour in PALETTE)


def test_horizontal_bars_are_in_proportion_and_labelled() -> None:
    chart = Chart("c", "Titel", "Beschrijving", ["a", "b"], [Series("n", [5, 2.5])])
    drawing = draw(chart, lambda v: f"{v:g}")
    assert [r.width for r in drawing.rects] == pytest.approx([324.0, 162.0])  # scale 0..5
    assert {"5", "2.5", "a", "b"} <= {t.text for t in drawing.texts}


def test_vertical_bars_grow_from_the_axis_with_a_legend_per_series() -> None:
    chart = Chart("c", "T", "D", ["jan", "feb"], [Series("x", [1, 2]), Series("y", [0, 4])],
                  horizontal=False)
    drawing = draw(chart, lambda v: f"{v:g}")
    legend, bars = drawing.rects[:2], drawing.rects[2:]
    assert [r.fill for r in legend] == list(PALETTE[:2])
    bottoms = {round(r.y + r.height, 6) for r in bars}
    assert len(bottoms) == 1  # every bar stands on the same axis
    # per month x then y; the scale runs to 5 (nice_max(4)) over 216 px
    assert [r.height for r in bars] == pytest.approx([43.2, 0.0, 86.4, 172.8])


def test_a_target_line_is_drawn_and_named() -> None:
    chart = Chart("c", "T", "D", ["maart"], [Series("fcr", [83.3])], target=80,
                  target_label="Doel")
    drawing = draw(chart, lambda v: f"{v:g}")
    assert any(line.dashed for line in drawing.lines)
    assert "Doel 80" in {t.text for t in drawing.texts}


@pytest.mark.parametrize("horizontal", [True, False])
def test_a_missing_value_draws_no_bar_and_reads_as_a_dash(horizontal: bool) -> None:
    chart = Chart("c", "T", "D", ["maart", "februari"], [Series("fcr", [None, 40.0])],
                  horizontal=horizontal)
    drawing = draw(chart, lambda v: f"{v:g}")
    assert len(drawing.rects) == 1  # only February's bar; no bar of 0 for March
    assert MISSING == "–" and MISSING in {t.text for t in drawing.texts}
    only_missing = draw(Chart("c", "T", "D", ["maart"], [Series("fcr", [None])],
                              horizontal=horizontal), lambda v: f"{v:g}")
    assert only_missing.rects == [] and MISSING in {t.text for t in only_missing.texts}


@pytest.mark.parametrize(("seconds", "nl", "en"), [
    (20, "minder dan een minuut", "less than a minute"),
    (60, "1 minuut", "1 minute"),
    (45 * 60, "45 minuten", "45 minutes"),
    (59 * 60 + 40, "1 uur", "1 hour"),
    (7.5 * 3600, "7,5 uur", "7.5 hours"),
    (132 * 3600, "132 uur", "132 hours"),
])
def test_durations_under_an_hour_are_written_in_minutes(seconds: float, nl: str,
                                                        en: str) -> None:
    assert str(duration(seconds, language("nl"))) == nl
    assert str(duration(seconds, language("en"))) == en
    assert duration(None, language("nl")) is None
