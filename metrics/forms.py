"""What a board or dashboard request may ask for; bad values become form errors, never 500s."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms

SPLITS = [
    ("", "No split"),
    ("team", "Team"),
    ("rep", "Rep"),
    ("source", "Source"),
    ("temperature", "Temperature"),
]
MAX_WEEKS = 104


class BoardForm(forms.Form):
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    team = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class DashboardForm(forms.Form):
    weeks = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_WEEKS, initial=12, label="Weeks"
    )
    end = forms.DateField(
        required=False,
        label="Up to the week of",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    split = forms.ChoiceField(choices=SPLITS, required=False, label="Split by")
    team = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Team")

    def __init__(self, *args: Any, teams: list | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        teams = teams or []
        self.fields["team"].choices = [("", "All my teams"), *((t.pk, t.name) for t in teams)]
        if len(teams) <= 1:
            self.fields["team"].widget = forms.HiddenInput()

    def window(self, *, today: date) -> tuple[date, date]:
        """First and last day of the chosen weeks (whole weeks are taken by the queries)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        weeks = data.get("weeks") or 12
        end = data.get("end") or today
        return end - timedelta(weeks=weeks - 1), end
