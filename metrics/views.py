"""The board, the dashboards and their CSV exports: validate, call the query layer, render."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from leads.models import Lead, RepProfile
from metrics import charts
from metrics.exports import table_csv
from metrics.forms import BoardForm, DashboardForm
from metrics.goals import goals_to_raise
from metrics.models import Goal
from metrics.queries import (
    ALL_BANDS,
    BOARD_BUCKETS,
    Board,
    CohortMetrics,
    cohort_metrics,
    daily_board,
    month_start,
    monthly_metrics,
    next_period,
    speed_to_lead,
    sum_of_cohorts,
    weekly_metrics,
)
from metrics.scope import MetricScope, NotInScope, rep_scope, team_scope, teams_visible_to
from metrics.tables import (
    Table,
    bands_table,
    board_table,
    overdue_table,
    period_table,
    speed_table,
)

# --- scope ---------------------------------------------------------------------------------


def _team_scope(request: HttpRequest, team_id: int | None) -> MetricScope:
    try:
        return team_scope(request.user, team_id=team_id)
    except NotInScope as exc:
        raise Http404("No such team.") from exc


def _goals(scope: MetricScope) -> list[Goal]:
    return list(Goal.objects.filter(team=scope.teams[0])) if len(scope.teams) == 1 else []


# --- the board -----------------------------------------------------------------------------


@dataclass
class BoardPage:
    scope: MetricScope
    board: Board
    today: date
    now: datetime
    tables: list[Table]


def _board_page(request: HttpRequest) -> BoardPage:
    form = BoardForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    scope = _team_scope(request, data.get("team"))
    now = timezone.now()
    today = now.astimezone(scope.tz).date()
    board = daily_board(leads=scope.leads, day=data.get("day") or today, tz=scope.tz, now=now)
    return BoardPage(scope, board, today, now, [board_table(board), overdue_table(board, now=now)])


def _reassign_choices(leads: list[Lead]) -> dict[int, list[tuple[int, str]]]:
    """For each overdue lead, the other active people of its team, available reps first."""
    team_ids = {lead.team_id for lead in leads}
    profiles = (
        RepProfile.objects.filter(team_id__in=team_ids, user__is_active=True)
        .select_related("user")
        .order_by("-is_available", "user__username")
    )
    by_team: dict[int, list[Any]] = {}
    for p in profiles:
        by_team.setdefault(p.team_id, []).append(p.user)
    choices = {}
    for lead in leads:
        people = list(by_team.get(lead.team_id, []))
        if lead.team.manager_id and lead.team.manager not in people:
            people.append(lead.team.manager)
        choices[lead.pk] = [
            (u.pk, u.get_full_name() or u.get_username()) for u in people if u.pk != lead.owner_id
        ]
    return choices


# A page of reassign forms is for acting on; beyond this many the CSV lists them all.
OVERDUE_ROWS_SHOWN = 50


@login_required
@permission_required("metrics.view_metrics", raise_exception=True)
def board(request: HttpRequest) -> HttpResponse:
    page = _board_page(request)
    day = page.board.day
    choices = _reassign_choices(page.board.overdue[:OVERDUE_ROWS_SHOWN])
    overdue = [
        {
            "lead": lead,
            "age": (page.now - lead.received_at).total_seconds(),
            "overdue_by": (page.now - lead.respond_by).total_seconds(),
            "choices": choices.get(lead.pk, []),
        }
        for lead in page.board.overdue[:OVERDUE_ROWS_SHOWN]
    ]
    unrouted = (
        page.scope.leads.filter(unrouted=True, status__in=Lead.OPEN_STATUSES).order_by().count()
    )
    context = {
        "page": page,
        "board": page.board,
        "table": page.tables[0],
        "buckets": [(b, page.board.total.counts[b.key]) for b in BOARD_BUCKETS],
        "overdue": overdue,
        "unrouted": unrouted,
        "overdue_not_shown": len(page.board.overdue) - len(overdue),
        "day": day,
        "is_today": day == page.today,
        "today": page.today,
        "yesterday": page.today - timedelta(days=1),
        "previous_day": day - timedelta(days=1),
        "next_day": day + timedelta(days=1),
        "query": request.GET.urlencode(),
        "self_url": request.get_full_path(),
        "teams": list(teams_visible_to(request.user)),
        "team_id": request.GET.get("team", ""),
    }
    template = "metrics/_board.html" if getattr(request, "htmx", False) else "metrics/board.html"
    return render(request, template, context)


# --- the dashboard ---------------------------------------------------------------------------


def _week_label(m: CohortMetrics) -> str:
    return f"{m.period_start:%d %b}" if m.period_start else ""


def _group_labels(split: str, keys: list[Any]) -> dict[Any, str]:
    from django.contrib.auth import get_user_model

    from leads.models import Source, Team

    if split == "team":
        return {t.pk: t.name for t in Team.objects.filter(pk__in=keys)}
    if split == "source":
        return {s.pk: s.name for s in Source.objects.filter(pk__in=keys)}
    if split == "rep":
        users = get_user_model().objects.filter(pk__in=keys)
        return {u.pk: u.get_full_name() or u.get_username() for u in users}
    return {k: str(Lead.Temperature(k).label) for k in keys}


def _pct(v: float) -> str:
    return f"{v * 100:.0f}%"


def _minutes(v: float) -> str:
    return f"{v:.0f} min"


def build_dashboard(
    *, scope: MetricScope, first: date, last: date, split: str | None, goals: list[Goal]
) -> dict[str, Any]:
    weeks = weekly_metrics(leads=scope.leads, start=first, end=last, tz=scope.tz)
    total = sum_of_cohorts(weeks)
    labels = [_week_label(w) for w in weeks]
    weekly = period_table(
        key="weekly",
        title="Weekly cohorts (by week received)",
        first_header="Week of",
        cohorts=weeks,
        label=lambda m: f"{m.period_start:%Y-%m-%d}",
        goals=goals,
        total=total,
    )
    speed = speed_to_lead(weeks)
    tables = [
        weekly,
        bands_table(weeks, lambda m: f"{m.period_start:%Y-%m-%d}"),
        speed_table(speed),
    ]
    if split:
        rows = cohort_metrics(
            leads=scope.leads,
            first_day=weeks[0].period_start,
            last_day=weeks[-1].period_start + timedelta(days=6),
            tz=scope.tz,
            period=None,
            group_by=split,
        )
        names = _group_labels(split, [r.group for r in rows])
        tables.append(
            period_table(
                key="split",
                title=f"By {split} over the selected weeks",
                first_header=split.capitalize(),
                cohorts=sorted(rows, key=lambda r: names.get(r.group, str(r.group))),
                label=lambda m: names.get(m.group, str(m.group)),
            )
        )
    span = (
        f"{weeks[0].period_start:%d %b %Y} to {weeks[-1].period_start + timedelta(days=6):%d %b %Y}"
    )
    minutes = lambda s: None if s is None else s / 60  # noqa: E731
    chart_list = {
        "volume": charts.bar_chart(
            title="Weekly lead volume",
            description=f"Leads received per week, {span}. The table below lists each week.",
            categories=labels,
            series=[charts.Series("Leads", [w.leads for w in weeks])],
        ),
        "response": charts.line_chart(
            title="Response time per week (minutes)",
            description=f"Median and 90th percentile of first contact minus received, {span}.",
            categories=labels,
            series=[
                charts.Series("Median", [minutes(w.response_seconds_median) for w in weeks]),
                charts.Series("P90", [minutes(w.response_seconds_p90) for w in weeks], "s2"),
            ],
            fmt=_minutes,
        ),
        "rates": charts.line_chart(
            title="Within target, qualification and order rate per week",
            description=f"Shares of each week's leads, {span}.",
            categories=labels,
            series=[
                charts.Series("Within target", [w.within_target_rate for w in weeks]),
                charts.Series("Qualified", [w.qualification_rate for w in weeks], "s2"),
                charts.Series("Ordered", [w.order_rate for w in weeks], "s3"),
            ],
            fmt=_pct,
            y_max=1.0,
        ),
        "bands": charts.bar_chart(
            title="Response time distribution",
            description=f"Leads per response-time band over {span}.",
            categories=[b.label for b in ALL_BANDS],
            series=[charts.Series("Leads", [bc.leads for bc in speed])],
        ),
        "speed": charts.bar_chart(
            title="Speed to lead",
            description=(
                f"Qualification and order rate by response-time band over {span}: "
                "how the first hour pays off in this team's own data."
            ),
            categories=[b.label for b in ALL_BANDS],
            series=[
                charts.Series("Qualification rate", [b.qualification_rate for b in speed]),
                charts.Series("Order rate", [b.order_rate for b in speed], "s2"),
            ],
            fmt=_pct,
            y_max=1.0,
        ),
    }
    return {"weeks": weeks, "total": total, "tables": tables, "charts": chart_list, "span": span}


def _dashboard_request(
    request: HttpRequest, *, mine: bool
) -> tuple[MetricScope, DashboardForm, dict[str, Any]]:
    teams = [] if mine else list(teams_visible_to(request.user))
    form = DashboardForm(request.GET or None, teams=teams)
    data = form.cleaned_data if form.is_valid() else {}
    scope = rep_scope(request.user) if mine else _team_scope(request, data.get("team"))
    today = timezone.now().astimezone(scope.tz).date()
    first, last = form.window(today=today)
    split = None if mine else (data.get("split") or None)
    built = build_dashboard(
        scope=scope, first=first, last=last, split=split, goals=[] if mine else _goals(scope)
    )
    return scope, form, built


def _render_dashboard(request: HttpRequest, *, mine: bool) -> HttpResponse:
    scope, form, built = _dashboard_request(request, mine=mine)
    return render(
        request,
        "metrics/dashboard.html",
        {"scope": scope, "form": form, **built, "query": request.GET.urlencode(), "mine": mine},
    )


@login_required
@permission_required("metrics.view_metrics", raise_exception=True)
def dashboard(request: HttpRequest) -> HttpResponse:
    return _render_dashboard(request, mine=False)


@login_required
@permission_required("leads.view_lead", raise_exception=True)
def my_metrics(request: HttpRequest) -> HttpResponse:
    return _render_dashboard(request, mine=True)


# --- goals: the monthly review ---------------------------------------------------------------

MONTHS_SHOWN = 6


def build_monthly(*, scope: MetricScope, today: date, goals: list[Goal]) -> dict[str, Any]:
    this_month = month_start(today)
    first = this_month
    for _ in range(MONTHS_SHOWN - 1):
        first = month_start(first - timedelta(days=1))
    months = monthly_metrics(leads=scope.leads, start=first, end=today, tz=scope.tz)
    table = period_table(
        key="monthly",
        title="Monthly review (the current month so far is the last row)",
        first_header="Month",
        cohorts=months,
        label=lambda m: f"{m.period_start:%Y-%m}",
        goals=goals,
        period="month",
    )
    complete = [m for m in months if next_period(m.period_start, "month") <= this_month]
    return {"months": months, "tables": [table], "raise": goals_to_raise(goals, complete)}


@login_required
@permission_required("metrics.view_metrics", raise_exception=True)
def monthly(request: HttpRequest) -> HttpResponse:
    teams = list(teams_visible_to(request.user))
    form = DashboardForm(request.GET or None, teams=teams)
    data = form.cleaned_data if form.is_valid() else {}
    scope = _team_scope(request, data.get("team"))
    goals = _goals(scope)
    today = timezone.now().astimezone(scope.tz).date()
    built = build_monthly(scope=scope, today=today, goals=goals)
    return render(
        request,
        "metrics/monthly.html",
        {"scope": scope, "form": form, "goals": goals, **built, "query": request.GET.urlencode()},
    )


# --- CSV -------------------------------------------------------------------------------------

BOARD_TABLES = {"board", "overdue"}
DASHBOARD_TABLES = {"weekly", "bands", "speed", "split"}


@login_required
def export(request: HttpRequest, table: str) -> HttpResponse:
    """Any table shown, as CSV, for the same query string as the page that shows it."""
    mine = request.GET.get("mine") == "1"
    needed = "leads.view_lead" if mine else "metrics.view_metrics"
    if not request.user.has_perm(needed):
        raise PermissionDenied
    if table in BOARD_TABLES and not mine:
        tables = _board_page(request).tables
    elif table in DASHBOARD_TABLES:
        tables = _dashboard_request(request, mine=mine)[2]["tables"]
    elif table == "monthly" and not mine:
        form = DashboardForm(request.GET, teams=list(teams_visible_to(request.user)))
        data = form.cleaned_data if form.is_valid() else {}
        scope = _team_scope(request, data.get("team"))
        today = timezone.now().astimezone(scope.tz).date()
        tables = build_monthly(scope=scope, today=today, goals=_goals(scope))["tables"]
    else:
        raise Http404("No such table.")
    found = next((t for t in tables if t.key == table), None)
    if found is None:
        raise Http404("No such table for this view.")
    response = HttpResponse(table_csv(found), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{table}.csv"'
    return response
