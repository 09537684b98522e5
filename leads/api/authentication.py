"""Bearer authentication for the API: a source's key or a user's personal token."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from leads.models import ApiKey, ApiToken, Source


class SourceClient(AnonymousUser):
    """The request's user when a source key authenticated it: it may post leads, read
    nothing but what it created, and is never a person."""

    def __init__(self, source: Source) -> None:
        super().__init__()
        self.source = source

    @property
    def is_authenticated(self) -> bool:  # type: ignore[override]
        return True


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = authentication.get_authorization_header(request).split()
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
            key = ApiKey.find_active(raw)
            if key is None or not key.source.is_active:
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
