from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants.services import tenant_create


class Command(BaseCommand):
    help = "Create a tenant: its schema, primary domain and first admin."

    def add_arguments(self, parser):
        parser.add_argument(
            "--organisation", required=True, help="Organisation name (created if new)."
        )
        parser.add_argument("--schema", required=True, help="Schema name, e.g. production-acme.")
        parser.add_argument(
            "--domain", required=True, help="Primary domain, e.g. production.acme.com."
        )
        parser.add_argument(
            "--display-name", required=True, help="Name shown to users and in emails."
        )
        parser.add_argument("--admin-email", required=True, help="The first admin's email address.")
        parser.add_argument(
            "--admin-password",
            help="The first admin's password; without it a one-time set-password link is printed.",
        )

    def handle(self, *args, **options):
        try:
            created = tenant_create(
                organisation_name=options["organisation"],
                schema_name=options["schema"],
                domain=options["domain"],
                display_name=options["display_name"],
                admin_email=options["admin_email"],
                admin_password=options["admin_password"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"Created tenant {created.tenant.schema_name}."))
        self.stdout.write(f"Admin: {created.admin_email}")
        if created.set_password_url:
            self.stdout.write(f"One-time set-password link: {created.set_password_url}")
