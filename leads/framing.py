"""Who may put our pages in a frame: nobody, except the hosted lead form, and only the
company sites named in LEADS_FORM_FRAME_ANCESTORS."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from csp.constants import NONE
from django.conf import settings
from django.http import HttpRequest, HttpResponse


def frameable_by_form_origins(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let the configured origins frame this view's pages (CSP frame-ancestors).

    X-Frame-Options cannot name origins, so it is dropped where framing is allowed and the
    Content Security Policy, which every current browser honours, says who may frame.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        origins = list(settings.LEADS_FORM_FRAME_ANCESTORS)
        if origins:
            response._csp_replace = {"frame-ancestors": origins}  # read by CSPMiddleware
            response.xframe_options_exempt = True
        else:
            response._csp_replace = {"frame-ancestors": [NONE]}
        return response

    return wrapped
