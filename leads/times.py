"""Times as people read them: relative ("12 min ago"), with the exact local time on hover."""

from __future__ import annotations

from datetime import datetime, tzinfo
from html import escape


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


def time_tag(value: datetime, now: datetime, tz: tzinfo) -> str:
    """`<time>` HTML: relative text, the exact time in `tz` as its title (shown on hover)."""
    delta = (value - now).total_seconds()
    text = f"in {describe_interval(delta)}" if delta > 0 else f"{describe_interval(delta)} ago"
    exact = value.astimezone(tz).strftime("%a %d %b %Y, %H:%M %Z")
    return f'<time datetime="{value.isoformat()}" title="{escape(exact)}">{text}</time>'
