"""The four metrics for hand-built weekly cohorts with known answers (query layer)."""

from __future__ import annotations

from datetime import date

import pytest

from leads.models import Lead
from metrics.queries import cohort_metrics, monthly_metrics, speed_to_lead, weekly_metrics
from tests.factories import SourceFactory, TeamFactory, make_rep
from tests.metrics_data import (
    BERLIN,
    EXPECTED_WEEK_1,
    EXPECTED_WEEK_2,
    EXPECTED_WEEK_3_MEDIAN,
    WEEK_0,
    WEEK_1,
    WEEK_2,
    WEEK_3,
    build_cohort,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort():
    team = TeamFactory(name="Berlin", slug="berlin", time_zone="Europe/Berlin")
    ana, ben = make_rep(team=team, username="ana"), make_rep(team=team, username="ben")
    build_cohort(team=team, owner=ana, other_owner=ben, source=SourceFactory())
    return {"team": team, "ana": ana, "ben": ben}


def as_dict(m) -> dict:
    return {
        "week_start": m.period_start.isoformat(),
        "leads": m.leads,
        "contacted": m.contacted,
        "contacted_within_target": m.contacted_within_target,
        "within_target_rate": m.within_target_rate,
        "never_contacted": m.never_contacted,
        "response_seconds_median": m.response_seconds_median,
        "response_seconds_p90": m.response_seconds_p90,
        "qualified": m.qualified,
        "qualification_rate": m.qualification_rate,
        "ordered": m.ordered,
        "order_rate": m.order_rate,
    }


def test_week_metrics_match_the_hand_computed_answers(cohort) -> None:
    weeks = weekly_metrics(leads=Lead.objects.all(), start=WEEK_1, end=WEEK_3, tz=BERLIN)
    assert [w.period_start for w in weeks] == [WEEK_1, WEEK_2, WEEK_3]
    week_1 = as_dict(weeks[0])
    assert week_1.pop("response_seconds_p90") == pytest.approx(
        EXPECTED_WEEK_1["response_seconds_p90"]
    )
    assert week_1 == {k: v for k, v in EXPECTED_WEEK_1.items() if k != "response_seconds_p90"}


def test_an_empty_week_is_reported_with_zero_leads_and_undefined_rates(cohort) -> None:
    weeks = weekly_metrics(leads=Lead.objects.all(), start=WEEK_1, end=WEEK_3, tz=BERLIN)
    assert as_dict(weeks[1]) == EXPECTED_WEEK_2
    assert weeks[2].leads == 1
    assert weeks[2].response_seconds_median == EXPECTED_WEEK_3_MEDIAN


def test_week_boundaries_follow_the_team_time_zone_not_utc(cohort) -> None:
    from zoneinfo import ZoneInfo

    berlin = weekly_metrics(leads=Lead.objects.all(), start=WEEK_0, end=WEEK_3, tz=BERLIN)
    utc = weekly_metrics(leads=Lead.objects.all(), start=WEEK_0, end=WEEK_3, tz=ZoneInfo("UTC"))
    assert [w.leads for w in berlin] == [1, 5, 0, 1]
    # In UTC the Monday 00:30 lead falls in week 0 and the Monday 00:10 one in week 2.
    assert [w.leads for w in utc] == [2, 4, 1, 0]


def test_contact_exactly_at_the_target_counts_as_within_target(cohort) -> None:
    (week,) = weekly_metrics(leads=Lead.objects.all(), start=WEEK_1, end=WEEK_1, tz=BERLIN)
    bands = {b.band.key: b.leads for b in week.bands}
    assert bands == {
        "le_5m": 1,
        "le_15m": 0,
        "le_60m": 1,  # exactly 60 minutes
        "le_4h": 1,  # 61 minutes
        "le_24h": 0,
        "later": 1,
        "never": 1,
    }
    assert week.contacted_within_target == 2


def test_never_contacted_leads_count_in_the_cohort_but_not_in_the_percentiles(cohort) -> None:
    (week,) = weekly_metrics(leads=Lead.objects.all(), start=WEEK_1, end=WEEK_1, tz=BERLIN)
    assert week.never_contacted == 1
    assert week.leads == 5
    assert week.response_seconds_median == 3630.0


def test_speed_to_lead_gives_rates_per_band_over_the_range(cohort) -> None:
    weeks = weekly_metrics(leads=Lead.objects.all(), start=WEEK_1, end=WEEK_3, tz=BERLIN)
    bands = {
        b.band.key: (b.leads, b.qualification_rate, b.order_rate) for b in speed_to_lead(weeks)
    }
    assert bands["le_5m"] == (1, 1.0, 0.0)
    assert bands["le_15m"] == (1, 0.0, 0.0)
    assert bands["le_60m"] == (1, 1.0, 1.0)
    assert bands["le_24h"] == (0, None, None)


def test_a_split_by_rep_counts_each_rep_separately(cohort) -> None:
    rows = weekly_metrics(
        leads=Lead.objects.all(), start=WEEK_1, end=WEEK_1, tz=BERLIN, group_by="rep"
    )
    by_rep = {r.group: r.leads for r in rows}
    assert by_rep == {cohort["ana"].pk: 3, cohort["ben"].pk: 2}


def test_monthly_cohorts_use_calendar_months_in_the_team_zone(cohort) -> None:
    months = monthly_metrics(
        leads=Lead.objects.all(), start=date(2026, 2, 1), end=date(2026, 3, 31), tz=BERLIN
    )
    assert [(m.period_start, m.leads) for m in months] == [
        (date(2026, 2, 1), 0),
        (date(2026, 3, 1), 7),
    ]


def test_a_whole_range_cohort_has_one_row(cohort) -> None:
    (total,) = cohort_metrics(
        leads=Lead.objects.all(), first_day=WEEK_1, last_day=WEEK_3, tz=BERLIN, period=None
    )
    assert total.leads == 6
