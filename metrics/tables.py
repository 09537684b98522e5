"""The tables under every chart, built once and rendered twice: as HTML and as CSV."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from metrics.goals import GoalCheck, check_goal
from metrics.models import Goal
from metrics.queries import ALL_BANDS, BOARD_BUCKETS, BandCount, Board, CohortMetrics


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "int"  # int, text, rate (fraction), seconds, minutes, met


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    footer: list[list[Any]] = field(default_factory=list)

    def cells(self) -> list[list[tuple[Any, str]]]:
        return [list(zip(row, [c.kind for c in self.columns], strict=True)) for row in self.rows]

    def footer_cells(self) -> list[list[tuple[Any, str]]]:
        return [list(zip(row, [c.kind for c in self.columns], strict=True)) for row in self.footer]


METRIC_COLUMNS = [
    Column("Leads"),
    Column("Contacted"),
    Column("Within target"),
    Column("Within target rate", "rate"),
    Column("Never contacted"),
    Column("Median response", "seconds"),
    Column("P90 response", "seconds"),
    Column("Qualified"),
    Column("Qualification rate", "rate"),
    Column("Ordered"),
    Column("Order rate", "rate"),
]


def metric_cells(m: CohortMetrics) -> list[Any]:
    return [
        m.leads,
        m.contacted,
        m.contacted_within_target,
        m.within_target_rate,
        m.never_contacted,
        m.response_seconds_median,
        m.response_seconds_p90,
        m.qualified,
        m.qualification_rate,
        m.ordered,
        m.order_rate,
    ]


def period_table(
    *,
    key: str,
    title: str,
    first_header: str,
    cohorts: Sequence[CohortMetrics],
    label: Callable[[CohortMetrics], str],
    goals: Sequence[Goal] = (),
    period: str = "week",
    total: CohortMetrics | None = None,
) -> Table:
    goal_columns = [Column(f"Goal: {g.get_metric_display()} {_target(g)}", "met") for g in goals]
    table = Table(key, title, [Column(first_header, "text"), *METRIC_COLUMNS, *goal_columns])
    for m in cohorts:
        checks: list[GoalCheck] = [check_goal(g, m, period=period) for g in goals]
        table.rows.append([label(m), *metric_cells(m), *(c.met for c in checks)])
    if total is not None:
        table.footer.append(["All", *metric_cells(total), *([""] * len(goals))])
    return table


def _target(goal: Goal) -> str:
    target = float(goal.target)
    if goal.metric in (Goal.Metric.WEEKLY_VOLUME, Goal.Metric.MEDIAN_RESPONSE_MINUTES):
        return f"{target:g}"
    return f"{target * 100:g}%"


def bands_table(cohorts: Sequence[CohortMetrics], label: Callable[[CohortMetrics], str]) -> Table:
    table = Table(
        "bands",
        "Response time distribution (leads per band)",
        [Column("Week", "text"), *(Column(b.label) for b in ALL_BANDS)],
    )
    for m in cohorts:
        table.rows.append([label(m), *(bc.leads for bc in m.bands)])
    return table


def speed_table(bands: Sequence[BandCount]) -> Table:
    table = Table(
        "speed",
        "Speed to lead: qualification and order rate by response time",
        [
            Column("Response time", "text"),
            Column("Leads"),
            Column("Qualified"),
            Column("Qualification rate", "rate"),
            Column("Ordered"),
            Column("Order rate", "rate"),
        ],
    )
    for bc in bands:
        table.rows.append(
            [
                bc.band.label,
                bc.leads,
                bc.qualified,
                bc.qualification_rate,
                bc.ordered,
                bc.order_rate,
            ]
        )
    return table


def board_table(board: Board) -> Table:
    table = Table(
        "board",
        f"Leads received {board.day:%A %d %B %Y} by rep",
        [
            Column("Rep", "text"),
            *(Column(b.label) for b in BOARD_BUCKETS),
            Column("Leads"),
            Column("Followed up"),
            Column("Median response", "seconds"),
        ],
    )
    for row in board.reps:
        table.rows.append(
            [row.label, *row.cells, row.leads, row.followed_up, row.response_seconds_median]
        )
    t = board.total
    table.footer.append(["All", *t.cells, t.leads, t.followed_up, t.response_seconds_median])
    return table


def overdue_table(board: Board, *, now: datetime) -> Table:
    table = Table(
        "overdue",
        "Overdue leads",
        [
            Column("Lead", "text"),
            Column("Owner", "text"),
            Column("Received", "text"),
            Column("Overdue for", "seconds"),
        ],
    )
    for lead in board.overdue:
        owner = lead.owner.get_full_name() or lead.owner.get_username()
        table.rows.append(
            [
                f"#{lead.pk} {lead.name}",
                owner,
                lead.received_at.isoformat(),
                (now - lead.respond_by).total_seconds(),
            ]
        )
    return table
