"""Bearer authentication for the API: a source's key or a user's personal token."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework import HTTP_HEADER_ENCODING, authentication, exceptions
from rest_framework.request import Request

from leads.models import ApiKey, ApiToken, Source
from leads.process_cache import ProcessCache


class SourceClient(AnonymousUser):
    """The request's user when a source key authenticated it: it may post leads, read
    nothing but what it created, and is never a person."""

    def __init__(self, source: Source) -> None:
        super().__init__()
        self.source = source

    @property
    def is_authenticated(self) -> bool:  # type: ignore[override]
        return True


def _load_active_keys() -> dict[str, ApiKey]:
    keys = ApiKey.objects.filter(revoked_at=None, source__is_active=True).select_related("source")
    return {key.lookup: key for key in keys}


# Every posted lead authenticates a source key, and sources have a handful of keys: each
# process reads the active ones once per LEADS_PROCESS_CACHE_SECONDS instead of once a
# request. Revoking a key or deactivating a source (with save(), as the admin and
# `revoke` do) takes effect at once in the process that does it and within that time in
# the others; a key issued since the last read is looked up in the database.
_active_keys = ProcessCache(_load_active_keys, models=[ApiKey, Source])


def find_source_key(raw: str) -> ApiKey | None:
    """The active key of an active source that `raw` is, or None."""
    key = _active_keys.get().get(raw[: ApiKey.LOOKUP_LENGTH])
    if key is None:
        key = ApiKey.find_active(raw)
        return key if key is not None and key.source.is_active else None
    return key if key.matches(raw) else None


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        # From META: `request.headers` (DRF's helper) copies every header of the request.
        header = request.META.get("HTTP_AUTHORIZATION", "").encode(HTTP_HEADER_ENCODING).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization header must be 'Bearer <key>'.")
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid key.") from exc

        now = timezone.now()
        if raw.startswith(ApiKey.PREFIX):
            key = find_source_key(raw)
            if key is None:
                raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
            key.touch(now=now)
            return SourceClient(key.source), key
        token = ApiToken.find_active(raw)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        token.touch(now=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
