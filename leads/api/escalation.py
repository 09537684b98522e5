"""Escalation endpoints: the health check and a lead's event history."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leadresponse.celery import app
from leads.api.schema import error_responses
from leads.escalation import sweep_health
from leads.models import Lead, LeadEvent

logger = logging.getLogger(__name__)
BROKER_TIMEOUT_SECONDS = 2  # a health check must answer fast, even with Redis down


class HealthSerializer(serializers.Serializer):
    # Plain strings: one shared enum per value set would need ENUM_NAME_OVERRIDES.
    status = serializers.CharField(help_text="ok or failing")
    database = serializers.CharField(help_text="ok or down")
    broker = serializers.CharField(help_text="ok or down")
    escalations = serializers.CharField(
        help_text="ok, or stale: no sweep completed recently (is beat running?)"
    )
    last_sweep_at = serializers.DateTimeField(allow_null=True)


def _broker_answers() -> bool:
    try:
        # The URL from settings at call time, so a changed setting is honoured in tests.
        with app.connection_for_write(url=settings.CELERY_BROKER_URL) as connection:
            connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception:  # any transport error means "down" to a health check
        logger.warning("health: broker not answering")
        return False
    return True


class HealthView(APIView):
    """Database, broker and the last escalation sweep; 503 when any of them is failing."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="health",
        responses={200: HealthSerializer, 503: HealthSerializer},
        description="For load balancers and monitoring: 503 when the database or broker is "
        "down, or when escalations have not run for LEADS_SWEEP_STALE_AFTER.",
    )
    def get(self, request: Request) -> Response:
        try:
            health = sweep_health(timezone.now())
            database, last, stale = "ok", health.last_sweep_at, health.stale
        except DatabaseError:
            database, last, stale = "down", None, True
        broker = "ok" if _broker_answers() else "down"
        failing = database != "ok" or broker != "ok" or stale
        body = {
            "status": "failing" if failing else "ok",
            "database": database,
            "broker": broker,
            "escalations": "stale" if stale else "ok",
            "last_sweep_at": last,
        }
        return Response(HealthSerializer(body).data, status=503 if failing else 200)


class LeadEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = LeadEvent
        fields = ["type", "at", "actor", "data"]


class LeadEventsView(APIView):
    """A lead's events, oldest first: the ladder and every other change, for audits."""

    @extend_schema(
        operation_id="lead_events",
        responses={200: LeadEventSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        lead = get_object_or_404(Lead.objects.visible_to(request.user), pk=pk)
        events = lead.events.select_related("actor").order_by("at", "pk")
        return Response(LeadEventSerializer(events, many=True).data)
