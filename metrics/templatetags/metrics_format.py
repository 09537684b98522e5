from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """A fraction as a percentage, one decimal; an undefined rate as a dash."""
    return "—" if value is None else f"{value * 100:.1f}%"


@register.filter
def duration(seconds: float | None) -> str:
    """Seconds as "42s", "12m 05s", "3h 07m" or "2d 04h"; undefined as a dash."""
    if seconds is None:
        return "—"
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600:02d}h"


@register.filter
def cell(value: object, kind: str) -> str:
    if kind == "rate":
        return percent(value)  # type: ignore[arg-type]
    if kind == "seconds":
        return duration(value)  # type: ignore[arg-type]
    if kind == "met":
        return {True: "met", False: "missed", None: "no data"}[value]  # type: ignore[index]
    if kind == "minutes":
        return "—" if value is None else f"{value:.1f}"
    return "—" if value is None else str(value)
