from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"
    # Granted to the "Tenant admins" group of every tenant (accounts.roles): see the
    # tenant's admins and invite more.
    tenant_admin_permissions = ["view_user", "add_user"]

    def ready(self) -> None:
        # Imported here: receivers use models, which exist only once the apps are loaded.
        from accounts.receivers import admins_notify_smtp_paused
        from accounts.roles import tenant_admins_group_sync_on_migrate
        from smtp_integration.signals import smtp_paused

        post_migrate.connect(
            tenant_admins_group_sync_on_migrate, dispatch_uid="accounts.tenant_admins_group"
        )
        smtp_paused.connect(admins_notify_smtp_paused, dispatch_uid="accounts.notify_smtp_paused")
