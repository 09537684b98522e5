"""The four metrics and the daily follow-up board, as pure read functions.

Every function takes an already scoped lead queryset (`metrics.scope`), an explicit window
and the time zone its days and weeks are cut in; none reads the clock. Counting happens in
the database (conditional `COUNT ... FILTER`), percentiles too on PostgreSQL
(`percentile_cont`, linear interpolation). SQLite has no ordered-set aggregates: there the
percentile is computed in Python from the same rows with PostgreSQL's formula, so both
backends give the same numbers (tests/test_metrics_backends.py). Definitions and the
decisions taken where product.md leaves room: docs/metrics.md.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connections, transaction
from django.db.models import (
    Aggregate,
    Case,
    CharField,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)

from leads.models import Lead

# --- response-time bands -----------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    key: str
    label: str
    upper: timedelta | None  # inclusive upper bound of first contact − received; None: later


BANDS: tuple[Band, ...] = (
    Band("le_5m", "≤ 5 min", timedelta(minutes=5)),
    Band("le_15m", "≤ 15 min", timedelta(minutes=15)),
    Band("le_60m", "≤ 60 min", timedelta(minutes=60)),
    Band("le_4h", "≤ 4 h", timedelta(hours=4)),
    Band("le_24h", "≤ 24 h", timedelta(hours=24)),
    Band("later", "later", None),
)
NEVER = Band("never", "never contacted", None)
ALL_BANDS: tuple[Band, ...] = (*BANDS, NEVER)

GROUPINGS = {
    "team": "team_id",
    "rep": "owner_id",
    "source": "source_id",
    "temperature": "temperature",
}
PERIODS = ("week", "month")


# --- results -----------------------------------------------------------------------------


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


class _ConversionRates:
    """Qualification and order rates of a cohort with `leads`, `qualified` and `ordered`."""

    leads: int
    qualified: int
    ordered: int

    @property
    def qualification_rate(self) -> float | None:
        return _rate(self.qualified, self.leads)

    @property
    def order_rate(self) -> float | None:
        return _rate(self.ordered, self.leads)


@dataclass(frozen=True)
class BandCount(_ConversionRates):
    band: Band
    leads: int
    qualified: int
    ordered: int


@dataclass(frozen=True)
class CohortMetrics(_ConversionRates):
    """The four metrics for one cohort: the leads received in one period (and group)."""

    period_start: date | None
    group: Any  # the split's key (team id, rep id, source id, temperature) or None
    leads: int = 0
    contacted: int = 0
    contacted_within_target: int = 0
    qualified: int = 0
    ordered: int = 0
    response_seconds_median: float | None = None
    response_seconds_p90: float | None = None
    bands: tuple[BandCount, ...] = field(
        default_factory=lambda: tuple(BandCount(b, 0, 0, 0) for b in ALL_BANDS)
    )
    label: str = ""

    @property
    def never_contacted(self) -> int:
        return self.leads - self.contacted

    @property
    def within_target_rate(self) -> float | None:
        # A lead never contacted counts as not within target (product.md).
        return _rate(self.contacted_within_target, self.leads)

    @property
    def response_minutes_median(self) -> float | None:
        s = self.response_seconds_median
        return None if s is None else s / 60


# --- percentiles -------------------------------------------------------------------------


class PercentileCont(Aggregate):
    """PostgreSQL's `percentile_cont(f) WITHIN GROUP (ORDER BY expr)`; NULLs are ignored."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


class PercentilesCont(Aggregate):
    """`percentile_cont(ARRAY[f1, f2]) WITHIN GROUP (ORDER BY expr)`: several fractions from
    one sort; NULL (no values) when the group has none."""

    function = "percentile_cont"
    template = (
        "%(function)s(ARRAY[%(fractions)s]::double precision[]) WITHIN GROUP (ORDER BY "
        "%(expressions)s)"
    )

    def __init__(self, expression: Any, fractions: Sequence[float], **extra: Any) -> None:
        from django.contrib.postgres.fields import ArrayField

        super().__init__(
            expression,
            fractions=", ".join(repr(float(f)) for f in fractions),
            output_field=ArrayField(FloatField()),
            **extra,
        )


def _percentiles(row: dict[str, Any]) -> tuple[float | None, float | None]:
    if "percentiles" in row:
        values = row["percentiles"]
        return (values[0], values[1]) if values else (None, None)
    return row.get("median"), row.get("p90")


def _response_seconds() -> Func:
    # Exact: the interval's epoch is a numeric, cast once to double precision, exactly like
    # Python's timedelta.total_seconds() in the SQLite fallback.
    return Func(
        F("first_contact_at") - F("received_at"),
        template="EXTRACT(EPOCH FROM %(expressions)s)::double precision",
        output_field=FloatField(),
    )


def percentile_cont(values: Sequence[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont on sorted `values` (same float operations, same order)."""
    if not values:
        return None
    position = fraction * (len(values) - 1)
    first_row, second_row = math.floor(position), math.ceil(position)
    first = values[first_row]
    if first_row == second_row:
        return first
    second = values[second_row]
    return first + (second - first) * (position - first_row)


def _uses_percentile_aggregate(leads: QuerySet[Lead]) -> bool:
    return connections[leads.db].vendor == "postgresql"


# --- windows -----------------------------------------------------------------------------


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_period(start: date, period: str) -> date:
    if period == "week":
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def periods_between(first: date, last: date, period: str) -> list[date]:
    """Start days of every week (ISO, Monday) or month from the one holding `first` to the
    one holding `last`, inclusive."""
    align = week_start if period == "week" else month_start
    current, stop = align(first), align(last)
    starts = []
    while current <= stop:
        starts.append(current)
        current = next_period(current, period)
    return starts


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """00:00 of `day` in `tz` (a DST change at midnight resolves to the earlier offset)."""
    return datetime.combine(day, time.min, tzinfo=tz)


# --- cohorts -----------------------------------------------------------------------------


def _cohort_aggregates(*, percentiles: bool) -> dict[str, Aggregate]:
    aggs: dict[str, Aggregate] = {
        "leads": Count("id"),
        "contacted": Count("id", filter=Q(first_contact_at__isnull=False)),
        # Contact exactly at respond-by is within target.
        "within": Count("id", filter=Q(first_contact_at__lte=F("respond_by"))),
        "qualified": Count("id", filter=Q(qualified_at__isnull=False)),
        "ordered": Count("id", filter=Q(ordered_at__isnull=False)),
    }
    if percentiles:
        # One ordered-set aggregate for both: the group's response times are sorted once.
        aggs["percentiles"] = PercentilesCont(_response_seconds(), (0.5, 0.9))
    return aggs


def _row_to_metrics(
    row: dict[str, Any],
    *,
    period_start: date | None,
    group: Any,
    bands: dict[str, tuple[int, int, int]],
) -> CohortMetrics:
    return CohortMetrics(
        period_start=period_start,
        group=group,
        leads=row["leads"],
        contacted=row["contacted"],
        contacted_within_target=row["within"],
        qualified=row["qualified"],
        ordered=row["ordered"],
        response_seconds_median=_percentiles(row)[0],
        response_seconds_p90=_percentiles(row)[1],
        bands=tuple(BandCount(b, *bands.get(b.key, (0, 0, 0))) for b in ALL_BANDS),
    )


def cohort_metrics(
    *,
    leads: QuerySet[Lead],
    first_day: date,
    last_day: date,
    tz: ZoneInfo,
    period: str | None = "week",
    group_by: str | None = None,
    bands: bool = True,
) -> list[CohortMetrics]:
    """The four metrics for leads received from `first_day` to `last_day` in `tz`.

    With `period` ("week" or "month") the range is widened to whole periods and one cohort
    per period is returned, empty periods included; with `period=None` one cohort for the
    whole range. `group_by` (a key of GROUPINGS) splits the whole range instead (period is
    ignored; only non-empty groups are returned). `bands=False` leaves the response-time
    bands out (reported as zero), for callers that do not show them (the API).

    Why one aggregate query per period rather than one GROUP BY: an ordered-set aggregate
    (percentile_cont) makes PostgreSQL sort the whole range by the group key before sorting
    each group again; a query per period reads its own index range (lead_received /
    lead_team_received) and sorts only its own contacted leads. docs/metrics.md, "Speed".
    """
    if period is not None:
        windows = [
            (s, local_midnight(s, tz), local_midnight(next_period(s, period), tz))
            for s in periods_between(first_day, last_day, period)
        ]
    else:
        windows = [
            (None, local_midnight(first_day, tz), local_midnight(last_day + timedelta(days=1), tz))
        ]
    in_db = _uses_percentile_aggregate(leads)
    aggregates = _cohort_aggregates(percentiles=in_db)
    with _tuned_for_aggregates(leads.db):
        if group_by is not None:
            return _grouped_metrics(leads, windows[0][1], windows[-1][2], group_by, aggregates)
        rows = []
        for _start, lo, hi in windows:
            cohort = leads.filter(received_at__gte=lo, received_at__lt=hi).order_by()
            row = cohort.aggregate(**aggregates)
            if not in_db:
                _fill_percentiles_in_python([row], cohort, [])
            rows.append(row)
        band_counts = _band_counts(leads, windows) if bands else {}
    return [
        _row_to_metrics(row, period_start=start, group=None, bands=band_counts.get(i, {}))
        for i, (row, (start, _lo, _hi)) in enumerate(zip(rows, windows, strict=True))
    ]


def _grouped_metrics(
    leads: QuerySet[Lead],
    window_start: datetime,
    window_end: datetime,
    group_by: str,
    aggregates: dict[str, Aggregate],
) -> list[CohortMetrics]:
    key = GROUPINGS[group_by]
    cohort = leads.filter(received_at__gte=window_start, received_at__lt=window_end).order_by()
    rows = list(cohort.values(key).annotate(**aggregates))
    if not _uses_percentile_aggregate(leads):
        _fill_percentiles_in_python(rows, cohort, [key])
    metrics = [_row_to_metrics(row, period_start=None, group=row[key], bands={}) for row in rows]
    return sorted(metrics, key=lambda m: str(m.group))


class _WidthBucket(Func):
    # width_bucket(received_at, ARRAY[lower bounds]): the 1-based period a lead falls in,
    # found by binary search; cheaper per row than converting each timestamp to local time.
    template = "width_bucket(%(expressions)s::timestamptz[])"
    output_field = IntegerField()


def _period_index(leads: QuerySet[Lead], windows: list[tuple[Any, datetime, datetime]]) -> Any:
    if connections[leads.db].vendor == "postgresql":
        return _WidthBucket(F("received_at"), Value([lo for _s, lo, _hi in windows]))
    whens = [When(received_at__lt=hi, then=Value(i + 1)) for i, (_s, _lo, hi) in enumerate(windows)]
    return Case(*whens, default=Value(0), output_field=IntegerField())


def _band_of_lead() -> Case:
    whens = [When(first_contact_at__isnull=True, then=Value(NEVER.key))]
    whens += [
        When(first_contact_at__lte=F("received_at") + b.upper, then=Value(b.key))
        for b in BANDS
        if b.upper is not None
    ]
    return Case(*whens, default=Value("later"), output_field=CharField())


def _band_counts(
    leads: QuerySet[Lead], windows: list[tuple[Any, datetime, datetime]]
) -> dict[int, dict[str, tuple[int, int, int]]]:
    """Per window index: band key -> (leads, qualified, ordered), in one grouped query."""
    cohort = leads.filter(received_at__gte=windows[0][1], received_at__lt=windows[-1][2])
    rows = (
        cohort.order_by()
        .annotate(period_index=_period_index(leads, windows), band=_band_of_lead())
        .values("period_index", "band")
        .annotate(
            n=Count("id"),
            q=Count("id", filter=Q(qualified_at__isnull=False)),
            o=Count("id", filter=Q(ordered_at__isnull=False)),
        )
    )
    found: dict[int, dict[str, tuple[int, int, int]]] = defaultdict(dict)
    for row in rows:
        found[row["period_index"] - 1][row["band"]] = (row["n"], row["q"], row["o"])
    return found


@contextmanager
def _tuned_for_aggregates(using: str) -> Iterator[None]:
    """On PostgreSQL: no JIT (compiling costs more than it saves on these short queries) and
    enough work_mem to sort a period's response times in memory; both for this transaction."""
    if connections[using].vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        yield


def _fill_percentiles_in_python(
    rows: list[dict[str, Any]], cohort: QuerySet[Lead], keys: list[str]
) -> None:
    samples: dict[tuple[Any, ...], list[float]] = defaultdict(list)
    contacted = cohort.filter(first_contact_at__isnull=False).order_by()
    for values in contacted.values_list(*keys, "first_contact_at", "received_at"):
        *key, first_contact_at, received_at = values
        samples[tuple(key)].append((first_contact_at - received_at).total_seconds())
    for row in rows:
        values = sorted(samples.get(tuple(row[k] for k in keys), []))
        row["median"] = percentile_cont(values, 0.5)
        row["p90"] = percentile_cont(values, 0.9)


def weekly_metrics(
    *,
    leads: QuerySet[Lead],
    start: date,
    end: date,
    tz: ZoneInfo,
    group_by: str | None = None,
    bands: bool = True,
) -> list[CohortMetrics]:
    """One cohort per ISO week (Monday 00:00 in `tz`) from the week of `start` to that of `end`."""
    return cohort_metrics(
        leads=leads,
        first_day=start,
        last_day=end,
        tz=tz,
        period="week",
        group_by=group_by,
        bands=bands,
    )


def monthly_metrics(
    *, leads: QuerySet[Lead], start: date, end: date, tz: ZoneInfo
) -> list[CohortMetrics]:
    """One cohort per calendar month in `tz` from the month of `start` to that of `end`."""
    return cohort_metrics(leads=leads, first_day=start, last_day=end, tz=tz, period="month")


def sum_of_cohorts(cohorts: Sequence[CohortMetrics]) -> CohortMetrics:
    """The counts of several cohorts added up (counts are additive; the range's percentiles
    are not, so they are left undefined rather than read with another pass over the range)."""
    return CohortMetrics(
        period_start=None,
        group=None,
        leads=sum(c.leads for c in cohorts),
        contacted=sum(c.contacted for c in cohorts),
        contacted_within_target=sum(c.contacted_within_target for c in cohorts),
        qualified=sum(c.qualified for c in cohorts),
        ordered=sum(c.ordered for c in cohorts),
        bands=speed_to_lead(cohorts),
    )


def speed_to_lead(cohorts: Iterable[CohortMetrics]) -> tuple[BandCount, ...]:
    """Qualification and order rate by response-time band over the given cohorts."""
    totals: dict[str, list[int]] = {b.key: [0, 0, 0] for b in ALL_BANDS}
    for cohort in cohorts:
        for bc in cohort.bands:
            t = totals[bc.band.key]
            t[0] += bc.leads
            t[1] += bc.qualified
            t[2] += bc.ordered
    return tuple(BandCount(b, *totals[b.key]) for b in ALL_BANDS)


# --- the daily follow-up board -------------------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    followed_up: bool


BOARD_BUCKETS: tuple[Bucket, ...] = (
    Bucket("within_target", "Contacted within target", True),
    Bucket("late", "Contacted late", True),
    Bucket("touched", "Touched, not reached", True),
    Bucket("overdue", "Overdue and open", False),
    Bucket("closed", "Disqualified or lost", True),
    Bucket("waiting", "Not yet due", False),
)


def _bucket_filters(now: datetime) -> dict[str, Q]:
    """Exactly one bucket per lead: the first that matches in this order wins."""
    contacted = Q(first_contact_at__isnull=False)
    not_contacted = Q(first_contact_at__isnull=True)
    is_open = Q(status__in=Lead.OPEN_STATUSES)
    untouched_open = not_contacted & is_open & Q(first_touch_at__isnull=True)
    return {
        "within_target": contacted & Q(first_contact_at__lte=F("respond_by")),
        "late": contacted & Q(first_contact_at__gt=F("respond_by")),
        "closed": not_contacted & ~is_open,
        "touched": not_contacted & is_open & Q(first_touch_at__isnull=False),
        "overdue": untouched_open & Q(respond_by__lte=now),
        "waiting": untouched_open & Q(respond_by__gt=now),
    }


@dataclass(frozen=True)
class BoardRow:
    owner_id: int | None
    label: str
    counts: dict[str, int]
    response_seconds_median: float | None

    @property
    def leads(self) -> int:
        return sum(self.counts.values())

    @property
    def followed_up(self) -> int:
        return sum(self.counts[b.key] for b in BOARD_BUCKETS if b.followed_up)

    @property
    def cells(self) -> list[int]:
        return [self.counts[b.key] for b in BOARD_BUCKETS]


@dataclass(frozen=True)
class Board:
    day: date
    window_start: datetime
    window_end: datetime
    total: BoardRow
    reps: list[BoardRow]
    overdue: list[Lead]

    @property
    def followed_up_percent(self) -> int | None:
        """Rounded down, so 100 means every lead of the day was followed up."""
        if not self.total.leads:
            return None
        return self.total.followed_up * 100 // self.total.leads


def daily_board(*, leads: QuerySet[Lead], day: date, tz: ZoneInfo, now: datetime) -> Board:
    """Every lead received on `day` (in `tz`) in exactly one bucket, as of `now`."""
    window_start = local_midnight(day, tz)
    window_end = local_midnight(day + timedelta(days=1), tz)
    cohort = leads.filter(received_at__gte=window_start, received_at__lt=window_end).order_by()
    filters = _bucket_filters(now)
    in_db = _uses_percentile_aggregate(leads)
    aggregates: dict[str, Aggregate] = {k: Count("id", filter=q) for k, q in filters.items()}
    if in_db:
        aggregates["median"] = PercentileCont(_response_seconds(), 0.5)
    rows = list(cohort.values("owner_id").annotate(**aggregates))
    total_row = cohort.aggregate(**aggregates)
    if not in_db:
        _fill_percentiles_in_python(rows, cohort, ["owner_id"])
        _fill_percentiles_in_python([total_row], cohort, [])

    from django.contrib.auth import get_user_model

    users = get_user_model().objects.in_bulk([r["owner_id"] for r in rows])

    def label(owner_id: int) -> str:
        user = users.get(owner_id)
        return (user.get_full_name() or user.get_username()) if user else f"#{owner_id}"

    def make(row: dict[str, Any], owner_id: int | None, name: str) -> BoardRow:
        return BoardRow(
            owner_id=owner_id,
            label=name,
            counts={b.key: row[b.key] for b in BOARD_BUCKETS},
            response_seconds_median=row.get("median"),
        )

    reps = sorted(
        (make(r, r["owner_id"], label(r["owner_id"])) for r in rows), key=lambda r: r.label
    )
    overdue = list(
        cohort.filter(filters["overdue"])
        .select_related("owner", "team__manager")
        .order_by("respond_by")
    )
    return Board(
        day=day,
        window_start=window_start,
        window_end=window_end,
        total=make(total_row, None, "All"),
        reps=reps,
        overdue=overdue,
    )
