from __future__ import annotations

from django.urls import path

from leads import views, views_intake, views_notifications, views_privacy, views_workspace

app_name = "leads"

urlpatterns = [
    path("", views.home, name="home"),
    path("leads/", views_workspace.queue, name="queue"),
    path("leads/<int:pk>/", views_workspace.lead_detail, name="detail"),
    path("leads/<int:pk>/reassign/", views_workspace.reassign, name="reassign"),
    path("leads/<int:pk>/activities/", views_workspace.log_activity_view, name="log-activity"),
    path("leads/<int:pk>/status/", views_workspace.change_status_view, name="change-status"),
    path("leads/<int:pk>/follow-up/", views_workspace.plan_follow_up_view, name="plan-follow-up"),
    path("team/", views_workspace.team_queue, name="team-queue"),
    path("team/out-of-office/", views_workspace.out_of_office, name="out-of-office"),
    path("team/hand-over/", views_workspace.hand_over, name="hand-over"),
    path("answers/", views_workspace.answers, name="answers"),
    path("answers/<int:pk>/edit/", views_workspace.edit_answer, name="edit-answer"),
    path("answers/<int:pk>/delete/", views_workspace.delete_answer, name="delete-answer"),
    path("sources/", views_intake.sources, name="sources"),
    path("f/<slug:slug>/", views_intake.lead_form, name="form"),
    path("f/<slug:slug>/thanks/", views_intake.lead_form_thanks, name="form-thanks"),
    path("leads/import/", views_intake.import_upload, name="import"),
    path("leads/import/<int:pk>/", views_intake.import_job, name="import-job"),
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
