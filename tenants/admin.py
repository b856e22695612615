from django.contrib import admin

from tenants.models import Domain, Organisation, Tenant


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = (
        "schema_name",
        "display_name",
        "organisation",
        "domain",
        "email_transport",
        "email_health",
        "email_deliverability",
        "created_at",
    )
    list_filter = ("organisation", "email_transport", "email_health", "email_deliverability")
    search_fields = ("schema_name", "display_name", "domains__domain")
    list_select_related = ("organisation",)
    inlines = [DomainInline]

    def get_readonly_fields(self, request, obj=None):
        # Renaming a schema is not a field edit: it would orphan the tenant's data.
        return ("schema_name", "created_at") if obj else ("created_at",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("domains")

    @admin.display(description="Primary domain")
    def domain(self, tenant: Tenant) -> str:
        return next((d.domain for d in tenant.domains.all() if d.is_primary), "—")

    def has_add_permission(self, request) -> bool:
        # A tenant needs its schema and first admin together: create_tenant does both.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
