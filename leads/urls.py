from __future__ import annotations

from django.urls import path

from leads import views

app_name = "leads"

urlpatterns = [
    path("", views.home, name="home"),
    path("leads/", views.queue, name="queue"),
    path("sources/", views.sources, name="sources"),
]
