"""The hot path's prepared statements: planned once per connection, re-prepared on a new one."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leads.models import LeadEvent, Notification
from leads.notifications import Message, notification_rows, notification_values
from leads.prepared import PreparedStatement, StatementBatch, _insert, insert_rows
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db(transaction=True)

DOUBLE = PreparedStatement("test_double", "SELECT %(n)s * 2, %(n)s + %(m)s")


def run(n: int, m: int) -> tuple[int, int]:
    with connection.cursor() as cursor:
        DOUBLE.execute(cursor, {"n": n, "m": m})
        return cursor.fetchone()


def test_a_statement_is_prepared_once_per_connection_and_again_on_a_new_one() -> None:
    with CaptureQueriesContext(connection) as first:
        assert run(2, 3) == (4, 5)
        assert run(5, 1) == (10, 6)
    connection.close()
    with CaptureQueriesContext(connection) as second:
        assert run(7, 0) == (14, 7)

    prepares = [q for q in first.captured_queries if q["sql"].startswith("PREPARE")]
    if connection.vendor == "postgresql":
        assert len(prepares) == 1 and "$1 * 2, $1 + $2" in prepares[0]["sql"]
        assert sum(q["sql"].startswith("PREPARE") for q in second.captured_queries) == 1
    else:
        assert prepares == []  # other databases run the SQL as written


def test_insert_rows_sets_primary_keys_and_skips_a_conflicting_dedupe_key() -> None:
    lead = LeadFactory()
    now = timezone.now()
    events = [
        LeadEvent(lead=lead, type=LeadEvent.Type.CREATED, at=now, data={"channel": "api"}),
        LeadEvent(lead=lead, type=LeadEvent.Type.ASSIGNED, at=now, data={"owner": "ana"}),
    ]
    insert_rows(events)
    stored = list(LeadEvent.objects.filter(lead=lead).order_by("pk"))
    assert [e.pk for e in events] == [e.pk for e in stored]
    assert [e.data for e in stored] == [{"channel": "api"}, {"owner": "ana"}]

    def row(key: str) -> Notification:
        return Notification(
            channel=Notification.Channel.IN_APP, recipient=lead.owner, lead=lead,
            event_type="lead.assigned", subject="New lead", body="", created_at=now,
            state=Notification.State.SENT, sent_at=now, dedupe_key=key,
        )  # fmt: skip

    insert_rows([row("k1")], ignore_conflicts=True)
    again = [row("k1"), row("k2")]
    insert_rows(again, ignore_conflicts=True)
    assert sorted(Notification.objects.values_list("dedupe_key", flat=True)) == ["k1", "k2"]
    assert [n.pk for n in again] == [None, None]  # which one was skipped is not known


def test_a_batch_is_one_round_trip_that_runs_in_order_and_returns_the_last_rows() -> None:
    lead = LeadFactory()
    now = timezone.now()
    event = LeadEvent(lead=lead, type=LeadEvent.Type.CREATED, at=now, data={"channel": "api"})
    keyed = LeadEvent(pk=10_000, lead=lead, type=LeadEvent.Type.ASSIGNED, at=now, data={})
    batch = StatementBatch()
    batch.insert([event])
    batch.insert([keyed])
    batch.add(COUNT_EVENTS, {"lead": lead.pk})

    with CaptureQueriesContext(connection) as sent, connection.cursor() as cursor:
        batch.send(cursor)
        assert cursor.fetchone() == (2,)  # the count ran after both inserts

    if connection.vendor == "postgresql":
        assert len([q for q in sent if not q["sql"].startswith("PREPARE")]) == 1
    assert event.pk is None  # a batch returns no keys
    assert keyed._state.adding is False  # stored under the key it was given
    assert LeadEvent.objects.filter(pk=10_000, lead=lead).exists()


def test_a_failing_statement_stops_the_batch_and_its_transaction_stores_nothing() -> None:
    lead = LeadFactory()
    now = timezone.now()
    stored = LeadEvent.objects.create(lead=lead, type=LeadEvent.Type.CREATED, at=now, data={})
    batch = StatementBatch()
    batch.insert([LeadEvent(lead=lead, type=LeadEvent.Type.ASSIGNED, at=now, data={})])
    batch.insert([LeadEvent(pk=stored.pk, lead=lead, type=LeadEvent.Type.ASSIGNED, at=now)])
    before = LeadEvent.objects.count()

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        batch.send(cursor)  # the second INSERT reuses a primary key

    assert LeadEvent.objects.count() == before


COUNT_EVENTS = PreparedStatement(
    "test_count_events", "SELECT count(*) FROM leads_leadevent WHERE lead_id = %(lead)s"
)


def comparable(value: Any) -> Any:
    """A prepared parameter as something `==` compares (JSON adapters by their value)."""
    return ("json", value.adapted) if hasattr(value, "adapted") else (type(value), value)


def test_insert_parameters_are_what_the_orm_would_send() -> None:
    """An INSERT with VALUES (one that returns keys) passes plain values of plain fields
    through and prepares the rest; either way each parameter is what `get_db_prep_save`
    gives (naive datetimes made aware, JSON adapted, choices and keys as stored)."""
    lead = LeadFactory()
    naive = timezone.now().replace(tzinfo=None)
    rows = [
        LeadEvent(lead=lead, type=LeadEvent.Type.CREATED, at=naive, data={"n": 1}, actor=None),
        LeadEvent(lead=lead, type="lead.custom", at=timezone.now(), data=[], actor=lead.owner),
    ]
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        statement, params = _insert(rows, ignore_conflicts=False, returning=True)
        expected = {
            f"r{i}_{field.attname}": field.get_db_prep_save(field.pre_save(row, True), connection)
            for i, row in enumerate(rows)
            for field in LeadEvent._meta.concrete_fields
            if not field.primary_key
        }

    assert {k: comparable(v) for k, v in params.items()} == {
        k: comparable(v) for k, v in expected.items()
    }
    assert params["r0_at"].tzinfo is not None and params["r1_actor_id"] == lead.owner.pk


def test_rows_queued_as_values_are_written_as_their_instances_would_be() -> None:
    """`insert_values` takes values by attname and fills in the defaults of the fields left
    out: the outbox rows intake queues that way are the rows `notification_rows` builds."""
    lead = LeadFactory()
    message = Message(
        user=lead.owner, lead=lead, event_type=LeadEvent.Type.ASSIGNED, subject="New lead",
        body="Yours.", now=timezone.now(), dedupe_key="k",
    )  # fmt: skip
    values = notification_values(message)
    assert len(values) == 2  # in-app and e-mail: the owner has an address
    batch = StatementBatch()
    batch.insert_values(Notification, values)
    ((statement, params),) = batch._queued
    expected_statement, expected = _insert(
        notification_rows(message), ignore_conflicts=False, returning=False
    )
    assert statement is expected_statement
    assert {k: comparable(v) for k, v in params.items()} == {
        k: comparable(v) for k, v in expected.items()
    }
    assert json.loads(params["rows"])[1]["state"] == Notification.State.PENDING  # a default
    with pytest.raises(ValueError, match="no field colour"):
        batch.insert_values(Notification, [{**values[0], "colour": "red"}])


def test_rows_sent_as_json_are_stored_as_the_orm_stores_them(settings) -> None:
    """A batch sends its INSERTs' rows as one JSON document: what PostgreSQL stores from it
    is what `bulk_create` stores from the same instances, text, dates and JSON alike."""
    if connection.vendor != "postgresql":
        pytest.skip("other databases get VALUES")
    settings.TIME_ZONE = "America/New_York"  # a naive datetime means New York time, not UTC
    lead = LeadFactory()
    now = timezone.now()
    naive = now.replace(tzinfo=None)
    text = 'O\'Brien \\ "quoted" 100% ünïcödé 日本 😀\n\ttab'

    def events() -> list[LeadEvent]:
        return [
            LeadEvent(lead=lead, type=text[:40], at=naive, data={"n": [1, 2.5, None, text]}),
            LeadEvent(lead=lead, type="lead.custom", at=now, data=[], actor=lead.owner),
            LeadEvent(lead=lead, type="lead.other", at=now, data="just text"),
        ]

    def notifications(key: str) -> list[Notification]:
        message = Message(
            user=lead.owner, lead=lead, event_type="lead.assigned", subject=text,
            body=text * 3, now=now, dedupe_key=key,
        )  # fmt: skip
        return notification_rows(message)

    batch = StatementBatch()
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        batch.insert(events())
        orm_ids = {LeadEvent: {e.pk for e in LeadEvent.objects.bulk_create(events())}}
    batch.insert(notifications("batch"))
    orm_ids[Notification] = {n.pk for n in Notification.objects.bulk_create(notifications("orm"))}
    assert ["jsonb_populate_recordset" in statement.sql for statement, _ in batch._queued] == [
        True,
        True,
    ]
    with connection.cursor() as cursor:
        batch.send(cursor)

    def stored(model: type, *, by_orm: bool) -> list[dict[str, Any]]:
        rows = model.objects.filter(lead=lead).order_by("pk").values()
        return [
            {k: v for k, v in row.items() if k not in ("id", "dedupe_key")}
            for row in rows
            if (row["id"] in orm_ids[model]) == by_orm
        ]

    for model in (LeadEvent, Notification):
        assert len(stored(model, by_orm=False)) == len(orm_ids[model])
        assert stored(model, by_orm=False) == stored(model, by_orm=True)
