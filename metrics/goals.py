"""Actual against goal: met or missed per week and per month, and which goals to raise."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from metrics.models import Goal
from metrics.queries import CohortMetrics

MONTHS_IN_A_ROW_TO_RAISE = 3


@dataclass(frozen=True)
class GoalCheck:
    goal: Goal
    actual: float | None
    met: bool | None  # None: no data to judge (no leads, or no contacted lead)


def actual_for(goal: Goal, cohort: CohortMetrics, *, period: str = "week") -> float | None:
    if goal.metric == Goal.Metric.WEEKLY_VOLUME:
        if period == "month" and cohort.period_start is not None:
            # A monthly check of a weekly goal compares the month's average week.
            start = cohort.period_start
            days = calendar.monthrange(start.year, start.month)[1]
            return cohort.leads * 7 / days
        return float(cohort.leads)
    if goal.metric == Goal.Metric.MEDIAN_RESPONSE_MINUTES:
        return cohort.response_minutes_median
    if goal.metric == Goal.Metric.WITHIN_TARGET_RATE:
        return cohort.within_target_rate
    if goal.metric == Goal.Metric.QUALIFICATION_RATE:
        return cohort.qualification_rate
    return cohort.order_rate


def check_goal(goal: Goal, cohort: CohortMetrics, *, period: str = "week") -> GoalCheck:
    actual = actual_for(goal, cohort, period=period)
    if actual is None or cohort.leads == 0:
        return GoalCheck(goal, actual, None)
    target = float(Decimal(goal.target))
    met = actual <= target if goal.lower_is_better else actual >= target
    return GoalCheck(goal, actual, met)


def goals_to_raise(goals: Sequence[Goal], months: Sequence[CohortMetrics]) -> list[Goal]:
    """Goals met in each of the last three months given (the caller passes complete months)."""
    recent = list(months)[-MONTHS_IN_A_ROW_TO_RAISE:]
    if len(recent) < MONTHS_IN_A_ROW_TO_RAISE:
        return []
    return [goal for goal in goals if all(check_goal(goal, m, period="month").met for m in recent)]
