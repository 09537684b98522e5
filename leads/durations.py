from __future__ import annotations

import functools
import re
from datetime import timedelta

_DURATION = re.compile(r"^\s*(\d+)\s*([smh])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours"}


@functools.lru_cache(maxsize=64)  # settings' few values, parsed for every posted lead
def parse_duration(value: str) -> timedelta:
    """Parse "90s", "60m" or "48h" into a timedelta; anything else is a ValueError."""
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a duration like 90s, 60m or 48h")
    amount, unit = match.groups()
    return timedelta(**{_UNITS[unit]: int(amount)})
