from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", include("leads.api.urls")),
    path("", include("leads.urls")),
    path("", include("metrics.urls")),
]

handler404 = "leads.api.exceptions.not_found"
handler500 = "leads.api.exceptions.server_error"
