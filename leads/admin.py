from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from leads.models import (
    Activity,
    Answer,
    ApiKey,
    ApiToken,
    EscalationStep,
    HolidayCalendar,
    ImportJob,
    Lead,
    LeadEvent,
    Notification,
    Product,
    RepProfile,
    ResponsePolicy,
    RoutingRule,
    Source,
    SpamCount,
    SweepHeartbeat,
    Team,
    TeamHoliday,
    Webhook,
    WorkingHours,
)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "manager", "time_zone", "is_default"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(RepProfile)
class RepProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "max_open_leads", "is_available", "out_of_office_until"]
    list_filter = ["team", "is_available"]
    filter_horizontal = ["products"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    fields = ["name", "lookup", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["lookup", "created_at", "last_used_at"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # keys are issued by the "Issue a new API key" action, shown once


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "team", "is_active"]
    list_filter = ["kind", "is_active"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ApiKeyInline]
    actions = ["issue_api_key"]
    readonly_fields = ["embed_snippet"]

    @admin.display(description="Embed on your site")
    def embed_snippet(self, source: Source) -> str:
        return embed_snippet_for(source)

    @admin.action(description="Issue a new API key (shown once)")
    def issue_api_key(self, request: HttpRequest, queryset: QuerySet[Source]) -> None:
        for source in queryset:
            _, raw = ApiKey.issue(source=source, name=f"issued by {request.user}")
            messages.warning(
                request, f"New key for {source.name}: {raw} — copy it now, it is not shown again."
            )


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["source", "name", "lookup", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["source", "lookup", "created_at", "last_used_at"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        queryset.filter(revoked_at=None).update(revoked_at=timezone.now())


@admin.register(ApiToken)
class ApiTokenAdmin(ApiKeyAdmin):
    list_display = ["user", "lookup", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "lookup", "created_at", "last_used_at"]


class ActivityInline(admin.TabularInline):
    model = Activity
    extra = 0
    fields = ["occurred_at", "rep", "kind", "outcome", "notes"]
    readonly_fields = fields


class LeadEventInline(admin.TabularInline):
    model = LeadEvent
    extra = 0
    fields = ["at", "type", "actor", "data"]
    readonly_fields = fields
    can_delete = False


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "owner", "team", "source", "received_at", "respond_by"]
    list_filter = ["status", "temperature", "team", "source", "unrouted"]
    search_fields = ["name", "email", "phone", "company", "external_id"]
    date_hierarchy = "received_at"
    list_select_related = ["owner", "team", "source"]
    raw_id_fields = ["owner", "previous_lead"]
    readonly_fields = [*Lead.MILESTONES, "escalation_level", "next_escalation_at"]
    inlines = [ActivityInline, LeadEventInline]


@admin.register(LeadEvent)
class LeadEventAdmin(admin.ModelAdmin):
    list_display = ["at", "type", "lead", "actor"]
    list_filter = ["type"]
    raw_id_fields = ["lead"]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # the audit trail is append-only


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = [
        "created_at", "channel", "recipient", "subject", "state", "attempts", "last_error",
    ]  # fmt: skip
    list_filter = ["state", "channel", "event_type"]
    raw_id_fields = ["lead", "recipient"]
    readonly_fields = ["last_error", "attempts", "sent_at"]
    actions = ["retry_now"]

    @admin.action(description="Retry the selected failed or pending e-mails and webhooks now")
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        queryset.exclude(channel=Notification.Channel.IN_APP).exclude(
            state=Notification.State.SENT
        ).update(state=Notification.State.PENDING, attempts=0, next_attempt_at=timezone.now())


# --- escalation ---
@admin.register(ResponsePolicy)
class ResponsePolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "source", "temperature", "target_minutes", "business_hours"]
    list_filter = ["temperature", "business_hours"]


@admin.register(WorkingHours)
class WorkingHoursAdmin(admin.ModelAdmin):
    list_display = ["team", "weekday", "opens", "closes"]
    list_filter = ["team"]


@admin.register(TeamHoliday)
class TeamHolidayAdmin(admin.ModelAdmin):
    list_display = ["team", "date", "name"]
    list_filter = ["team"]


@admin.register(HolidayCalendar)
class HolidayCalendarAdmin(admin.ModelAdmin):
    list_display = ["team", "country", "subdivision"]


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ["team", "url", "format", "is_active", "created_at"]
    list_filter = ["format", "is_active", "team"]


@admin.register(EscalationStep)
class EscalationStepAdmin(admin.ModelAdmin):
    list_display = ["lead", "period", "kind", "owner", "due_at", "ran_at"]
    list_filter = ["kind"]
    raw_id_fields = ["lead", "owner"]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SweepHeartbeat)
class SweepHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "completed_at"]


# --- workspace ---
@admin.register(Answer)
class AnswerAdmin(admin.ModelAdmin):
    list_display = ["question", "product", "updated_at", "updated_by"]
    list_filter = ["product"]
    search_fields = ["question", "body"]
    readonly_fields = ["updated_by"]

    def save_model(self, request: HttpRequest, obj: Answer, form: object, change: bool) -> None:
        obj.updated_by, obj.updated_at = request.user, timezone.now()
        super().save_model(request, obj, form, change)


# --- intake ---


def embed_snippet_for(source: Source) -> str:
    """A copy-paste iframe of the hosted form (shown on the source's admin page)."""
    from django.conf import settings
    from django.urls import reverse
    from django.utils.html import format_html

    if source.pk is None or source.kind != Source.Kind.FORM:
        return "Only form sources have a hosted form."
    url = settings.SITE_URL + reverse("leads:form", args=[source.slug])
    snippet = (
        f'<iframe src="{url}" title="Contact us" width="100%" height="720" loading="lazy"></iframe>'
    )
    note = "Add your site's origin to LEADS_FORM_FRAME_ANCESTORS, or browsers refuse the frame."
    return format_html(
        '<textarea readonly rows="3" cols="80" class="vLargeTextField">{}</textarea>'
        '<p class="help">{}</p>',
        snippet,
        note,
    )


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "product", "source", "team", "priority"]
    list_filter = ["team"]


@admin.register(SpamCount)
class SpamCountAdmin(admin.ModelAdmin):
    list_display = ["day", "source", "dropped"]
    list_filter = ["source"]
    date_hierarchy = "day"


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["created_at", "filename", "created_by", "state", "imported_rows"]
    exclude = ["content"]
    readonly_fields = ["created_by", "state", "total_rows", "processed_rows", "imported_rows"]
