"""Hot-path statements that PostgreSQL plans once per connection instead of once per lead.

leads_lead carries a dozen partial indexes, and planning a query on it costs PostgreSQL
more than running it (about 1.5 ms against 0.1 ms for the candidates query of
`choose_owner`, measured on the ingest benchmark's database). A `PreparedStatement` is
PREPAREd the first time a connection runs it and EXECUTEd by name afterwards; connections
are persistent (CONN_MAX_AGE), so intake pays for planning once per connection. Other
databases (SQLite for `make run`) run the same SQL as it is.

A `StatementBatch` sends several such statements to PostgreSQL in one round trip: intake
queues its writes (the rep's turn, the lead, its events, the notifications) and sends
them together, so the team lock it holds until commit waits for one round trip, not four.
The rows of its INSERTs go as one JSON document a statement, not as a parameter a value
(see `_json_insert_statement`).

Write the SQL with named parameters (`%(team)s`). Put constants that partial indexes are
defined by (the open statuses) in as literals, so that PostgreSQL's generic plan can still
prove those indexes apply. Prepared statements live in a database session: a connection
pooler in front of PostgreSQL must keep sessions (PgBouncer in session mode; its
transaction mode tracks only protocol-level prepared statements, not SQL PREPARE).

A `BatchedTransaction` makes such batches a transaction of their own: BEGIN goes out with
the first and COMMIT with the last, so the transaction adds no round trips.
"""

from __future__ import annotations

import functools
import json
import re
import weakref
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack, suppress
from datetime import date, datetime
from types import TracebackType
from typing import Any, NamedTuple, TypeVar

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, models, transaction
from django.db.backends.utils import CursorWrapper
from django.db.transaction import TransactionManagementError
from psycopg2.extensions import TRANSACTION_STATUS_IDLE

M = TypeVar("M", bound=models.Model)

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
        self.prepare(cursor)
        cursor.execute(self._execute, self._positional(params))

    def prepare(self, cursor: CursorWrapper) -> None:
        """PREPARE on the cursor's connection unless done before (PostgreSQL only)."""
        raw_connection = cursor.db.connection
        if raw_connection not in self._prepared_on:
            cursor.execute(self._prepare)
            self._prepared_on.add(raw_connection)

    def _positional(self, params: Mapping[str, Any]) -> list[Any]:
        return [params[name] for name in self._names]


class StatementBatch:
    """Prepared statements queued with `add` or `insert` and run in order by `send`.

    PostgreSQL gets them as one simple query of several statements, in one round trip: each
    runs with a fresh snapshot (as separate statements would under READ COMMITTED), the
    first error stops the rest and is raised, and only the last statement's rows can be
    fetched. Other databases run them one by one. Send inside the caller's transaction.
    """

    def __init__(self) -> None:
        self._queued: list[tuple[PreparedStatement, Mapping[str, Any]]] = []
        self._keyed_rows: list[models.Model] = []

    def add(self, statement: PreparedStatement, params: Mapping[str, Any]) -> None:
        self._queued.append((statement, params))

    def insert(self, rows: Sequence[models.Model], *, ignore_conflicts: bool = False) -> None:
        """Queue the INSERT of `rows` (unsaved instances of one model). Rows whose primary
        key is set are stored under it and count as saved after `send`; the others get no
        key back (nothing is returned in a batch)."""
        if rows:
            self._queued.append(_insert(rows, ignore_conflicts=ignore_conflicts, returning=False))
            self._keyed_rows += [row for row in rows if row.pk is not None]

    def insert_values(self, model: type[models.Model], rows: Sequence[Mapping[str, Any]]) -> None:
        """Queue the INSERT of rows given as values by attname (`lead_id`, not `lead`), the
        fields left out taking their defaults: for rows nobody reads back, which then cost
        no model instance. Values are stored as given (no `pre_save`: give auto_now fields)."""
        if rows:
            self._queued.append(
                _insert_statement_and_params(
                    model, [_row_values(model, row) for row in rows], ignore_conflicts=False,
                    returning=False, with_pk=model._meta.pk.attname in rows[0],
                )
            )  # fmt: skip

    def send(self, cursor: CursorWrapper, *, then: str = "") -> None:
        """Run the queued statements, then `then` (SQL without parameters) if given: on
        PostgreSQL in the same round trip, after the PREPAREs of statements new to the
        connection."""
        if cursor.db.vendor != "postgresql":
            for statement, params in self._queued:
                statement.execute(cursor, params)
            if then:
                cursor.execute(then)
        elif self._queued:
            for statement, _ in self._queued:
                statement.prepare(cursor)
            executes = [statement._execute for statement, _ in self._queued]
            sql = "; ".join([*executes, then] if then else executes)
            values = [v for stmt, params in self._queued for v in stmt._positional(params)]
            cursor.execute(sql, values)
        elif then:
            cursor.execute(then)
        for row in self._keyed_rows:
            row._state.adding = False
            row._state.db = cursor.db.alias
        self._queued, self._keyed_rows = [], []


# How a BatchedTransaction commits (see there): without waiting for the WAL flush, then
# a WAL record (a logical decoding message, which touches no table) in a transaction of its
# own that commits with the session's synchronous_commit and so flushes ours with it.
_COMMIT_THEN_FLUSH = (
    "SET LOCAL synchronous_commit TO off; COMMIT; "
    "SELECT pg_logical_emit_message(true, 'leadresponse', 'flush')"
)


class BatchedTransaction:
    """A transaction of statement batches that costs no round trips of its own.

        with BatchedTransaction() as batched:
            ...  # statements and batches; BEGIN goes in front of the first one sent
            batched.commit(writes)  # the last batch, with COMMIT after it

    Under Django's `atomic`, psycopg2 sends BEGIN in a round trip of its own before the
    first statement, and Django sends COMMIT in another after the last. Intake's
    transaction is two batches (the locks and reads, then the writes), so those were half
    its round trips, and the one with COMMIT was spent holding the team lock.

    The commit does not wait for the WAL flush while the team lock is held either: one lead
    per disk flush would get through. The transaction commits with synchronous_commit off,
    which releases its locks and shows its rows at once, and the same round trip then
    commits a WAL record synchronously in a transaction of its own. That flush covers
    everything written before it, this transaction included, and `commit` returns only
    after it: the data is on disk before anyone is told it was stored, as with a plain
    COMMIT. A crash between the two loses a transaction nobody has been answered about.

    On other databases, or inside an atomic block (tests), this is
    `transaction.atomic(durable=True)` and `commit` sends the batch. On PostgreSQL an error
    rolls the transaction back, and nothing inside may open an atomic block (Django would
    commit ours early when it closes): a statement sent inside one raises
    TransactionManagementError. Register no `on_commit` callbacks: Django, which sees no
    transaction, would run them at once.
    """

    def __init__(self, using: str = DEFAULT_DB_ALIAS) -> None:
        self.db = connections[using]
        self._atomic: transaction.Atomic | None = None
        self._cleanup = ExitStack()
        self._begin_pending = True

    def __enter__(self) -> BatchedTransaction:
        if self.db.vendor != "postgresql" or self.db.in_atomic_block:
            self._atomic = transaction.atomic(using=self.db.alias, durable=True)
            self._atomic.__enter__()
        else:
            self._cleanup.enter_context(self.db.execute_wrapper(self._frame))
        return self

    def commit(self, batch: StatementBatch) -> None:
        """Send `batch`, the transaction's last statements, and commit."""
        with self.db.cursor() as cursor:
            batch.send(cursor, then="" if self._atomic else _COMMIT_THEN_FLUSH)

    def _frame(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        if self.db.in_atomic_block:
            raise TransactionManagementError("an atomic block inside a BatchedTransaction")
        if many:
            raise TransactionManagementError("executemany inside a BatchedTransaction")
        if self._begin_pending:
            sql, self._begin_pending = f"BEGIN; {sql}", False
        return execute(sql, params, many, context)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._atomic is not None:
            self._atomic.__exit__(exc_type, exc, traceback)
            return
        self._cleanup.close()
        raw = self.db.connection
        if raw is None or raw.closed:
            return  # lost with the connection; its error is on its way up
        if raw.info.transaction_status != TRANSACTION_STATUS_IDLE:
            # An error, or a block left without commit(): roll back. A connection that
            # breaks now fails this too; Django closes it at the end of the request.
            with suppress(DatabaseError), self.db.cursor() as cursor:
                cursor.execute("ROLLBACK")
            if exc_type is None:
                raise TransactionManagementError("BatchedTransaction left without commit()")


def instance_from_row(model: type[M], attnames: Sequence[str], values: Sequence[Any]) -> M:
    """A model instance from a row of a prepared statement (columns in `attnames` order),
    with the values converted as the ORM would (SQLite returns datetimes as text)."""
    converters = _converters(model, tuple(attnames), connection.vendor)
    if converters:
        values = list(values)
        for i, expression, convert in converters:
            values[i] = convert(values[i], expression, connection)
    return model.from_db(connection.alias, attnames, values)


@functools.cache
def _converters(
    model: type[models.Model], attnames: tuple[str, ...], vendor: str
) -> list[tuple[int, Any, Any]]:
    fields = {field.attname: field for field in model._meta.concrete_fields}
    converters = []
    for i, attname in enumerate(attnames):
        expression = fields[attname].get_col(model._meta.db_table)
        for convert in connection.ops.get_db_converters(expression) + (
            expression.get_db_converters(connection)
        ):
            converters.append((i, expression, convert))
    return converters


def insert_rows(rows: Sequence[models.Model], *, ignore_conflicts: bool = False) -> None:
    """Insert `rows` (unsaved instances of one model) in one prepared statement and set
    their primary keys: `bulk_create` for the hot path, without building the query anew.

    With `ignore_conflicts`, a row that violates a unique constraint is skipped
    (ON CONFLICT DO NOTHING) and keeps `pk=None`. No signals are sent, as with bulk_create.
    """
    if not rows:
        return
    statement, params = _insert(rows, ignore_conflicts=ignore_conflicts, returning=True)
    with connection.cursor() as cursor:
        statement.execute(cursor, params)
        returned = cursor.fetchall()
    if ignore_conflicts and len(returned) != len(rows):
        return  # which rows were skipped is unknown: leave every pk unset, as bulk_create does
    for row, (pk,) in zip(rows, returned, strict=True):
        row.pk = pk
        row._state.adding = False
        row._state.db = connection.alias


def _insert(
    rows: Sequence[models.Model], *, ignore_conflicts: bool, returning: bool
) -> tuple[PreparedStatement, dict[str, Any]]:
    """The statement inserting `rows` (with their primary key if the first has one) and its
    parameters, prepared for the database as `Model.save()` would."""
    model, with_pk = type(rows[0]), rows[0].pk is not None
    columns = _columns(model, with_pk=with_pk)
    values = [
        {
            field.attname: (
                getattr(row, field.attname) if kept is not None else field.pre_save(row, add=True)
            )
            for field, kept in columns
        }
        for row in rows
    ]
    return _insert_statement_and_params(
        model, values, ignore_conflicts=ignore_conflicts, returning=returning, with_pk=with_pk
    )


def _row_values(model: type[models.Model], row: Mapping[str, Any]) -> Mapping[str, Any]:
    """`row` (values by attname) completed with the defaults of the fields it leaves out."""
    defaults = _defaults(model)
    if row.keys() == defaults.keys():
        return row
    unknown = row.keys() - defaults.keys()
    if unknown:
        raise ValueError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
    return {name: row[name] if name in row else default() for name, default in defaults.items()}


@functools.cache
def _defaults(model: type[models.Model]) -> dict[str, Callable[[], Any]]:
    return {field.attname: field.get_default for field in model._meta.concrete_fields}


def _insert_statement_and_params(
    model: type[models.Model], rows: Sequence[Mapping[str, Any]], *, ignore_conflicts: bool,
    returning: bool, with_pk: bool,
) -> tuple[PreparedStatement, dict[str, Any]]:  # fmt: skip
    """The statement inserting `rows` (values by attname) and its parameters, the values
    prepared for the database as `Model.save()` would after `pre_save`.

    On PostgreSQL, rows whose key nobody needs back go as one JSON parameter (see
    `_json_insert_statement`); otherwise as a parameter a value.
    """
    db = connections[DEFAULT_DB_ALIAS]  # not the `connection` proxy: one lookup, not one per field
    if db.vendor == "postgresql" and not returning and _as_json(model):
        statement, columns = _json_insert_statement(
            model, ignore_conflicts=ignore_conflicts, with_pk=with_pk
        )
        # NULLs stay out: a key missing from the document is NULL, as a JSON null is.
        document = [
            {column: value if type(value) in plain else _json_value(field, plain, value, db)
             for attname, column, plain, field in columns
             if (value := row[attname]) is not None}
            for row in rows
        ]  # fmt: skip
        return statement, {"rows": json.dumps(document, ensure_ascii=False)}
    statement, columns, names = _insert_statement(
        model, len(rows), ignore_conflicts=ignore_conflicts, with_pk=with_pk, returning=returning
    )
    values: list[Any] = []
    for row in rows:
        for field, kept in columns:
            value = row[field.attname]
            if kept is not None and (value is None or type(value) in kept):
                values.append(value)
            else:
                values.append(field.get_db_prep_save(value, db))
    return statement, dict(zip(names, values, strict=True))


# Field classes whose `pre_save` reads the attribute and whose `get_db_prep_save` returns
# None, and a value of the types listed, as it is. `_insert` passes such values straight
# through: the ORM's preparation was most of the cost of building intake's writes. Exact
# classes only, as a subclass may convert. Date fields qualify unless they set themselves
# (auto_now); their values are still prepared (a naive datetime is made aware). The table
# also decides which models may send their rows as JSON (`_as_json`): list only classes
# whose prepared values `json.dumps` writes as their column's input function reads them.
_KEPT_AS_IS: dict[type[models.Field[Any, Any]], tuple[type, ...]] = {
    models.CharField: (str,),
    models.EmailField: (str,),
    models.SlugField: (str,),
    models.TextField: (str,),
    models.BooleanField: (bool,),
    models.AutoField: (int,),
    models.BigAutoField: (int,),
    models.BigIntegerField: (int,),
    models.IntegerField: (int,),
    models.PositiveIntegerField: (int,),
    models.PositiveSmallIntegerField: (int,),
    models.SmallIntegerField: (int,),
    models.DateField: (),
    models.DateTimeField: (),
    models.JSONField: (),
}
_Column = tuple["models.Field[Any, Any]", "tuple[type, ...] | None"]  # field, types kept as is


def _kept_as_is(field: models.Field[Any, Any]) -> tuple[type, ...] | None:
    """The types of value (besides None) that `_insert` passes through for `field`; None
    when every value must be prepared (and the model's rows cannot go as JSON)."""
    if type(field) is models.ForeignKey:
        field = field.target_field
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return None
    return _KEPT_AS_IS.get(type(field))


@functools.cache
def _insert_statement(
    model: type[models.Model], count: int, *, ignore_conflicts: bool, with_pk: bool,
    returning: bool,
) -> tuple[PreparedStatement, list[_Column], list[str]]:  # fmt: skip
    """The statement, its columns (each field with the types it keeps as they are) and its
    parameters' names in the order of the values."""
    columns = _columns(model, with_pk=with_pk)
    fields = [field for field, _ in columns]
    names = [f"r{i}_{f.attname}" for i in range(count) for f in fields]
    values = ", ".join(
        "(" + ", ".join(f"%({name})s" for name in names[i : i + len(fields)]) + ")"
        for i in range(0, len(names), len(fields))
    )
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(f.column for f in fields)}) "  # noqa: S608
        f"VALUES {values}"
        + (" ON CONFLICT DO NOTHING" if ignore_conflicts else "")
        + (f" RETURNING {model._meta.pk.column}" if returning else "")
    )
    name = "_".join(
        ["insert", model._meta.db_table, str(count)]
        + ["with_pk"] * with_pk
        + ["or_skip"] * ignore_conflicts
        + ["quiet"] * (not returning)
    )
    return PreparedStatement(name, sql), columns, names


# Rows as one JSON parameter. psycopg2 quotes every parameter into the SQL text, which
# PostgreSQL then parses as a literal: a posted lead's writes carried sixty-odd, and sending
# them as one document saved 3 % of the CPU a post costs the web process and PostgreSQL
# together (measured in one process). As one JSON document, the values cost one
# `json.dumps` and one jsonb parse, and PostgreSQL
# turns each into its column's type with the same input function a literal goes through
# (lengths and constraints are checked as ever). For models whose every field renders
# exactly in JSON: text, numbers, booleans, keys, dates (ISO 8601) and JSON without a
# custom encoder. The row order of INSERT ... SELECT is not promised, so statements that
# return keys keep VALUES.


@functools.cache
def _as_json(model: type[models.Model]) -> bool:
    """Whether rows of `model` can be inserted as a JSON document."""
    return all(
        _kept_as_is(field) is not None
        and (not isinstance(field, models.JSONField) or field.encoder is None)
        for field in model._meta.concrete_fields
    )


def _json_value(field: models.Field[Any, Any], plain: tuple[type, ...], value: Any, db: Any) -> Any:
    """`value` (not None, nor of a type in `plain`, which the field keeps as it is) as the
    JSON the column's input function reads as `Model.save()` would store it."""
    if type(field) is models.JSONField:
        return value
    if plain == (str,) and isinstance(value, str):  # a TextChoices member, stored as its text
        return str(value)
    aware = type(value) is datetime and value.utcoffset() is not None
    if aware and type(field) is models.DateTimeField:
        return value.isoformat()  # stored as it is
    prepared = field.get_db_prep_save(value, db)  # naive dates made aware, numbers to text...
    return prepared.isoformat() if isinstance(prepared, date) else prepared


class _JsonColumn(NamedTuple):
    attname: str
    column: str
    plain: tuple[type, ...]  # types of value written to the document as they are
    field: models.Field[Any, Any]


@functools.cache
def _json_insert_statement(
    model: type[models.Model], *, ignore_conflicts: bool, with_pk: bool
) -> tuple[PreparedStatement, list[_JsonColumn]]:
    """The statement inserting any number of rows of `model` from the JSON array `rows`
    (an object a row, keyed by column), and its columns."""
    columns = [
        _JsonColumn(field.attname, field.column, kept or (), field)
        for field, kept in _columns(model, with_pk=with_pk)
    ]
    names = ", ".join(column.column for column in columns)
    table = model._meta.db_table
    sql = (
        f"INSERT INTO {table} ({names}) SELECT {names} "  # noqa: S608
        f"FROM jsonb_populate_recordset(NULL::{table}, %(rows)s)"
        + (" ON CONFLICT DO NOTHING" if ignore_conflicts else "")
    )
    name = "_".join(
        ["insert", table, "json"] + ["with_pk"] * with_pk + ["or_skip"] * ignore_conflicts
    )
    return PreparedStatement(name, sql), columns


@functools.cache
def _columns(model: type[models.Model], *, with_pk: bool) -> list[_Column]:
    """The fields an INSERT of `model` writes, each with the types it keeps as they are."""
    return [
        (field, _kept_as_is(field))
        for field in model._meta.concrete_fields
        if with_pk or not field.primary_key
    ]
