"""Forms of intake: the hosted lead form (with its anti-spam fields) and the CSV upload."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.core import signing

from leads.intake import LeadInput, clean_text, normalize_email, normalize_phone
from leads.models import Product

_SIGNER_SALT = "leads.hosted-form.started"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def sign_started(now: datetime) -> str:
    return signing.dumps(now.timestamp(), salt=_SIGNER_SALT)


class HostedLeadForm(forms.Form):
    """What a prospect types, plus two fields a person never fills: `website` (hidden by
    CSS: bots fill every field) and `started` (a signed timestamp: bots post too fast)."""

    name = forms.CharField(label="Your name", max_length=200)
    email = forms.EmailField(label="Email", max_length=254, required=False)
    phone = forms.CharField(label="Phone", max_length=40, required=False)
    company = forms.CharField(label="Company", max_length=200, required=False)
    product = forms.ModelChoiceField(
        label="Product of interest",
        queryset=Product.objects.all(),
        required=False,
        empty_label="Not sure yet",
    )
    message = forms.CharField(
        label="Your question", max_length=10_000, required=False, widget=forms.Textarea
    )
    website = forms.CharField(required=False, label="Leave this field empty")
    started = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["phone"].widget.attrs.update(autocomplete="tel", inputmode="tel")
        self.fields["company"].widget.attrs["autocomplete"] = "organization"
        self.fields["website"].widget.attrs.update(tabindex="-1", autocomplete="off")

    def looks_like_spam(self, *, now: datetime, min_seconds: int) -> bool:
        """True for a filled honeypot, a missing or forged start time, or a too-fast post."""
        if self.data.get("website"):
            return True
        try:
            started = float(signing.loads(self.data.get("started", ""), salt=_SIGNER_SALT))
        except (signing.BadSignature, TypeError, ValueError):
            return True
        return now.timestamp() - started < min_seconds

    def clean_name(self) -> str:
        name = clean_text(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError("Please tell us your name.")
        return name

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])

    def clean_phone(self) -> str:
        raw = self.cleaned_data["phone"]
        phone = normalize_phone(raw)
        if raw.strip() and not phone.strip("+"):
            raise forms.ValidationError("Enter a phone number, e.g. +1 555 010 2030.")
        return phone

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors and not (data.get("email") or data.get("phone")):
            self.add_error("email", "Give an email or a phone number so we can reach you.")
        return data

    def to_lead_input(self) -> LeadInput:
        data = self.cleaned_data
        return LeadInput(
            name=data["name"],
            email=data["email"],
            phone=data["phone"],
            company=clean_text(data["company"]),
            message=clean_text(data["message"], multiline=True),
            product=data["product"],
        )


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8, up to 10 MB, with a header row.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 10 MB; split it.")
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(
                "The file is not UTF-8 text; save it as CSV UTF-8."
            ) from exc
