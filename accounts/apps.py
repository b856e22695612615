from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from accounts.roles import tenant_admins_group_sync_on_migrate

        post_migrate.connect(
            tenant_admins_group_sync_on_migrate, dispatch_uid="accounts.tenant_admins_group"
        )
