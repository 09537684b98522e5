from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from leads.models import Lead


class ReassignForm(forms.Form):
    """Choose another active rep of the lead's team, or its manager, and say why."""

    owner = forms.ModelChoiceField(queryset=get_user_model().objects.none())
    reason = forms.CharField(max_length=500)

    def __init__(self, *args: Any, lead: Lead, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.filter(is_active=True)
        team_members = users.filter(rep_profile__team_id=lead.team_id) | users.filter(
            managed_teams=lead.team_id
        )
        self.fields["owner"].queryset = team_members.exclude(pk=lead.owner_id).distinct()
        self.fields["owner"].error_messages["invalid_choice"] = (
            "Choose another active rep of this lead's team."
        )


class ProspectLookupForm(forms.Form):
    email = forms.EmailField(required=False)
    phone = forms.CharField(max_length=40, required=False)
    confirm = forms.BooleanField(
        required=False, label="I understand that erasing cannot be undone."
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not (data.get("email") or data.get("phone", "").strip()):
            raise forms.ValidationError("Give the prospect's e-mail address or phone number.")
        return data
