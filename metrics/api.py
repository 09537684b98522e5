"""`GET /api/v1/metrics/weekly` and `/daily`: the four metrics per week and the board's
buckets for one day, for a manager's (or an admin's) personal token. Thin: validate the
query string, scope to the caller's teams, call metrics.queries."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leads.api.params import QueryParamsSerializer
from leads.api.schema import error_responses
from metrics.forms import MAX_WEEKS
from metrics.queries import BOARD_BUCKETS, daily_board, weekly_metrics
from metrics.scope import MetricScope, NotInScope, team_scope

# The board's buckets under the names the API publishes.
API_BUCKETS = {
    "within_target": "contacted_within_target",
    "late": "contacted_late",
    "touched": "touched_not_reached",
    "overdue": "overdue_open",
    "closed": "disqualified_or_lost",
    "waiting": "not_yet_due",
}


class CanViewMetrics(permissions.BasePermission):
    message = "Metrics are for managers and admins."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.has_perm("metrics.view_metrics"))


class WeeklyQuerySerializer(QueryParamsSerializer):
    start = serializers.DateField(help_text="A day in the first week (YYYY-MM-DD).")
    end = serializers.DateField(help_text="A day in the last week (YYYY-MM-DD).")
    team = serializers.IntegerField(required=False, min_value=1)
    rep = serializers.IntegerField(required=False, min_value=1, help_text="The owner's user id.")
    source = serializers.IntegerField(required=False, min_value=1)
    temperature = serializers.ChoiceField(required=False, choices=["hot", "warm", "cold"])

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if data["end"] < data["start"]:
            raise ValidationError({"end": ["end must not be before start."]})
        if (data["end"] - data["start"]).days >= MAX_WEEKS * 7:
            raise ValidationError({"end": [f"At most {MAX_WEEKS} weeks at a time."]})
        return data


class WeekSerializer(serializers.Serializer):
    week_start = serializers.DateField(help_text="Monday 00:00 in the team's time zone.")
    leads = serializers.IntegerField()
    contacted = serializers.IntegerField()
    contacted_within_target = serializers.IntegerField()
    within_target_rate = serializers.FloatField(
        allow_null=True, help_text="Fraction; null: no leads."
    )
    never_contacted = serializers.IntegerField()
    response_seconds_median = serializers.FloatField(allow_null=True)
    response_seconds_p90 = serializers.FloatField(allow_null=True)
    qualified = serializers.IntegerField()
    qualification_rate = serializers.FloatField(allow_null=True)
    ordered = serializers.IntegerField()
    order_rate = serializers.FloatField(allow_null=True)


class WeeklySerializer(serializers.Serializer):
    weeks = WeekSerializer(many=True)


class DailyQuerySerializer(QueryParamsSerializer):
    date = serializers.DateField(
        required=False, help_text="The day (YYYY-MM-DD); today in the team's time zone if omitted."
    )
    team = serializers.IntegerField(required=False, min_value=1)


class BucketsSerializer(serializers.Serializer):
    contacted_within_target = serializers.IntegerField()
    contacted_late = serializers.IntegerField()
    touched_not_reached = serializers.IntegerField()
    overdue_open = serializers.IntegerField()
    disqualified_or_lost = serializers.IntegerField()
    not_yet_due = serializers.IntegerField()


class RepDaySerializer(serializers.Serializer):
    rep_id = serializers.IntegerField()
    rep = serializers.CharField()
    leads = serializers.IntegerField()
    followed_up = serializers.IntegerField()
    buckets = BucketsSerializer()
    response_seconds_median = serializers.FloatField(allow_null=True)


class OverdueLeadSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    owner_id = serializers.IntegerField()
    received_at = serializers.DateTimeField()
    respond_by = serializers.DateTimeField()


class DailySerializer(serializers.Serializer):
    date = serializers.DateField()
    time_zone = serializers.CharField()
    leads = serializers.IntegerField()
    followed_up = serializers.IntegerField()
    followed_up_rate = serializers.FloatField(allow_null=True)
    buckets = BucketsSerializer()
    reps = RepDaySerializer(many=True)
    overdue = OverdueLeadSerializer(many=True)


def _scope(request: Request, team_id: int | None) -> MetricScope:
    try:
        return team_scope(request.user, team_id=team_id)
    except NotInScope as exc:
        raise ValidationError({"team": ["No such team among yours."]}) from exc


class WeeklyMetricsView(APIView):
    permission_classes = [permissions.IsAuthenticated, CanViewMetrics]

    @extend_schema(
        summary="The four metrics per week",
        description=(
            "One row per ISO week (Monday 00:00 in the team's time zone; the site's zone when "
            "the scope spans zones) from the week of `start` to the week of `end`, empty weeks "
            "included. Cohort = leads received in the week. Rates are fractions in [0, 1], "
            "null where undefined (no leads); response percentiles are null when no lead of "
            "the week was contacted. Definitions: docs/metrics.md."
        ),
        parameters=[WeeklyQuerySerializer],
        responses={200: WeeklySerializer, **error_responses(400, 401, 403)},
        tags=["metrics"],
    )
    def get(self, request: Request) -> Response:
        query = WeeklyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        scope = _scope(request, data.get("team"))
        leads = scope.leads
        for param, field in (("rep", "owner_id"), ("source", "source_id")):
            if data.get(param):
                leads = leads.filter(**{field: data[param]})
        if data.get("temperature"):
            leads = leads.filter(temperature=data["temperature"])
        weeks = weekly_metrics(
            leads=leads, start=data["start"], end=data["end"], tz=scope.tz, bands=False
        )
        return Response(
            {
                "weeks": [
                    {
                        "week_start": w.period_start.isoformat(),
                        "leads": w.leads,
                        "contacted": w.contacted,
                        "contacted_within_target": w.contacted_within_target,
                        "within_target_rate": w.within_target_rate,
                        "never_contacted": w.never_contacted,
                        "response_seconds_median": w.response_seconds_median,
                        "response_seconds_p90": w.response_seconds_p90,
                        "qualified": w.qualified,
                        "qualification_rate": w.qualification_rate,
                        "ordered": w.ordered,
                        "order_rate": w.order_rate,
                    }
                    for w in weeks
                ]
            }
        )


def _buckets(counts: dict[str, int]) -> dict[str, int]:
    return {API_BUCKETS[b.key]: counts[b.key] for b in BOARD_BUCKETS}


class DailyMetricsView(APIView):
    permission_classes = [permissions.IsAuthenticated, CanViewMetrics]

    @extend_schema(
        summary="The daily follow-up board",
        description=(
            "Every lead received on `date` (in the team's time zone) in exactly one bucket, as "
            "of now. `followed_up` counts contacted, touched and disqualified/lost leads; "
            "`followed_up_rate` is 1.0 only when every lead is followed up, null with no leads."
        ),
        parameters=[DailyQuerySerializer],
        responses={200: DailySerializer, **error_responses(400, 401, 403)},
        tags=["metrics"],
    )
    def get(self, request: Request) -> Response:
        query = DailyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        scope = _scope(request, data.get("team"))
        now = timezone.now()
        day = data.get("date") or now.astimezone(scope.tz).date()
        board = daily_board(leads=scope.leads, day=day, tz=scope.tz, now=now)
        total = board.total
        return Response(
            {
                "date": day.isoformat(),
                "time_zone": scope.tz.key,
                "leads": total.leads,
                "followed_up": total.followed_up,
                "followed_up_rate": total.followed_up / total.leads if total.leads else None,
                "buckets": _buckets(total.counts),
                "reps": [
                    {
                        "rep_id": r.owner_id,
                        "rep": r.label,
                        "leads": r.leads,
                        "followed_up": r.followed_up,
                        "buckets": _buckets(r.counts),
                        "response_seconds_median": r.response_seconds_median,
                    }
                    for r in board.reps
                ],
                "overdue": [
                    {
                        "id": lead.pk,
                        "owner_id": lead.owner_id,
                        "received_at": lead.received_at.isoformat(),
                        "respond_by": lead.respond_by.isoformat(),
                    }
                    for lead in board.overdue
                ],
            }
        )
