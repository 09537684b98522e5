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
