from __future__ import annotations

from django.urls import path

from leads import views, views_intake, views_privacy

app_name = "leads"

urlpatterns = [
    path("", views.home, name="home"),
    path("leads/", views.queue, name="queue"),
    path("leads/<int:pk>/", views.lead_detail, name="detail"),
    path("leads/<int:pk>/reassign/", views.reassign, name="reassign"),
    path("sources/", views_intake.sources, name="sources"),
    path("f/<slug:slug>/", views_intake.lead_form, name="form"),
    path("f/<slug:slug>/thanks/", views_intake.lead_form_thanks, name="form-thanks"),
    path("leads/import/", views_intake.import_upload, name="import"),
    path("leads/import/<int:pk>/", views_intake.import_job, name="import-job"),
    path("privacy/", views_privacy.privacy, name="privacy"),
    path("privacy/export/", views_privacy.privacy_export, name="privacy-export"),
    path("privacy/erase/", views_privacy.privacy_erase, name="privacy-erase"),
]
