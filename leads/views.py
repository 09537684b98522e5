from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

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
