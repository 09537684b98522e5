from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from leads.api import escalation, intake, workspace
from metrics import api as metrics_api

urlpatterns = [
    path("schema", SpectacularAPIView.as_view(permission_classes=[]), name="api-schema"),
    path(
        "docs",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", permission_classes=[]),
        name="api-docs",
    ),
    path("health", escalation.HealthView.as_view(), name="api-health"),
    path("leads/<int:pk>/events", escalation.LeadEventsView.as_view(), name="api-lead-events"),
    path("leads", intake.LeadListCreateView.as_view(), name="api-leads"),
    path("leads/<int:pk>", intake.LeadDetailView.as_view(), name="api-lead-detail"),
    path(
        "leads/<int:pk>/activities",
        workspace.LeadActivitiesView.as_view(),
        name="api-lead-activities",
    ),
    path("leads/<int:pk>/status", workspace.LeadStatusView.as_view(), name="api-lead-status"),
    path("leads/<int:pk>/assign", workspace.LeadAssignView.as_view(), name="api-lead-assign"),
    path("metrics/weekly", metrics_api.WeeklyMetricsView.as_view(), name="api-metrics-weekly"),
    path("metrics/daily", metrics_api.DailyMetricsView.as_view(), name="api-metrics-daily"),
]
