"""Response targets: when a lead must have had its first contact."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings

from leads.durations import parse_duration

if TYPE_CHECKING:
    from leads.models import Source, Team


def default_response_target() -> timedelta:
    return parse_duration(settings.LEADS_RESPONSE_TARGET)


def compute_respond_by(
    *, received_at: datetime, team: Team, source: Source, temperature: str
) -> datetime:
    """The respond-by time of a lead received now: received + the response target."""
    return received_at + default_response_target()
