"""Response targets: when a lead must have had its first contact.

A target is a duration, optionally counted in the team's business hours: working hours per
weekday in the team's time zone, minus public holidays (the `holidays` package) and the
team's own days off. Arithmetic across a day is done in UTC, so a DST change inside a
window counts the hours that really pass; windows are placed by local wall-clock time.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property

import holidays
from django.conf import settings

from leads.durations import parse_duration
from leads.models import HolidayCalendar, ResponsePolicy, Source, Team, TeamHoliday, WorkingHours
from leads.process_cache import ProcessCache

# Teams with a business-hours policy but no working hours set: Monday to Friday, 9 to 18.
DEFAULT_WORKING_HOURS = {day: (time(9), time(18)) for day in range(5)}
# A target longer than this many calendar days without a working minute is a
# misconfiguration (e.g. every day a holiday), not a reason to loop forever.
MAX_SEARCH_DAYS = 366


def default_response_target() -> timedelta:
    return parse_duration(settings.LEADS_RESPONSE_TARGET)


@dataclass(frozen=True)
class Target:
    duration: timedelta
    business_hours: bool = False


def response_target(*, source: Source | None, temperature: str) -> Target:
    """The target of a lead from `source` with `temperature`: the most specific policy wins."""
    source_id = source.pk if source is not None else None
    policies = [
        policy
        for policy in _policies.get()
        if (policy.source_id is None and policy.temperature == temperature)
        or (source_id is not None and policy.source_id == source_id
            and policy.temperature in ("", temperature))
    ]  # fmt: skip
    if not policies:
        return Target(default_response_target())
    # Source and temperature (2+1) beats source alone (2) beats temperature alone (1).
    best = max(policies, key=lambda p: (2 if p.source_id else 0) + (1 if p.temperature else 0))
    return Target(timedelta(minutes=best.target_minutes), best.business_hours)


# Every policy (a handful), per process: intake reads the target of every lead.
_policies = ProcessCache(lambda: list(ResponsePolicy.objects.all()), models=[ResponsePolicy])


@dataclass
class BusinessCalendar:
    """Working windows of one team; build with `for_team`."""

    tz: zoneinfo.ZoneInfo
    hours: dict[int, tuple[time, time]]
    country: str = ""
    subdivision: str = ""
    custom_days_off: frozenset[date] = frozenset()

    @classmethod
    def for_team(cls, team: Team) -> BusinessCalendar:
        hours = {
            row.weekday: (row.opens, row.closes) for row in WorkingHours.objects.filter(team=team)
        }
        calendar = HolidayCalendar.objects.filter(team=team).first()
        return cls(
            tz=team.tzinfo,
            hours=hours or dict(DEFAULT_WORKING_HOURS),
            country=calendar.country if calendar else "",
            subdivision=calendar.subdivision if calendar else "",
            custom_days_off=frozenset(
                TeamHoliday.objects.filter(team=team).values_list("date", flat=True)
            ),
        )

    @cached_property
    def _public_holidays(self) -> holidays.HolidayBase | dict[date, str]:
        if not self.country:
            return {}
        return holidays.country_holidays(self.country, subdiv=self.subdivision or None)

    def is_day_off(self, day: date) -> bool:
        return day in self.custom_days_off or day in self._public_holidays

    def windows(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working windows (UTC) from the local day of `start` on, in order."""
        day = start.astimezone(self.tz).date()
        for offset in range(MAX_SEARCH_DAYS):
            current = day + timedelta(days=offset)
            if current.weekday() not in self.hours or self.is_day_off(current):
                continue
            opens, closes = self.hours[current.weekday()]
            # datetime(..., tzinfo=ZoneInfo) resolves a wall time in a DST gap or fold the
            # way PEP 495 says; converting to UTC fixes the instant before any arithmetic.
            yield (
                datetime.combine(current, opens, tzinfo=self.tz).astimezone(UTC),
                datetime.combine(current, closes, tzinfo=self.tz).astimezone(UTC),
            )

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """`start` plus `duration` of working time; time outside the windows does not count."""
        remaining = duration
        start = start.astimezone(UTC)
        for opens, closes in self.windows(start):
            if closes <= start:
                continue
            begin = max(start, opens)
            available = closes - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise ValueError(f"no working time within {MAX_SEARCH_DAYS} days of {start}")


def compute_respond_by(
    *, received_at: datetime, team: Team, source: Source | None, temperature: str
) -> datetime:
    """The respond-by time of a lead received at `received_at`: received + its target."""
    target = response_target(source=source, temperature=temperature)
    if not target.business_hours:
        return received_at + target.duration
    return BusinessCalendar.for_team(team).add(received_at, target.duration)
