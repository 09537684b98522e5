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

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from leads.assignment import choose_owner, route_team
from leads.escalation import start_escalation_clock
from leads.models import (
    IdempotencyKey,
    Lead,
    LeadEvent,
    Notification,
    Product,
    Source,
    SpamCount,
)
from leads.notifications import Message, notification_values, notify_user
from leads.prepared import BatchedTransaction, StatementBatch

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


def _ingest(
    *,
    source: Source,
    data: LeadInput,
    now: datetime,
    channel: str,
    idempotency_key: str,
    request_hash: str,
) -> Lead:
    team = route_team(source=source, product=data.product)
    # The lead is built before the team lock is taken; under it, only what the choice decides.
    lead = Lead(
        source=source,
        team=team,
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
    start_escalation_clock(lead)
    # Two round trips: the locks and the choice, then everything written (the team lock is
    # held until commit); the lead's id is drawn under the lock, so ids follow assignment order.
    writes = StatementBatch()
    with BatchedTransaction() as batched:
        choice = choose_owner(
            team=team,
            product=data.product,
            now=now,
            prospect=(data.email, data.phone),
            reserve_lead_id=True,
            writes=writes,
        )
        previous, owner, reason = choice.previous_lead, choice.owner, choice.reason
        lead.pk, lead.owner, lead.unrouted = choice.lead_id, owner, choice.unrouted
        if previous is not None:
            # One prospect, one rep: a repeat inquiry joins the earlier lead's team and owner.
            lead.previous_lead = previous
            if previous.team_id != team.pk:
                lead.team = previous.team
                start_escalation_clock(lead)
        writes.insert([lead])

        events = [
            (LeadEvent.Type.CREATED, {"channel": channel, "source": source.slug}),
            (
                LeadEvent.Type.ASSIGNED,
                {"owner": owner.get_username(), "reason": reason, "unrouted": lead.unrouted},
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
        batched.commit(writes)
    return lead


def notify_owner(
    *, lead: Lead, reason: str, now: datetime, writes: StatementBatch | None = None
) -> None:
    """Tell the new lead's owner it is theirs. With `writes` (intake), the rows are queued
    there as values, with a plain INSERT: the lead is new in this very transaction, so no
    message of it can have been queued before, and a conflict on the dedupe key would be a
    bug to hear about, not a duplicate to skip."""
    subject = f"New lead: {lead.name}" + (" (unrouted)" if lead.unrouted else "")
    local = timezone.localtime(lead.respond_by)
    message = Message(
        user=lead.owner,
        lead=lead,
        event_type=LeadEvent.Type.ASSIGNED,
        subject=subject[:200],
        body=(
            f"{lead} is yours ({reason}).\n"
            f"Make first contact by {local:%Y-%m-%d %H:%M %Z}.\n\n{lead.message}"
        ),
        now=now,
        dedupe_key=f"lead:{lead.pk}:assigned:{lead.owner.pk}",
    )
    if writes is not None:
        writes.insert_values(Notification, notification_values(message))
    else:
        notify_user(message)


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
