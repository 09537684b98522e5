"""Intake: every accepted lead is stored and owned by a rep in one transaction.

`ingest_lead` is the one way a live lead comes in (hosted form, JSON API); the CSV import of
historical leads is in leads.imports. Both write the events every state change leaves
and queue the assigned rep's notifications in the same transaction (the outbox). Intake
never talks to the broker: beat's deliver-notifications run sends the outbox within
LEADS_DELIVERY_INTERVAL_SECONDS, so a broker that is down cannot fail or slow intake.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from leads.assignment import choose_owner, route_team
from leads.escalation import start_escalation_clock
from leads.models import (
    IdempotencyKey,
    Lead,
    LeadEvent,
    Product,
    Source,
    SpamCount,
)
from leads.notifications import notify_user
from leads.prepared import PreparedStatement, StatementBatch, insert_rows

# Control characters other than tab and newlines, and lone surrogates (which PostgreSQL
# cannot store): stripped from every text a stranger sends us.
_UNSAFE_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_PHONE_JUNK = re.compile(r"[^\d+]")


def clean_text(value: str, *, multiline: bool = False) -> str:
    """Text as we store it: NFC, no control characters, single-line unless `multiline`."""
    value = _UNSAFE_CHARS.sub("", unicodedata.normalize("NFC", value))
    if not multiline:
        value = " ".join(value.split())
    return value.strip()


def normalize_email(value: str) -> str:
    return value.strip().lower()


def normalize_phone(value: str) -> str:
    """`+1 (555) 010-9999` -> `+15550109999`: one spelling, so repeat inquiries match."""
    digits = _PHONE_JUNK.sub("", value)
    return ("+" if digits.startswith("+") else "") + digits.replace("+", "")


def find_product(value: str) -> Product | None:
    """A product by slug or name (case-insensitive); None for an empty value."""
    value = value.strip()
    if not value:
        return None
    return Product.objects.filter(Q(slug__iexact=value) | Q(name__iexact=value)).first()


@dataclass(frozen=True)
class LeadInput:
    """A validated inquiry: what the form, the API or a CSV row carries."""

    name: str
    email: str = ""
    phone: str = ""
    company: str = ""
    message: str = ""
    product: Product | None = None
    temperature: str = Lead.Temperature.WARM
    external_id: str = ""


@dataclass(frozen=True)
class IngestResult:
    lead: Lead
    created: bool  # False: an idempotent retry returned the lead stored the first time


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before with a different request body."""


class DuplicateExternalId(Exception):
    """The source already sent a lead with this external_id."""

    def __init__(self, lead_id: int) -> None:
        super().__init__(f"lead #{lead_id} already has this external_id")
        self.lead_id = lead_id


def ingest_lead(
    *,
    source: Source,
    data: LeadInput,
    now: datetime,
    channel: str,
    idempotency_key: str = "",
    request_hash: str = "",
) -> IngestResult:
    """Store a new lead, assign it, record its events and queue the rep's notification.

    With an `idempotency_key` a retry of the same request (same `request_hash`) returns the
    lead stored the first time and writes nothing; another body raises IdempotencyConflict.
    Two retries racing each other: the loser's insert of the key violates its unique
    constraint, its whole transaction rolls back, and it returns the winner's lead.
    """
    if idempotency_key:
        found = _replay(source=source, key=idempotency_key, request_hash=request_hash)
        if found is not None:
            return found
    try:
        lead = _ingest(
            source=source,
            data=data,
            now=now,
            channel=channel,
            idempotency_key=idempotency_key,
            request_hash=request_hash,
        )
    except IntegrityError:
        if idempotency_key:
            found = _replay(source=source, key=idempotency_key, request_hash=request_hash)
            if found is not None:
                return found
        if data.external_id:
            earlier = Lead.objects.filter(source=source, external_id=data.external_id).first()
            if earlier is not None:
                raise DuplicateExternalId(earlier.pk) from None
        raise
    return IngestResult(lead=lead, created=True)


def _replay(*, source: Source, key: str, request_hash: str) -> IngestResult | None:
    record = (
        IdempotencyKey.objects.select_related("lead__owner", "lead__source")
        .filter(source=source, key=key)
        .first()
    )
    if record is None:
        return None
    if record.request_hash != request_hash:
        raise IdempotencyConflict(key)
    return IngestResult(lead=record.lead, created=False)


@transaction.atomic(durable=True)
def _ingest(
    *,
    source: Source,
    data: LeadInput,
    now: datetime,
    channel: str,
    idempotency_key: str,
    request_hash: str,
) -> Lead:
    previous = _open_lead_of_same_prospect(email=data.email, phone=data.phone)
    team = previous.team if previous else route_team(source=source, product=data.product)
    lead = Lead(
        source=source,
        team=team,
        previous_lead=previous,
        name=data.name,
        email=data.email,
        phone=data.phone,
        company=data.company,
        message=data.message,
        product=data.product,
        temperature=data.temperature,
        external_id=data.external_id,
        received_at=now,
        assigned_at=now,
    )
    # Before the owner is chosen: choosing takes the team lock, held until commit, and the
    # clock does not depend on the owner.
    start_escalation_clock(lead)
    # Everything written after the choice goes in one round trip (the team lock is held
    # until commit); the lead's id is drawn under the lock, so ids follow assignment order.
    writes = StatementBatch()
    if previous is not None:
        # One prospect, one rep: the repeat inquiry goes to whoever already has them.
        owner, unrouted = previous.owner, previous.unrouted
        reason = f"repeat inquiry: lead #{previous.pk} of the same prospect is open"
    else:
        choice = choose_owner(
            team=team, product=data.product, now=now, reserve_lead_id=True, writes=writes
        )
        owner, unrouted, reason = choice.owner, choice.unrouted, choice.reason
        lead.pk = choice.lead_id
    lead.owner, lead.unrouted = owner, unrouted
    if lead.pk is None:
        insert_rows([lead])  # a repeat inquiry: no id was drawn
    else:
        writes.insert([lead])

    events = [
        (LeadEvent.Type.CREATED, {"channel": channel, "source": source.slug}),
        (
            LeadEvent.Type.ASSIGNED,
            {"owner": owner.get_username(), "reason": reason, "unrouted": unrouted},
        ),
    ]
    if previous is not None:
        events.append((LeadEvent.Type.REPEAT_INQUIRY, {"previous_lead": previous.pk}))
    lead.record_events(events, at=now, writes=writes)
    notify_owner(lead=lead, reason=reason, now=now, writes=writes)
    if idempotency_key:
        writes.insert(
            [IdempotencyKey(source=source, key=idempotency_key, request_hash=request_hash,
                            lead=lead, created_at=now)]
        )  # fmt: skip
    with connection.cursor() as cursor:
        writes.send(cursor)
    return lead


def _open_lead_of_same_prospect(*, email: str, phone: str) -> Lead | None:
    """The earliest open lead with this email or phone, if any.

    Inquiries of one prospect are serialised (a double-clicked form, a retry without a key),
    so the second sees the first's lead and goes to the same rep: on PostgreSQL, first
    transaction-scoped advisory locks on the email and phone, taken in a fixed order before
    the team lock, and the lookup after them in the same round trip. SQLite (the fallback)
    runs one writing transaction at a time anyway.
    """
    if not (email or phone):
        return None
    batch = StatementBatch()
    if connection.vendor == "postgresql":
        keys = sorted(f"prospect:{value}" for value in (email, phone) if value)
        batch.add(_LOCK_PROSPECT[len(keys)], {f"key{i}": key for i, key in enumerate(keys)})
    # Most inquiries are a first one: look for the id alone, in SQL written out (the hot
    # path; served by the partial indexes lead_open_by_email / lead_open_by_phone), and load
    # the lead with its owner and team only for a repeat. An empty value matches nothing.
    batch.add(_EARLIEST_OPEN_LEAD_OF_PROSPECT, {"email": email, "phone": phone})
    with connection.cursor() as cursor:
        batch.send(cursor)
        row = cursor.fetchone()
    if row is None:
        return None
    return Lead.objects.select_related("owner", "team").get(pk=row[0])


_LOCK_PROSPECT = {
    count: PreparedStatement(
        f"intake_lock_prospect_{count}",
        "SELECT " + ", ".join(f"pg_advisory_xact_lock(hashtext(%(key{i})s))" for i in range(count)),
    )
    for count in (1, 2)
}
_EARLIEST_OPEN_LEAD_OF_PROSPECT = PreparedStatement(
    "intake_earliest_open_lead_of_prospect",
    f"""
    SELECT id FROM {Lead._meta.db_table}
    WHERE status IN ({", ".join(f"'{status}'" for status in Lead.OPEN_STATUSES)})
      AND ((email = %(email)s AND email <> '') OR (phone = %(phone)s AND phone <> ''))
    ORDER BY received_at, id LIMIT 1
    """,  # noqa: S608
)


def notify_owner(
    *, lead: Lead, reason: str, now: datetime, writes: StatementBatch | None = None
) -> None:
    subject = f"New lead: {lead.name}" + (" (unrouted)" if lead.unrouted else "")
    local = timezone.localtime(lead.respond_by)
    body = (
        f"{lead} is yours ({reason}).\n"
        f"Make first contact by {local:%Y-%m-%d %H:%M %Z}.\n\n{lead.message}"
    )
    notify_user(
        user=lead.owner,
        lead=lead,
        event_type=LeadEvent.Type.ASSIGNED,
        subject=subject[:200],
        body=body,
        now=now,
        dedupe_key=f"lead:{lead.pk}:assigned:{lead.owner.pk}",
        writes=writes,
    )


def count_spam(*, source: Source, now: datetime) -> None:
    """Count one dropped submission for the source's day (shown on the sources page)."""
    day = timezone.localdate(now)
    with transaction.atomic():
        updated = SpamCount.objects.filter(source=source, day=day).update(dropped=F("dropped") + 1)
        if updated:
            return
        try:
            with transaction.atomic():
                SpamCount.objects.create(source=source, day=day, dropped=1)
        except IntegrityError:  # another request created today's row first
            SpamCount.objects.filter(source=source, day=day).update(dropped=F("dropped") + 1)
