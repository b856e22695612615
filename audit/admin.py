import json

from django.contrib import admin
from django.utils.html import format_html

from audit.models import AuditAction, AuditEvent
from mailer.labels import failure_reason_label
from tenants.models import EmailTransport


class ActionFilter(admin.SimpleListFilter):
    """The known actions, without a DISTINCT over the whole log."""

    title = "action"
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return AuditAction.choices

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: operators filter and read; nobody adds, changes or deletes."""

    list_display = (
        "created_at",
        "action_name",
        "tenant_name",
        "actor_email",
        "target",
        "recipient",
        "outcome",
        "ip",
    )
    list_filter = (
        ActionFilter,
        # All tenants, not only those in the log: DISTINCT over the log would scan it.
        "tenant",
        "tenant__organisation",
        ("created_at", admin.DateFieldListFilter),
    )
    date_hierarchy = "created_at"
    search_fields = ("recipient", "actor_email", "=target")
    search_help_text = "Search by recipient or actor email (any part), or an exact target."
    list_select_related = ("tenant",)
    list_per_page = 100
    # COUNT(*) over the whole log on every page view does not scale.
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    fields = (
        "created_at",
        "action",
        "tenant",
        "actor_id",
        "actor_email",
        "target",
        "recipient",
        "ip",
        "metadata_pretty",
    )
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Tenant", ordering="tenant__schema_name")
    def tenant_name(self, event: AuditEvent) -> str:
        return event.tenant.schema_name if event.tenant else "—"

    @admin.display(description="Action", ordering="action")
    def action_name(self, event: AuditEvent) -> str:
        # The label to read; the action's name, which scripts and searches use, on hover.
        return format_html('<span title="{}">{}</span>', event.action, event.action_label)

    @admin.display(description="Outcome")
    def outcome(self, event: AuditEvent) -> str:
        meta = event.metadata or {}
        parts = []
        if meta.get("outcome"):
            parts.append(str(meta["outcome"]).capitalize())
        if meta.get("reason"):
            parts.append(failure_reason_label(str(meta["reason"])))
        if meta.get("code"):
            parts.append(f"code {meta['code']}")
        if meta.get("transport") in EmailTransport.values:
            parts.append(EmailTransport(meta["transport"]).label)
        return " · ".join(parts) or "—"

    @admin.display(description="Metadata")
    def metadata_pretty(self, event: AuditEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(event.metadata, indent=2, sort_keys=True))
