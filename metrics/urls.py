from __future__ import annotations

from django.urls import path

from metrics import views

app_name = "metrics"

urlpatterns = [
    path("board/", views.board, name="board"),
    path("metrics/", views.dashboard, name="dashboard"),
    path("metrics/me/", views.my_metrics, name="me"),
    path("metrics/monthly/", views.monthly, name="monthly"),
    path("metrics/export/<slug:table>.csv", views.export, name="export"),
]
