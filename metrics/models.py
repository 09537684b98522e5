"""Goals for the four metrics (product.md, "The four metrics"). Metrics themselves are
computed from leads and events by metrics.queries; nothing here is a rollup."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class Goal(models.Model):
    class Metric(models.TextChoices):
        WEEKLY_VOLUME = "weekly_volume", "Weekly lead volume (at least)"
        MEDIAN_RESPONSE_MINUTES = (
            "median_response_minutes",
            "Median response time, minutes (at most)",
        )
        WITHIN_TARGET_RATE = "within_target_rate", "Share contacted within target (at least)"
        QUALIFICATION_RATE = "qualification_rate", "Qualification rate (at least)"
        ORDER_RATE = "order_rate", "Order rate (at least)"

    team = models.ForeignKey("leads.Team", on_delete=models.CASCADE, related_name="goals")
    metric = models.CharField(max_length=32, choices=Metric.choices)
    target = models.DecimalField(
        max_digits=10,
        decimal_places=4,
        help_text="Rates as fractions (0.3 for 30%); response time in minutes.",
    )

    class Meta:
        ordering = ["team", "metric"]
        permissions = [("view_metrics", "Can see the metrics dashboards and board")]
        constraints = [
            models.UniqueConstraint(fields=["team", "metric"], name="goal_one_per_team_metric"),
            models.CheckConstraint(condition=Q(target__gte=0), name="goal_target_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.team}: {self.get_metric_display()} {self.target}"

    @property
    def lower_is_better(self) -> bool:
        return self.metric == self.Metric.MEDIAN_RESPONSE_MINUTES
