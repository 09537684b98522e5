"""The escalation ladder: when a lead's next step is due, and running due steps.

The timer is a column (`Lead.next_escalation_at`), not a broker message: the database says
what is due, so a lost Redis queue loses nothing. A beat task calls `escalate_due_leads`
every few seconds; it claims due rows in small batches with SKIP LOCKED, re-checks each lead
under the lock, records the step under a unique constraint, writes the event and the outbox
rows and sets the next due time, in the batch's transaction (reassignments, which lock the
team, in one transaction per lead). See docs/architecture.md.

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
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from leads.assignment import choose_owner, fallback_owner, reassign_lead
from leads.durations import parse_duration
from leads.models import EscalationStep, Lead, LeadEvent, Notification, SweepHeartbeat, Team
from leads.notifications import Message, notification_rows, notify_user
from leads.targets import compute_respond_by
from leads.webhooks import active_webhooks_by_team, webhook_rows

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

STEPS_PER_PERIOD = 3
REASSIGN = EscalationStep.Kind.REASSIGN
LADDER = (EscalationStep.Kind.REMINDER, EscalationStep.Kind.OVERDUE, REASSIGN)
SWEEP_HEARTBEAT = "escalation-sweep"
# Leads escalated per sweep call (CLAIM_BATCH per transaction, reassignments one each), so
# a call is well under a few seconds; the task loops calls until one comes back short.
SWEEP_BATCH = 200
# Leads claimed per transaction. Their reminders and overdue steps are written with a fixed
# number of statements (bulk inserts), so the per-step cost is mostly Python.
CLAIM_BATCH = 50
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


def _due(now: datetime) -> QuerySet[Lead]:
    return Lead.objects.select_for_update(skip_locked=True).filter(
        next_escalation_at__isnull=False, next_escalation_at__lte=now
    )


def claim_query(now: datetime, size: int = 1) -> QuerySet[Lead]:
    """The next `size` due leads, locked. Served by the partial index lead_escalation_due (a
    test checks the plan); SKIP LOCKED lets concurrent sweeps (two workers, two beats, a
    redelivered task) each take different rows instead of waiting or repeating one."""
    # No joins: the teams and owners are read by primary key, one query per batch, which
    # keeps the claim's planning and locking to the lead rows.
    return _due(now).order_by("next_escalation_at")[:size]


def escalate_due_leads(
    *, now: datetime, limit: int = SWEEP_BATCH, clock: Callable[[], datetime] = timezone.now
) -> int:
    """Run the ladder steps due at `now`, at most about `limit` leads; return how many ran.

    Leads are claimed CLAIM_BATCH at a time. Reminders and overdue steps (no team lock) of a
    batch run in the batch's transaction with bulk inserts; reassignments, which take the
    team lock in choose_owner, then run one lead per transaction. A crash loses at most the
    transaction in progress, which rolls back and is claimed again by the next sweep. `now`
    is the cut-off; steps are stamped with `clock()` when they run, so a long sweep records
    honest times (and lateness) instead of the time it started.
    """
    ladder = Ladder.from_settings()
    done = 0
    while done < limit:
        ran, reassign_ids = _escalate_claimed_batch(
            now=now, size=min(CLAIM_BATCH, limit - done), ladder=ladder, clock=clock
        )
        for pk in reassign_ids:
            ran += _escalate_one(pk, now=now, ladder=ladder, clock=clock)
        if ran == 0:
            break
        done += ran
    return done


def _escalate_claimed_batch(
    *, now: datetime, size: int, ladder: Ladder, clock: Callable[[], datetime]
) -> tuple[int, list[int]]:
    """One transaction: claim up to `size` due leads, stop the timers of leads contacted or
    closed since, run the due reminders and overdue steps in bulk; return how many ran and
    the ids of the leads whose next step is a reassignment (left for `_escalate_one`)."""
    with transaction.atomic(durable=True):
        leads = list(claim_query(now, size))
        if not leads:
            return 0, []
        at = max(now, clock())
        stopped = [lead for lead in leads if not lead.is_open or lead.first_contact_at is not None]
        for lead in stopped:
            lead.next_escalation_at = None
        Lead.objects.bulk_update(stopped, ["next_escalation_at"])
        due = [lead for lead in leads if lead not in stopped]
        steps = [
            lead for lead in due if LADDER[lead.escalation_level % STEPS_PER_PERIOD] != REASSIGN
        ]
        timers = [(lead.escalation_level, lead.next_escalation_at) for lead in steps]
        try:
            with transaction.atomic():  # a savepoint: a failed batch leaves no trace
                run_due_steps_in_bulk(steps, now=at, ladder=ladder)
        except Exception:
            # A constraint or data problem somewhere in the batch: run its leads one by
            # one, so only the broken lead is put back and the others still escalate.
            logger.exception("batched escalation failed; running the batch lead by lead")
            for lead, (level, due_at) in zip(steps, timers, strict=True):
                lead.escalation_level, lead.next_escalation_at = level, due_at  # as claimed
                _run_or_retry_later(lead, now=at, ladder=ladder)
        reassign_ids = [lead.pk for lead in due if lead not in steps]
    return len(stopped) + len(steps), reassign_ids


def _escalate_one(pk: int, *, now: datetime, ladder: Ladder, clock: Callable[[], datetime]) -> int:
    """Claim one lead again (it may have been taken or changed since) and run its step."""
    with transaction.atomic(durable=True):
        lead = _due(now).filter(pk=pk).first()
        if lead is None:
            return 0
        _run_or_retry_later(lead, now=max(now, clock()), ladder=ladder)
    return 1


def _run_or_retry_later(lead: Lead, *, now: datetime, ladder: Ladder) -> None:
    try:
        with transaction.atomic():  # a savepoint: the failed step leaves no trace
            run_due_step(lead, now=now, ladder=ladder)
    except Exception:
        # One broken lead (e.g. a team with no rep, manager or admin left) must not block
        # the queue: it is first in claim order, so retry it later instead.
        logger.exception("escalation step failed for lead %s; retrying later", lead.pk)
        Lead.objects.filter(pk=lead.pk).update(next_escalation_at=now + FAILED_STEP_RETRY)


def run_due_steps_in_bulk(leads: list[Lead], *, now: datetime, ladder: Ladder) -> None:
    """Run the due reminder or overdue step of each of `leads` (locked, still open and
    uncontacted) with a fixed number of statements whatever their number: owners, teams with
    managers, webhooks and handover times read in one query each, then one INSERT each for
    steps, events, outbox rows and one UPDATE of the leads. The step's unique constraint
    still guards exactly-once: a duplicate fails the whole INSERT (the caller's savepoint
    rolls the batch back and reruns it lead by lead)."""
    if not leads:
        return
    User = get_user_model()  # noqa: N806
    owners = User.objects.in_bulk({lead.owner_id for lead in leads})
    teams = Team.objects.select_related("manager").in_bulk({lead.team_id for lead in leads})
    hooks = active_webhooks_by_team(set(teams))
    handovers = dict(
        ((lead_id, period), ran_at)
        for lead_id, period, ran_at in EscalationStep.objects.filter(
            lead__in=[lead for lead in leads if lead.escalation_level >= STEPS_PER_PERIOD],
            kind=REASSIGN,
        ).values_list("lead_id", "period", "ran_at")
    )
    step_rows, events, messages = [], [], []
    for lead in leads:
        lead.owner, lead.team = owners[lead.owner_id], teams[lead.team_id]
        level = lead.escalation_level
        period = level // STEPS_PER_PERIOD
        kind = LADDER[level % STEPS_PER_PERIOD]
        if period == 0:
            start, deadline = lead.received_at, lead.respond_by
        else:
            start = handovers[(lead.pk, period - 1)]
            deadline = start + ladder.reassign_target
        step_rows.append(
            EscalationStep(
                lead=lead, period=period, kind=kind, owner=lead.owner,
                due_at=lead.next_escalation_at or now, ran_at=now,
            )
        )  # fmt: skip
        lead.escalation_level = level + 1
        lead.next_escalation_at = ladder.due_at(
            level=lead.escalation_level, period_start=start, deadline=deadline
        )
        message = _step_message(lead, kind=kind, period=period, deadline=deadline, now=now)
        events.append(
            LeadEvent(lead=lead, type=message.event_type, at=now, data=message.data, actor=None)
        )
        messages.append(message)
    EscalationStep.objects.bulk_create(step_rows)
    LeadEvent.objects.bulk_create(events)  # PostgreSQL returns the new primary keys
    outbox = []
    for lead, event, message in zip(leads, events, messages, strict=True):
        outbox += webhook_rows(lead, event, hooks.get(lead.team_id, []))
        for user in _recipients(message.recipients):
            outbox += notification_rows(
                Message(
                    user=user, lead=lead, event_type=event.type, subject=message.subject,
                    body=message.body, now=now, dedupe_key=f"event:{event.pk}:user:{user.pk}",
                )
            )  # fmt: skip
    Notification.objects.bulk_create(outbox, ignore_conflicts=True)
    Lead.objects.bulk_update(leads, ["escalation_level", "next_escalation_at"])


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
    if kind != REASSIGN:
        _run_message_step(lead, kind=kind, period=period, deadline=deadline, now=now)
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


@dataclass(frozen=True)
class StepMessage:
    """What a reminder or overdue step records and tells, shared by both sweep paths."""

    event_type: str
    data: dict[str, object]
    recipients: list[AbstractBaseUser | None]
    subject: str
    body: str


def _step_message(
    lead: Lead, *, kind: str, period: int, deadline: datetime, now: datetime
) -> StepMessage:
    owner = lead.owner.get_username()
    if kind == EscalationStep.Kind.REMINDER:
        minutes = max(0, round((deadline - now).total_seconds() / 60))
        return StepMessage(
            event_type=LeadEvent.Type.REMINDED,
            data={"owner": owner, "respond_by": deadline.isoformat()},
            recipients=[lead.owner],
            subject=f"Respond within {minutes} min: {lead.name}",
            body=f"{lead} must be contacted by {deadline:%Y-%m-%d %H:%M %Z}.\n{_link(lead)}",
        )
    return StepMessage(
        event_type=LeadEvent.Type.OVERDUE,
        data={"owner": owner, "respond_by": deadline.isoformat(), "period": period},
        recipients=[_manager(lead), lead.owner],
        subject=f"Overdue: {lead.name} ({owner})",
        body=(
            f"{lead} was due by {deadline:%Y-%m-%d %H:%M %Z} and has had no first contact.\n"
            f"Owner: {owner}.\n{_link(lead)}"
        ),
    )


def _run_message_step(
    lead: Lead, *, kind: str, period: int, deadline: datetime, now: datetime
) -> None:
    message = _step_message(lead, kind=kind, period=period, deadline=deadline, now=now)
    event = lead.record_event(message.event_type, at=now, **message.data)
    _tell(message.recipients, lead=lead, event=event, subject=message.subject,
          body=message.body, now=now)  # fmt: skip


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
    for user in _recipients(users):
        notify_user(
            Message(
                user=user,
                lead=lead,
                event_type=event.type,
                subject=subject,
                body=body,
                now=now,
                dedupe_key=f"event:{event.pk}:user:{user.pk}",
            )
        )


def _recipients(users: list[AbstractBaseUser | None]) -> list[AbstractBaseUser]:
    """The distinct users to tell, in order, without the missing ones."""
    return list({u.pk: u for u in users if u is not None}.values())


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
