"""The escalation ladder: when a lead's next step is due, and running due steps.

The timer is a column (`Lead.next_escalation_at`), not a broker message: the database says
what is due, so a lost Redis queue loses nothing. See docs/architecture.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from leads.targets import compute_respond_by

if TYPE_CHECKING:
    from leads.models import Lead


def start_escalation_clock(lead: Lead) -> None:
    """Set `respond_by` and the first ladder step's due time on a lead about to be stored.

    Intake calls this on the unsaved instance so the lead is inserted with its timer in
    one statement (no second UPDATE). The CSV import clears the timer of historical leads
    whose respond-by has passed: they are never escalated.
    """
    lead.respond_by = compute_respond_by(
        received_at=lead.received_at,
        team=lead.team,
        source=lead.source,
        temperature=lead.temperature,
    )
    lead.next_escalation_at = lead.respond_by
