"""Shared set-up for the intake tests: a source with its key, and clients that post."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from leads.models import ApiKey, ApiToken, Source
from tests.factories import SourceFactory


def source_with_key(**fields: Any) -> tuple[Source, str]:
    source = SourceFactory(**fields)
    _, raw = ApiKey.issue(source=source)
    return source, raw


def token_for(user) -> str:
    _, raw = ApiToken.issue(user=user)
    return raw


def post_lead(raw_key: str, body: Any, **headers: str):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    extra = {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"} if raw_key else {}
    extra.update({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})
    return Client().post("/api/v1/leads", data, content_type="application/json", **extra)


def get_api(raw: str, url: str, params: dict | None = None):
    return Client().get(url, params or {}, HTTP_AUTHORIZATION=f"Bearer {raw}")
