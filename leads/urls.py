from __future__ import annotations

from django.urls import path

from leads import views

app_name = "leads"

urlpatterns = [
    path("", views.home, name="home"),
    path("leads/", views.queue, name="queue"),
    path("leads/<int:pk>/", views.lead_detail, name="detail"),
    path("leads/<int:pk>/reassign/", views.reassign, name="reassign"),
    path("sources/", views.sources, name="sources"),
]
