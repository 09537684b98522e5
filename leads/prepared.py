"""Hot-path statements that PostgreSQL plans once per connection instead of once per lead.

leads_lead carries a dozen partial indexes, and planning a query on it costs PostgreSQL
more than running it (about 1.5 ms against 0.1 ms for the candidates query of
`choose_owner`, measured on the ingest benchmark's database). A `PreparedStatement` is
PREPAREd the first time a connection runs it and EXECUTEd by name afterwards; connections
are persistent (CONN_MAX_AGE), so intake pays for planning once per connection. Other
databases (SQLite for `make run`) run the same SQL as it is.

Write the SQL with named parameters (`%(team)s`). Put constants that partial indexes are
defined by (the open statuses) in as literals, so that PostgreSQL's generic plan can still
prove those indexes apply. Prepared statements live in a database session: a connection
pooler in front of PostgreSQL must keep sessions (PgBouncer in session mode; its
transaction mode tracks only protocol-level prepared statements, not SQL PREPARE).
"""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection, models
from django.db.backends.utils import CursorWrapper

_PARAMETER = re.compile(r"%\((\w+)\)s")


class PreparedStatement:
    def __init__(self, name: str, sql: str) -> None:
        self.sql = sql
        self._names = list(dict.fromkeys(_PARAMETER.findall(sql)))
        number = {name: i for i, name in enumerate(self._names, start=1)}
        self._prepare = f"PREPARE {name} AS " + _PARAMETER.sub(lambda m: f"${number[m[1]]}", sql)
        self._execute = f"EXECUTE {name}"
        if self._names:
            self._execute += "(" + ", ".join(["%s"] * len(self._names)) + ")"
        # DB-API connections this statement is prepared on; a closed one drops out.
        self._prepared_on: weakref.WeakSet[Any] = weakref.WeakSet()

    def execute(self, cursor: CursorWrapper, params: Mapping[str, Any]) -> None:
        if cursor.db.vendor != "postgresql":
            cursor.execute(self.sql, params)
            return
        raw_connection = cursor.db.connection
        if raw_connection not in self._prepared_on:
            cursor.execute(self._prepare)
            self._prepared_on.add(raw_connection)
        cursor.execute(self._execute, [params[name] for name in self._names])


def insert_rows(rows: Sequence[models.Model], *, ignore_conflicts: bool = False) -> None:
    """Insert `rows` (unsaved instances of one model) in one prepared statement and set
    their primary keys: `bulk_create` for the hot path, without building the query anew.

    With `ignore_conflicts`, a row that violates a unique constraint is skipped
    (ON CONFLICT DO NOTHING) and keeps `pk=None`. No signals are sent, as with bulk_create.
    """
    if not rows:
        return
    model = type(rows[0])
    statement, fields = _insert_statement(model, len(rows), ignore_conflicts)
    params = {
        f"r{i}_{field.attname}": field.get_db_prep_save(field.pre_save(row, add=True), connection)
        for i, row in enumerate(rows)
        for field in fields
    }
    with connection.cursor() as cursor:
        statement.execute(cursor, params)
        returned = cursor.fetchall()
    if ignore_conflicts and len(returned) != len(rows):
        return  # which rows were skipped is unknown: leave every pk unset, as bulk_create does
    for row, (pk,) in zip(rows, returned, strict=True):
        row.pk = pk
        row._state.adding = False
        row._state.db = connection.alias


@functools.cache
def _insert_statement(
    model: type[models.Model], count: int, ignore_conflicts: bool
) -> tuple[PreparedStatement, list[models.Field[Any, Any]]]:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    values = ", ".join(
        "(" + ", ".join(f"%(r{i}_{f.attname})s" for f in fields) + ")" for i in range(count)
    )
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(f.column for f in fields)}) "  # noqa: S608
        f"VALUES {values}"
        + (" ON CONFLICT DO NOTHING" if ignore_conflicts else "")
        + f" RETURNING {model._meta.pk.column}"
    )
    name = f"insert_{model._meta.db_table}_{count}" + ("_or_skip" if ignore_conflicts else "")
    return PreparedStatement(name, sql), fields
