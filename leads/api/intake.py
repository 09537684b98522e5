"""`/api/v1/leads`: sources post leads; people (and sources) read the leads they may see."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db.models import QuerySet
from django.http.request import RawPostDataException
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, generics, permissions, status
from rest_framework.request import Request
from rest_framework.response import Response

from leads.api.authentication import SourceClient
from leads.api.params import StrictPageNumberPagination
from leads.api.schema import error_responses
from leads.api.serializers import (
    LeadCreatedSerializer,
    LeadFilterSerializer,
    LeadInputSerializer,
    LeadSerializer,
    created_answer,
)
from leads.assignment import NoOwnerAvailable, NoTeamConfigured
from leads.intake import DuplicateExternalId, IdempotencyConflict, ingest_lead
from leads.models import Lead
from leads.throttling import FixedWindowThrottle

MAX_BODY_BYTES = 64 * 1024
IDEMPOTENCY_KEY_MAX_LENGTH = 255


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = f"Request body is larger than {MAX_BODY_BYTES // 1024} KiB."
    default_code = "payload_too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class Unavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "unavailable"


class PerCredentialThrottle(FixedWindowThrottle):
    """A request budget per API key or personal token (LEADS_API_RATE_LIMIT).

    Counters live in Django's cache: with several web processes, CACHE_URL must point at a
    shared cache (Redis) for the limit to hold across them.
    """

    def get_rate(self) -> str:
        return settings.LEADS_API_RATE_LIMIT

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.auth is None:
            return None
        kind = "key" if isinstance(request.user, SourceClient) else "token"
        return f"throttle:{kind}:{request.auth.pk}"


class CanUseLeadsApi(permissions.BasePermission):
    """Sources may post and read their own leads; people with a token may read theirs."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if isinstance(user, SourceClient):
            return True
        if request.method == "POST":
            return False  # leads are posted with a source's key
        return bool(user and user.is_authenticated and user.has_perm("leads.view_lead"))


def visible_leads(request: Request) -> QuerySet[Lead]:
    leads = Lead.objects.select_related("owner", "source", "product")
    if isinstance(request.user, SourceClient):
        return leads.filter(source=request.user.source)
    return leads.visible_to(request.user)


class LeadPagination(StrictPageNumberPagination):
    page_size = 50
    max_page_size = 200


LEAD_EXAMPLES = [
    OpenApiExample(
        "A full inquiry",
        request_only=True,
        value={
            "name": "Dana Whitfield",
            "email": "dana@example.com",
            "phone": "+1 555 010 2030",
            "company": "Whitfield Logistics",
            "message": "Does the fleet plan include GPS tracking, and what does it cost?",
            "temperature": "hot",
            "external_id": "web-20261123-0001",
        },
    ),
    OpenApiExample(
        "A phone number only",
        request_only=True,
        value={"name": "Sam Ortiz", "phone": "+44 20 7946 0958", "message": "Please call me."},
    ),
    OpenApiExample(
        "Created",
        response_only=True,
        status_codes=["201"],
        value={
            "id": 4711,
            "status": "new",
            "received_at": "2026-11-23T10:00:00Z",
            "respond_by": "2026-11-23T11:00:00Z",
            "assigned_to": {"id": 7, "username": "ana", "name": "Ana Lopez"},
            "source": "website-api",
        },
    ),
]


@extend_schema_view(
    get=extend_schema(
        summary="List the leads this token or key may see",
        description=(
            "A rep sees their own leads, a manager their teams', an admin all; a source key "
            "only the leads its source posted. Newest first, 50 a page."
        ),
        parameters=[
            OpenApiParameter("status", enum=Lead.Status.values, required=False),
            OpenApiParameter("owner", str, required=False, description="The owner's username."),
            OpenApiParameter(
                "received_after", OpenApiTypes.DATETIME, required=False, description="Inclusive."
            ),
            OpenApiParameter(
                "received_before", OpenApiTypes.DATETIME, required=False, description="Exclusive."
            ),
        ],
        responses={200: LeadSerializer(many=True), **error_responses(400, 401, 403, 404, 429)},
    ),
    post=extend_schema(
        summary="Post a new lead (source API key)",
        description=(
            "Stores the lead and assigns it to a rep in one transaction. With an "
            "`Idempotency-Key` header, a retry of the same body returns the original lead "
            "(200, same id) and the same key with another body is a 409. At least one of "
            "`email` and `phone` is required; unknown fields are rejected."
        ),
        request=LeadInputSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="Up to 255 printable characters; unique per request you make.",
            )
        ],
        examples=LEAD_EXAMPLES,
        responses={
            201: OpenApiResponse(LeadCreatedSerializer, description="Stored and assigned."),
            200: OpenApiResponse(
                LeadCreatedSerializer, description="A retry: the lead stored the first time."
            ),
            **error_responses(400, 401, 403, 409, 413, 415, 429, 503),
        },
    ),
)
class LeadListCreateView(generics.ListAPIView):
    serializer_class = LeadSerializer
    permission_classes = [CanUseLeadsApi]
    throttle_classes = [PerCredentialThrottle]
    pagination_class = LeadPagination

    def get_queryset(self) -> QuerySet[Lead]:
        leads = visible_leads(self.request)
        if self.request.method != "GET":
            return leads
        filters = LeadFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        if "status" in wanted:
            leads = leads.filter(status=wanted["status"])
        if "owner" in wanted:
            leads = leads.filter(owner__username=wanted["owner"])
        if "received_after" in wanted:
            leads = leads.filter(received_at__gte=wanted["received_after"])
        if "received_before" in wanted:
            leads = leads.filter(received_at__lt=wanted["received_before"])
        return leads.order_by("-received_at", "-pk")

    def get_serializer_context(self) -> dict[str, Any]:
        return super().get_serializer_context() | {"now": timezone.now()}

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _check_body_size(request)
        key = _idempotency_key(request)
        serializer = LeadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            result = ingest_lead(
                source=request.user.source,
                data=serializer.to_lead_input(),
                now=timezone.now(),
                channel="api",
                idempotency_key=key,
                request_hash=_body_hash(request.data) if key else "",
            )
        except IdempotencyConflict as exc:
            raise Conflict(
                {"Idempotency-Key": ["Already used with a different request body."]}
            ) from exc
        except DuplicateExternalId as exc:
            raise Conflict(
                {"external_id": [f"Lead {exc.lead_id} of this source has this external_id."]}
            ) from exc
        except (NoTeamConfigured, NoOwnerAvailable) as exc:
            raise Unavailable({"detail": [f"No one can take leads: {exc}."]}) from exc
        body = created_answer(result.lead)
        response = Response(body, status=201 if result.created else 200)
        if not result.created:
            response["Idempotent-Replayed"] = "true"
        return response


@extend_schema(
    summary="Read one lead",
    responses={200: LeadSerializer, **error_responses(401, 403, 404, 429)},
)
class LeadDetailView(generics.RetrieveAPIView):
    serializer_class = LeadSerializer
    permission_classes = [CanUseLeadsApi]
    throttle_classes = [PerCredentialThrottle]

    def get_queryset(self) -> QuerySet[Lead]:
        return visible_leads(self.request)

    def get_serializer_context(self) -> dict[str, Any]:
        return super().get_serializer_context() | {"now": timezone.now()}


def _check_body_size(request: Request) -> None:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        raise PayloadTooLarge()
    try:
        if len(request._request.body) > MAX_BODY_BYTES:  # chunked bodies declare no length
            raise PayloadTooLarge()
    except (RequestDataTooBig, RawPostDataException):
        raise PayloadTooLarge() from None


def _idempotency_key(request: Request) -> str:
    key = request.META.get("HTTP_IDEMPOTENCY_KEY", "")
    if key and (
        len(key) > IDEMPOTENCY_KEY_MAX_LENGTH or not key.isascii() or not key.isprintable()
    ):
        raise exceptions.ValidationError(
            {"Idempotency-Key": ["Use up to 255 printable ASCII characters."]}
        )
    return key


def _body_hash(data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()
