"""The rep workspace's actions over the API, with a personal token (`Bearer lru_...`).

Same rules as the pages: a lead the token's user may not see is 404, a role that may not
act is 403, bad input is 400 and a transition the lead's state refuses is 409, all in the
shared error shape. The lead is returned in a minimal shape (`LeadSerializer`); when
the intake's lead read serializer lands, these responses should reuse it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leads.activities import WorkflowError, change_status, log_activity
from leads.api.schema import error_responses
from leads.api.serializers import LeadSerializer
from leads.assignment import reassign_lead
from leads.forms import ReassignForm
from leads.models import Activity, Lead


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class ActivityInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Activity.Kind.choices)
    outcome = serializers.ChoiceField(
        choices=Activity.Outcome.choices, required=False, allow_blank=True, default=""
    )
    occurred_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="ISO 8601 with offset; default now. Earlier today allowed, never future.",
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class ActivityOutSerializer(serializers.ModelSerializer):
    lead = LeadSerializer(read_only=True)

    class Meta:
        model = Activity
        fields = ["id", "kind", "outcome", "occurred_at", "notes", "created_at", "lead"]
        read_only_fields = fields


class StatusInSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Lead.Status.choices)
    reason = serializers.ChoiceField(
        choices=Lead.CloseReason.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required for disqualified and lost.",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class AssignInSerializer(serializers.Serializer):
    owner = serializers.CharField(help_text="Username (or id) of an active rep of the team.")
    reason = serializers.CharField(max_length=500, required=False, default="Reassigned via API")


def _lead_for(request: Request, pk: int, permission: str) -> Lead:
    if not request.user.has_perm(permission):
        raise PermissionDenied("This token's user may not do this.")
    return get_object_or_404(Lead.objects.visible_to(request.user), pk=pk)


def _refused(error: WorkflowError) -> APIException:
    if error.field == "status" or error.field == "non_field_errors":
        return Conflict({error.field: [error.message]})
    return ValidationError({error.field: [error.message]})


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class LeadActivitiesView(APIView):
    @extend_schema(
        operation_id="lead_log_activity",
        summary="Log an activity on a lead",
        description=(
            "The first activity (other than a note) sets first touch; the first with "
            "outcome `reached` sets first contact, moves a new lead to `contacted` and stops "
            "its escalation."
        ),
        request=ActivityInSerializer,
        responses={201: ActivityOutSerializer, **error_responses(400, 401, 403, 404)},
        examples=[
            OpenApiExample(
                "First contact",
                value={"kind": "call", "outcome": "reached", "notes": "Wants a quote"},
                request_only=True,
            )
        ],
        tags=["workspace"],
    )
    def post(self, request: Request, pk: int) -> Response:
        lead = _lead_for(request, pk, "leads.add_activity")
        data = _valid(ActivityInSerializer, request.data)
        try:
            activity = log_activity(lead=lead, rep=request.user, now=timezone.now(), **data)
        except WorkflowError as error:
            raise _refused(error) from error
        activity.lead.refresh_from_db()
        return Response(ActivityOutSerializer(activity).data, status=status.HTTP_201_CREATED)


class LeadStatusView(APIView):
    @extend_schema(
        operation_id="lead_change_status",
        summary="Move a lead to qualified, ordered, disqualified or lost",
        description=(
            "Allowed: new → disqualified/lost; contacted → qualified/disqualified/lost; "
            "qualified → ordered/disqualified/lost. Anything else is 409."
        ),
        request=StatusInSerializer,
        responses={200: LeadSerializer, **error_responses(400, 401, 403, 404, 409)},
        tags=["workspace"],
    )
    def post(self, request: Request, pk: int) -> Response:
        lead = _lead_for(request, pk, "leads.change_lead")
        data = _valid(StatusInSerializer, request.data)
        try:
            lead = change_status(
                lead=lead,
                to=data["status"],
                by=request.user,
                reason=data["reason"],
                note=data["note"],
                now=timezone.now(),
            )
        except WorkflowError as error:
            raise _refused(error) from error
        return Response(LeadSerializer(lead).data)


class LeadAssignView(APIView):
    @extend_schema(
        operation_id="lead_assign",
        summary="Reassign a lead to another rep of its team (managers)",
        description="Both the previous and the new owner are notified.",
        request=AssignInSerializer,
        responses={200: LeadSerializer, **error_responses(400, 401, 403, 404)},
        tags=["workspace"],
    )
    def post(self, request: Request, pk: int) -> Response:
        _lead_for(request, pk, "leads.reassign_lead")
        data = _valid(AssignInSerializer, request.data)
        users = get_user_model().objects.filter(is_active=True)
        owner = str(data["owner"]).strip()
        user = users.filter(username=owner).first() or (
            users.filter(pk=int(owner)).first() if owner.isdigit() else None
        )
        with transaction.atomic():
            lead = get_object_or_404(
                Lead.objects.visible_to(request.user).select_for_update(of=("self",)), pk=pk
            )
            form = ReassignForm(
                {"owner": user.pk if user else "", "reason": data["reason"]}, lead=lead
            )
            if user is None or not form.is_valid():
                raise ValidationError({"owner": ["Choose another active rep of this lead's team."]})
            reassign_lead(
                lead=lead,
                to=form.cleaned_data["owner"],
                by=request.user,
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            )
        return Response(LeadSerializer(lead).data)
