import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_tenants.utils import schema_context, tenant_context

from tenants.models import Domain, Tenant
from tenants.services import tenant_admin_create, tenant_create

DEMO_TENANTS = [
    (
        "production-cymmetri",
        "production.localhost",
        "Cymmetri Production",
        "admin@production.localhost",
    ),
    ("staging-cymmetri", "staging.localhost", "Cymmetri Staging", "admin@staging.localhost"),
]
OPERATOR_EMAIL = "operator@localhost"


class Command(BaseCommand):
    help = "Create the demo organisation, tenants, admins and operator. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=os.environ.get("DEMO_PASSWORD"),
            help="Password for every demo login (default: DEMO_PASSWORD from the environment).",
        )

    def handle(self, *args, password, **options):
        if not password:
            raise CommandError(
                "Give --password or set DEMO_PASSWORD (make run writes one to .env)."
            )
        with schema_context("public"):
            self._public_tenant()
            self._user(OPERATOR_EMAIL, password, superuser=True)
        for schema, domain, name, admin_email in DEMO_TENANTS:
            tenant = Tenant.objects.filter(schema_name=schema).first()
            if tenant is None:
                tenant_create(
                    organisation_name="Cymmetri",
                    schema_name=schema,
                    domain=domain,
                    display_name=name,
                    admin_email=admin_email,
                    admin_password=password,
                )
                self.stdout.write(f"Created tenant {schema} on {domain}.")
            else:
                with tenant_context(tenant):
                    if not get_user_model().objects.filter(email=admin_email.lower()).exists():
                        tenant_admin_create(tenant=tenant, email=admin_email, password=password)
                    self._user(admin_email, password)
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))

    def _public_tenant(self) -> None:
        with transaction.atomic():
            public, _ = Tenant.objects.get_or_create(
                schema_name="public", defaults={"display_name": "Cymmetri platform"}
            )
            Domain.objects.get_or_create(
                domain="localhost", defaults={"tenant": public, "is_primary": True}
            )

    def _user(self, email: str, password: str, *, superuser: bool = False) -> None:
        User = get_user_model()
        user = User.objects.filter(email=email.lower()).first()
        if user is None:
            create = User.objects.create_superuser if superuser else User.objects.create_user
            create(email, password)
        elif not user.check_password(password):
            # The printed logins must work: keep the demo passwords in step with .env.
            user.set_password(password)
            user.save(update_fields=["password"])
