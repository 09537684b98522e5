"""One error shape for the whole API: `{"errors": {"field": ["message", ...]}}`.

Errors that belong to no field (authentication, throttling, a malformed body) are listed
under "detail"; errors of the body as a whole under "non_field_errors", as DRF names them.
"""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def _flatten(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        errors: dict[str, list[str]] = {}
        for field, value in detail.items():
            if isinstance(value, dict):  # nested serializer: "owner.username"
                errors.update({f"{field}.{k}": v for k, v in _flatten(value).items()})
            else:
                errors[str(field)] = [
                    str(m) for m in (value if isinstance(value, list) else [value])
                ]
        return errors
    if isinstance(detail, list):
        return {"non_field_errors": [str(m) for m in detail]}
    return {"detail": [str(detail)]}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = {"errors": _flatten(response.data)}
    return response
