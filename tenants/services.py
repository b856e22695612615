"""Writes for organisations, tenants and their first admins."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify
from django_tenants.utils import schema_context, tenant_context

from accounts.roles import tenant_admins_group_sync
from audit.services import audit_record
from tenants.models import Domain, Organisation, Tenant, schema_name_validator


@dataclass(frozen=True)
class TenantCreated:
    tenant: Tenant
    admin_email: str
    set_password_url: str | None


def tenant_url(tenant: Tenant, path: str = "/") -> str:
    """An absolute URL on the tenant's primary domain."""
    base = settings.TENANT_URL_TEMPLATE.format(domain=tenant.primary_domain)
    return base.rstrip("/") + path


def organisation_get_or_create(*, name: str) -> Organisation:
    organisation, _ = Organisation.objects.get_or_create(
        slug=slugify(name)[:100] or "organisation", defaults={"name": name}
    )
    return organisation


def tenant_create(
    *,
    organisation_name: str,
    schema_name: str,
    domain: str,
    display_name: str,
    admin_email: str,
    admin_password: str | None = None,
) -> TenantCreated:
    """Create a tenant with its schema, primary domain and first admin.

    Without a password the admin gets a one-time set-password link instead.
    """
    schema_name_validator(schema_name)
    validate_email(admin_email)
    domain = domain.strip().lower()
    if Tenant.objects.filter(schema_name=schema_name).exists():
        raise ValidationError(f"A tenant with schema {schema_name!r} already exists.")
    if Domain.objects.filter(domain=domain).exists():
        raise ValidationError(f"The domain {domain!r} already belongs to a tenant.")

    with schema_context("public"):
        organisation = organisation_get_or_create(name=organisation_name)
        # Creating the schema runs every tenant migration; it cannot share a transaction
        # with the rows below, so a failure afterwards removes the half-made tenant.
        tenant = Tenant(
            schema_name=schema_name, organisation=organisation, display_name=display_name
        )
        tenant.save()
        try:
            with transaction.atomic():
                Domain.objects.create(domain=domain, tenant=tenant, is_primary=True)
                url = tenant_admin_create(tenant=tenant, email=admin_email, password=admin_password)
                audit_record(
                    "tenant.created",
                    tenant=tenant,
                    target=schema_name,
                    metadata={"domain": domain, "organisation": organisation.name},
                )
        except Exception:
            tenant.delete(force_drop=True)
            raise
    return TenantCreated(tenant=tenant, admin_email=admin_email.lower(), set_password_url=url)


def tenant_admin_create(*, tenant: Tenant, email: str, password: str | None) -> str | None:
    """Add an admin to the tenant; return a set-password link when no password is given."""
    User = get_user_model()
    with tenant_context(tenant):
        group = tenant_admins_group_sync()
        user = User.objects.create_user(email, password)
        user.groups.add(group)
        if password:
            return None
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        path = reverse(
            "accounts:password_reset_confirm",
            kwargs={"uidb64": uid, "token": token},
            urlconf=settings.ROOT_URLCONF,
        )
    return tenant_url(tenant, path)


def tenant_email_status_set(
    *,
    tenant: Tenant,
    transport: str | None = None,
    health: str | None = None,
    deliverability: str | None = None,
) -> None:
    """Copy the tenant's email state to its public row, where operators list it."""
    fields = {
        name: value
        for name, value in (
            ("email_transport", transport),
            ("email_health", health),
            ("email_deliverability", deliverability),
        )
        if value is not None
    }
    if fields:
        Tenant.objects.filter(pk=tenant.pk).update(**fields)
