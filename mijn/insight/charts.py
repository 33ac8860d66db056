"""Bar charts drawn on the server as SVG: the geometry is worked out here, the template
(templates/kcc/_chart.html) only writes out rectangles, lines and text.

No scripts and no style attributes (the CSP allows neither): colours are presentation
attributes. Every colour has a contrast of at least 4.5:1 against white, so bars keep the
3:1 that WCAG asks of graphics; every bar also carries its value as text. A missing value
(None: nothing to measure) draws no bar and reads "–", as the table does; it is never a 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

PALETTE = ("#1f4e8c", "#a04a00", "#2e6b30", "#6a1b9a", "#8a1538")
MISSING = "–"  # a figure that cannot be given: no bar, and this text, as in the table
INK, GRID = "#1a1a1a", "#767676"
WIDTH = 560
FONT = 13


@dataclass(frozen=True)
class Series:
    """One row of values across the chart's categories (None: no figure)."""

    name: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Chart:
    """What a chart shows: its accessible title and description, categories and series."""

    id: str
    title: str
    description: str
    categories: Sequence[str]
    series: Sequence[Series]
    horizontal: bool = True
    target: float | None = None  # a reference line (a target) on the value axis
    target_label: str = ""


@dataclass(frozen=True)
class Rect:
    """A bar."""

    x: float
    y: float
    width: float
    height: float
    fill: str


@dataclass(frozen=True)
class Text:
    """A label."""

    x: float
    y: float
    text: str
    anchor: str = "start"
    fill: str = INK


@dataclass(frozen=True)
class Line:
    """An axis, a grid line or a target."""

    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str = GRID
    dashed: bool = False


@dataclass
class Drawing:
    """The chart as primitives, ready for the template."""

    chart: Chart
    width: float
    height: float
    rects: list[Rect] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)


def nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above a value (1 for none)."""
    if value <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(value))
    return next(float(m * magnitude) for m in (1, 2, 2.5, 5, 10) if m * magnitude >= value)


def _legend(drawing: Drawing, series: Sequence[Series], y: float) -> None:
    if len(series) < 2:
        return
    x = 8.0
    for i, item in enumerate(series):
        drawing.rects.append(Rect(x, y - 11, 12, 12, PALETTE[i % len(PALETTE)]))
        drawing.texts.append(Text(x + 18, y, item.name))
        x += 30 + len(item.name) * 7.5


def draw(chart: Chart, fmt: Callable[[float], str]) -> Drawing:
    """The drawing of a chart; `fmt` writes a value as the reader's language does."""
    return _horizontal(chart, fmt) if chart.horizontal else _vertical(chart, fmt)


def _scale_max(chart: Chart) -> float:
    values = [v for s in chart.series for v in s.values if v is not None]
    return nice_max(max([*values, chart.target or 0, 0]))


def _horizontal(chart: Chart, fmt: Callable[[float], str]) -> Drawing:
    label_w, right, bar_h, gap = 180.0, 56.0, 18.0, 12.0
    top = 28.0 if len(chart.series) > 1 else 8.0
    group_h = bar_h * len(chart.series) + gap
    plot_w = WIDTH - label_w - right
    height = top + group_h * max(len(chart.categories), 1) + 24
    drawing = Drawing(chart, WIDTH, height)
    _legend(drawing, chart.series, 18)
    top_max = _scale_max(chart)
    for c, category in enumerate(chart.categories):
        y0 = top + c * group_h
        drawing.texts.append(Text(label_w - 8, y0 + bar_h * len(chart.series) / 2 + 4,
                                  _short(category), "end"))
        for s, series in enumerate(chart.series):
            value = series.values[c]
            y = y0 + s * bar_h
            if value is None:
                drawing.texts.append(Text(label_w + 4, y + bar_h - 4, MISSING))
                continue
            w = plot_w * value / top_max
            drawing.rects.append(Rect(label_w, y + 1, max(w, 0.0), bar_h - 2,
                                      PALETTE[s % len(PALETTE)]))
            drawing.texts.append(Text(label_w + w + 4, y + bar_h - 4, fmt(value)))
    bottom = top + group_h * max(len(chart.categories), 1)
    drawing.lines.append(Line(label_w, top - 4, label_w, bottom, INK))
    _target(drawing, chart, label_w + plot_w * (chart.target or 0) / top_max, top, bottom, fmt)
    return drawing


def _target(drawing: Drawing, chart: Chart, x: float, top: float, bottom: float,
            fmt: Callable[[float], str]) -> None:
    if chart.target is None:
        return
    drawing.lines.append(Line(x, top - 4, x, bottom, INK, dashed=True))
    drawing.texts.append(Text(x, bottom + 16, f"{chart.target_label} {fmt(chart.target)}",
                              "middle"))


def _short(label: str, limit: int = 22) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _vertical(chart: Chart, fmt: Callable[[float], str]) -> Drawing:
    left, right, top, bottom, height = 48.0, 8.0, 34.0, 30.0, 280.0
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    drawing = Drawing(chart, WIDTH, height)
    _legend(drawing, chart.series, 18)
    top_max = _scale_max(chart)
    for tick in (0.0, top_max / 2, top_max):
        y = top + plot_h - plot_h * tick / top_max
        drawing.lines.append(Line(left, y, WIDTH - right, y, GRID if tick else INK))
        drawing.texts.append(Text(left - 6, y + 4, fmt(tick), "end"))
    count = max(len(chart.categories), 1)
    group_w = plot_w / count
    bar_w = group_w * 0.8 / max(len(chart.series), 1)
    step = math.ceil(56 / group_w)  # room for a label: every step-th month, the last included
    for c, category in enumerate(chart.categories):
        x0 = left + c * group_w + group_w * 0.1
        if (count - 1 - c) % step == 0:
            drawing.texts.append(Text(x0 + group_w * 0.4, height - bottom + 18, category,
                                      "middle"))
        for s, series in enumerate(chart.series):
            value = series.values[c]
            if value is None:
                drawing.texts.append(Text(x0 + (s + 0.5) * bar_w, top + plot_h - 4, MISSING,
                                          "middle"))
                continue
            h = plot_h * value / top_max
            drawing.rects.append(Rect(x0 + s * bar_w, top + plot_h - h, bar_w, h,
                                      PALETTE[s % len(PALETTE)]))
    return drawing
