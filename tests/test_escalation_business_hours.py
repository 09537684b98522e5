"""Response targets in business hours: weekends, holidays, DST and leads received after hours."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from leads.models import HolidayCalendar, Lead, ResponsePolicy, TeamHoliday, WorkingHours
from leads.targets import compute_respond_by
from tests.factories import SourceFactory, TeamFactory

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def nine_to_six(db):
    team = TeamFactory(slug="berlin", name="Berlin", time_zone="Europe/Berlin")
    for weekday in range(5):
        WorkingHours.objects.create(team=team, weekday=weekday, opens=time(9), closes=time(18))
    return team


@pytest.fixture
def business_hour(db):
    source = SourceFactory(slug="web", name="Web")
    ResponsePolicy.objects.create(source=source, target_minutes=60, business_hours=True)
    return source


def due(team, source, received: datetime, temperature: str = "warm") -> datetime:
    return compute_respond_by(
        received_at=received, team=team, source=source, temperature=temperature
    ).astimezone(BERLIN)


def test_friday_evening_lead_is_due_monday_morning(nine_to_six, business_hour) -> None:
    received = datetime(2026, 6, 12, 17, 55, tzinfo=BERLIN)  # a Friday
    assert due(nine_to_six, business_hour, received) == datetime(2026, 6, 15, 9, 55, tzinfo=BERLIN)


def test_lead_received_on_saturday_is_due_an_hour_after_monday_opening(
    nine_to_six, business_hour
) -> None:
    received = datetime(2026, 6, 13, 11, 0, tzinfo=BERLIN)
    assert due(nine_to_six, business_hour, received) == datetime(2026, 6, 15, 10, 0, tzinfo=BERLIN)


def test_lead_received_before_opening_counts_from_opening(nine_to_six, business_hour) -> None:
    received = datetime(2026, 6, 15, 7, 0, tzinfo=BERLIN)
    assert due(nine_to_six, business_hour, received) == datetime(2026, 6, 15, 10, 0, tzinfo=BERLIN)


def test_lead_received_after_closing_counts_from_next_opening(nine_to_six, business_hour) -> None:
    received = datetime(2026, 6, 15, 19, 30, tzinfo=BERLIN)
    assert due(nine_to_six, business_hour, received) == datetime(2026, 6, 16, 10, 0, tzinfo=BERLIN)


def test_public_holidays_of_the_teams_country_are_skipped(nine_to_six, business_hour) -> None:
    HolidayCalendar.objects.create(team=nine_to_six, country="DE")
    # Thursday 24 Dec 2026 17:30; Friday 25 is Christmas Day, then a weekend.
    received = datetime(2026, 12, 24, 17, 30, tzinfo=BERLIN)
    # Saturday 26 is also a holiday in DE; Monday 28 is the next working day.
    assert due(nine_to_six, business_hour, received) == datetime(2026, 12, 28, 9, 30, tzinfo=BERLIN)


def test_custom_team_days_off_are_skipped(nine_to_six, business_hour) -> None:
    TeamHoliday.objects.create(team=nine_to_six, date=date(2026, 6, 15), name="Offsite")
    received = datetime(2026, 6, 12, 17, 55, tzinfo=BERLIN)
    assert due(nine_to_six, business_hour, received) == datetime(2026, 6, 16, 9, 55, tzinfo=BERLIN)


def test_a_dst_change_over_the_weekend_keeps_local_opening_hours(
    nine_to_six, business_hour
) -> None:
    # Clocks go back on Sunday 25 Oct 2026: Friday is UTC+2, Monday UTC+1.
    received = datetime(2026, 10, 23, 17, 55, tzinfo=BERLIN)
    respond_by = due(nine_to_six, business_hour, received)
    assert respond_by == datetime(2026, 10, 26, 9, 55, tzinfo=BERLIN)
    assert respond_by.utcoffset().total_seconds() == 3600
    assert respond_by.astimezone(ZoneInfo("UTC")).hour == 8


def test_a_dst_change_inside_a_window_counts_the_hours_that_really_pass(business_hour) -> None:
    team = TeamFactory(slug="night", name="Night shift", time_zone="Europe/Berlin")
    WorkingHours.objects.create(team=team, weekday=6, opens=time(0), closes=time(6))
    # Sunday 29 Mar 2026: 02:00 becomes 03:00, so 00:00-06:00 holds five real hours.
    policy = ResponsePolicy.objects.get(source=business_hour)
    policy.target_minutes = 300
    policy.save()  # save(), not update(): intake caches policies until a save signal
    received = datetime(2026, 3, 29, 0, 0, tzinfo=BERLIN)
    assert due(team, business_hour, received) == datetime(2026, 3, 29, 6, 0, tzinfo=BERLIN)
    policy.target_minutes = 301
    policy.save()
    # One minute more spills into the next Sunday window.
    assert due(team, business_hour, received) == datetime(2026, 4, 5, 0, 1, tzinfo=BERLIN)


def test_team_without_working_hours_uses_monday_to_friday_nine_to_six(business_hour) -> None:
    team = TeamFactory(slug="default-hours", name="Default hours", time_zone="Europe/Berlin")
    received = datetime(2026, 6, 12, 17, 55, tzinfo=BERLIN)
    assert due(team, business_hour, received) == datetime(2026, 6, 15, 9, 55, tzinfo=BERLIN)


def test_most_specific_policy_wins_and_no_policy_means_the_default(nine_to_six) -> None:
    web, fair = SourceFactory(slug="w", name="W"), SourceFactory(slug="f", name="F")
    ResponsePolicy.objects.create(temperature=Lead.Temperature.HOT, target_minutes=15)
    ResponsePolicy.objects.create(temperature=Lead.Temperature.COLD, target_minutes=48 * 60)
    ResponsePolicy.objects.create(source=web, target_minutes=30)
    ResponsePolicy.objects.create(source=web, temperature=Lead.Temperature.HOT, target_minutes=5)
    received = datetime(2026, 6, 13, 11, 0, tzinfo=BERLIN)  # Saturday: wall clock counts

    def minutes(source, temperature: str) -> float:
        return (due(nine_to_six, source, received, temperature) - received).total_seconds() / 60

    assert minutes(web, "hot") == 5
    assert minutes(web, "warm") == 30
    assert minutes(fair, "hot") == 15
    assert minutes(fair, "cold") == 48 * 60
    assert minutes(fair, "warm") == 60  # LEADS_RESPONSE_TARGET
