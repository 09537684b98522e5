"""Outbound webhooks: lead events queued as outbox rows, delivered by the notification task.

`Lead.record_event` calls `queue_webhooks` for the subscribed event types, inside the
transaction of the change, so a webhook is queued exactly when the event is written. The
body is JSON signed with HMAC-SHA256 over the exact bytes sent
(`X-LeadResponse-Signature: sha256=<hex>`), or `{"text": ...}` for a Slack or Teams
incoming webhook. Receivers deduplicate on `X-LeadResponse-Delivery`: delivery is at least
once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

from django.conf import settings

from leads.models import Notification, Webhook
from leads.prepared import insert_rows
from leads.process_cache import ProcessCache

if TYPE_CHECKING:
    from leads.models import Lead, LeadEvent

SIGNATURE_HEADER = "X-LeadResponse-Signature"
TIMEOUT_SECONDS = 10  # well under the delivery lease, so a slow receiver never doubles up


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def event_payload(lead: Lead, event: LeadEvent) -> dict[str, Any]:
    return {
        "event": event.type,
        "at": event.at.isoformat(),
        "lead": {
            "id": lead.pk,
            "name": lead.name,
            "company": lead.company,
            "status": lead.status,
            "temperature": lead.temperature,
            "team": lead.team.slug,
            "owner": lead.owner.get_username(),
            "received_at": lead.received_at.isoformat(),
            "respond_by": lead.respond_by.isoformat(),
            "escalation_level": lead.escalation_level,
            "url": f"{settings.SITE_URL}/leads/{lead.pk}/",
        },
        "data": event.data,
    }


def slack_text(payload: dict[str, Any]) -> str:
    lead = payload["lead"]
    what = payload["event"].removeprefix("lead.")
    return f"Lead {what}: <{lead['url']}|{lead['name']}> (owner {lead['owner']})"


def queue_webhooks(lead: Lead, *events: LeadEvent) -> None:
    """Write one outbox row per active webhook of the lead's team and event; inside the
    transaction of the change."""
    hooks = _active_webhooks.get().get(lead.team_id, [])
    if hooks:
        # A prepared INSERT (no atomic block of its own: intake's BatchedTransaction allows none).
        insert_rows(
            [row for event in events for row in webhook_rows(lead, event, hooks)],
            ignore_conflicts=True,
        )


def active_webhooks_by_team(team_ids: set[int]) -> dict[int, list[Webhook]]:
    """The active webhooks of several teams (for batched escalation steps), from the same
    per-process cache as `queue_webhooks`."""
    cached = _active_webhooks.get()
    return {team_id: cached.get(team_id, []) for team_id in team_ids}


def webhook_rows(lead: Lead, event: LeadEvent, hooks: list[Webhook]) -> list[Notification]:
    """The unsaved outbox rows delivering `event` to `hooks`; deduplicated per hook and event."""
    if event.type not in Webhook.EVENTS:
        return []
    payload = event_payload(lead, event)
    return [
        Notification(
            channel=Notification.Channel.WEBHOOK,
            lead=lead,
            event_type=event.type,
            subject=f"{event.type} → {hook.url}"[:200],
            payload={"webhook_id": hook.pk, "body": payload},
            dedupe_key=f"webhook:{hook.pk}:event:{event.pk}",
            created_at=event.at,
            next_attempt_at=event.at,
        )
        for hook in hooks
    ]


def _load_active_webhooks() -> dict[int, list[Webhook]]:
    by_team: dict[int, list[Webhook]] = {}
    for hook in Webhook.objects.filter(is_active=True).order_by("pk"):
        by_team.setdefault(hook.team_id, []).append(hook)
    return by_team


# Active webhooks by team, per process (leads.process_cache): queueing costs no lookup. A hook
# added in another process gets events within LEADS_PROCESS_CACHE_SECONDS; one deactivated
# or deleted meanwhile is skipped at delivery (post_webhook reads it again).
_active_webhooks = ProcessCache(_load_active_webhooks, models=[Webhook])


class DeliveryError(Exception):
    pass


def post_webhook(notification: Notification) -> None:
    """POST one queued webhook; raise DeliveryError unless the receiver answers 2xx."""
    hook = Webhook.objects.filter(pk=notification.payload.get("webhook_id")).first()
    if hook is None or not hook.is_active:
        raise DeliveryError("webhook deleted or deactivated")
    payload = notification.payload["body"]
    if hook.format == Webhook.Format.SLACK:
        payload = {"text": slack_text(payload)}
    body = json.dumps(payload, separators=(",", ":")).encode()
    if not hook.url.startswith(("http://", "https://")):
        raise DeliveryError(f"not an http(s) URL: {hook.url}")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        hook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "LeadResponse-Webhook/1",
            "X-LeadResponse-Event": notification.event_type,
            "X-LeadResponse-Delivery": str(notification.pk),
            SIGNATURE_HEADER: sign(hook.secret, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code} from {hook.url}") from exc
    except OSError as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status} from {hook.url}")
