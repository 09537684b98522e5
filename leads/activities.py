"""Working a lead: logging activities, moving its status, planning follow-ups, handing over.

Each workflow is one function that takes `now`, runs in one transaction with the lead row
locked (lock, then re-check the state) and writes a LeadEvent for every change. Logging the
first contact and closing a lead clear `next_escalation_at` in that same transaction: the
escalation sweep only acts on due timers, so the ladder stops without asking it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from leads.assignment import choose_owner, reassign_lead
from leads.escalation import stop_escalation
from leads.models import Activity, Lead, LeadEvent, RepProfile

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class WorkflowError(Exception):
    """A request the lead's current state refuses; `field` names the input at fault."""

    def __init__(self, message: str, *, field: str = "non_field_errors") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# The transitions a person may make. `contacted` is reached only by logging a conversation
# (log_activity), never chosen; a closed lead stays closed.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Lead.Status.NEW: frozenset({Lead.Status.DISQUALIFIED, Lead.Status.LOST}),
    Lead.Status.CONTACTED: frozenset(
        {Lead.Status.QUALIFIED, Lead.Status.DISQUALIFIED, Lead.Status.LOST}
    ),
    Lead.Status.QUALIFIED: frozenset(
        {Lead.Status.ORDERED, Lead.Status.DISQUALIFIED, Lead.Status.LOST}
    ),
}
STATUSES_NEEDING_REASON = frozenset({Lead.Status.DISQUALIFIED, Lead.Status.LOST})


def start_of_day(now: datetime, *, tz: object) -> datetime:
    """Midnight of `now`'s day in the time zone `tz` (aware)."""
    local = timezone.localtime(now, tz)  # type: ignore[arg-type]
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _lock(lead: Lead) -> Lead:
    return Lead.objects.select_for_update(of=("self",)).select_related("team").get(pk=lead.pk)


def log_activity(
    *,
    lead: Lead,
    rep: AbstractBaseUser,
    kind: str,
    outcome: str = "",
    occurred_at: datetime | None = None,
    notes: str = "",
    now: datetime,
) -> Activity:
    """Record a call, e-mail, meeting, SMS or note on `lead`.

    `occurred_at` defaults to `now`; it may be back-dated to earlier today (in the team's
    time zone), never into the future. The earliest activity is the first touch and the
    earliest "reached" the first contact, so a back-dated entry can move either earlier.
    The first contact moves a new lead to "contacted" and stops its escalation.
    """
    occurred_at = occurred_at or now
    if kind not in Activity.Kind.values:
        raise WorkflowError(f"Unknown kind {kind!r}.", field="kind")
    if kind == Activity.Kind.NOTE:
        if outcome:
            raise WorkflowError("A note has no outcome.", field="outcome")
    elif outcome not in Activity.Outcome.values:
        raise WorkflowError("Choose what came of it.", field="outcome")
    if occurred_at > now:
        raise WorkflowError("An activity cannot be logged in the future.", field="occurred_at")

    with transaction.atomic():
        lead = _lock(lead)
        if occurred_at < start_of_day(now, tz=lead.team.tzinfo):
            raise WorkflowError("Back-dating is allowed within today only.", field="occurred_at")
        activity = Activity.objects.create(
            lead=lead,
            rep=rep,
            kind=kind,
            outcome=outcome,
            occurred_at=occurred_at,
            notes=notes,
            created_at=now,
        )
        changed: list[str] = []
        lead.record_event(
            LeadEvent.Type.ACTIVITY_LOGGED,
            at=occurred_at,
            actor=rep,
            activity=activity.pk,
            kind=kind,
            outcome=outcome,
            logged_at=now.isoformat(),
        )
        if kind != Activity.Kind.NOTE and (
            lead.first_touch_at is None or occurred_at < lead.first_touch_at
        ):
            previous = lead.first_touch_at
            lead.first_touch_at = occurred_at
            changed.append("first_touch_at")
            lead.record_event(
                LeadEvent.Type.TOUCHED,
                at=occurred_at,
                actor=rep,
                activity=activity.pk,
                moved_from=previous.isoformat() if previous else None,
            )
        if outcome == Activity.Outcome.REACHED and (
            lead.first_contact_at is None or occurred_at < lead.first_contact_at
        ):
            previous = lead.first_contact_at
            lead.first_contact_at = occurred_at
            changed.append("first_contact_at")
            if lead.status == Lead.Status.NEW:
                lead.status = Lead.Status.CONTACTED
                changed.append("status")
            if lead.next_escalation_at is not None:
                stop_escalation(lead)
                changed.append("next_escalation_at")
            lead.record_event(
                LeadEvent.Type.CONTACTED,
                at=occurred_at,
                actor=rep,
                activity=activity.pk,
                moved_from=previous.isoformat() if previous else None,
                response_seconds=int((occurred_at - lead.received_at).total_seconds()),
            )
        if changed:
            lead.save(update_fields=changed)
    return activity


def change_status(
    *,
    lead: Lead,
    to: str,
    by: AbstractBaseUser,
    reason: str = "",
    note: str = "",
    now: datetime,
) -> Lead:
    """Move `lead` to qualified, ordered, disqualified or lost; refuse anything else.

    Disqualified and lost need a reason from `Lead.CloseReason`. Closing stops escalation
    and drops any planned follow-up.
    """
    if to in STATUSES_NEEDING_REASON and reason not in Lead.CloseReason.values:
        raise WorkflowError("Choose a reason.", field="reason")
    with transaction.atomic():
        lead = _lock(lead)
        current = lead.status
        if to not in ALLOWED_TRANSITIONS.get(current, frozenset()):
            raise WorkflowError(_refusal(current, to), field="status")
        lead.status = to
        fields = ["status"]
        if to == Lead.Status.QUALIFIED:
            lead.qualified_at = now
            fields.append("qualified_at")
        if to == Lead.Status.ORDERED:
            lead.ordered_at = now
            fields.append("ordered_at")
        if to in Lead.CLOSED_STATUSES:
            lead.closed_at = now
            lead.close_reason = reason if to in STATUSES_NEEDING_REASON else ""
            lead.close_note = note
            stop_escalation(lead)
            lead.next_follow_up_at = None
            fields += ["closed_at", "close_reason", "close_note", "next_escalation_at"]
            fields.append("next_follow_up_at")
        lead.save(update_fields=fields)
        lead.record_event(
            LeadEvent.Type.STATUS_CHANGED,
            at=now,
            actor=by,
            from_status=current,
            to_status=to,
            reason=lead.close_reason,
            note=note,
        )
    return lead


def _refusal(current: str, to: str) -> str:
    labels = dict(Lead.Status.choices)
    if current in Lead.CLOSED_STATUSES:
        return f"This lead is already {labels[current].lower()}; it cannot be changed."
    if to == Lead.Status.CONTACTED:
        return "A lead becomes contacted when you log a conversation (outcome reached)."
    if current == Lead.Status.NEW and to in (Lead.Status.QUALIFIED, Lead.Status.ORDERED):
        return "Log the first contact before qualifying this lead."
    if to not in labels:
        return f"Unknown status {to!r}."
    return f"A {labels[current].lower()} lead cannot become {labels[to].lower()}."


def plan_follow_up(
    *, lead: Lead, at: datetime, note: str = "", by: AbstractBaseUser, now: datetime
) -> Lead:
    """Set when the lead is next to be followed up; it shows under "follow-ups due" then."""
    if at <= now:
        raise WorkflowError("Plan the follow-up for a time still ahead.", field="at")
    with transaction.atomic():
        lead = _lock(lead)
        if not lead.is_open:
            raise WorkflowError("This lead is closed; there is nothing to follow up.")
        lead.next_follow_up_at = at
        lead.follow_up_note = note
        lead.save(update_fields=["next_follow_up_at", "follow_up_note"])
        lead.record_event(
            LeadEvent.Type.FOLLOW_UP_PLANNED, at=now, actor=by, due=at.isoformat(), note=note
        )
    return lead


@dataclass(frozen=True)
class FollowUpSuggestion:
    day: int  # days after first contact
    at: datetime


def suggest_follow_ups(*, lead: Lead, now: datetime) -> list[FollowUpSuggestion]:
    """The team's cadence after first contact (day 2, 5, 10, 20, 40 by default), from now on.

    Each suggestion keeps the local time of day of the first contact in the team's time
    zone, so a call at 10:00 suggests 10:00 on later days, across DST changes.
    """
    if lead.first_contact_at is None or not lead.is_open:
        return []
    tz = lead.team.tzinfo
    contact = timezone.localtime(lead.first_contact_at, tz)
    suggestions = []
    for day in sorted({int(d) for d in lead.team.follow_up_cadence if int(d) > 0}):
        wall = contact.replace(tzinfo=None) + timedelta(days=day)
        at = wall.replace(tzinfo=tz)
        if at > now:
            suggestions.append(FollowUpSuggestion(day=day, at=at))
    return suggestions


def mark_out_of_office(
    *, profile: RepProfile, until: datetime | None, by: AbstractBaseUser, now: datetime
) -> RepProfile:
    """Route no new lead to this rep until `until` (None: back in office)."""
    if until is not None and until <= now:
        raise WorkflowError("Choose a date still ahead.", field="until")
    profile.out_of_office_until = until
    profile.save(update_fields=["out_of_office_until"])
    return profile


def hand_over_open_leads(
    *, rep: AbstractBaseUser, by: AbstractBaseUser, reason: str, now: datetime
) -> int:
    """Give each open lead of `rep` to another available rep of its team; return how many.

    The new owner is chosen as at intake (product knowledge, capacity, round robin), never
    `rep`; with nobody available the team's manager takes the lead, flagged unrouted. Both
    reps are told of every lead (leads.assignment.reassign_lead).
    """
    moved = 0
    with transaction.atomic():
        leads = list(
            Lead.objects.open()
            .filter(owner=rep)
            .select_for_update(of=("self",))
            .select_related("team", "product", "owner")
            .order_by("respond_by", "pk")
        )
        for lead in leads:
            choice = choose_owner(team=lead.team, product=lead.product, now=now, exclude=[rep.pk])
            if choice.owner.pk == rep.pk:
                continue  # the rep is the team's manager and the fallback: nobody else
            reassign_lead(
                lead=lead,
                to=choice.owner,
                by=by,
                reason=f"{reason} ({choice.reason})",
                now=now,
                unrouted=choice.unrouted,
            )
            moved += 1
    return moved
