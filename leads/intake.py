"""Intake: every accepted lead is stored and owned by a rep in one transaction.

`ingest_lead` is the one way a live lead comes in (hosted form, JSON API); `import_leads`
brings historical leads from a CSV file. Both write the events every state change leaves
and queue the assigned rep's notifications in the same transaction; delivery is enqueued on
commit and a broker that is down never fails intake (leads.tasks.enqueue_on_commit).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from leads.assignment import NoOwnerAvailable, NoTeamConfigured, choose_owner, route_team
from leads.escalation import start_escalation_clock
from leads.models import (
    IdempotencyKey,
    ImportJob,
    Lead,
    LeadEvent,
    Product,
    RepProfile,
    Source,
    SpamCount,
    Team,
)
from leads.notifications import notify_user
from leads.tasks import deliver_notifications, enqueue_on_commit

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

# Control characters other than tab and newlines, and lone surrogates (which PostgreSQL
# cannot store): stripped from every text a stranger sends us.
_UNSAFE_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_PHONE_JUNK = re.compile(r"[^\d+]")


def clean_text(value: str, *, multiline: bool = False) -> str:
    """Text as we store it: NFC, no control characters, single-line unless `multiline`."""
    value = _UNSAFE_CHARS.sub("", unicodedata.normalize("NFC", value))
    if not multiline:
        value = " ".join(value.split())
    return value.strip()


def normalize_email(value: str) -> str:
    return value.strip().lower()


def normalize_phone(value: str) -> str:
    """`+1 (555) 010-9999` -> `+15550109999`: one spelling, so repeat inquiries match."""
    digits = _PHONE_JUNK.sub("", value)
    return ("+" if digits.startswith("+") else "") + digits.replace("+", "")


def find_product(value: str) -> Product | None:
    """A product by slug or name (case-insensitive); None for an empty value."""
    value = value.strip()
    if not value:
        return None
    return Product.objects.filter(Q(slug__iexact=value) | Q(name__iexact=value)).first()


@dataclass(frozen=True)
class LeadInput:
    """A validated inquiry: what the form, the API or a CSV row carries."""

    name: str
    email: str = ""
    phone: str = ""
    company: str = ""
    message: str = ""
    product: Product | None = None
    temperature: str = Lead.Temperature.WARM
    external_id: str = ""


@dataclass(frozen=True)
class IngestResult:
    lead: Lead
    created: bool  # False: an idempotent retry returned the lead stored the first time


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before with a different request body."""


class DuplicateExternalId(Exception):
    """The source already sent a lead with this external_id."""

    def __init__(self, lead_id: int) -> None:
        super().__init__(f"lead #{lead_id} already has this external_id")
        self.lead_id = lead_id


def ingest_lead(
    *,
    source: Source,
    data: LeadInput,
    now: datetime,
    channel: str,
    idempotency_key: str = "",
    request_hash: str = "",
) -> IngestResult:
    """Store a new lead, assign it, record its events and queue the rep's notification.

    With an `idempotency_key` a retry of the same request (same `request_hash`) returns the
    lead stored the first time and writes nothing; another body raises IdempotencyConflict.
    Two retries racing each other: the loser's insert of the key violates its unique
    constraint, its whole transaction rolls back, and it returns the winner's lead.
    """
    if idempotency_key:
        found = _replay(source=source, key=idempotency_key, request_hash=request_hash)
        if found is not None:
            return found
    try:
        lead = _ingest(
            source=source,
            data=data,
            now=now,
            channel=channel,
            idempotency_key=idempotency_key,
            request_hash=request_hash,
        )
    except IntegrityError:
        if idempotency_key:
            found = _replay(source=source, key=idempotency_key, request_hash=request_hash)
            if found is not None:
                return found
        if data.external_id:
            earlier = Lead.objects.filter(source=source, external_id=data.external_id).first()
            if earlier is not None:
                raise DuplicateExternalId(earlier.pk) from None
        raise
    return IngestResult(lead=lead, created=True)


def _replay(*, source: Source, key: str, request_hash: str) -> IngestResult | None:
    record = (
        IdempotencyKey.objects.select_related("lead__owner", "lead__source")
        .filter(source=source, key=key)
        .first()
    )
    if record is None:
        return None
    if record.request_hash != request_hash:
        raise IdempotencyConflict(key)
    return IngestResult(lead=record.lead, created=False)


@transaction.atomic(durable=True)
def _ingest(
    *,
    source: Source,
    data: LeadInput,
    now: datetime,
    channel: str,
    idempotency_key: str,
    request_hash: str,
) -> Lead:
    _lock_prospect(email=data.email, phone=data.phone)
    previous = _open_lead_of_same_prospect(email=data.email, phone=data.phone)
    team = previous.team if previous else route_team(source=source, product=data.product)
    lead = Lead(
        source=source,
        team=team,
        previous_lead=previous,
        name=data.name,
        email=data.email,
        phone=data.phone,
        company=data.company,
        message=data.message,
        product=data.product,
        temperature=data.temperature,
        external_id=data.external_id,
        received_at=now,
        assigned_at=now,
    )
    # Before the owner is chosen: choosing takes the team lock, held until commit, and the
    # clock does not depend on the owner.
    start_escalation_clock(lead)
    if previous is not None:
        # One prospect, one rep: the repeat inquiry goes to whoever already has them.
        owner, unrouted = previous.owner, previous.unrouted
        reason = f"repeat inquiry: lead #{previous.pk} of the same prospect is open"
    else:
        choice = choose_owner(team=team, product=data.product, now=now)
        owner, unrouted, reason = choice.owner, choice.unrouted, choice.reason
    lead.owner, lead.unrouted = owner, unrouted
    lead.save(force_insert=True)

    events = [
        (LeadEvent.Type.CREATED, {"channel": channel, "source": source.slug}),
        (
            LeadEvent.Type.ASSIGNED,
            {"owner": owner.get_username(), "reason": reason, "unrouted": unrouted},
        ),
    ]
    if previous is not None:
        events.append((LeadEvent.Type.REPEAT_INQUIRY, {"previous_lead": previous.pk}))
    lead.record_events(events, at=now)
    _notify_owner(lead=lead, reason=reason, now=now)
    if idempotency_key:
        IdempotencyKey.objects.create(
            source=source, key=idempotency_key, request_hash=request_hash, lead=lead, created_at=now
        )
    enqueue_on_commit(deliver_notifications)
    return lead


def _lock_prospect(*, email: str, phone: str) -> None:
    """Serialise inquiries of one prospect (a double-clicked form, a retry without a key), so
    the second sees the first's lead and goes to the same rep. Transaction-scoped advisory
    locks on the hashed email and phone, taken in a fixed order, before the team lock."""
    if connection.vendor != "postgresql":
        return  # SQLite (the fallback) runs one writing transaction at a time anyway
    keys = sorted(f"prospect:{value}" for value in (email, phone) if value)
    if keys:
        with connection.cursor() as cursor:
            locks = ", ".join(["pg_advisory_xact_lock(hashtext(%s))"] * len(keys))
            cursor.execute(f"SELECT {locks}", keys)  # noqa: S608


def _open_lead_of_same_prospect(*, email: str, phone: str) -> Lead | None:
    # Served by the partial indexes lead_open_by_email / lead_open_by_phone.
    match = Q(pk__in=[])
    if email:
        match |= Q(email=email)
    if phone:
        match |= Q(phone=phone)
    if not (email or phone):
        return None
    return (
        Lead.objects.open()
        .filter(match)
        .select_related("owner", "team")
        .order_by("received_at", "pk")
        .first()
    )


def _notify_owner(*, lead: Lead, reason: str, now: datetime) -> None:
    subject = f"New lead: {lead.name}" + (" (unrouted)" if lead.unrouted else "")
    local = timezone.localtime(lead.respond_by)
    body = (
        f"{lead} is yours ({reason}).\n"
        f"Make first contact by {local:%Y-%m-%d %H:%M %Z}.\n\n{lead.message}"
    )
    notify_user(
        user=lead.owner,
        lead=lead,
        event_type=LeadEvent.Type.ASSIGNED,
        subject=subject[:200],
        body=body,
        now=now,
        dedupe_key=f"lead:{lead.pk}:assigned:{lead.owner.pk}",
    )


def count_spam(*, source: Source, now: datetime) -> None:
    """Count one dropped submission for the source's day (shown on the sources page)."""
    day = timezone.localdate(now)
    with transaction.atomic():
        updated = SpamCount.objects.filter(source=source, day=day).update(dropped=F("dropped") + 1)
        if updated:
            return
        try:
            with transaction.atomic():
                SpamCount.objects.create(source=source, day=day, dropped=1)
        except IntegrityError:  # another request created today's row first
            SpamCount.objects.filter(source=source, day=day).update(dropped=F("dropped") + 1)


# --- CSV import ---------------------------------------------------------------------------

IMPORT_COLUMNS = (
    "received_at",
    "name",
    "email",
    "phone",
    "company",
    "source",
    "product",
    "temperature",
    "owner",
)
IMPORT_OPTIONAL_COLUMNS = (
    "first_touch_at",
    "first_contact_at",
    "qualified_at",
    "ordered_at",
    "disqualified_at",
    "lost_at",
    "reason",
)
IMPORT_BATCH = 200  # rows per transaction; progress is saved after each batch


class ImportFileError(Exception):
    """The file cannot be imported at all (not CSV, missing columns)."""


@dataclass
class ImportReport:
    total: int = 0
    imported: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


class ImportRowForm(forms.Form):
    """One CSV row. Its errors become the row's reason."""

    received_at = forms.CharField()
    name = forms.CharField(max_length=200)
    email = forms.EmailField(max_length=254, required=False)
    phone = forms.CharField(max_length=40, required=False)
    company = forms.CharField(max_length=200, required=False)
    source = forms.CharField(max_length=100)
    product = forms.CharField(max_length=100, required=False)
    temperature = forms.CharField(required=False)
    owner = forms.CharField(max_length=150, required=False)
    first_touch_at = forms.CharField(required=False)
    first_contact_at = forms.CharField(required=False)
    qualified_at = forms.CharField(required=False)
    ordered_at = forms.CharField(required=False)
    disqualified_at = forms.CharField(required=False)
    lost_at = forms.CharField(required=False)
    reason = forms.CharField(max_length=500, required=False)

    TIMESTAMPS = (
        "received_at",
        "first_touch_at",
        "first_contact_at",
        "qualified_at",
        "ordered_at",
        "disqualified_at",
        "lost_at",
    )

    def __init__(self, *args: Any, lookups: _Lookups, now: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lookups, self.now = lookups, now

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in self.TIMESTAMPS:
            raw = (self.data.get(name) or "").strip()
            if not raw:
                data[name] = None
                continue
            parsed = parse_datetime(raw)
            if parsed is None:
                self.add_error(name, f"{raw!r} is not an ISO 8601 date and time.")
                continue
            if timezone.is_naive(parsed):
                # The site's time zone, whatever zone a request may have activated.
                parsed = timezone.make_aware(parsed, zoneinfo.ZoneInfo(settings.TIME_ZONE))
            data[name] = parsed
        if self.errors:
            return data
        data["name"] = clean_text(data["name"])
        data["company"] = clean_text(data.get("company", ""))
        data["email"] = normalize_email(data.get("email", ""))
        data["phone"] = normalize_phone(data.get("phone", ""))
        if not (data["email"] or data["phone"]):
            raise forms.ValidationError("Give an email or a phone number.")
        data["source"] = self.lookups.source(data["source"])
        if data["source"] is None:
            self.add_error("source", "Unknown source; create it first (create_source).")
        product = data.get("product", "").strip()
        data["product"] = self.lookups.product(product) if product else None
        if product and data["product"] is None:
            self.add_error("product", f"Unknown product {product!r}.")
        temperature = (data.get("temperature") or "warm").strip().lower()
        if temperature not in Lead.Temperature.values:
            self.add_error("temperature", "Use hot, warm or cold.")
        data["temperature"] = temperature
        owner = data.get("owner", "").strip()
        data["owner"] = self.lookups.user(owner) if owner else None
        if owner and data["owner"] is None:
            self.add_error("owner", f"No active user {owner!r}.")
        self._check_order(data)
        return data

    def _check_order(self, data: dict[str, Any]) -> None:
        data = {name: data.get(name) for name in self.TIMESTAMPS}  # add_error pops fields
        received = data["received_at"]
        if received > self.now:
            self.add_error("received_at", "Is in the future.")
        for name in self.TIMESTAMPS[1:]:
            if data[name] is not None and data[name] < received:
                self.add_error(name, "Is before received_at.")
        touch, contact = data["first_touch_at"], data["first_contact_at"]
        if touch and contact and contact < touch:
            self.add_error("first_contact_at", "Is before first_touch_at.")
        ends = [n for n in ("ordered_at", "disqualified_at", "lost_at") if data[n]]
        if len(ends) > 1:
            self.add_error(None, f"Only one of {', '.join(ends)} may be set.")


class _Lookups:
    """Sources, products and users by name, fetched once per import."""

    def __init__(self) -> None:
        self._sources: dict[str, Source | None] = {}
        self._products: dict[str, Product | None] = {}
        self._users: dict[str, AbstractBaseUser | None] = {}

    def source(self, value: str) -> Source | None:
        key = value.strip().lower()
        if key not in self._sources:
            self._sources[key] = Source.objects.filter(
                Q(slug__iexact=key) | Q(name__iexact=key)
            ).first()
        return self._sources[key]

    def product(self, value: str) -> Product | None:
        key = value.strip().lower()
        if key not in self._products:
            self._products[key] = find_product(key)
        return self._products[key]

    def user(self, value: str) -> AbstractBaseUser | None:
        if value not in self._users:
            self._users[value] = (
                get_user_model().objects.filter(username=value, is_active=True).first()
            )
        return self._users[value]


def read_import_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """Parse CSV text into (line number, row) pairs; raise ImportFileError for a bad file."""
    if text.startswith("\ufeff"):  # Excel's byte order mark
        text = text[1:]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise ImportFileError(f"Not a CSV file: {exc}") from exc
    missing = [c for c in IMPORT_COLUMNS if c not in header]
    if missing:
        raise ImportFileError(f"Missing columns: {', '.join(missing)}.")
    reader.fieldnames = header
    rows = []
    try:
        for row in reader:
            cells = {k: (v if isinstance(v, str) else "") for k, v in row.items() if k}
            if any(v.strip() for v in cells.values()):
                rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise ImportFileError(f"Line {reader.line_num}: {exc}") from exc
    return rows


def import_leads(
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    now: datetime,
    on_batch: Callable[[ImportReport, int], None] | None = None,
) -> ImportReport:
    """Import historical leads; each valid row is stored whole, each invalid one reported.

    Rows are validated by ImportRowForm and stored in savepoints inside batches of
    IMPORT_BATCH rows, so a row failing in the database leaves nothing of itself and does
    not undo its neighbours. `on_batch(report, processed)` runs after each batch commits.
    """
    rows = list(rows)
    report = ImportReport(total=len(rows))
    lookups = _Lookups()
    for start in range(0, len(rows), IMPORT_BATCH):
        batch = rows[start : start + IMPORT_BATCH]
        with transaction.atomic():
            for line, row in batch:
                form = ImportRowForm(row, lookups=lookups, now=now)
                if not form.is_valid():
                    report.errors.append((line, _describe(form)))
                    continue
                try:
                    with transaction.atomic():
                        _import_row(form.cleaned_data, now=now)
                except IntegrityError as exc:
                    report.errors.append((line, f"Rejected by the database: {exc}".strip()))
                except (NoTeamConfigured, NoOwnerAvailable, ValueError) as exc:
                    report.errors.append((line, str(exc)))
                else:
                    report.imported += 1
            enqueue_on_commit(deliver_notifications)
        if on_batch is not None:
            on_batch(report, start + len(batch))
    return report


def _describe(form: forms.Form) -> str:
    parts = []
    for name, errors in form.errors.items():
        label = "row" if name == "__all__" else name
        parts.append(f"{label}: {' '.join(errors)}")
    return "; ".join(parts)


def _import_row(row: dict[str, Any], *, now: datetime) -> Lead:
    received = row["received_at"]
    owner = row["owner"]
    source, product = row["source"], row["product"]
    if owner is not None:
        team = _team_of(owner) or route_team(source=source, product=product)
        reason = f"imported with owner {owner.get_username()}"
        unrouted = False
    else:
        team = route_team(source=source, product=product)
        choice = choose_owner(team=team, product=product, now=now)
        owner, reason, unrouted = choice.owner, f"imported; {choice.reason}", choice.unrouted

    touch = row["first_touch_at"] or row["first_contact_at"]
    lead = Lead(
        source=source,
        team=team,
        owner=owner,
        unrouted=unrouted,
        name=row["name"],
        email=row["email"],
        phone=row["phone"],
        company=row["company"],
        product=product,
        temperature=row["temperature"],
        received_at=received,
        assigned_at=received,
        first_touch_at=touch,
        first_contact_at=row["first_contact_at"],
    )
    transitions = _historical_status(lead, row)
    start_escalation_clock(lead)
    if lead.first_contact_at or not lead.is_open or lead.respond_by <= now:
        # History: nothing left to escalate (the escalation contract for imports).
        lead.next_escalation_at = None
    lead.save(force_insert=True)

    lead.record_event(LeadEvent.Type.CREATED, at=received, channel="import", source=source.slug)
    lead.record_event(
        LeadEvent.Type.ASSIGNED,
        at=received,
        owner=owner.get_username(),
        reason=reason,
        unrouted=unrouted,
    )
    if lead.first_touch_at:
        lead.record_event(LeadEvent.Type.TOUCHED, at=lead.first_touch_at, imported=True)
    if lead.first_contact_at:
        lead.record_event(LeadEvent.Type.CONTACTED, at=lead.first_contact_at, imported=True)
    for at, old, new in transitions:
        lead.record_event(
            LeadEvent.Type.STATUS_CHANGED, at=at, imported=True, **{"from": old, "to": new}
        )
    if lead.is_open and lead.next_escalation_at is not None:
        _notify_owner(lead=lead, reason=reason, now=now)
    return lead


def _team_of(user: AbstractBaseUser) -> Team | None:
    profile = RepProfile.objects.filter(user=user).select_related("team").first()
    if profile is not None:
        return profile.team
    return Team.objects.filter(manager=user).order_by("pk").first()


_REASONS = {v: v for v in Lead.CloseReason.values} | {
    label.lower(): value for value, label in Lead.CloseReason.choices
}


def _historical_status(lead: Lead, row: dict[str, Any]) -> list[tuple[datetime, str, str]]:
    """Set the lead's status and milestones from the row; return the transitions made."""
    steps: list[tuple[datetime, str]] = []
    if lead.first_contact_at:
        steps.append((lead.first_contact_at, Lead.Status.CONTACTED))
    qualified = row["qualified_at"] or row["ordered_at"]  # an order implies qualification
    if qualified:
        lead.qualified_at = qualified
        steps.append((qualified, Lead.Status.QUALIFIED))
    if row["ordered_at"]:
        lead.ordered_at = lead.closed_at = row["ordered_at"]
        steps.append((row["ordered_at"], Lead.Status.ORDERED))
    for column, status in (
        ("disqualified_at", Lead.Status.DISQUALIFIED),
        ("lost_at", Lead.Status.LOST),
    ):
        if row[column]:
            reason = (row.get("reason") or "").strip()
            lead.close_reason = _REASONS.get(reason.lower(), Lead.CloseReason.OTHER)
            if lead.close_reason == Lead.CloseReason.OTHER:
                lead.close_note = reason
            lead.closed_at = row[column]
            steps.append((row[column], status))
    steps.sort(key=lambda s: s[0])
    transitions, current = [], str(Lead.Status.NEW)
    for at, status in steps:
        if status != Lead.Status.CONTACTED:
            transitions.append((at, current, str(status)))
        current = str(status)
    lead.status = current
    if current == Lead.Status.CONTACTED and lead.first_contact_at is None:
        raise ValueError("contacted without first_contact_at")
    return transitions


def run_import_job(*, job_id: int, now: datetime) -> ImportJob | None:
    """Import an uploaded CSV, saving progress after each batch; idempotent per job.

    The job is claimed with a conditional UPDATE (pending -> running), so a task delivered
    twice imports the file once.
    """
    claimed = ImportJob.objects.filter(pk=job_id, state=ImportJob.State.PENDING).update(
        state=ImportJob.State.RUNNING
    )
    if not claimed:
        return None
    job = ImportJob.objects.get(pk=job_id)
    try:
        rows = read_import_rows(job.content)
    except ImportFileError as exc:
        job.state, job.errors = ImportJob.State.FAILED, [{"line": 1, "reason": str(exc)}]
        job.finished_at, job.content = now, ""
        job.save()
        return job
    ImportJob.objects.filter(pk=job_id).update(total_rows=len(rows))

    def progress(report: ImportReport, processed: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(
            processed_rows=processed,
            imported_rows=report.imported,
            errors=[{"line": line, "reason": reason} for line, reason in report.errors],
        )

    import_leads(rows, now=now, on_batch=progress)
    ImportJob.objects.filter(pk=job_id).update(
        state=ImportJob.State.DONE, finished_at=timezone.now(), content=""
    )
    job.refresh_from_db()
    return job


# --- The sources page -------------------------------------------------------------------

FOLLOW_UP_WINDOW_DAYS = 30


@dataclass(frozen=True)
class SourceFigures:
    source: Source
    received_today: int
    received_this_week: int
    spam_today: int
    spam_this_week: int
    due: int  # leads of the window whose respond-by has passed or who were contacted
    within_target: int

    @property
    def share_within_target(self) -> float | None:
        return self.within_target / self.due if self.due else None


def source_figures(*, now: datetime) -> dict[str, Any]:
    """Intake and follow-up per source, for marketing: counts only, no lead details.

    "Contacted within target" is over the leads of the last FOLLOW_UP_WINDOW_DAYS days that
    are due (respond-by passed) or already contacted, so leads still inside their window
    count neither for nor against; a due lead never contacted counts against.
    """
    local = timezone.localtime(now)
    today = local.replace(hour=0, minute=0, second=0, microsecond=0)
    week = today - timedelta(days=today.weekday())
    window = now - timedelta(days=FOLLOW_UP_WINDOW_DAYS)
    recent = Q(leads__received_at__gte=window)
    due = recent & (Q(leads__respond_by__lte=now) | Q(leads__first_contact_at__isnull=False))
    sources = Source.objects.annotate(
        received_today=Count("leads", filter=Q(leads__received_at__gte=today)),
        received_this_week=Count("leads", filter=Q(leads__received_at__gte=week)),
        due=Count("leads", filter=due),
        within_target=Count(
            "leads", filter=recent & Q(leads__first_contact_at__lte=F("leads__respond_by"))
        ),
    ).order_by("name")
    spam = {
        row["source"]: row
        for row in SpamCount.objects.filter(day__gte=week.date())
        .values("source")
        .annotate(week=Sum("dropped"), today=Sum("dropped", filter=Q(day=today.date())))
    }
    rows = [
        SourceFigures(
            source=s,
            received_today=s.received_today,
            received_this_week=s.received_this_week,
            spam_today=(spam.get(s.pk, {}).get("today") or 0),
            spam_this_week=(spam.get(s.pk, {}).get("week") or 0),
            due=s.due,
            within_target=s.within_target,
        )
        for s in sources
    ]
    return {"rows": rows, "week_start": week, "window_days": FOLLOW_UP_WINDOW_DAYS, "now": now}


IMPORT_STALL_AFTER = timedelta(seconds=30)


def run_stalled_import_jobs(*, now: datetime) -> int:
    """Import uploads still waiting after IMPORT_STALL_AFTER: their task was lost (the broker
    was down when they were uploaded). Each job is claimed by `run_import_job`, so the
    periodic sweep and a late task never import a file twice. Returns how many ran."""
    stalled = ImportJob.objects.filter(
        state=ImportJob.State.PENDING, created_at__lte=now - IMPORT_STALL_AFTER
    ).values_list("pk", flat=True)
    return sum(run_import_job(job_id=pk, now=now) is not None for pk in list(stalled)[:10])
