"""The in-app bell: a user's notifications, newest first, and marking them read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from leads.models import Notification

SHOWN = 50  # the bell is for what is new; the lead's history has the rest


def _in_app(request: HttpRequest):
    return Notification.objects.filter(recipient=request.user, channel=Notification.Channel.IN_APP)


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    rows = _in_app(request).select_related("lead").order_by("-created_at", "-pk")[:SHOWN]
    return render(request, "notifications/list.html", {"notifications": rows})


@login_required
@require_POST
def mark_notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification (`id`) or all of the user's unread ones read."""
    unread = _in_app(request).filter(read_at=None)
    one = request.POST.get("id", "")
    if one.isdigit():
        unread = unread.filter(pk=int(one))
    unread.update(read_at=timezone.now())
    return redirect("leads:notifications")
