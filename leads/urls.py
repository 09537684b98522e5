from __future__ import annotations

from django.urls import path

from leads import views, views_notifications, views_privacy

app_name = "leads"

urlpatterns = [
    path("", views.home, name="home"),
    path("leads/", views.queue, name="queue"),
    path("leads/<int:pk>/", views.lead_detail, name="detail"),
    path("leads/<int:pk>/reassign/", views.reassign, name="reassign"),
    path("sources/", views.sources, name="sources"),
    path("privacy/", views_privacy.privacy, name="privacy"),
    path("privacy/export/", views_privacy.privacy_export, name="privacy-export"),
    path("privacy/erase/", views_privacy.privacy_erase, name="privacy-erase"),
    path("notifications/", views_notifications.notifications, name="notifications"),
    path(
        "notifications/read/",
        views_notifications.mark_notifications_read,
        name="notifications-read",
    ),
]
