"""The outbox: notifications are rows written with the change they announce, then delivered.

`notify_user` is called inside the domain transaction. Delivery happens afterwards in
`deliver_due_notifications`, run by a task enqueued on commit and by a periodic sweep, so a
lost task or a broker outage delays a message but never loses it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from leads.durations import parse_duration
from leads.models import Lead, Notification
from leads.prepared import StatementBatch, insert_rows

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)

DELIVERY_BATCH = 100  # rows claimed per transaction; one SMTP round trip each
MAX_ATTEMPTS = 8
# Exponential backoff between attempts: 30 s, 1 min, 2 min, ... capped at an hour.
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP = timedelta(hours=1)


def notify_user(
    *,
    user: AbstractBaseUser,
    lead: Lead | None,
    event_type: str,
    subject: str,
    body: str,
    now: datetime,
    dedupe_key: str,
    writes: StatementBatch | None = None,
) -> None:
    """Queue an in-app notification and, if the user has an address, an e-mail.

    `dedupe_key` names the message ("lead:12:assigned:3"): queueing it twice writes nothing
    the second time. Call inside the transaction of the change being announced; with
    `writes`, the rows go with that batch's other statements.
    """
    rows = notification_rows(
        user=user, lead=lead, event_type=event_type, subject=subject, body=body, now=now,
        dedupe_key=dedupe_key,
    )  # fmt: skip
    # One INSERT ... ON CONFLICT DO NOTHING: a dedupe key already queued writes nothing, and
    # no savepoint round trips (intake writes these for every lead, each escalation step several).
    if writes is not None:
        writes.insert(rows, ignore_conflicts=True)
    else:
        insert_rows(rows, ignore_conflicts=True)


def notification_rows(
    *,
    user: AbstractBaseUser,
    lead: Lead | None,
    event_type: str,
    subject: str,
    body: str,
    now: datetime,
    dedupe_key: str,
) -> list[Notification]:
    """The unsaved outbox rows of `notify_user`, for callers that insert many in one go
    (with `ignore_conflicts=True`, which keeps the dedupe key's exactly-once)."""
    rows = [
        Notification(
            channel=Notification.Channel.IN_APP,
            recipient=user,
            lead=lead,
            event_type=event_type,
            subject=subject,
            body=body,
            created_at=now,
            # In-app rows are delivered by existing: the bell reads them.
            state=Notification.State.SENT,
            sent_at=now,
            dedupe_key=f"{dedupe_key}:in_app",
        )
    ]
    if user.email:
        rows.append(
            Notification(
                channel=Notification.Channel.EMAIL,
                recipient=user,
                lead=lead,
                event_type=event_type,
                subject=subject,
                body=body,
                created_at=now,
                next_attempt_at=now,
                dedupe_key=f"{dedupe_key}:email",
            )
        )
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
