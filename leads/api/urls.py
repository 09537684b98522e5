from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from metrics import api as metrics_api

urlpatterns = [
    path("schema", SpectacularAPIView.as_view(permission_classes=[]), name="api-schema"),
    path(
        "docs",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", permission_classes=[]),
        name="api-docs",
    ),
    path("metrics/weekly", metrics_api.WeeklyMetricsView.as_view(), name="api-metrics-weekly"),
    path("metrics/daily", metrics_api.DailyMetricsView.as_view(), name="api-metrics-daily"),
]
