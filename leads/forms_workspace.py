"""Forms of the rep workspace: they validate input; leads.activities decides what it means.

Date and time inputs are read in the time zone the view activated (the lead's team's), so
"14:05" typed by a rep in Berlin is 14:05 in Berlin.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from leads.models import Activity, Answer, Lead

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=DATETIME_LOCAL, **kwargs)


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(choices=Activity.Kind.choices, initial=Activity.Kind.CALL)
    outcome = forms.ChoiceField(
        choices=[("", "— none (for a note)"), *Activity.Outcome.choices], required=False
    )
    occurred_at = forms.DateTimeField(
        label="When",
        required=False,
        widget=DateTimeLocalInput(),
        help_text="Leave empty for now; or earlier today, for a call made away from the desk.",
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (s, label)
            for s, label in Lead.Status.choices
            if s not in (Lead.Status.NEW, Lead.Status.CONTACTED)
        ]
    )
    reason = forms.ChoiceField(
        choices=[("", "—"), *Lead.CloseReason.choices],
        required=False,
        help_text="Needed to disqualify a lead or mark it lost.",
    )
    note = forms.CharField(max_length=2000, required=False)


class FollowUpForm(forms.Form):
    at = forms.DateTimeField(label="Next follow-up", widget=DateTimeLocalInput())
    note = forms.CharField(max_length=500, required=False)


class OutOfOfficeForm(forms.Form):
    rep = forms.ModelChoiceField(queryset=get_user_model().objects.none())
    back_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Empty: in the office again now.",
    )

    def __init__(self, *args: Any, reps: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rep"].queryset = reps


class HandOverForm(forms.Form):
    rep = forms.ModelChoiceField(queryset=get_user_model().objects.none())
    reason = forms.CharField(max_length=300, initial="Out of office")

    def __init__(self, *args: Any, reps: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rep"].queryset = reps


class AnswerForm(forms.ModelForm):
    class Meta:
        model = Answer
        fields = ["product", "question", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"product": "Empty: shown on every lead."}
