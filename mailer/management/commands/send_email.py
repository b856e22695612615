import json

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_tenants.utils import get_tenant_model

from mailer.exceptions import EmailRequestError
from mailer.kinds import KINDS
from mailer.services import send_email


class Command(BaseCommand):
    help = "Queue one transactional email for a tenant, exactly as platform code does."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="The tenant's schema name.")
        parser.add_argument("--kind", required=True, choices=sorted(KINDS))
        parser.add_argument("--to", required=True, help="The recipient's address.")
        parser.add_argument("--context", default="{}", help='JSON, e.g. \'{"code": "123456"}\'.')
        parser.add_argument(
            "--locale",
            default=None,
            help="The recipient's language (de, fr, es…); default: the tenant's default language.",
        )

    def handle(self, *args, tenant, kind, to, context, locale, **options):
        found = get_tenant_model().objects.filter(schema_name=tenant).first()
        if found is None or tenant == "public":
            raise CommandError(f"No tenant with schema {tenant!r}.")
        try:
            values = json.loads(context)
        except json.JSONDecodeError as exc:
            raise CommandError(f"--context is not valid JSON: {exc}") from None
        try:
            with transaction.atomic():
                email = send_email(kind, to=to, context=values, tenant=found, locale=locale)
        except EmailRequestError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(f"Queued {kind} email {email.pk} to {email.to_address}")
            + f" ({email.message_id}, expires {email.expires_at:%Y-%m-%d %H:%M:%S} UTC)."
        )
