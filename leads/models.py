"""The lead's life: teams and reps, sources, leads, activities and the events they leave.

Meanings follow ../shared/docs/product.md. One lead's rules live here (`Lead.is_overdue`);
workflows across models live in plain modules (intake, assignment, escalation, activities).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import zoneinfo
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone

from leads.prepared import PreparedStatement, StatementBatch, insert_rows, instance_from_row

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/Berlin).")


def default_follow_up_cadence() -> list[int]:
    # Days after first contact; most sales need 5-8 touches (product.md).
    return [2, 5, 10, 20, 40]


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    time_zone = models.CharField(
        max_length=64, default=settings.TIME_ZONE, validators=[validate_time_zone]
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
    )
    is_default = models.BooleanField(
        default=False, help_text="Leads that no routing rule claims go to the default team."
    )
    follow_up_cadence = models.JSONField(
        default=default_follow_up_cadence,
        help_text="Days after first contact at which follow-ups are suggested.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="team_single_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Product(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RepProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rep_profile"
    )
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="reps")
    products = models.ManyToManyField(Product, blank=True, related_name="reps")
    max_open_leads = models.PositiveSmallIntegerField(
        default=25, help_text="No new lead is routed to a rep with this many open leads."
    )
    is_available = models.BooleanField(default=True)
    out_of_office_until = models.DateTimeField(null=True, blank=True)
    # Round robin: the team's turn when this rep last got a lead (one past the highest turn
    # of the team's reps, drawn under the team lock); the lowest goes next. A counter, not
    # a timestamp, so leads arriving in the same instant still rotate.
    last_assigned_turn = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["user__username"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_open_leads__gt=0), name="rep_max_open_leads_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.get_username()} ({self.team})"

    def is_available_at(self, now: datetime) -> bool:
        if not (self.is_available and self.user.is_active):
            return False
        return self.out_of_office_until is None or self.out_of_office_until <= now


class Source(models.Model):
    class Kind(models.TextChoices):
        FORM = "form", "Web form"
        API = "api", "API"
        IMPORT = "import", "Import"

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.API)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sources",
        help_text="Route this source's leads to this team (otherwise the routing rules decide).",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["form", "api", "import"]), name="source_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class HashedSecret(models.Model):
    """A bearer secret shown once and stored only as a SHA-256 hash.

    The secret is `<PREFIX><random>`; its first LOOKUP_LENGTH characters are stored in the
    clear to find the row, and the hash is compared in constant time.
    """

    PREFIX: ClassVar[str]
    LOOKUP_LENGTH: ClassVar[int] = 12
    OWNER_FIELD: ClassVar[str]  # fetched with the row: every request needs it
    # last_used_at is informational; refreshing it at most this often keeps a write off
    # most authenticated requests.
    TOUCH_INTERVAL: ClassVar[timedelta] = timedelta(minutes=5)

    lookup = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @staticmethod
    def hash_secret(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def issue(cls, **fields: Any) -> tuple[HashedSecret, str]:
        """Create a row and return it with the raw secret, which is never stored."""
        raw = cls.PREFIX + secrets.token_urlsafe(32)
        obj = cls.objects.create(
            lookup=raw[: cls.LOOKUP_LENGTH], key_hash=cls.hash_secret(raw), **fields
        )
        return obj, raw

    @classmethod
    def find_active(cls, raw: str) -> HashedSecret | None:
        if not raw.startswith(cls.PREFIX) or len(raw) < cls.LOOKUP_LENGTH + 8:
            return None
        statement, own_fields, owner_fields = cls._find_active_statement()
        with connection.cursor() as cursor:
            statement.execute(cursor, {"lookup": raw[: cls.LOOKUP_LENGTH]})
            row = cursor.fetchone()
        if row is None:
            return None
        # The row and its owner from one prepared join: every API request authenticates,
        # and building this query with the ORM cost more than running it.
        obj = instance_from_row(cls, own_fields, row[: len(own_fields)])
        owner_model = cls._meta.get_field(cls.OWNER_FIELD).related_model
        owner = instance_from_row(owner_model, owner_fields, row[len(own_fields) :])
        setattr(obj, cls.OWNER_FIELD, owner)
        return obj if obj.matches(raw) else None

    def matches(self, raw: str) -> bool:
        """Whether `raw` is this secret (compared in constant time)."""
        return hmac.compare_digest(self.key_hash, self.hash_secret(raw))

    @classmethod
    @functools.cache
    def _find_active_statement(cls) -> tuple[PreparedStatement, list[str], list[str]]:
        owner_model = cls._meta.get_field(cls.OWNER_FIELD).related_model
        own = [f.attname for f in cls._meta.concrete_fields]
        owner = [f.attname for f in owner_model._meta.concrete_fields]
        columns = [f"secret.{f.column}" for f in cls._meta.concrete_fields] + [
            f"holder.{f.column}" for f in owner_model._meta.concrete_fields
        ]
        sql = (
            f"SELECT {', '.join(columns)} FROM {cls._meta.db_table} secret "  # noqa: S608
            f"JOIN {owner_model._meta.db_table} holder "
            f"ON holder.{owner_model._meta.pk.column} = "
            f"secret.{cls._meta.get_field(cls.OWNER_FIELD).column} "
            "WHERE secret.lookup = %(lookup)s AND secret.revoked_at IS NULL"
        )
        return PreparedStatement(f"find_active_{cls._meta.db_table}", sql), own, owner

    def touch(self, *, now: datetime) -> None:
        if self.last_used_at is None or now - self.last_used_at >= self.TOUCH_INTERVAL:
            type(self).objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def revoke(self, *, now: datetime) -> None:
        self.revoked_at = now
        self.save(update_fields=["revoked_at"])


class ApiKey(HashedSecret):
    """A source's key for posting leads (`Authorization: Bearer lrs_...`)."""

    PREFIX = "lrs_"
    OWNER_FIELD = "source"

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        state = "active" if self.is_active else "revoked"
        return f"{self.source.name} key {self.lookup}… ({state})"


class ApiToken(HashedSecret):
    """A user's personal token for reading and working leads (`Bearer lru_...`)."""

    PREFIX = "lru_"
    OWNER_FIELD = "user"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )

    class Meta:
        verbose_name = "personal API token"

    def __str__(self) -> str:
        state = "active" if self.is_active else "revoked"
        return f"{self.user.get_username()} token {self.lookup}… ({state})"


class LeadQuerySet(models.QuerySet["Lead"]):
    def open(self) -> LeadQuerySet:
        return self.filter(status__in=Lead.OPEN_STATUSES)

    def waiting_for_first_contact(self) -> LeadQuerySet:
        return self.open().filter(first_contact_at=None)

    def overdue(self, now: datetime) -> LeadQuerySet:
        # Served by the partial index lead_uncontacted_respond_by.
        return self.waiting_for_first_contact().filter(respond_by__lte=now)

    def visible_to(self, user: AbstractBaseUser) -> LeadQuerySet:
        """Leads this user may see: admins all, managers their teams', reps their own."""
        from leads.roles import Role, has_role

        if not user.is_authenticated:
            return self.none()
        if user.is_superuser or has_role(user, Role.ADMIN):
            return self.all()
        visible = Q(pk__in=[])
        if has_role(user, Role.MANAGER):
            visible |= Q(team__manager=user)
        if has_role(user, Role.REP) or has_role(user, Role.MANAGER):
            visible |= Q(owner=user)
        return self.filter(visible)


class Lead(models.Model):
    class Status(models.TextChoices):
        NEW = "new", "New"
        CONTACTED = "contacted", "Contacted"
        QUALIFIED = "qualified", "Qualified"
        ORDERED = "ordered", "Ordered"
        DISQUALIFIED = "disqualified", "Disqualified"
        LOST = "lost", "Lost"

    class Temperature(models.TextChoices):
        HOT = "hot", "Hot"
        WARM = "warm", "Warm"
        COLD = "cold", "Cold"

    class CloseReason(models.TextChoices):
        NOT_INTERESTED = "not_interested", "Not interested"
        NO_BUDGET = "no_budget", "No budget"
        BOUGHT_ELSEWHERE = "bought_elsewhere", "Bought elsewhere"
        UNREACHABLE = "unreachable", "Could not be reached"
        NOT_A_FIT = "not_a_fit", "Not a fit for our products"
        SPAM = "spam", "Spam or fake"
        DUPLICATE = "duplicate", "Duplicate"
        OTHER = "other", "Other"

    OPEN_STATUSES: ClassVar[tuple[str, ...]] = (Status.NEW, Status.CONTACTED, Status.QUALIFIED)
    CLOSED_STATUSES: ClassVar[tuple[str, ...]] = (
        Status.ORDERED,
        Status.DISQUALIFIED,
        Status.LOST,
    )
    # Every lifecycle timestamp, in the order a lead reaches them (null until reached).
    MILESTONES: ClassVar[tuple[str, ...]] = (
        "received_at",
        "assigned_at",
        "first_touch_at",
        "first_contact_at",
        "qualified_at",
        "ordered_at",
        "closed_at",
    )

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="leads")
    external_id = models.CharField(max_length=100, blank=True)
    # Indexed with received_at (lead_team_received), which serves lookups by team alone too.
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="leads", db_index=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_leads"
    )
    unrouted = models.BooleanField(
        default=False, help_text="No rep was available: the lead went to the team's manager."
    )
    previous_lead = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="repeat_inquiries",
        help_text="The open lead of the same prospect this inquiry repeats.",
        db_index=False,  # lead_repeat_of indexes the few that are set
    )

    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    company = models.CharField(max_length=200, blank=True)
    message = models.TextField(blank=True)
    product = models.ForeignKey(
        Product,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        db_index=False,  # lead_product indexes those that are set
    )
    temperature = models.CharField(
        max_length=4, choices=Temperature.choices, default=Temperature.WARM
    )

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    close_reason = models.CharField(max_length=20, choices=CloseReason.choices, blank=True)
    close_note = models.TextField(blank=True)

    received_at = models.DateTimeField()
    assigned_at = models.DateTimeField()
    first_touch_at = models.DateTimeField(null=True, blank=True)
    first_contact_at = models.DateTimeField(null=True, blank=True)
    qualified_at = models.DateTimeField(null=True, blank=True)
    ordered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    respond_by = models.DateTimeField()

    escalation_level = models.PositiveSmallIntegerField(default=0)
    # The escalation timer: when the next ladder step is due, NULL when none is. A column,
    # not a broker message, so a lost Redis queue loses no timer (docs/architecture.md).
    next_escalation_at = models.DateTimeField(null=True, blank=True)

    next_follow_up_at = models.DateTimeField(null=True, blank=True)
    follow_up_note = models.CharField(max_length=500, blank=True)
    # Set when the prospect's personal data was erased (leads.privacy); the lead stays, with
    # its timestamps, so metrics keep counting it.
    erased_at = models.DateTimeField(null=True, blank=True)

    objects = LeadQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        permissions = [
            ("view_team_leads", "Can see every lead of the teams they manage"),
            ("reassign_lead", "Can reassign a lead to another rep"),
            ("import_leads", "Can import leads from CSV"),
            ("view_source_stats", "Can see intake and follow-up figures per source"),
            ("manage_personal_data", "Can export and erase a prospect's personal data"),
        ]
        indexes = [
            # The rep's queue: open leads of one owner, most urgent first.
            models.Index(
                fields=["owner", "respond_by"],
                condition=Q(status__in=["new", "contacted", "qualified"]),
                name="lead_open_by_owner",
            ),
            # Overdue leads on boards and the health check: LeadQuerySet.overdue().
            models.Index(
                fields=["respond_by"],
                condition=Q(first_contact_at=None, status__in=["new", "contacted", "qualified"]),
                name="lead_uncontacted_respond_by",
            ),
            # The escalation sweep's claim query (leads.escalation) reads only due timers.
            models.Index(
                fields=["next_escalation_at"],
                condition=Q(next_escalation_at__isnull=False),
                name="lead_escalation_due",
            ),
            # Cohorts by week received, per team (metrics) and overall (board, exports).
            models.Index(fields=["team", "received_at"], name="lead_team_received"),
            models.Index(fields=["received_at"], name="lead_received"),
            # The board's banner: open leads that found no rep (metrics.views.board).
            models.Index(
                fields=["team"],
                condition=Q(unrouted=True, status__in=["new", "contacted", "qualified"]),
                name="lead_unrouted_open",
            ),
            # Repeat inquiries: an open lead of the same prospect (leads.intake).
            models.Index(
                fields=["email"],
                condition=Q(status__in=["new", "contacted", "qualified"]) & ~Q(email=""),
                name="lead_open_by_email",
            ),
            models.Index(
                fields=["phone"],
                condition=Q(status__in=["new", "contacted", "qualified"]) & ~Q(phone=""),
                name="lead_open_by_phone",
            ),
            # Foreign keys that most leads leave empty: only the rows that set them are
            # indexed (every index costs intake an entry per lead).
            models.Index(
                fields=["previous_lead"],
                condition=Q(previous_lead__isnull=False),
                name="lead_repeat_of",
            ),
            models.Index(
                fields=["product"], condition=Q(product__isnull=False), name="lead_product"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(email="") | ~Q(phone="") | Q(erased_at__isnull=False),
                name="lead_has_email_or_phone",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=["new", "contacted", "qualified", "ordered", "disqualified", "lost"]
                ),
                name="lead_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(temperature__in=["hot", "warm", "cold"]), name="lead_temperature_valid"
            ),
            models.CheckConstraint(
                condition=Q(respond_by__gte=models.F("received_at")),
                name="lead_respond_by_after_received",
            ),
            models.CheckConstraint(
                # NULL compares as unknown, which a CHECK lets through: demand the touch.
                condition=Q(first_contact_at=None)
                | Q(first_touch_at__isnull=False, first_touch_at__lte=models.F("first_contact_at")),
                name="lead_first_touch_not_after_first_contact",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["new", "contacted", "qualified"], closed_at=None)
                | Q(status__in=["ordered", "disqualified", "lost"], closed_at__isnull=False),
                name="lead_closed_at_iff_closed",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["disqualified", "lost"]) | ~Q(close_reason=""),
                name="lead_closed_with_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="contacted") | Q(first_contact_at__isnull=False),
                name="lead_contacted_has_first_contact",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["qualified", "ordered"]) | Q(qualified_at__isnull=False),
                name="lead_qualified_has_qualified_at",
            ),
            models.CheckConstraint(
                condition=~Q(status="ordered") | Q(ordered_at__isnull=False),
                name="lead_ordered_has_ordered_at",
            ),
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="lead_unique_external_id_per_source",
            ),
        ]

    def __str__(self) -> str:
        who = f"{self.name} ({self.company})" if self.company else self.name
        return f"Lead #{self.pk}: {who}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def is_overdue(self, now: datetime) -> bool:
        return self.is_open and self.first_contact_at is None and self.respond_by <= now

    def record_event(
        self,
        event_type: str,
        *,
        at: datetime,
        actor: AbstractBaseUser | None = None,
        **data: Any,
    ) -> LeadEvent:
        """Write the event that every state change leaves; call inside its transaction.

        Events that teams subscribe to also queue their webhook deliveries here, the one
        place every state change passes through, in the same transaction.
        """
        event = LeadEvent(lead=self, type=event_type, actor=actor, at=at, data=data)
        self._insert_events([event])
        return event

    def record_events(
        self, events: list[tuple[str, dict[str, Any]]], *, at: datetime, writes: StatementBatch
    ) -> None:
        """`record_event` for several events of one change (intake's created + assigned),
        their INSERT queued in `writes` (sent with the batch's other statements).

        Nothing reads these events back, so they are queued as values, not instances,
        unless a webhook of the team subscribes to one of them: its outbox row names the
        event by primary key, so then they are inserted at once.
        """
        if any(t in Webhook.EVENTS for t, _ in events) and _team_has_webhooks(self.team_id):
            self._insert_events(
                [LeadEvent(lead=self, type=t, at=at, data=data) for t, data in events]
            )
            return
        writes.insert_values(
            LeadEvent,
            [
                {"lead_id": self.pk, "type": t, "actor_id": None, "at": at, "data": data}
                for t, data in events
            ],
        )

    def _insert_events(self, events: list[LeadEvent]) -> None:
        insert_rows(events)
        subscribed = [event for event in events if event.type in Webhook.EVENTS]
        if subscribed:
            from leads.webhooks import queue_webhooks

            queue_webhooks(self, *subscribed)


def _team_has_webhooks(team_id: int) -> bool:
    from leads.webhooks import active_webhooks_by_team  # leads.webhooks imports this module

    return bool(active_webhooks_by_team({team_id})[team_id])


class Activity(models.Model):
    class Kind(models.TextChoices):
        CALL = "call", "Call"
        EMAIL = "email", "E-mail"
        MEETING = "meeting", "Meeting"
        SMS = "sms", "SMS"
        NOTE = "note", "Note"

    class Outcome(models.TextChoices):
        REACHED = "reached", "Reached"
        NO_ANSWER = "no_answer", "No answer"
        VOICEMAIL = "voicemail", "Voicemail"
        SENT = "sent", "Sent"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="activities")
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="activities"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    occurred_at = models.DateTimeField()
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["occurred_at", "pk"]
        verbose_name_plural = "activities"
        indexes = [models.Index(fields=["lead", "occurred_at"], name="activity_lead_occurred")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["call", "email", "meeting", "sms", "note"]),
                name="activity_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=["reached", "no_answer", "voicemail", "sent"])
                | Q(kind="note", outcome=""),
                name="activity_outcome_valid",
            ),
            models.CheckConstraint(
                condition=Q(occurred_at__lte=models.F("created_at")),
                name="activity_not_in_future",
            ),
        ]

    def __str__(self) -> str:
        outcome = f" – {self.get_outcome_display()}" if self.outcome else ""
        return f"{self.get_kind_display()}{outcome} on lead #{self.lead_id}"


class LeadEvent(models.Model):
    """What happened to a lead, who did it and when: the audit trail metrics recompute from."""

    class Type(models.TextChoices):
        CREATED = "lead.created", "Created"
        ASSIGNED = "lead.assigned", "Assigned"
        REMINDED = "lead.reminded", "Reminder sent"
        OVERDUE = "lead.overdue", "Overdue"
        REASSIGNED = "lead.reassigned", "Reassigned"
        TOUCHED = "lead.touched", "First touch"
        CONTACTED = "lead.contacted", "First contact"
        ACTIVITY_LOGGED = "lead.activity_logged", "Activity logged"
        STATUS_CHANGED = "lead.status_changed", "Status changed"
        FOLLOW_UP_PLANNED = "lead.follow_up_planned", "Follow-up planned"
        REPEAT_INQUIRY = "lead.repeat_inquiry", "Repeat inquiry"
        EXPORTED = "lead.exported", "Personal data exported"
        ERASED = "lead.erased", "Personal data erased"

    # Indexed with the time (event_lead_at), which serves lookups by lead alone too.
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events", db_index=False)
    type = models.CharField(max_length=40, choices=Type.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty for the system (intake, escalation).",
        db_index=False,  # event_actor indexes the events people made
    )
    at = models.DateTimeField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["lead", "at"], name="event_lead_at"),
            models.Index(fields=["actor"], condition=Q(actor__isnull=False), name="event_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.type} on lead #{self.lead_id} at {self.at:%Y-%m-%d %H:%M}"


class Notification(models.Model):
    """One message to one recipient on one channel: the outbox.

    Rows are written in the transaction of the change they announce; a task delivers them
    afterwards (leads.notifications). `dedupe_key` makes a second row for the same message
    a constraint violation, not a second e-mail.
    """

    class Channel(models.TextChoices):
        IN_APP = "in_app", "In-app"
        EMAIL = "email", "E-mail"
        WEBHOOK = "webhook", "Webhook"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    event_type = models.CharField(max_length=40)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    # NULL for a message that needs no deduplicating; unique among the rest through a
    # constraint (Meta), as unique=True would add a second index, for LIKE queries.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The delivery task's claim query (leads.notifications.deliver_due_notifications).
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state="pending"),
                name="notification_due",
            ),
            # The bell: a user's unread in-app notifications.
            models.Index(
                fields=["recipient", "created_at"],
                condition=Q(channel="in_app", read_at=None),
                name="notification_unread",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], name="notification_dedupe_key"),
        ]

    def __str__(self) -> str:
        to = self.recipient or "webhook"
        return f"{self.get_channel_display()} to {to}: {self.subject}"


# --- intake ---


class RoutingRule(models.Model):
    """Send leads of a product and/or a source to a team (leads.assignment.route_team).

    The most specific matching rule wins (product and source over either alone), then the
    lowest priority number. A source's own `team` overrides every rule.
    """

    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.CASCADE, related_name="routing_rules"
    )
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.CASCADE, related_name="routing_rules"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="routing_rules")
    priority = models.PositiveSmallIntegerField(
        default=100, help_text="Among equally specific rules, the lowest number wins."
    )

    class Meta:
        ordering = ["priority", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(product__isnull=False) | Q(source__isnull=False),
                name="routing_rule_matches_something",
            ),
        ]

    def __str__(self) -> str:
        what = " and ".join(str(x) for x in (self.product, self.source and self.source.name) if x)
        return f"{what} → {self.team}"


class IdempotencyKey(models.Model):
    """An API request's Idempotency-Key: a retry of the same body returns the same lead."""

    # Indexed first in the unique constraint below, which serves lookups by source alone too.
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "key"], name="idempotency_key_per_source"),
        ]

    def __str__(self) -> str:
        return f"{self.key} → lead #{self.lead_id}"


class SpamCount(models.Model):
    """Hosted-form submissions dropped as spam, per source and day (the sources page)."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="spam_counts")
    day = models.DateField()
    dropped = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "day"], name="spam_count_per_source_day"),
        ]

    def __str__(self) -> str:
        return f"{self.source.name} {self.day}: {self.dropped} dropped"


class ImportJob(models.Model):
    """A CSV upload imported in the background; its page polls the progress counters."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting"
        RUNNING = "running", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs"
    )
    filename = models.CharField(max_length=255)
    content = models.TextField(help_text="The uploaded CSV; cleared when the import is done.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    imported_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Import {self.filename} ({self.get_state_display()})"

    @property
    def percent(self) -> int:
        return 100 if not self.total_rows else int(100 * self.processed_rows / self.total_rows)


# --- workspace ---
class Answer(models.Model):
    """A short answer to a common question about a product (price range, specs, a link).

    Kept by managers, shown on the lead page for the lead's product with a one-click copy so
    the first response is complete as well as fast. No product: shown for every lead.
    """

    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.CASCADE, related_name="answers"
    )
    question = models.CharField(max_length=200)
    body = models.TextField()
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["product__name", "question"]
        indexes = [models.Index(fields=["product", "question"], name="answer_product")]

    def __str__(self) -> str:
        return f"{self.product or 'All products'}: {self.question}"


# --- escalation ---
class ResponsePolicy(models.Model):
    """A response target for the leads of one source and/or temperature.

    The most specific policy wins (source and temperature, then source, then temperature);
    no policy means LEADS_RESPONSE_TARGET in wall-clock time. Read at intake only, so a
    changed policy affects new leads only.
    """

    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.CASCADE, related_name="policies"
    )
    temperature = models.CharField(
        max_length=4, choices=Lead.Temperature.choices, blank=True, help_text="Empty: any."
    )
    target_minutes = models.PositiveIntegerField()
    business_hours = models.BooleanField(
        default=False, help_text="Count only the team's working hours (not weekends, holidays)."
    )

    class Meta:
        verbose_name_plural = "response policies"
        constraints = [
            models.UniqueConstraint(
                fields=["source", "temperature"],
                nulls_distinct=False,
                name="policy_unique_source_temperature",
            ),
            models.CheckConstraint(
                condition=Q(source__isnull=False) | ~Q(temperature=""),
                name="policy_names_source_or_temperature",
            ),
            models.CheckConstraint(
                condition=Q(target_minutes__gt=0), name="policy_target_positive"
            ),
        ]

    def __str__(self) -> str:
        what = " / ".join(
            part for part in (self.source and self.source.name, self.temperature) if part
        )
        hours = " business" if self.business_hours else ""
        return f"{what}: {self.target_minutes}{hours} min"


class WorkingHours(models.Model):
    """One weekday's working hours of a team, in the team's time zone."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(
        choices=[(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"),
                 (4, "Friday"), (5, "Saturday"), (6, "Sunday")]
    )  # fmt: skip
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["team", "weekday"]
        verbose_name_plural = "working hours"
        constraints = [
            models.UniqueConstraint(fields=["team", "weekday"], name="working_hours_one_per_day"),
            models.CheckConstraint(
                condition=Q(opens__lt=models.F("closes")), name="working_hours_open_before_close"
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="working_hours_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.team} {self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class HolidayCalendar(models.Model):
    """A team's public holidays (the `holidays` package) for business-hours targets."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="holiday_calendar")
    country = models.CharField(max_length=2, help_text="ISO 3166 code, e.g. DE, US, GB.")
    subdivision = models.CharField(max_length=10, blank=True, help_text="e.g. BY, CA.")

    def __str__(self) -> str:
        return f"{self.team}: {self.country}{'-' + self.subdivision if self.subdivision else ''}"


class TeamHoliday(models.Model):
    """A custom day off of one team (company holiday, office closed)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="custom_holidays")
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["team", "date"], name="team_holiday_unique_date")
        ]

    def __str__(self) -> str:
        return f"{self.team} {self.date} {self.name}"


class EscalationStep(models.Model):
    """One ladder step taken for one lead: the unique constraint makes a second one a bug.

    `period` counts the owners the lead has had through the ladder (0 for the first owner,
    1 after the first reassignment, ...); each period runs reminder, overdue, reassign once.
    """

    class Kind(models.TextChoices):
        REMINDER = "reminder", "Reminder"
        OVERDUE = "overdue", "Overdue"
        REASSIGN = "reassign", "Reassigned"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="escalation_steps")
    period = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        help_text="The owner who missed the deadline of this period.",
    )  # fmt: skip
    due_at = models.DateTimeField()
    ran_at = models.DateTimeField()

    class Meta:
        ordering = ["lead", "period", "ran_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "period", "kind"], name="escalation_step_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.period} of lead #{self.lead_id}"


class SweepHeartbeat(models.Model):
    """When a periodic sweep last completed; the health check reads it by primary key."""

    name = models.CharField(max_length=50, primary_key=True)
    completed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.completed_at:%Y-%m-%d %H:%M:%S}"


class Webhook(models.Model):
    """A team's outbound webhook: lead events as signed JSON, or Slack-style text."""

    class Format(models.TextChoices):
        JSON = "json", "JSON (signed with HMAC-SHA256)"
        SLACK = "slack", 'Slack-compatible ({"text": ...})'

    EVENTS: ClassVar[tuple[str, ...]] = (
        "lead.created",
        "lead.assigned",
        "lead.overdue",
        "lead.reassigned",
        "lead.contacted",
    )

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    format = models.CharField(max_length=5, choices=Format.choices, default=Format.JSON)
    secret = models.CharField(
        max_length=100,
        default=secrets.token_hex,
        help_text="Signs each body: X-LeadResponse-Signature: sha256=HMAC(secret, body).",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(format__in=["json", "slack"]), name="webhook_format")
        ]

    def __str__(self) -> str:
        return f"{self.team} → {self.url}"
