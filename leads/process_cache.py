"""Small, rarely changed tables that intake reads for every lead, kept per process.

Routing rules, the default team, response policies and active webhooks change rarely and
are read by every new lead; reading them from PostgreSQL cost intake four round trips a
lead, two of them under the team lock. A `ProcessCache` keeps what its loader returned for
LEADS_PROCESS_CACHE_SECONDS and forgets it at once when one of its models is saved or deleted
in this process (admin, views, tests). Other processes see such a change within that time.
`QuerySet.update()` sends no signal: change these models with `save()`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import models
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")

_caches: list[ProcessCache[Any]] = []


class ProcessCache(Generic[T]):
    def __init__(self, load: Callable[[], T], *, models: Iterable[type[models.Model]]) -> None:
        self._load = load
        self._value: tuple[float, T] | None = None
        for model in models:
            post_save.connect(self.clear, sender=model, weak=False)
            post_delete.connect(self.clear, sender=model, weak=False)
        _caches.append(self)

    def get(self) -> T:
        cached, now = self._value, time.monotonic()
        if cached is not None and now < cached[0]:
            return cached[1]
        value = self._load()
        self._value = (now + settings.LEADS_PROCESS_CACHE_SECONDS, value)
        return value

    def clear(self, **_: Any) -> None:
        self._value = None


def clear_process_caches() -> None:
    """Forget every cached table (tests: a rolled-back transaction sends no signal)."""
    for cache in _caches:
        cache.clear()
