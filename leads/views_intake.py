"""Intake pages: the hosted lead form, the CSV upload with its progress, the sources page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from leads.assignment import NoOwnerAvailable, NoTeamConfigured
from leads.forms_intake import HostedLeadForm, ImportUploadForm, sign_started
from leads.framing import frameable_by_form_origins
from leads.intake import count_spam, ingest_lead
from leads.models import ImportJob, Source
from leads.source_stats import source_figures
from leads.tasks import enqueue_on_commit, import_csv
from leads.throttling import FixedWindowThrottle


class FormPostThrottle(FixedWindowThrottle):
    """Hosted-form posts per client address (LEADS_FORM_RATE_LIMIT), in Django's cache."""

    def get_rate(self) -> str:
        return settings.LEADS_FORM_RATE_LIMIT

    def get_cache_key(self, request: Any, view: Any) -> str:
        return f"throttle:form:{request.META.get('REMOTE_ADDR', '')}"


def _form_source(slug: str) -> Source:
    return get_object_or_404(Source, slug=slug, kind=Source.Kind.FORM, is_active=True)


# The form is posted by strangers, from inside a frame on the company's site, where the
# browser withholds our SameSite cookies: a CSRF token cannot work there, and there is no
# session to protect. The signed start time plays the token's part against replayed posts.
@csrf_exempt
@frameable_by_form_origins
def lead_form(request: HttpRequest, slug: str) -> HttpResponse:
    source = _form_source(slug)
    now = timezone.now()
    if request.method == "POST":
        form = HostedLeadForm(request.POST)
        allowed = FormPostThrottle().allow_request(request, None)
        spam = form.looks_like_spam(now=now, min_seconds=settings.LEADS_FORM_MIN_FILL_SECONDS)
        if not allowed or spam:
            # Dropped silently: a bot learns nothing, marketing sees the count.
            count_spam(source=source, now=now)
            return redirect("leads:form-thanks", slug=source.slug)
        if form.is_valid():
            try:
                ingest_lead(source=source, data=form.to_lead_input(), now=now, channel="form")
            except (NoTeamConfigured, NoOwnerAvailable):
                form.add_error(None, "We cannot take requests right now; please call us.")
            else:
                return redirect("leads:form-thanks", slug=source.slug)
        status = 400
    else:
        form, status = HostedLeadForm(initial={"started": sign_started(now)}), 200
    if form.is_bound:
        # A fresh start time, so a corrected form is judged by how long it took, not replayed.
        form.data = form.data.copy()
        form.data["started"] = sign_started(now)
    return render(
        request, "leads/intake/form.html", {"form": form, "source": source}, status=status
    )


@frameable_by_form_origins
def lead_form_thanks(request: HttpRequest, slug: str) -> HttpResponse:
    return render(request, "leads/intake/thanks.html", {"source": _form_source(slug)})


@login_required
@permission_required("leads.view_source_stats", raise_exception=True)
def sources(request: HttpRequest) -> HttpResponse:
    """Per source: leads received, spam dropped, and the follow-up those leads got."""
    return render(request, "leads/intake/sources.html", source_figures(now=timezone.now()))


@login_required
@permission_required("leads.import_leads", raise_exception=True)
def import_upload(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            job = ImportJob.objects.create(
                created_by=request.user,
                filename=request.FILES["file"].name[:255],
                content=form.cleaned_data["file"],
                created_at=timezone.now(),
            )
            enqueue_on_commit(import_csv, job.pk)
        return redirect("leads:import-job", pk=job.pk)
    jobs = ImportJob.objects.filter(created_by=request.user).defer("content")[:10]
    return render(request, "leads/intake/import.html", {"form": form, "jobs": jobs})


@login_required
@permission_required("leads.import_leads", raise_exception=True)
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    jobs = ImportJob.objects.defer("content")
    if not request.user.is_superuser:
        jobs = jobs.filter(created_by=request.user)
    job = get_object_or_404(jobs, pk=pk)
    template = (
        "leads/intake/_import_progress.html" if request.htmx else "leads/intake/import_job.html"
    )
    return render(request, template, {"job": job})
