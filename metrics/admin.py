from __future__ import annotations

from django.contrib import admin

from metrics.models import Goal


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin):
    list_display = ["team", "metric", "target"]
    list_filter = ["team", "metric"]
