from django.core.management.base import BaseCommand
from django.db import transaction
from django_tenants.utils import get_tenant_model, tenant_context

from cymmetri.crypto import Keyring
from smtp_integration.models import SmtpConfig
from smtp_integration.secrets import SEALED_COLUMNS, secret_context


class Command(BaseCommand):
    help = (
        "Re-encrypt every tenant's SMTP secrets (password, OAuth client secret or private key, "
        "a username that is an API token) "
        "under the first FIELD_ENCRYPTION_KEYS key. "
        "Afterwards the older keys can be removed."
    )

    def handle(self, *args, **options):
        keyring = Keyring.from_settings()
        rotated = current = 0
        for tenant in get_tenant_model().objects.exclude(schema_name="public"):
            with tenant_context(tenant), transaction.atomic():
                for config in SmtpConfig.objects.select_for_update():
                    for name, column in SEALED_COLUMNS.items():
                        sealed = getattr(config, column)
                        if not sealed:
                            continue
                        if not keyring.needs_rotation(sealed):
                            current += 1
                            continue
                        context = secret_context(config, name)
                        plaintext = keyring.decrypt(sealed, context=context)
                        setattr(config, column, keyring.encrypt(plaintext, context=context))
                        config.save(update_fields=[column])
                        rotated += 1
        self.stdout.write(
            self.style.SUCCESS(
                f"Re-encrypted {rotated} secret{'s' if rotated != 1 else ''} under key "
                f"{keyring.current_id}; {current} already used it."
            )
        )
