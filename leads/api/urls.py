from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from leads.api import escalation

urlpatterns = [
    path("schema", SpectacularAPIView.as_view(permission_classes=[]), name="api-schema"),
    path(
        "docs",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", permission_classes=[]),
        name="api-docs",
    ),
    path("health", escalation.HealthView.as_view(), name="api-health"),
    path("leads/<int:pk>/events", escalation.LeadEventsView.as_view(), name="api-lead-events"),
]
