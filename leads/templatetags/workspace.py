"""Template helpers of the rep workspace: honest, readable times."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html

register = template.Library()


def describe_interval(seconds: float) -> str:
    """ "12 min", "3 h 05 min", "2 days": rounded down, as a person would say it."""
    seconds = abs(int(seconds))
    if seconds < 60:
        return "under a minute"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days = hours // 24
    return f"{days} day" if days == 1 else f"{days} days"


@register.simple_tag
def when(value: datetime | None, now: datetime | None = None) -> str:
    """`<time>` with a relative text ("12 min ago") and the exact local time on hover."""
    if value is None:
        return "—"
    now = now or timezone.now()
    delta = (value - now).total_seconds()
    text = f"in {describe_interval(delta)}" if delta > 0 else f"{describe_interval(delta)} ago"
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        local.strftime("%a %d %b %Y, %H:%M %Z"),
        text,
    )


@register.filter
def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text and text.strip() else ""
