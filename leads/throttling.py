"""Rate limits counted in fixed windows of Django's cache.

DRF's SimpleRateThrottle keeps a list of every request's time in the window and rewrites it
on each request, so a key allowed 600 posts a minute reads and writes a 600-entry list per
lead. A fixed window costs one counter: `add` starts it, `incr` counts (both atomic in
Redis and in the local-memory cache). The price is the usual one of fixed windows: a client
may spend one window's budget at its end and the next one's at the start.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """`"600/min"` -> (600, 60): requests allowed per window, window length in seconds."""
    count, _, period = rate.partition("/")
    return int(count), _SECONDS[period[0]]


class FixedWindowThrottle(BaseThrottle):
    """Subclasses name the rate (`get_rate`) and whose budget a request spends
    (`get_cache_key`; None for a request that is not limited)."""

    def get_rate(self) -> str:
        raise NotImplementedError

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        raise NotImplementedError

    def allow_request(self, request: Any, view: Any) -> bool:
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        allowed, seconds = parse_rate(self.get_rate())
        now = time.time()
        window = int(now // seconds)
        key = f"{key}:{window}"
        cache.add(key, 0, timeout=seconds + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, timeout=seconds + 1)
            count = 1
        self._wait = (window + 1) * seconds - now
        return count <= allowed

    def wait(self) -> float:
        return self._wait
