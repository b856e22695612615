"""The "Tenant admins" group and the permissions that apps grant it.

An app grants a permission to tenant admins by listing it on its AppConfig:
``tenant_admin_permissions = ["change_smtpconfig"]`` (codenames of its own models).
"""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import connection

TENANT_ADMINS_GROUP = "Tenant admins"


def tenant_admin_permissions() -> list[tuple[str, str]]:
    """(app label, codename) pairs that every app grants to tenant admins."""
    pairs = []
    for config in apps.get_app_configs():
        for codename in getattr(config, "tenant_admin_permissions", ()):
            pairs.append((config.label, codename))
    return pairs


def tenant_admins_group_sync(*, using: str = "default") -> Group:
    """Create the group in the current schema and give it exactly the declared permissions."""
    for config in apps.get_app_configs():
        if getattr(config, "tenant_admin_permissions", ()):
            # post_migrate runs app by app; make sure the permissions exist before granting them.
            create_permissions(config, verbosity=0, using=using)
    group, _ = Group.objects.using(using).get_or_create(name=TENANT_ADMINS_GROUP)
    wanted = Permission.objects.none()
    for app_label, codename in tenant_admin_permissions():
        wanted |= Permission.objects.using(using).filter(
            content_type__app_label=app_label, codename=codename
        )
    group.permissions.set(wanted)
    return group


def tenant_admins_group_sync_on_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate: keep the group current in every tenant schema (not in public)."""
    if sender.name != "accounts" or connection.schema_name == "public":
        return
    tenant_admins_group_sync(using=using)
