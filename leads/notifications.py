"""The outbox: notifications are rows written with the change they announce, then delivered.

`notify_user` is called inside the domain transaction. Delivery happens afterwards in
`deliver_due_notifications`, run by a task enqueued on commit and by a periodic sweep, so a
lost task or a broker outage delays a message but never loses it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from leads.durations import parse_duration
from leads.models import Lead, Notification
from leads.prepared import insert_rows

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)

DELIVERY_BATCH = 100  # rows claimed per transaction; one SMTP round trip each
MAX_ATTEMPTS = 8
# Exponential backoff between attempts: 30 s, 1 min, 2 min, ... capped at an hour.
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP = timedelta(hours=1)


@dataclass(frozen=True)
class Message:
    """A message to one user, about a lead or about nothing in particular.

    `dedupe_key` names it ("lead:12:assigned:3"): queueing it twice writes nothing the
    second time.
    """

    user: AbstractBaseUser
    lead: Lead | None
    event_type: str
    subject: str
    body: str
    now: datetime
    dedupe_key: str


def notify_user(message: Message) -> None:
    """Queue an in-app notification and, if the user has an address, an e-mail. Call inside
    the transaction of the change being announced."""
    # One INSERT ... ON CONFLICT DO NOTHING: a dedupe key already queued writes nothing, and
    # no savepoint round trips (each escalation step writes several).
    insert_rows(notification_rows(message), ignore_conflicts=True)


def notification_rows(message: Message) -> list[Notification]:
    """The unsaved outbox rows of `notify_user`, for callers that insert many in one go
    (with `ignore_conflicts=True`, which keeps the dedupe key's exactly-once)."""
    return [Notification(**values) for values in notification_values(message)]


def notification_values(message: Message) -> list[dict[str, Any]]:
    """`notification_rows` as values by attname, for `StatementBatch.insert_values`."""
    common = {
        "recipient_id": message.user.pk,
        "lead_id": message.lead.pk if message.lead is not None else None,
        "event_type": message.event_type,
        "subject": message.subject,
        "body": message.body,
        "created_at": message.now,
    }
    rows = [
        # In-app rows are delivered by existing: the bell reads them.
        common | {
            "channel": Notification.Channel.IN_APP,
            "state": Notification.State.SENT,
            "sent_at": message.now,
            "dedupe_key": f"{message.dedupe_key}:in_app",
        }
    ]  # fmt: skip
    if message.user.email:
        rows.append(
            common | {
                "channel": Notification.Channel.EMAIL,
                "next_attempt_at": message.now,
                "dedupe_key": f"{message.dedupe_key}:email",
            }
        )  # fmt: skip
    return rows


def _lease() -> timedelta:
    return parse_duration(settings.LEADS_DELIVERY_LEASE)


def claim_due_notifications(*, now: datetime, limit: int = DELIVERY_BATCH) -> list[Notification]:
    """Lease up to `limit` due e-mail and webhook rows: push their next attempt a lease ahead.

    The claim commits before anything is sent, so no transaction stays open across SMTP or
    HTTP, and a worker killed mid-send leaves rows that fall due again when the lease ends.
    """
    with transaction.atomic():
        # Served by the partial index notification_due.
        due = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(state=Notification.State.PENDING, next_attempt_at__lte=now)
            .exclude(channel=Notification.Channel.IN_APP)
            .select_related("recipient")
            .order_by("next_attempt_at")[:limit]
        )
        lease_ends = now + _lease()
        for notification in due:
            notification.attempts += 1
            notification.next_attempt_at = lease_ends
        Notification.objects.bulk_update(due, ["attempts", "next_attempt_at"])
    return due


def send_notification(notification: Notification) -> None:
    """Send one row over its channel; raise on any failure."""
    if notification.channel == Notification.Channel.WEBHOOK:
        from leads.webhooks import post_webhook

        post_webhook(notification)
    else:
        send_mail(
            notification.subject,
            notification.body,
            settings.DEFAULT_FROM_EMAIL,
            [notification.recipient.email],
        )


def deliver_due_notifications(*, now: datetime, limit: int = DELIVERY_BATCH) -> int:
    """Send due e-mails and webhooks; return how many rows were claimed.

    At least once: a row is marked sent only after the send returned. A failed send is
    retried with exponential backoff and marked failed (visible in the admin) after
    MAX_ATTEMPTS. Results are written only if the lease is still ours (same attempt count).
    """
    claimed = claim_due_notifications(now=now, limit=limit)
    for notification in claimed:
        mine = Notification.objects.filter(
            pk=notification.pk,
            state=Notification.State.PENDING,
            attempts=notification.attempts,
        )
        try:
            send_notification(notification)
        except Exception as exc:  # any transport error: retry later, never lose the row
            logger.warning("notification %s failed: %s", notification.pk, exc)
            if notification.attempts >= MAX_ATTEMPTS:
                mine.update(
                    state=Notification.State.FAILED,
                    next_attempt_at=None,
                    last_error=str(exc)[:2000],
                )
            else:
                delay = timedelta(seconds=BACKOFF_BASE_SECONDS * 2 ** (notification.attempts - 1))
                mine.update(
                    next_attempt_at=now + min(delay, BACKOFF_CAP), last_error=str(exc)[:2000]
                )
        else:
            mine.update(state=Notification.State.SENT, sent_at=now, next_attempt_at=None)
    return len(claimed)
