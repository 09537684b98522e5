"""The personal-data page: find a prospect, export what is held, or erase it."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from leads.forms import ProspectLookupForm
from leads.privacy import erase_prospect, export_prospect, find_prospect_leads


def _lookup(request: HttpRequest, data: dict) -> tuple[ProspectLookupForm, object]:
    form = ProspectLookupForm(data)
    leads = None
    if form.is_valid():
        leads = find_prospect_leads(
            user=request.user, email=form.cleaned_data["email"], phone=form.cleaned_data["phone"]
        )
    return form, leads


@login_required
@permission_required("leads.manage_personal_data", raise_exception=True)
def privacy(request: HttpRequest) -> HttpResponse:
    form, leads = _lookup(request, request.GET) if request.GET else (ProspectLookupForm(), None)
    return render(request, "leads/privacy.html", {"form": form, "leads": leads})


@require_POST
@login_required
@permission_required("leads.manage_personal_data", raise_exception=True)
def privacy_export(request: HttpRequest) -> HttpResponse:
    form, leads = _lookup(request, request.POST)
    if leads is None or not leads.exists():
        messages.error(request, "No lead of yours matches that prospect.")
        return redirect("leads:privacy")
    data = export_prospect(leads=leads, by=request.user, now=timezone.now())
    response = HttpResponse(json.dumps(data, indent=2), content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="prospect-export.json"'
    return response


@require_POST
@login_required
@permission_required("leads.manage_personal_data", raise_exception=True)
def privacy_erase(request: HttpRequest) -> HttpResponse:
    form, leads = _lookup(request, request.POST)
    if leads is None or not form.cleaned_data.get("confirm"):
        messages.error(request, "Tick the confirmation to erase.")
        return redirect("leads:privacy")
    count = erase_prospect(leads=leads, by=request.user, now=timezone.now())
    messages.success(request, f"Erased the personal data of {count} lead(s). Their metrics remain.")
    return redirect("leads:privacy")
