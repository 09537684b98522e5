"""Per-source intake and follow-up figures for marketing: counts only, no lead details."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from leads.models import (
    Source,
    SpamCount,
)

if TYPE_CHECKING:
    pass


FOLLOW_UP_WINDOW_DAYS = 30


@dataclass(frozen=True)
class SourceFigures:
    source: Source
    received_today: int
    received_this_week: int
    spam_today: int
    spam_this_week: int
    due: int  # leads of the window whose respond-by has passed or who were contacted
    within_target: int

    @property
    def share_within_target(self) -> float | None:
        return self.within_target / self.due if self.due else None


def source_figures(*, now: datetime) -> dict[str, Any]:
    """Intake and follow-up per source, for marketing: counts only, no lead details.

    "Contacted within target" is over the leads of the last FOLLOW_UP_WINDOW_DAYS days that
    are due (respond-by passed) or already contacted, so leads still inside their window
    count neither for nor against; a due lead never contacted counts against.
    """
    local = timezone.localtime(now)
    today = local.replace(hour=0, minute=0, second=0, microsecond=0)
    week = today - timedelta(days=today.weekday())
    window = now - timedelta(days=FOLLOW_UP_WINDOW_DAYS)
    recent = Q(leads__received_at__gte=window)
    due = recent & (Q(leads__respond_by__lte=now) | Q(leads__first_contact_at__isnull=False))
    sources = Source.objects.annotate(
        received_today=Count("leads", filter=Q(leads__received_at__gte=today)),
        received_this_week=Count("leads", filter=Q(leads__received_at__gte=week)),
        due=Count("leads", filter=due),
        within_target=Count(
            "leads", filter=recent & Q(leads__first_contact_at__lte=F("leads__respond_by"))
        ),
    ).order_by("name")
    spam = {
        row["source"]: row
        for row in SpamCount.objects.filter(day__gte=week.date())
        .values("source")
        .annotate(week=Sum("dropped"), today=Sum("dropped", filter=Q(day=today.date())))
    }
    rows = [
        SourceFigures(
            source=s,
            received_today=s.received_today,
            received_this_week=s.received_this_week,
            spam_today=(spam.get(s.pk, {}).get("today") or 0),
            spam_this_week=(spam.get(s.pk, {}).get("week") or 0),
            due=s.due,
            within_target=s.within_target,
        )
        for s in sources
    ]
    return {"rows": rows, "week_start": week, "window_days": FOLLOW_UP_WINDOW_DAYS, "now": now}
