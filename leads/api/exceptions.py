"""One error shape for the whole API: `{"errors": {"field": ["message", ...]}}`.

Errors that belong to no field (authentication, throttling, a malformed body) are listed
under "detail"; errors of the body as a whole under "non_field_errors", as DRF names them.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from django.views.defaults import server_error as django_server_error
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


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 for URLs no view matches: JSON in the API's error shape under /api/, HTML elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"errors": {"detail": ["Not found."]}}, status=404)
    return page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """500 in the API's error shape under /api/, so clients can always parse the body."""
    if request.path.startswith("/api/"):
        return JsonResponse({"errors": {"detail": ["Server error."]}}, status=500)
    return django_server_error(request)
