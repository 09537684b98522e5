from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from leads.models import Lead


@login_required
@permission_required("metrics.view_metrics", raise_exception=True)
def board(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    overdue = (
        Lead.objects.visible_to(request.user)
        .overdue(now)
        .select_related("owner")
        .order_by("respond_by")
    )
    return render(request, "metrics/board.html", {"overdue": overdue, "now": now})


@login_required
@permission_required("metrics.view_metrics", raise_exception=True)
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "metrics/dashboard.html")
