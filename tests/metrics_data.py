"""Hand-built cohorts with known answers for the metrics tests (query layer, API, CSV).

The team works in Europe/Berlin, so week boundaries differ from UTC by an hour or two.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from leads.models import Lead, Source, Team

BERLIN = ZoneInfo("Europe/Berlin")
WEEK_1 = date(2026, 3, 2)  # Monday; CET (+01:00)
WEEK_2 = date(2026, 3, 9)  # no leads
WEEK_3 = date(2026, 3, 16)
WEEK_0 = date(2026, 2, 23)


def berlin(y: int, m: int, d: int, hh: int, mm: int) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=BERLIN)


def add_lead(
    *,
    team: Team,
    owner,
    source: Source,
    received_at: datetime,
    contact_after: timedelta | None = None,
    touch_after: timedelta | None = None,
    qualified: bool = False,
    ordered: bool = False,
    closed: str = "",
    temperature: str = "warm",
    using: str = "default",
    name: str = "Prospect",
) -> Lead:
    """A lead as the workflows leave it, with consistent timestamps and status."""
    first_contact_at = received_at + contact_after if contact_after is not None else None
    first_touch_at = received_at + touch_after if touch_after is not None else first_contact_at
    status = Lead.Status.CONTACTED if first_contact_at else Lead.Status.NEW
    qualified_at = ordered_at = closed_at = None
    close_reason = ""
    later = (first_contact_at or received_at) + timedelta(days=1)
    if qualified or ordered:
        status, qualified_at = Lead.Status.QUALIFIED, later
    if ordered:
        status, ordered_at, closed_at = Lead.Status.ORDERED, later, later
    if closed:
        status, closed_at, close_reason = closed, later, Lead.CloseReason.NOT_INTERESTED
    return Lead.objects.db_manager(using).create(
        team=team,
        owner=owner,
        source=source,
        name=name,
        email="p@example.com",
        received_at=received_at,
        assigned_at=received_at,
        respond_by=received_at + timedelta(minutes=60),
        first_touch_at=first_touch_at,
        first_contact_at=first_contact_at,
        qualified_at=qualified_at,
        ordered_at=ordered_at,
        closed_at=closed_at,
        close_reason=close_reason,
        status=status,
        temperature=temperature,
    )


def build_cohort(*, team: Team, owner, other_owner, source: Source, using: str = "default") -> None:
    """Week 0: one lead a minute before Berlin midnight (still week 0 there).
    Week 1: five leads, known answers (see EXPECTED_WEEK_1). Week 2: empty. Week 3: one lead.
    """
    kw = {"team": team, "source": source, "using": using}
    # Sunday 23:59 Berlin = 22:59 UTC: week 0 in Berlin (and in UTC).
    add_lead(
        owner=owner,
        received_at=berlin(2026, 3, 1, 23, 59),
        contact_after=timedelta(minutes=1),
        **kw,
    )
    # Monday 00:30 Berlin = Sunday 23:30 UTC: week 1 in Berlin, week 0 in UTC.
    add_lead(
        owner=owner,
        received_at=berlin(2026, 3, 2, 0, 30),
        contact_after=timedelta(minutes=5),
        qualified=True,
        temperature="hot",
        **kw,
    )
    # Contact exactly at respond-by: within target.
    add_lead(
        owner=owner,
        received_at=berlin(2026, 3, 4, 10, 0),
        contact_after=timedelta(minutes=60),
        ordered=True,
        **kw,
    )
    # One minute late.
    add_lead(
        owner=other_owner,
        received_at=berlin(2026, 3, 5, 9, 0),
        contact_after=timedelta(minutes=61),
        **kw,
    )
    # Never contacted (touched once, then disqualified).
    add_lead(
        owner=other_owner,
        received_at=berlin(2026, 3, 6, 9, 0),
        touch_after=timedelta(minutes=3),
        closed="disqualified",
        temperature="cold",
        **kw,
    )
    # Sunday 23:30 Berlin = 22:30 UTC: still week 1; contacted two days later.
    add_lead(
        owner=owner, received_at=berlin(2026, 3, 8, 23, 30), contact_after=timedelta(days=2), **kw
    )
    # Week 3, Monday 00:10 Berlin = Sunday 23:10 UTC (week 2 in UTC).
    add_lead(
        owner=owner,
        received_at=berlin(2026, 3, 16, 0, 10),
        contact_after=timedelta(minutes=10),
        **kw,
    )


EXPECTED_WEEK_1 = {
    "week_start": "2026-03-02",
    "leads": 5,
    "contacted": 4,
    "contacted_within_target": 2,
    "within_target_rate": 0.4,
    "never_contacted": 1,
    # sorted response seconds: 300, 3600, 3660, 172800
    "response_seconds_median": 3630.0,
    "response_seconds_p90": 3660 + (172800 - 3660) * (0.9 * 3 - 2),
    "qualified": 2,
    "qualification_rate": 0.4,
    "ordered": 1,
    "order_rate": 0.2,
}
EXPECTED_WEEK_2 = {
    "week_start": "2026-03-09",
    "leads": 0,
    "contacted": 0,
    "contacted_within_target": 0,
    "within_target_rate": None,
    "never_contacted": 0,
    "response_seconds_median": None,
    "response_seconds_p90": None,
    "qualified": 0,
    "qualification_rate": None,
    "ordered": 0,
    "order_rate": None,
}
EXPECTED_WEEK_3_MEDIAN = 600.0


def berlin_world(*, source: Source) -> dict:
    """The Berlin team, reps ana and ben, manager boss, and `build_cohort` from `source`."""
    from tests.factories import TeamFactory, make_manager, make_rep  # (the probe needs none)

    team = TeamFactory(name="Berlin", slug="berlin", time_zone="Europe/Berlin")
    ana, ben = make_rep(team=team, username="ana"), make_rep(team=team, username="ben")
    manager = make_manager(team=team, username="boss")
    build_cohort(team=team, owner=ana, other_owner=ben, source=source)
    return {"team": team, "ana": ana, "ben": ben, "manager": manager, "source": source}


def build_mixed_cohort() -> dict:
    """The hand-built cohort plus 300 seeded random leads with microsecond response times,
    from plain model calls (no factories), so a separate process can build it on SQLite."""
    import random

    from django.contrib.auth import get_user_model

    team = Team.objects.create(name="Berlin", slug="berlin", time_zone="Europe/Berlin")
    users = get_user_model().objects
    ana = users.create(username="ana")
    ben = users.create(username="ben")
    source = Source.objects.create(name="Web", slug="web")
    build_cohort(team=team, owner=ana, other_owner=ben, source=source)
    rng = random.Random(6)
    for i in range(300):
        received = berlin(2026, 3, 16, 0, 0) + timedelta(seconds=rng.randrange(0, 21 * 86400))
        contact = (
            None
            if rng.random() < 0.2
            else timedelta(microseconds=rng.randrange(1, 3 * 86400 * 10**6))
        )
        add_lead(
            team=team,
            owner=ana if i % 2 else ben,
            source=source,
            received_at=received,
            contact_after=contact,
            qualified=rng.random() < 0.3,
            ordered=rng.random() < 0.1,
            temperature=rng.choice(["hot", "warm", "cold"]),
        )
    return {"team": team, "ana": ana, "ben": ben}


def mixed_cohort_answers() -> dict:
    """Every number the query layer gives for the mixed cohort, as plain JSON-able data."""
    from leads.models import Lead
    from metrics.queries import daily_board, weekly_metrics

    out: dict = {}
    for group_by in (None, "rep", "temperature"):
        rows = weekly_metrics(
            leads=Lead.objects.all(),
            start=WEEK_0,
            end=date(2026, 4, 6),
            tz=BERLIN,
            group_by=group_by,
        )
        out[str(group_by)] = [
            [
                str(r.period_start),
                str(r.group) if group_by != "rep" else "rep",
                r.leads,
                r.contacted,
                r.contacted_within_target,
                r.qualified,
                r.ordered,
                r.response_seconds_median,
                r.response_seconds_p90,
                [b.leads for b in r.bands],
            ]
            for r in rows
        ]
    board = daily_board(
        leads=Lead.objects.all(),
        day=date(2026, 3, 20),
        tz=BERLIN,
        now=berlin(2026, 3, 21, 12, 0),
    )
    out["board"] = [board.total.cells, board.total.response_seconds_median]
    return out
