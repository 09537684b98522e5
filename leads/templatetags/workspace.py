"""Template helpers of the rep workspace: honest, readable times, and the queue's rows."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from leads.times import time_tag

register = template.Library()


@register.simple_tag
def when(value: datetime | None, now: datetime | None = None) -> str:
    """`<time>` with a relative text ("12 min ago") and the exact local time on hover."""
    if value is None:
        return "—"
    # time_tag escapes the only free text it writes (the formatted date).
    return mark_safe(  # noqa: S308
        time_tag(value, now or timezone.now(), timezone.get_current_timezone())
    )


@register.simple_tag(takes_context=True)
def queue_rows(context: template.Context, leads: list, now: datetime) -> SafeString:
    """The queue's rows (leads.queue_rows): built in Python, as the queue is large and hot."""
    from leads.queue_rows import render_queue_rows

    request = context["request"]
    return render_queue_rows(
        leads, now=now, csrf=str(context["csrf_token"]), next_url=request.get_full_path()
    )
