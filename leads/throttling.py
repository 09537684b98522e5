"""Rate limits counted in fixed windows of Django's cache.

DRF's SimpleRateThrottle keeps a list of every request's time in the window and rewrites it
on each request, so a key allowed 600 posts a minute reads and writes a 600-entry list per
lead. A fixed window costs one counter: `incr` counts, and the window's first request
starts it with `add` (both atomic in Redis and in the local-memory cache). The price is
the usual one of fixed windows: a client may spend one window's budget at its end and the
next one's at the start.
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
        try:
            count = cache.incr(key)
        except ValueError:  # the window's first request: start its counter
            count = 1
            if not cache.add(key, count, timeout=seconds + 1):
                try:  # another request started it first
                    count = cache.incr(key)
                except ValueError:  # and it was evicted already
                    cache.set(key, count, timeout=seconds + 1)
        self._wait = (window + 1) * seconds - now
        return count <= allowed

    def wait(self) -> float:
        return self._wait
