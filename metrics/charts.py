"""Bar and line charts drawn on the server as inline SVG: axes, tick labels, a legend and a
text alternative (<title>/<desc>), no script and no inline style (the CSP forbids both;
colours come from classes in app.css). Every chart is followed by a table in the template.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import count

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 56
_ids = count(1)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    css: str = "s1"


def nice_max(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^n at or above `value` (at least 1)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return float(step * magnitude)
    return float(10 * magnitude)


@dataclass
class _Frame:
    """An open <svg> with its axes and legend drawn; the chart adds its marks and closes it."""

    parts: list[str]
    top: float  # the value at the top of the y axis
    slot: float  # width of one category
    plot_h: float

    def y(self, value: float) -> float:
        return TOP + self.plot_h - self.plot_h * (value / self.top)

    def close(self) -> SafeString:
        self.parts.append("</svg>")
        return mark_safe("".join(self.parts))  # noqa: S308 - every text in it is escaped


def _frame(
    *,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    y_max: float | None,
    fmt: Callable[[float], str],
) -> _Frame:
    values = [v for s in series for v in s.values if v is not None]
    y_max = y_max or nice_max(max(values, default=0))
    uid = f"chart-{next(_ids)}"
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{uid}-t {uid}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{uid}-t">{escape(title)}</title>',
        f'<desc id="{uid}-d">{escape(description)}</desc>',
    ]
    for i in range(5):
        value = y_max * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(
            f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(fmt(value))}</text>"
        )
    parts.append(
        f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" '
        f'y2="{TOP + plot_h}"/><line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" '
        f'y2="{TOP + plot_h}"/>'
    )
    slot = plot_w / max(len(categories), 1)
    every = max(1, math.ceil(len(categories) / 12))
    for i, label in enumerate(categories):
        if i % every:
            continue
        x = LEFT + slot * (i + 0.5)
        parts.append(
            f'<text class="tick" x="{x:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    legend_x = LEFT
    for s in series:
        parts.append(
            f'<rect class="{s.css}" x="{legend_x}" y="{HEIGHT - 18}" width="12" height="12"/>'
            f'<text class="legend" x="{legend_x + 16}" y="{HEIGHT - 8}">{escape(s.name)}</text>'
        )
        legend_x += 24 + 8 * len(s.name)
    return _Frame(parts=parts, top=y_max, slot=slot, plot_h=plot_h)


def bar_chart(
    *,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
    y_max: float | None = None,
) -> SafeString:
    """Grouped bars, one group per category; missing values draw no bar."""
    frame = _frame(
        title=title,
        description=description,
        categories=categories,
        series=series,
        y_max=y_max,
        fmt=fmt,
    )
    slot = frame.slot
    bar_w = slot * 0.8 / max(len(series), 1)
    for si, s in enumerate(series):
        for i, value in enumerate(s.values):
            if value is None:
                continue
            x = LEFT + slot * i + slot * 0.1 + bar_w * si
            y = frame.y(value)
            frame.parts.append(
                f'<rect class="{s.css}" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
                f'height="{TOP + frame.plot_h - y:.1f}"><title>{escape(categories[i])}: '
                f"{escape(s.name)} {escape(fmt(value))}</title></rect>"
            )
    return frame.close()


def line_chart(
    *,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
    y_max: float | None = None,
) -> SafeString:
    """One line per series; a missing value breaks the line and draws no point."""
    frame = _frame(
        title=title,
        description=description,
        categories=categories,
        series=series,
        y_max=y_max,
        fmt=fmt,
    )
    slot = frame.slot
    for s in series:
        segment: list[str] = []
        points = []
        for i, value in enumerate([*s.values, None]):
            if value is None:
                if len(segment) > 1:
                    frame.parts.append(
                        f'<polyline class="line {s.css}" points="{" ".join(segment)}"/>'
                    )
                segment = []
                continue
            x, y = LEFT + slot * (i + 0.5), frame.y(value)
            segment.append(f"{x:.1f},{y:.1f}")
            points.append(
                f'<circle class="{s.css}" cx="{x:.1f}" cy="{y:.1f}" r="3.5"><title>'
                f"{escape(categories[i])}: {escape(s.name)} {escape(fmt(value))}</title></circle>"
            )
        frame.parts.extend(points)
    return frame.close()
