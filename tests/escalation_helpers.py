"""Helpers shared by the escalation tests: leads stored the way intake stores them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from leads.escalation import start_escalation_clock
from leads.models import Lead, LeadEvent
from tests.factories import SourceFactory


def make_lead(*, team, owner, received_at: datetime, **fields: Any) -> Lead:
    """A lead as intake leaves it: assigned at receipt, with its escalation clock started."""
    lead = Lead(
        team=team,
        owner=owner,
        source=fields.pop("source", None) or SourceFactory(),
        name=fields.pop("name", "Pat Prospect"),
        email=fields.pop("email", "pat@example.com"),
        received_at=received_at,
        assigned_at=received_at,
        **fields,
    )
    start_escalation_clock(lead)
    lead.save()
    lead.record_event(LeadEvent.Type.CREATED, at=received_at)
    return lead


def event_types(lead: Lead) -> list[str]:
    return list(lead.events.order_by("at", "pk").values_list("type", flat=True))
