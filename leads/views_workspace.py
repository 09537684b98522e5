"""The rep workspace: my queue, the lead page and its forms, the manager's team queue.

Views are thin: find the lead the user may see (404 otherwise), validate a form, call one
function of leads.activities and turn a WorkflowError into a message. Times are shown and
read in the team's time zone, activated per request.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.db import transaction
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from leads.activities import (
    WorkflowError,
    change_status,
    hand_over_open_leads,
    log_activity,
    mark_out_of_office,
    plan_follow_up,
    suggest_follow_ups,
)
from leads.assignment import reassign_lead
from leads.forms import ReassignForm
from leads.forms_workspace import (
    ActivityForm,
    AnswerForm,
    FollowUpForm,
    HandOverForm,
    OutOfOfficeForm,
    StatusForm,
)
from leads.models import Answer, Lead, RepProfile, Team
from leads.queue_rows import render_team_rows
from leads.roles import Role, has_role

# How often an open queue asks for fresh rows (htmx polling): a new lead shows within this.
QUEUE_REFRESH_SECONDS = 5
CLOSED_SHOWN = 100  # the closed tab lists the most recent only

# What a row of my queue shows, fetched as plain dicts: with hundreds of rows, building
# model instances was most of the page's cost (bench/queue_bench.py).
QUEUE_ROW_FIELDS = (
    "pk",
    "name",
    "company",
    "message",
    "temperature",
    "status",
    "received_at",
    "respond_by",
    "first_contact_at",
    "next_follow_up_at",
    "closed_at",
    "source__name",
    "product__name",
)

TABS = {
    "waiting": "Waiting for first contact",
    "follow_ups": "Follow-ups due",
    "open": "All open",
    "closed": "Closed",
}


def user_time_zone(user: Any) -> zoneinfo.ZoneInfo:
    """The time zone of the user's team (as a rep, else the first team they manage)."""
    profile = RepProfile.objects.select_related("team").filter(user=user).first()
    if profile is not None:
        return profile.team.tzinfo
    team = Team.objects.filter(manager=user).order_by("pk").first()
    return team.tzinfo if team else zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _urgency(now: datetime) -> Case:
    # Overdue first, then leads still waiting for first contact, then the contacted ones.
    return Case(
        When(first_contact_at=None, respond_by__lte=now, then=Value(0)),
        When(first_contact_at=None, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


def queue_rows(leads: QuerySet[Lead], *, tab: str, now: datetime) -> QuerySet[Lead]:
    """The rows of one tab of a queue, most urgent first."""
    rows = leads.select_related("source", "product")
    if tab == "closed":
        return rows.exclude(status__in=Lead.OPEN_STATUSES).order_by("-closed_at")[:CLOSED_SHOWN]
    rows = rows.open()
    if tab == "waiting":
        rows = rows.filter(first_contact_at=None)
    elif tab == "follow_ups":
        return rows.filter(next_follow_up_at__lte=now).order_by("next_follow_up_at", "pk")
    return rows.annotate(urgency=_urgency(now)).order_by("urgency", "respond_by", "pk")


def queue_counts(leads: QuerySet[Lead], *, now: datetime) -> dict[str, int]:
    """How many leads each tab holds, in one query."""
    is_open = Q(status__in=Lead.OPEN_STATUSES)
    return leads.aggregate(
        waiting=Count("pk", filter=is_open & Q(first_contact_at=None)),
        overdue=Count("pk", filter=is_open & Q(first_contact_at=None, respond_by__lte=now)),
        follow_ups=Count("pk", filter=is_open & Q(next_follow_up_at__lte=now)),
        open=Count("pk", filter=is_open),
    )


@login_required
@permission_required("leads.view_lead", raise_exception=True)
def queue(request: HttpRequest) -> HttpResponse:
    """My queue: open leads I own, most urgent first; refreshes itself every few seconds."""
    now = timezone.now()
    timezone.activate(user_time_zone(request.user))
    tab = request.GET.get("tab", "open")
    tab = tab if tab in TABS else "open"
    mine = Lead.objects.visible_to(request.user).filter(owner=request.user)
    context = {
        "leads": list(queue_rows(mine, tab=tab, now=now).values(*QUEUE_ROW_FIELDS)),
        "counts": queue_counts(mine, now=now),
        "tab": tab,
        "tab_label": TABS[tab],
        "tabs": TABS,
        "now": now,
        "refresh_seconds": QUEUE_REFRESH_SECONDS,
        "live_url": f"{reverse('leads:queue')}?tab={tab}",
    }
    template = "queue.html"
    if request.htmx and request.htmx.target == "queue-live":
        template = "_queue_live.html"
    return render(request, f"leads/workspace/{template}", context)


def _visible_lead(request: HttpRequest, pk: int) -> Lead:
    leads = Lead.objects.visible_to(request.user).select_related(
        "team", "owner", "source", "product"
    )
    lead = get_object_or_404(leads, pk=pk)
    timezone.activate(lead.team.tzinfo)
    return lead


def _timeline(lead: Lead) -> list[dict[str, Any]]:
    entries = [
        {"at": e.at, "kind": "event", "title": e.get_type_display(), "who": e.actor, "data": e.data}
        for e in lead.events.select_related("actor").exclude(type="lead.activity_logged")
    ]
    entries += [
        {
            "at": a.occurred_at,
            "kind": "activity",
            "title": f"{a.get_kind_display()}"
            + (f" – {a.get_outcome_display()}" if a.outcome else ""),
            "who": a.rep,
            "notes": a.notes,
        }
        for a in lead.activities.select_related("rep")
    ]
    return sorted(entries, key=lambda entry: entry["at"], reverse=True)


@login_required
@permission_required("leads.view_lead", raise_exception=True)
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _visible_lead(request, pk)
    now = timezone.now()
    answers = Answer.objects.filter(Q(product=None) | Q(product_id=lead.product_id))
    context = {
        "lead": lead,
        "now": now,
        "timeline": _timeline(lead),
        # Empty means "now" at submission: a time filled in at render would go stale.
        "activity_form": ActivityForm(),
        "status_form": StatusForm(),
        "follow_up_form": FollowUpForm(
            initial={"at": lead.next_follow_up_at, "note": lead.follow_up_note}
        ),
        "suggestions": suggest_follow_ups(lead=lead, now=now),
        "answers": answers if request.user.has_perm("leads.view_answer") else [],
        "reassign_form": (
            ReassignForm(lead=lead) if request.user.has_perm("leads.reassign_lead") else None
        ),
        "is_overdue": lead.is_overdue(now),
    }
    return render(request, "leads/workspace/lead_detail.html", context)


def _back(request: HttpRequest, lead: Lead) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("leads:detail", args=[lead.pk])
    return redirect(target)


def _form_errors(form: Any) -> str:
    return " ".join(
        f"{form.fields[field].label or field.capitalize() if field in form.fields else ''}: {e}"
        if field != "__all__"
        else e
        for field, errs in form.errors.items()
        for e in errs
    )


def _act(
    request: HttpRequest, pk: int, form_class: type, action: Callable[[Lead, dict], str]
) -> HttpResponse:
    """Validate `form_class` for the lead `pk`, run `action`, report its message, go back."""
    lead = _visible_lead(request, pk)
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back(request, lead)
    try:
        messages.success(request, action(lead, form.cleaned_data))
    except WorkflowError as error:
        messages.error(request, error.message)
    return _back(request, lead)


@require_POST
@login_required
@permission_required("leads.add_activity", raise_exception=True)
def log_activity_view(request: HttpRequest, pk: int) -> HttpResponse:
    def act(lead: Lead, data: dict) -> str:
        activity = log_activity(
            lead=lead,
            rep=request.user,
            kind=data["kind"],
            outcome=data["outcome"] if data["kind"] != "note" else "",
            occurred_at=data["occurred_at"],
            notes=data["notes"],
            now=timezone.now(),
        )
        return f"{activity.get_kind_display()} logged for {lead.name}."

    return _act(request, pk, ActivityForm, act)


@require_POST
@login_required
@permission_required("leads.change_lead", raise_exception=True)
def change_status_view(request: HttpRequest, pk: int) -> HttpResponse:
    def act(lead: Lead, data: dict) -> str:
        lead = change_status(
            lead=lead,
            to=data["status"],
            by=request.user,
            reason=data["reason"],
            note=data["note"],
            now=timezone.now(),
        )
        return f"{lead.name} is now {lead.get_status_display().lower()}."

    return _act(request, pk, StatusForm, act)


@require_POST
@login_required
@permission_required("leads.change_lead", raise_exception=True)
def plan_follow_up_view(request: HttpRequest, pk: int) -> HttpResponse:
    def act(lead: Lead, data: dict) -> str:
        plan_follow_up(
            lead=lead, at=data["at"], note=data["note"], by=request.user, now=timezone.now()
        )
        local = timezone.localtime(data["at"])
        return f"Next follow-up with {lead.name}: {local:%a %d %b, %H:%M}."

    return _act(request, pk, FollowUpForm, act)


@require_POST
@login_required
@permission_required("leads.reassign_lead", raise_exception=True)
def reassign(request: HttpRequest, pk: int) -> HttpResponse:
    """Hand a lead to another rep of its team, with a reason; back to where the form was."""
    with transaction.atomic():
        lead = get_object_or_404(
            Lead.objects.visible_to(request.user).select_for_update(of=("self",)), pk=pk
        )
        form = ReassignForm(request.POST, lead=lead)
        if form.is_valid():
            reassign_lead(
                lead=lead,
                to=form.cleaned_data["owner"],
                by=request.user,
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            )
            owner = form.cleaned_data["owner"]
            messages.success(
                request, f"{lead.name} is now with {owner.get_full_name() or owner.username}."
            )
        else:
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return _back(request, lead)


# --- managers -------------------------------------------------------------------------


def managed_teams(user: Any) -> QuerySet[Team]:
    if user.is_superuser or has_role(user, Role.ADMIN):
        return Team.objects.all()
    return Team.objects.filter(manager=user)


def team_reps(teams: QuerySet[Team]) -> QuerySet[Any]:
    return (
        get_user_model()
        .objects.filter(is_active=True, rep_profile__team__in=teams)
        .select_related("rep_profile__team")
        .order_by("username")
    )


@login_required
@permission_required("leads.view_team_leads", raise_exception=True)
def team_queue(request: HttpRequest) -> HttpResponse:
    """All open leads of my teams with their owners; reassign, out of office, hand over."""
    now = timezone.now()
    timezone.activate(user_time_zone(request.user))
    teams = managed_teams(request.user)
    leads = Lead.objects.visible_to(request.user).filter(team__in=teams)
    reps = team_reps(teams)
    open_counts = dict(
        leads.open()
        .order_by()
        .values_list("owner")
        .annotate(n=Count("pk"))
        .values_list("owner", "n")
    )
    members: dict[int, list[Any]] = {}
    for rep in reps:
        members.setdefault(rep.rep_profile.team_id, []).append(rep)
    for team in teams.select_related("manager"):
        if team.manager is not None:
            members.setdefault(team.pk, []).append(team.manager)
    rows = render_team_rows(
        queue_rows(leads, tab="open", now=now).select_related("owner"),
        members=members,
        now=now,
        csrf=get_token(request),
        next_url=reverse("leads:team-queue"),
    )
    context = {
        "rows": rows,
        "counts": queue_counts(leads, now=now),
        "reps": [(rep, open_counts.get(rep.pk, 0)) for rep in reps],
        "out_of_office_form": OutOfOfficeForm(reps=reps),
        "hand_over_form": HandOverForm(reps=reps),
        "now": now,
    }
    return render(request, "leads/workspace/team_queue.html", context)


@require_POST
@login_required
@permission_required("leads.change_repprofile", raise_exception=True)
def out_of_office(request: HttpRequest) -> HttpResponse:
    form = OutOfOfficeForm(request.POST, reps=team_reps(managed_teams(request.user)))
    if form.is_valid():
        rep = form.cleaned_data["rep"]
        profile = rep.rep_profile
        back_on = form.cleaned_data["back_on"]
        until = datetime.combine(back_on, time.min, tzinfo=profile.team.tzinfo) if back_on else None
        try:
            mark_out_of_office(profile=profile, until=until, by=request.user, now=timezone.now())
        except WorkflowError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                f"{rep} is out of office until {back_on:%a %d %b}; new leads go to others."
                if back_on
                else f"{rep} is back in the office.",
            )
    else:
        messages.error(request, _form_errors(form))
    return redirect("leads:team-queue")


@require_POST
@login_required
@permission_required("leads.reassign_lead", raise_exception=True)
def hand_over(request: HttpRequest) -> HttpResponse:
    form = HandOverForm(request.POST, reps=team_reps(managed_teams(request.user)))
    if form.is_valid():
        rep = form.cleaned_data["rep"]
        moved = hand_over_open_leads(
            rep=rep, by=request.user, reason=form.cleaned_data["reason"], now=timezone.now()
        )
        messages.success(request, f"{moved} open leads of {rep} handed over.")
    else:
        messages.error(request, _form_errors(form))
    return redirect("leads:team-queue")


@login_required
@permission_required("leads.view_answer", raise_exception=True)
def answers(request: HttpRequest) -> HttpResponse:
    """The answer library: everyone who works leads reads it, managers keep it."""
    may_edit = request.user.has_perm("leads.add_answer")
    form = AnswerForm()
    if request.method == "POST":
        if not may_edit:
            return HttpResponse(status=403)
        form = AnswerForm(request.POST)
        if form.is_valid():
            answer = form.save(commit=False)
            answer.updated_by, answer.updated_at = request.user, timezone.now()
            answer.save()
            messages.success(request, "Answer added.")
            return redirect("leads:answers")
    context = {
        "answers": Answer.objects.select_related("product"),
        "form": form if may_edit else None,
    }
    return render(request, "leads/workspace/answers.html", context)


@login_required
@permission_required("leads.change_answer", raise_exception=True)
def edit_answer(request: HttpRequest, pk: int) -> HttpResponse:
    answer = get_object_or_404(Answer, pk=pk)
    form = AnswerForm(request.POST or None, instance=answer)
    if request.method == "POST" and form.is_valid():
        answer = form.save(commit=False)
        answer.updated_by, answer.updated_at = request.user, timezone.now()
        answer.save()
        messages.success(request, "Answer saved.")
        return redirect("leads:answers")
    return render(request, "leads/workspace/answer_edit.html", {"form": form, "answer": answer})


@require_POST
@login_required
@permission_required("leads.delete_answer", raise_exception=True)
def delete_answer(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(Answer, pk=pk).delete()
    messages.success(request, "Answer deleted.")
    return redirect("leads:answers")
