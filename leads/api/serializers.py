"""How a lead reads in the API (shared by every endpoint that returns leads), and how a
new lead is posted."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from leads.api.params import QueryParamsSerializer
from leads.intake import LeadInput, clean_text, find_product, normalize_email, normalize_phone
from leads.models import Lead

MESSAGE_MAX_LENGTH = 10_000


class ShallowFieldCopies:
    """For the serializers of intake's hot path: copy the declared fields shallowly.

    DRF deep-copies a serializer's declared fields for every instance, which re-runs each
    field's __init__ and was most of the cost of validating a posted lead. A field keeps
    nothing between uses except what `bind` sets on the instance's own copy (its name,
    parent and source), so a shallow copy isolates instances just as well. It is made by
    copying the field's attributes: `copy.copy`'s generic protocol cost four times as much.
    """

    _declared_fields: dict[str, serializers.Field]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = {}
        for name, declared in self._declared_fields.items():
            field = object.__new__(type(declared))
            field.__dict__.update(declared.__dict__)
            fields[name] = field
        return fields


def user_ref(user: Any) -> dict[str, Any]:
    return {
        "id": user.pk,
        "username": user.get_username(),
        "name": user.get_full_name() or user.get_username(),
    }


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()

    def to_representation(self, user: Any) -> dict[str, Any]:
        return user_ref(user)


class LeadSerializer(serializers.ModelSerializer):
    """A lead as every reader sees it: contact, question, owner, deadline and milestones.

    `overdue` is computed against `context["now"]` (the request's clock) when given.
    """

    source = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    product = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    owner = UserRefSerializer(read_only=True)
    overdue = serializers.SerializerMethodField()
    # Declared so the schema admits "" (open leads have no reason): read-only model fields
    # lose allow_blank.
    close_reason = serializers.ChoiceField(
        choices=Lead.CloseReason.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Lead
        fields = [
            "id",
            "name",
            "email",
            "phone",
            "company",
            "message",
            "product",
            "temperature",
            "source",
            "external_id",
            "status",
            "close_reason",
            "owner",
            "unrouted",
            "previous_lead",
            "respond_by",
            "overdue",
            "escalation_level",
            *Lead.MILESTONES,
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_overdue(self, lead: Lead) -> bool:
        return lead.is_overdue(self.context.get("now") or timezone.now())


class LeadCreatedSerializer(serializers.Serializer):
    """The answer to a posted lead: who has it and by when they must respond.

    The fields describe it (the schema); `to_representation` writes it out, since binding
    six fields to answer every posted lead cost more than the rest of the answer.
    """

    id = serializers.IntegerField()
    status = serializers.CharField()
    received_at = serializers.DateTimeField()
    respond_by = serializers.DateTimeField()
    assigned_to = UserRefSerializer(source="owner")
    source = serializers.CharField(source="source.slug")

    def to_representation(self, lead: Lead) -> dict[str, Any]:
        return created_answer(lead)


def created_answer(lead: Lead) -> dict[str, Any]:
    """`LeadCreatedSerializer(lead).data` without the serializer: intake answers with this,
    as an instance and its ReturnDict cost more than the answer itself."""
    moment = _MOMENT.to_representation
    return {
        "id": lead.pk,
        "status": lead.status,
        "received_at": moment(lead.received_at),
        "respond_by": moment(lead.respond_by),
        "assigned_to": user_ref(lead.owner),
        "source": lead.source.slug,
    }


_MOMENT = serializers.DateTimeField()  # formats as the declared DateTimeFields would


class LeadInputSerializer(ShallowFieldCopies, serializers.Serializer):
    """A lead posted by a source. Unknown fields are rejected, not ignored."""

    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    company = serializers.CharField(max_length=200, required=False, allow_blank=True)
    message = serializers.CharField(
        max_length=MESSAGE_MAX_LENGTH, required=False, allow_blank=True, trim_whitespace=False
    )
    product = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="A product's slug or name, as configured by the admin.",
    )
    temperature = serializers.ChoiceField(
        choices=Lead.Temperature.choices, required=False, default=Lead.Temperature.WARM
    )
    external_id = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="Your own id of the lead; unique per source.",
    )

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(str(k) for k in data if k not in self.fields)
            if unknown:
                raise serializers.ValidationError({k: ["Unknown field."] for k in unknown})
            # DRF's CharField turns 42 into "42"; a client sending a number where the schema
            # says string has a bug we should tell it about.
            wrong_type = sorted(
                name
                for name, value in data.items()
                if isinstance(self.fields[name], serializers.CharField)
                and value is not None
                and not isinstance(value, str)
            )
            if wrong_type:
                raise serializers.ValidationError({k: ["Not a valid string."] for k in wrong_type})
        return super().to_internal_value(data)

    def validate_name(self, value: str) -> str:
        value = clean_text(value)
        if not value:
            raise serializers.ValidationError("This field may not be blank.")
        return value

    def validate_email(self, value: str) -> str:
        return normalize_email(value)

    def validate_phone(self, value: str) -> str:
        phone = normalize_phone(value)
        if value.strip() and not phone.strip("+"):
            raise serializers.ValidationError("Enter a phone number.")
        return phone

    def validate_company(self, value: str) -> str:
        return clean_text(value)

    def validate_message(self, value: str) -> str:
        return clean_text(value, multiline=True)

    def validate_external_id(self, value: str) -> str:
        return clean_text(value)

    def validate_product(self, value: str) -> Any:
        if not value.strip():
            return None
        product = find_product(value)
        if product is None:
            raise serializers.ValidationError("Unknown product.")
        return product

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not (attrs.get("email") or attrs.get("phone")):
            message = "Give an email or a phone number."
            raise serializers.ValidationError({"email": [message], "phone": [message]})
        return attrs

    def to_lead_input(self) -> LeadInput:
        data = self.validated_data
        return LeadInput(
            name=data["name"],
            email=data.get("email", ""),
            phone=data.get("phone", ""),
            company=data.get("company", ""),
            message=data.get("message", ""),
            product=data.get("product"),
            temperature=data.get("temperature", Lead.Temperature.WARM),
            external_id=data.get("external_id", ""),
        )


class LeadFilterSerializer(QueryParamsSerializer):
    other_params = ("page", "page_size")  # read by LeadPagination

    status = serializers.ChoiceField(choices=Lead.Status.choices, required=False)
    owner = serializers.CharField(max_length=150, required=False, help_text="A username.")
    received_after = serializers.DateTimeField(required=False)
    received_before = serializers.DateTimeField(required=False)
