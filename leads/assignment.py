"""Who owns a lead: choosing a rep at intake, and handing a lead to someone else.

A prospect who already has an open lead goes to that lead's owner (one prospect, one rep).
Otherwise, within a team, a lead goes to a rep who is active, available (not out of
office) and under their cap of open leads; reps who know the lead's product come first ("the
deepest product knowledge closest to the customer"), then round robin. Nobody available:
the team's manager takes it and the lead is flagged unrouted, which is an alert in itself.
"""

from __future__ import annotations

import copy
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from django.contrib.auth import get_user_model
from django.db import connection

from leads.models import Lead, LeadEvent, Product, RepProfile, RoutingRule, Source, Team
from leads.notifications import Message, notify_user
from leads.prepared import PreparedStatement, StatementBatch
from leads.process_cache import ProcessCache

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class NoTeamConfigured(Exception):
    """No routing rule, source team or default team claims the lead, and no team exists."""


class NoOwnerAvailable(Exception):
    """The team has no available rep and no manager, and there is no admin to fall back on."""


@dataclass(frozen=True)
class Choice:
    owner: AbstractBaseUser
    reason: str
    unrouted: bool = False
    lead_id: int | None = None  # reserved under the team lock when asked for
    previous_lead: Lead | None = None  # the prospect's open lead, whose owner this is


def route_team(*, source: Source, product: Product | None) -> Team:
    """The team a new lead of `source` about `product` belongs to.

    The source's own team first; then the most specific routing rule (product and source,
    then product alone, then source alone; lowest priority number among equals); then the
    default team; then, on a fresh install with no default, the first team.
    """
    if source.team_id is not None:
        return source.team
    rules, default = _routing_table.get()
    matching = [
        rule
        for rule in rules
        if (rule.source_id == source.pk and rule.product_id is None)
        or (
            product is not None
            and rule.product_id == product.pk
            and rule.source_id in (None, source.pk)
        )
    ]
    if matching:
        # Specificity: both set (2) beats product alone (1) beats source alone (0).
        def rank(rule: RoutingRule) -> tuple[int, int, int]:
            specific = 2 if rule.product_id and rule.source_id else int(bool(rule.product_id))
            return (-specific, rule.priority, rule.pk)

        return copy.copy(min(matching, key=rank).team)  # a copy: callers may cache on it
    if default is None:
        raise NoTeamConfigured("no team exists to receive leads")
    return copy.copy(default)


def _load_routing_table() -> tuple[list[RoutingRule], Team | None]:
    return (
        list(RoutingRule.objects.select_related("team")),
        Team.objects.order_by("-is_default", "pk").first(),
    )


# Every rule (a handful) and the default team, per process: route_team costs no query.
_routing_table = ProcessCache(_load_routing_table, models=[RoutingRule, Team])


def choose_owner(
    *,
    team: Team,
    product: Product | None,
    now: datetime,
    exclude: Collection[int] = (),
    prospect: tuple[str, str] = ("", ""),
    reserve_lead_id: bool = False,
    writes: StatementBatch | None = None,
) -> Choice:
    """Choose the owner of a new lead of `team`, skipping the user ids in `exclude`.

    With `prospect` (the new lead's normalised email and phone), a prospect who already has
    an open lead (same email or phone) gets that lead's owner, and `Choice.previous_lead`
    is that lead; no round robin turn is taken. Inquiries of one prospect are serialised (a
    double-clicked form, a retry without an idempotency key), so the second sees the
    first's lead: on PostgreSQL, transaction-scoped advisory locks on the email and phone,
    taken in a fixed order before the team lock.

    Must run inside a transaction: it takes the team lock, held until commit, so concurrent
    choices for one team queue up and each sees the round robin turns and open-lead counts
    the previous one left (lock, then re-check). On PostgreSQL the lock is a
    transaction-scoped advisory lock on the team, which writes nothing; SQLite runs one
    writing transaction at a time anyway (IMMEDIATE transactions, see settings).

    The chosen rep's turn is recorded in `writes` if given (intake sends it with the lead,
    in one round trip), else at once. With `reserve_lead_id`, the id of the lead being
    assigned is drawn under the lock too, so leads' ids follow the order they were assigned.
    Locking and reading the earlier lead and the candidates is one round trip on PostgreSQL.
    """
    email, phone = prospect
    reading = StatementBatch()
    if connection.vendor == "postgresql":
        keys = sorted(f"prospect:{value}" for value in prospect if value)
        locks = {f"key{i}": key for i, key in enumerate(keys)}
        reading.add(_LOCK_PROSPECTS_THEN_TEAM[len(keys)], locks | {"team": team.pk})
    # A statement after the locks, so it sees what their previous holders committed.
    reading.add(
        _CANDIDATES,
        {"product": product.pk if product else None, "team": team.pk, "now": now,
         "reserve": reserve_lead_id, "email": email, "phone": phone},
    )  # fmt: skip
    with connection.cursor() as cursor:
        reading.send(cursor)
        rows = cursor.fetchall()
    turn, lead_id, previous_id = rows[0][:3]  # one row even without candidates (outer join)
    if previous_id is not None:
        previous = Lead.objects.select_related("owner", "team").get(pk=previous_id)
        return Choice(
            owner=previous.owner,
            reason=f"repeat inquiry: lead #{previous.pk} of the same prospect is open",
            unrouted=previous.unrouted,
            lead_id=lead_id,
            previous_lead=previous,
        )
    candidates = [
        _Candidate(*row[3:]) for row in rows if row[3] is not None and row[4] not in exclude
    ]
    pool, why = candidates, f"round robin among {len(candidates)} available reps"
    if product is not None:
        experts = [rep for rep in candidates if rep.knows]
        if experts:
            pool = experts
            why = f"round robin among {len(experts)} available reps who know {product}"
        elif candidates:
            why += f" (none who knows {product} is available)"
    if not pool:
        return Choice(
            owner=fallback_owner(team), reason="no rep available", unrouted=True, lead_id=lead_id
        )
    rep = min(pool, key=lambda r: (r.last_assigned_turn, r.profile_id))
    record_turn = {"turn": turn, "rep": rep.profile_id}
    if writes is not None:
        writes.add(_RECORD_TURN, record_turn)
    else:
        with connection.cursor() as cursor:
            _RECORD_TURN.execute(cursor, record_turn)
    return Choice(owner=rep.user(), reason=why, lead_id=lead_id)


class _Candidate(NamedTuple):  # a tuple: ten of them are built for every lead
    profile_id: int
    user_id: int
    last_assigned_turn: int
    knows: bool
    username: str
    first_name: str
    last_name: str
    email: str

    def user(self) -> AbstractBaseUser:
        # What intake, notifications and the API read of an owner; other fields load on use.
        return get_user_model().from_db(
            connection.alias,
            ["id", "username", "first_name", "last_name", "email", "is_active"],
            [self.user_id, self.username, self.first_name, self.last_name, self.email, True],
        )


_REP = RepProfile._meta.db_table
_REP_PRODUCTS = RepProfile.products.through._meta.db_table
_USER = get_user_model()._meta.db_table
_LEAD = Lead._meta.db_table
_OPEN = ", ".join(f"'{status}'" for status in Lead.OPEN_STATUSES)  # our constants

# Advisory locks taken with two int keys live apart from those with one bigint key (the
# prospect locks); the first key says what the second one numbers.
TEAM_LOCK_SPACE = 1
# The prospect's locks (none, email, phone or both, sorted), then the team's, in one
# statement: PostgreSQL evaluates a SELECT list left to right, so the order that keeps two
# inquiries from deadlocking holds as with separate statements.
_LOCK_PROSPECTS_THEN_TEAM = {
    count: PreparedStatement(
        f"choose_owner_lock_{count}_prospects_then_team",
        "SELECT "
        + ", ".join(
            [f"pg_advisory_xact_lock(hashtext(%(key{i})s))" for i in range(count)]
            + [f"pg_advisory_xact_lock({TEAM_LOCK_SPACE}, %(team)s::int)"]
        ),
    )
    for count in (0, 1, 2)
}
# The next lead's id, drawn only when asked for. On PostgreSQL the sequence is named as
# the identity column's sequence is (tests/test_assignment.py checks it): looking it up with
# pg_get_serial_sequence searches the catalogs on every call, a third of this query's time.
# SQLite (IMMEDIATE transactions: no other writer until commit) numbers after the last id
# its AUTOINCREMENT handed out.
LEAD_ID_SEQUENCE = f"{_LEAD}_id_seq"
_NEXT_LEAD_ID = {
    "postgresql": f"nextval('{LEAD_ID_SEQUENCE}'::regclass)",
    "sqlite": "(SELECT coalesce(max(seq), 0) + 1 FROM sqlite_sequence "  # noqa: S608
    f"WHERE name = '{_LEAD}')",
}[connection.vendor]
# The team's next round robin turn (one past the highest a rep of the team holds), the lead
# id if reserved, the prospect's earliest open lead (by the partial indexes
# lead_open_by_email and lead_open_by_phone, one lookup each: with the two conditions OR'd
# the planner may scan every open lead; an empty value matches nothing), then the reps
# who are active, available, not out of office and under their cap of open leads (counted
# by the partial index lead_open_by_owner). Product knowledge is a flag, so one query
# serves both the experts-first choice and the reason.
_CANDIDATES = PreparedStatement(
    "choose_owner_candidates",
    f"""
    WITH turn AS (
        SELECT coalesce(max(last_assigned_turn), 0) + 1 AS next
        FROM {_REP} WHERE team_id = %(team)s
    ), new_lead AS (
        SELECT CASE WHEN %(reserve)s THEN {_NEXT_LEAD_ID} END AS id
    ), previous AS (
        SELECT (SELECT id FROM {_LEAD} WHERE id IN (
                    (SELECT id FROM {_LEAD}
                     WHERE status IN ({_OPEN}) AND email = %(email)s AND email <> ''
                     ORDER BY received_at, id LIMIT 1),
                    (SELECT id FROM {_LEAD}
                     WHERE status IN ({_OPEN}) AND phone = %(phone)s AND phone <> ''
                     ORDER BY received_at, id LIMIT 1)
                ) ORDER BY received_at, id LIMIT 1) AS id
    )
    SELECT turn.next, new_lead.id, previous.id, candidate.*
    FROM turn CROSS JOIN new_lead CROSS JOIN previous LEFT JOIN (
        SELECT rep.id, rep.user_id, rep.last_assigned_turn,
               EXISTS (SELECT 1 FROM {_REP_PRODUCTS} known
                       WHERE known.repprofile_id = rep.id AND known.product_id = %(product)s),
               u.username, u.first_name, u.last_name, u.email
        FROM {_REP} rep JOIN {_USER} u ON u.id = rep.user_id
        WHERE rep.team_id = %(team)s AND rep.is_available AND u.is_active
          AND (rep.out_of_office_until IS NULL OR rep.out_of_office_until <= %(now)s)
          AND (SELECT count(*) FROM {_LEAD} open_lead
               WHERE open_lead.owner_id = rep.user_id AND open_lead.status IN ({_OPEN})
              ) < rep.max_open_leads
    ) AS candidate ON true
    """,  # noqa: S608
)
_RECORD_TURN = PreparedStatement(
    "choose_owner_record_turn",
    f"UPDATE {_REP} SET last_assigned_turn = %(turn)s WHERE id = %(rep)s",  # noqa: S608
)


def fallback_owner(team: Team) -> AbstractBaseUser:
    if team.manager_id and team.manager.is_active:
        return team.manager
    admin = (
        get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    )
    if admin is None:
        raise NoOwnerAvailable(f"team {team} has no available rep and no manager")
    return admin


def reassign_lead(
    *,
    lead: Lead,
    to: AbstractBaseUser,
    by: AbstractBaseUser | None,
    reason: str,
    now: datetime,
    unrouted: bool = False,
) -> LeadEvent:
    """Hand `lead` to `to`, record why, and tell both the old and the new owner.

    Call inside a transaction, with `lead` locked (select_for_update) by the caller.
    """
    previous = lead.owner
    lead.owner = to
    lead.assigned_at = now
    lead.unrouted = unrouted
    lead.save(update_fields=["owner", "assigned_at", "unrouted"])
    event = lead.record_event(
        LeadEvent.Type.REASSIGNED,
        at=now,
        actor=by,
        from_owner=previous.get_username(),
        to_owner=to.get_username(),
        reason=reason,
    )
    subject = f"Lead reassigned: {lead.name}"
    body = f"{lead} moved from {previous.get_username()} to {to.get_username()}: {reason}"
    for user in {previous, to}:
        notify_user(
            Message(
                user=user,
                lead=lead,
                event_type=LeadEvent.Type.REASSIGNED,
                subject=subject,
                body=body,
                now=now,
                dedupe_key=f"event:{event.pk}:user:{user.pk}",
            )
        )
    return event
