"""A prospect's personal data: find it, export all of it, erase it.

Erasing keeps each lead and its timestamps, so the four metrics still count it, but removes
everything that identifies or quotes the person: contact fields, the message, activity notes,
notification texts, and personal values in event data. Both actions leave an event naming
who did it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q

from leads.models import Activity, Lead, LeadEvent, Notification

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from leads.models import LeadQuerySet

ERASED_NAME = "Erased prospect"
PERSONAL_KEYS = frozenset({"name", "email", "phone", "company", "message", "notes", "text"})
_CONTACT_FIELDS = ("name", "email", "phone", "company", "message", "external_id")
_TIMESTAMPS = (*Lead.MILESTONES, "respond_by")


def find_prospect_leads(
    *, user: AbstractBaseUser, email: str = "", phone: str = ""
) -> LeadQuerySet:
    """The leads of one prospect, by e-mail (any case) or phone, that `user` may see."""
    match = Q(pk__in=[])
    if email.strip():
        match |= Q(email__iexact=email.strip())
    if phone.strip():
        match |= Q(phone=phone.strip())
    return Lead.objects.visible_to(user).filter(match, erased_at=None).order_by("received_at")


def export_prospect(*, leads: LeadQuerySet, by: AbstractBaseUser, now: datetime) -> dict[str, Any]:
    """Everything held about the prospect of `leads`, as JSON-ready data; logged per lead."""
    leads = leads.select_related("source", "product", "owner").prefetch_related(
        "activities", "events", "notifications"
    )
    exported = []
    with transaction.atomic():
        for lead in leads:
            exported.append(_lead_record(lead))
            lead.record_event(LeadEvent.Type.EXPORTED, at=now, actor=by)
    return {"exported_at": now.isoformat(), "leads": exported}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _lead_record(lead: Lead) -> dict[str, Any]:
    return {
        "id": lead.pk,
        **{field: getattr(lead, field) for field in _CONTACT_FIELDS},
        "product": str(lead.product) if lead.product else None,
        "temperature": lead.temperature,
        "source": lead.source.name,
        "owner": lead.owner.get_username(),
        "status": lead.status,
        "close_reason": lead.close_reason,
        "close_note": lead.close_note,
        **{field: _iso(getattr(lead, field)) for field in _TIMESTAMPS},
        "activities": [
            {
                "kind": a.kind,
                "outcome": a.outcome,
                "occurred_at": _iso(a.occurred_at),
                "notes": a.notes,
            }
            for a in lead.activities.all()
        ],
        "events": [{"type": e.type, "at": _iso(e.at), "data": e.data} for e in lead.events.all()],
        "notifications": [
            {
                "channel": n.channel,
                "created_at": _iso(n.created_at),
                "subject": n.subject,
                "body": n.body,
            }
            for n in lead.notifications.all()
        ],
    }


def erase_prospect(*, leads: LeadQuerySet, by: AbstractBaseUser, now: datetime) -> int:
    """Erase the personal data of `leads`; return how many leads were erased."""
    with transaction.atomic():
        locked = list(leads.select_for_update(of=("self",)))
        for lead in locked:
            for field in _CONTACT_FIELDS:
                setattr(lead, field, "")
            lead.name = ERASED_NAME
            lead.close_note = ""
            lead.follow_up_note = ""
            lead.erased_at = now
            lead.save()
            Activity.objects.filter(lead=lead).update(notes="")
            Notification.objects.filter(lead=lead).update(
                subject=f"Lead #{lead.pk}", body="", payload={}
            )
            for event in lead.events.all():
                scrubbed = {k: v for k, v in event.data.items() if k not in PERSONAL_KEYS}
                if scrubbed != event.data:
                    LeadEvent.objects.filter(pk=event.pk).update(data=scrubbed)
            lead.record_event(LeadEvent.Type.ERASED, at=now, actor=by)
    return len(locked)
