"""OpenAPI pieces every endpoint shares: the bearer scheme and the error shape.

Each API module documents its responses with `error_responses(...)` so the schema names
the same `Errors` component everywhere instead of one copy per module.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "leads.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A source's API key (`lrs_…`, from `create_source`) to post leads, or a "
                "user's personal token (`lru_…`, from `create_user --token`) to read and act."
            ),
        }


class ErrorsSerializer(serializers.Serializer):
    """`{"errors": {"field": ["message", ...]}}`; `detail` holds errors of no field."""

    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


_DESCRIPTIONS = {
    400: "Invalid input; each field lists its messages.",
    401: "Missing, unknown or revoked key or token.",
    403: "The key or token may not do this.",
    404: "No such object, or not visible to this key or token.",
    409: "Conflict with the current state.",
    413: "Request body too large.",
    415: "Body is not JSON.",
    429: "Too many requests; retry after the `Retry-After` header's seconds.",
    503: "A dependency is down.",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """The documented error responses for `codes`, all in the shared `Errors` shape."""
    return {
        code: OpenApiResponse(
            ErrorsSerializer,
            description=_DESCRIPTIONS[code],
            examples=[
                OpenApiExample(
                    f"{code}",
                    value={"errors": {"detail": [_DESCRIPTIONS[code]]}},
                    response_only=True,
                    status_codes=[str(code)],
                )
            ],
        )
        for code in codes
    }
