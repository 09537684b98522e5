from __future__ import annotations

from django.http import HttpRequest

from leads.roles import Role, has_role


def roles(request: HttpRequest) -> dict[str, bool]:
    """Which parts of the navigation this user may use."""
    user = request.user
    is_admin = has_role(user, Role.ADMIN)
    return {
        "is_rep": has_role(user, Role.REP),
        "is_manager": has_role(user, Role.MANAGER) or is_admin,
        "is_marketing": has_role(user, Role.MARKETING) or is_admin,
        "is_admin": is_admin,
    }


def escalation(request: HttpRequest) -> dict[str, object]:
    """The bell's unread count for everyone; for managers, whether escalations are stale.

    Two indexed lookups per page: the partial index notification_unread and the heartbeat's
    primary key.
    """
    user = request.user
    if not user.is_authenticated:
        return {}
    from django.utils import timezone

    from leads.escalation import sweep_health
    from leads.models import Notification

    context: dict[str, object] = {
        "unread_notifications": Notification.objects.filter(
            recipient=user, channel=Notification.Channel.IN_APP, read_at=None
        ).count()
    }
    if has_role(user, Role.MANAGER) or has_role(user, Role.ADMIN):
        context["escalations_stale"] = sweep_health(timezone.now()).stale
    return context
