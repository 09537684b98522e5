"""BatchedTransaction: BEGIN rides with the first statement, COMMIT with the last batch."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg2
import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone
from psycopg2.extensions import TRANSACTION_STATUS_IDLE

from leads.models import LeadEvent, Notification
from leads.prepared import BatchedTransaction, PreparedStatement, StatementBatch
from tests.factories import LeadFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

COUNT_EVENTS = PreparedStatement(
    "test_batched_count_events", "SELECT count(*) FROM leads_leadevent WHERE lead_id = %(lead)s"
)
MARK_WAL = PreparedStatement(
    "test_batched_mark_wal", "INSERT INTO wal_mark VALUES (pg_current_wal_insert_lsn())"
)


@pytest.fixture(autouse=True)
def postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("batches a transaction on PostgreSQL only; elsewhere it is atomic()")


@contextmanager
def sent_sql() -> Iterator[list[str]]:
    """The SQL as it goes to the server. Installed inside the block, this wrapper runs after
    the transaction's own, so it sees what that one added."""
    sql: list[str] = []

    def record(execute: Any, statement: str, params: Any, many: bool, context: Any) -> Any:
        sql.append(statement)
        return execute(statement, params, many, context)

    with connection.execute_wrapper(record):
        yield sql


def events(lead_id: int, *types: str) -> StatementBatch:
    batch = StatementBatch()
    now = timezone.now()
    batch.insert([LeadEvent(lead_id=lead_id, type=t, at=now, data={}) for t in types])
    return batch


def stored_elsewhere(lead_id: int) -> int:
    """What another connection sees: committed rows only."""
    with psycopg2.connect(**connection.get_connection_params()) as other, other.cursor() as c:
        c.execute("SELECT count(*) FROM leads_leadevent WHERE lead_id = %s", [lead_id])
        (count,) = c.fetchone()
    other.close()
    return count


def idle() -> bool:
    return connection.connection.info.transaction_status == TRANSACTION_STATUS_IDLE


def test_begin_goes_with_the_first_statement_and_commit_with_the_last_batch() -> None:
    lead = LeadFactory()

    with BatchedTransaction() as batched, sent_sql() as sql:
        with connection.cursor() as cursor:
            COUNT_EVENTS.execute(cursor, {"lead": lead.pk})
            assert cursor.fetchone() == (0,)
        batched.commit(events(lead.pk, LeadEvent.Type.CREATED, LeadEvent.Type.ASSIGNED))

    assert sql[0].startswith("BEGIN; ")
    # Past the PREPAREs of statements new to this connection: two round trips.
    executed = [s for s in [sql[0].removeprefix("BEGIN; "), *sql[1:]] if s[:7] != "PREPARE"]
    assert [s.split("(")[0] for s in executed] == [
        "EXECUTE test_batched_count_events",
        "EXECUTE insert_leads_leadevent_json",
    ]
    assert executed[1].endswith(
        "; COMMIT; SELECT pg_logical_emit_message(true, 'leadresponse', 'flush')"
    )
    assert sum("BEGIN" in s for s in sql) == 1 and sum("COMMIT" in s for s in sql) == 1
    assert idle() and stored_elsewhere(lead.pk) == 2


def test_the_commit_is_on_disk_before_commit_returns() -> None:
    """Committed without waiting for the flush, then flushed by the transaction after it:
    the WAL is flushed past a position taken inside the transaction before its COMMIT.
    (Without that second transaction the WAL writer would flush it only within
    wal_writer_delay, 200 ms, so this check would most likely fail.)"""
    lead = LeadFactory()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE wal_mark (lsn pg_lsn)")
    batch = events(lead.pk, LeadEvent.Type.CREATED)
    batch.add(MARK_WAL, {})

    with BatchedTransaction() as batched:
        batched.commit(batch)

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_flush_lsn() >= lsn FROM wal_mark")
        assert cursor.fetchall() == [(True,)]


def test_an_error_in_the_block_rolls_back_and_leaves_the_connection_ready() -> None:
    lead = LeadFactory()

    with pytest.raises(ZeroDivisionError), BatchedTransaction():
        with connection.cursor() as cursor:
            events(lead.pk, LeadEvent.Type.CREATED).send(cursor)
        1 / 0  # noqa: B018

    assert idle() and stored_elsewhere(lead.pk) == 0
    assert LeadEvent.objects.filter(lead=lead).count() == 0  # the connection works on


def test_a_failing_last_batch_stores_nothing_of_the_transaction() -> None:
    lead = LeadFactory()
    now = timezone.now()
    taken = Notification.objects.create(
        channel=Notification.Channel.IN_APP, recipient=lead.owner, lead=lead,
        event_type="lead.assigned", subject="s", body="", created_at=now, dedupe_key="taken",
    )  # fmt: skip
    last = events(lead.pk, LeadEvent.Type.ASSIGNED)
    last.insert([Notification(channel=taken.channel, recipient=lead.owner, lead=lead,
                              event_type="lead.assigned", subject="s", body="",
                              created_at=now, dedupe_key="taken")])  # fmt: skip

    with pytest.raises(IntegrityError), BatchedTransaction() as batched:
        with connection.cursor() as cursor:
            events(lead.pk, LeadEvent.Type.CREATED).send(cursor)
        batched.commit(last)

    assert idle() and stored_elsewhere(lead.pk) == 0


def test_an_atomic_block_inside_is_refused_before_it_can_commit_the_transaction() -> None:
    lead = LeadFactory()

    with pytest.raises(TransactionManagementError), BatchedTransaction():
        with connection.cursor() as cursor:
            events(lead.pk, LeadEvent.Type.CREATED).send(cursor)
        with transaction.atomic():  # Django would send COMMIT when it closes
            LeadEvent.objects.create(
                lead=lead, type=LeadEvent.Type.ACTIVITY_LOGGED, at=timezone.now()
            )

    assert idle() and stored_elsewhere(lead.pk) == 0


def test_a_block_left_without_commit_is_rolled_back_and_said_so() -> None:
    lead = LeadFactory()

    with (
        pytest.raises(TransactionManagementError, match="without commit"),
        BatchedTransaction(),
        connection.cursor() as cursor,
    ):
        events(lead.pk, LeadEvent.Type.CREATED).send(cursor)

    assert idle() and stored_elsewhere(lead.pk) == 0


def test_a_connection_lost_mid_transaction_surfaces_its_own_error() -> None:
    """The server ends the session (a restart, an idle timeout): the caller sees that error,
    not a second one from trying to roll back on a closed connection."""
    lead = LeadFactory()

    with pytest.raises(OperationalError), BatchedTransaction():
        with connection.cursor() as cursor:
            events(lead.pk, LeadEvent.Type.CREATED).send(cursor)
            cursor.execute("SELECT pg_backend_pid()")
            (pid,) = cursor.fetchone()
        with psycopg2.connect(**connection.get_connection_params()) as other:
            other.cursor().execute("SELECT pg_terminate_backend(%s)", [pid])
        other.close()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    connection.close()  # as Django does at the end of a request that broke its connection
    assert stored_elsewhere(lead.pk) == 0
