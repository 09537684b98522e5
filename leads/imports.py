"""CSV import of historical leads: `import_leads` (the command and the upload page's job).

Historical timestamps are kept as given; each row is validated as a whole and imported in
its own savepoint, so a bad row is reported by line number and nothing partial is written
for it. Leads whose respond-by has passed are never escalated.
"""

from __future__ import annotations

import csv
import io
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from leads.assignment import NoOwnerAvailable, NoTeamConfigured, choose_owner, route_team
from leads.escalation import start_escalation_clock
from leads.intake import (
    clean_text,
    find_product,
    normalize_email,
    normalize_phone,
    notify_owner,
)
from leads.models import (
    ImportJob,
    Lead,
    LeadEvent,
    Product,
    RepProfile,
    Source,
    Team,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


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

    TIMESTAMPS = ("received_at", *(c for c in IMPORT_OPTIONAL_COLUMNS if c.endswith("_at")))

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
        notify_owner(lead=lead, reason=reason, now=now)
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


IMPORT_STALL_AFTER = timedelta(seconds=30)


def run_stalled_import_jobs(*, now: datetime) -> int:
    """Import uploads still waiting after IMPORT_STALL_AFTER: their task was lost (the broker
    was down when they were uploaded). Each job is claimed by `run_import_job`, so the
    periodic sweep and a late task never import a file twice. Returns how many ran."""
    stalled = ImportJob.objects.filter(
        state=ImportJob.State.PENDING, created_at__lte=now - IMPORT_STALL_AFTER
    ).values_list("pk", flat=True)
    return sum(run_import_job(job_id=pk, now=now) is not None for pk in list(stalled)[:10])
