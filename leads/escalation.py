"""The escalation ladder: when a lead's next step is due, and running due steps.

The timer is a column (`Lead.next_escalation_at`), not a broker message: the database says
what is due, so a lost Redis queue loses nothing. A beat task calls `escalate_due_leads`
every few seconds; it claims due rows one at a time with SKIP LOCKED, re-checks the lead
under the lock, records the step under a unique constraint, writes the event and the outbox
rows and sets the next due time, all in one transaction. See docs/architecture.md.

The ladder position is `Lead.escalation_level`: the number of steps taken. Each owner period
has three steps, so level // 3 is the period and level % 3 the next step (reminder,
overdue, reassign).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from leads.assignment import choose_owner, fallback_owner, reassign_lead
from leads.durations import parse_duration
from leads.models import EscalationStep, Lead, LeadEvent, SweepHeartbeat
from leads.notifications import notify_user
from leads.targets import compute_respond_by

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

STEPS_PER_PERIOD = 3
LADDER = (EscalationStep.Kind.REMINDER, EscalationStep.Kind.OVERDUE, EscalationStep.Kind.REASSIGN)
SWEEP_HEARTBEAT = "escalation-sweep"
# Leads escalated per sweep call. One transaction (about ten statements) each, so a batch is
# well under a second; the task loops batches until nothing is due.
SWEEP_BATCH = 200
FAILED_STEP_RETRY = timedelta(minutes=5)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ladder:
    reminder_before: timedelta
    reassign_after: timedelta
    reassign_target: timedelta
    max_reassignments: int

    @classmethod
    def from_settings(cls) -> Ladder:
        return cls(
            reminder_before=parse_duration(settings.LEADS_REMINDER_BEFORE),
            reassign_after=parse_duration(settings.LEADS_REASSIGN_AFTER),
            reassign_target=parse_duration(settings.LEADS_REASSIGN_TARGET),
            max_reassignments=settings.LEADS_MAX_REASSIGNMENTS,
        )

    def due_at(self, *, level: int, period_start: datetime, deadline: datetime) -> datetime:
        """When the step at `level` is due in a period that started at `period_start`."""
        kind = LADDER[level % STEPS_PER_PERIOD]
        if kind == EscalationStep.Kind.REMINDER:
            # A clock shorter than the reminder lead time reminds at once, not in the past.
            return max(deadline - self.reminder_before, period_start)
        if kind == EscalationStep.Kind.OVERDUE:
            return deadline
        return deadline + self.reassign_after


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
    lead.escalation_level = 0
    lead.next_escalation_at = Ladder.from_settings().due_at(
        level=0, period_start=lead.received_at, deadline=lead.respond_by
    )


def stop_escalation(lead: Lead) -> None:
    """Stop the ladder of a lead being contacted or closed (the caller saves the lead)."""
    lead.next_escalation_at = None


def _period_bounds(lead: Lead, period: int, ladder: Ladder) -> tuple[datetime, datetime]:
    """(start, deadline) of an owner period: intake's respond-by, then fresh clocks."""
    if period == 0:
        return lead.received_at, lead.respond_by
    handed_over = EscalationStep.objects.get(
        lead=lead, period=period - 1, kind=EscalationStep.Kind.REASSIGN
    ).ran_at
    return handed_over, handed_over + ladder.reassign_target


def claim_query(now: datetime) -> QuerySet[Lead]:
    """The next due lead, locked. Served by the partial index lead_escalation_due (a test
    checks the plan); SKIP LOCKED lets concurrent sweeps (two workers, two beats, a
    redelivered task) each take a different row instead of waiting or repeating one."""
    # No joins: the team and owner are read by primary key when the step needs them, which
    # keeps the claim's planning and locking to the one row.
    return (
        Lead.objects.select_for_update(skip_locked=True)
        .filter(next_escalation_at__isnull=False, next_escalation_at__lte=now)
        .order_by("next_escalation_at")[:1]
    )


def _claim_due_lead(now: datetime) -> Lead | None:
    return next(iter(claim_query(now)), None)


def escalate_due_leads(
    *, now: datetime, limit: int = SWEEP_BATCH, clock: Callable[[], datetime] = timezone.now
) -> int:
    """Run the ladder steps due at `now`, at most `limit` leads; return how many ran.

    Each lead is its own transaction: a crash loses at most the step in progress, which
    rolls back and is claimed again by the next sweep. `now` is the cut-off; each step is
    stamped with `clock()` when it runs, so a long sweep records honest times (and
    lateness) instead of the time it started.
    """
    ladder = Ladder.from_settings()
    done = 0
    while done < limit:
        with transaction.atomic(durable=True):
            lead = _claim_due_lead(now)
            if lead is None:
                break
            at = max(now, clock())
            try:
                with transaction.atomic():  # a savepoint: the failed step leaves no trace
                    run_due_step(lead, now=at, ladder=ladder)
            except Exception:
                # One broken lead (e.g. a team with no rep, manager or admin left) must not
                # block the queue: it is first in claim order, so retry it later instead.
                logger.exception("escalation step failed for lead %s; retrying later", lead.pk)
                Lead.objects.filter(pk=lead.pk).update(next_escalation_at=at + FAILED_STEP_RETRY)
        done += 1
    return done


def record_sweep(*, now: datetime) -> None:
    """The heartbeat the health check reads: a sweep completed at `now`."""
    SweepHeartbeat.objects.update_or_create(name=SWEEP_HEARTBEAT, defaults={"completed_at": now})


def run_due_step(lead: Lead, *, now: datetime, ladder: Ladder) -> None:
    """Run the lead's next ladder step; `lead` is locked by the caller.

    Lock, then re-check: a lead contacted or closed since the timer was set must not be
    escalated, whatever the column says.
    """
    if not lead.is_open or lead.first_contact_at is not None:
        lead.next_escalation_at = None
        lead.save(update_fields=["next_escalation_at"])
        return
    level = lead.escalation_level
    period = level // STEPS_PER_PERIOD
    kind = LADDER[level % STEPS_PER_PERIOD]
    due_at = lead.next_escalation_at or now
    # The unique constraint is the last line of defence: a duplicate raises and rolls back.
    EscalationStep.objects.create(
        lead=lead, period=period, kind=kind, owner=lead.owner, due_at=due_at, ran_at=now
    )
    start, deadline = _period_bounds(lead, period, ladder)
    lead.escalation_level = level + 1
    if kind == EscalationStep.Kind.REMINDER:
        _remind(lead, deadline=deadline, now=now)
    elif kind == EscalationStep.Kind.OVERDUE:
        _mark_overdue(lead, period=period, deadline=deadline, now=now)
    else:
        ended = _reassign(lead, period=period, ladder=ladder, now=now)
        if ended:
            lead.next_escalation_at = None
            lead.save(update_fields=["escalation_level", "next_escalation_at"])
            return
        start, deadline = now, now + ladder.reassign_target
    lead.next_escalation_at = ladder.due_at(
        level=lead.escalation_level, period_start=start, deadline=deadline
    )
    lead.save(update_fields=["escalation_level", "next_escalation_at"])


def _remind(lead: Lead, *, deadline: datetime, now: datetime) -> None:
    event = lead.record_event(
        LeadEvent.Type.REMINDED, at=now, owner=lead.owner.get_username(),
        respond_by=deadline.isoformat(),
    )  # fmt: skip
    minutes = max(0, round((deadline - now).total_seconds() / 60))
    _tell(
        [lead.owner],
        lead=lead,
        event=event,
        subject=f"Respond within {minutes} min: {lead.name}",
        body=f"{lead} must be contacted by {deadline:%Y-%m-%d %H:%M %Z}.\n{_link(lead)}",
        now=now,
    )


def _mark_overdue(lead: Lead, *, period: int, deadline: datetime, now: datetime) -> None:
    event = lead.record_event(
        LeadEvent.Type.OVERDUE, at=now, owner=lead.owner.get_username(),
        respond_by=deadline.isoformat(), period=period,
    )  # fmt: skip
    _tell(
        [_manager(lead), lead.owner],
        lead=lead,
        event=event,
        subject=f"Overdue: {lead.name} ({lead.owner.get_username()})",
        body=(
            f"{lead} was due by {deadline:%Y-%m-%d %H:%M %Z} and has had no first contact.\n"
            f"Owner: {lead.owner.get_username()}.\n{_link(lead)}"
        ),
        now=now,
    )


def _reassign(lead: Lead, *, period: int, ladder: Ladder, now: datetime) -> bool:
    """Hand the lead on; True when it went to the manager and the ladder ends."""
    missed = set(EscalationStep.objects.filter(lead=lead).values_list("owner_id", flat=True)) | {
        lead.owner_id
    }
    if period >= ladder.max_reassignments:
        to, unrouted, reason = fallback_owner(lead.team), False, "escalated to the manager"
    else:
        choice = choose_owner(team=lead.team, product=lead.product, now=now, exclude=missed)
        to, unrouted = choice.owner, choice.unrouted
        reason = f"not contacted in time; {choice.reason}"
    ended = to.pk == _manager_id(lead) or unrouted or period >= ladder.max_reassignments
    previous = lead.owner
    event = reassign_lead(lead=lead, to=to, by=None, reason=reason, now=now, unrouted=unrouted)
    manager = _manager(lead)
    if manager is not None and manager.pk not in {previous.pk, to.pk}:
        _tell(
            [manager],
            lead=lead,
            event=event,
            subject=f"Lead reassigned: {lead.name}",
            body=f"{lead} moved from {previous.get_username()} to {to.get_username()}: {reason}",
            now=now,
        )
    return ended


def _manager(lead: Lead) -> AbstractBaseUser | None:
    manager = lead.team.manager
    return manager if manager is not None and manager.is_active else None


def _manager_id(lead: Lead) -> int | None:
    manager = _manager(lead)
    return manager.pk if manager else None


def _tell(
    users: list[AbstractBaseUser | None],
    *,
    lead: Lead,
    event: LeadEvent,
    subject: str,
    body: str,
    now: datetime,
) -> None:
    for user in {u.pk: u for u in users if u is not None}.values():
        notify_user(
            user=user,
            lead=lead,
            event_type=event.type,
            subject=subject,
            body=body,
            now=now,
            dedupe_key=f"event:{event.pk}:user:{user.pk}",
        )


def _link(lead: Lead) -> str:
    return f"{settings.SITE_URL}/leads/{lead.pk}/"


@dataclass(frozen=True)
class SweepHealth:
    last_sweep_at: datetime | None
    stale: bool


def sweep_health(now: datetime) -> SweepHealth:
    """Whether escalations are running: the last completed sweep is recent enough."""
    last = (
        SweepHeartbeat.objects.filter(name=SWEEP_HEARTBEAT)
        .values_list("completed_at", flat=True)
        .first()
    )
    stale_after = parse_duration(settings.LEADS_SWEEP_STALE_AFTER)
    return SweepHealth(last_sweep_at=last, stale=last is None or now - last > stale_after)
