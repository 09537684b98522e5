from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from leads.assignment import reassign_lead
from leads.forms import ReassignForm
from leads.models import Lead
from leads.roles import Role, has_role


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to the page it starts its day on."""
    user = request.user
    if has_role(user, Role.MANAGER):
        return redirect("metrics:board")
    if has_role(user, Role.REP):
        return redirect("leads:queue")
    if has_role(user, Role.MARKETING):
        return redirect("leads:sources")
    if has_role(user, Role.ADMIN):
        return redirect("admin:index")
    return render(request, "leads/no_role.html", status=403)


@login_required
@permission_required("leads.view_lead", raise_exception=True)
def queue(request: HttpRequest) -> HttpResponse:
    leads = (
        Lead.objects.visible_to(request.user)
        .open()
        .filter(owner=request.user)
        .select_related("source", "product")
        .order_by("respond_by")
    )
    return render(request, "leads/queue.html", {"leads": leads, "now": timezone.now()})


@login_required
@permission_required("leads.view_lead", raise_exception=True)
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_object_or_404(
        Lead.objects.visible_to(request.user).select_related("owner", "source", "product"), pk=pk
    )
    return render(request, "leads/lead_detail.html", {"lead": lead, "now": timezone.now()})


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
            messages.success(request, f"{lead.name} is now with {form.cleaned_data['owner']}.")
        else:
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("leads:detail", args=[lead.pk])
    return redirect(target)
