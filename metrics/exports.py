"""CSV for every table on the board and the dashboards.

Spreadsheet programs run a cell that starts with = + - @ (or a tab / carriage return) as a
formula; such text cells are prefixed with an apostrophe (OWASP "CSV injection"). Numbers
are written as numbers: rates as fractions, durations in seconds.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from metrics.tables import Table

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _raw(value: Any, kind: str) -> Any:
    if value is None:
        return ""
    if kind == "met":
        return {True: "met", False: "missed"}.get(value, "no data")
    if isinstance(value, float):
        return repr(value)
    return neutralise(value) if isinstance(value, str) else value


def table_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    headers = [
        c.header + (" (fraction)" if c.kind == "rate" else " (s)" if c.kind == "seconds" else "")
        for c in table.columns
    ]
    writer.writerow([neutralise(h) for h in headers])
    for row in [*table.rows, *table.footer]:
        writer.writerow([_raw(v, c.kind) for v, c in zip(row, table.columns, strict=True)])
    return out.getvalue()
