from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import get_tenant_model, tenant_context

from deliverability.engine import DeliverabilityReport
from deliverability.services import domain_dns_check
from smtp_integration.selectors import platform_from_address


class Command(BaseCommand):
    help = (
        "Check SPF, DKIM and DMARC of a tenant's From domain now, store the result as the "
        "Deliverability tab shows it, and print each row."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="The tenant's schema name.")
        parser.add_argument(
            "--fresh", action="store_true", help="Bypass every DNS cache, like Re-check now."
        )

    def handle(self, *args, tenant: str, fresh: bool, **options):
        found = get_tenant_model().objects.exclude(schema_name="public")
        try:
            tenant_row = found.get(schema_name=tenant)
        except found.model.DoesNotExist:
            raise CommandError(f"No tenant with schema {tenant!r}.") from None
        with tenant_context(tenant_row):
            state = domain_dns_check(fresh=fresh)
        if state is None:
            self.stdout.write(
                f"{tenant}: email goes through the platform default from "
                f"{platform_from_address()}; there is nothing to check or publish."
            )
            return
        report = DeliverabilityReport.from_dict(state.report)
        provider = (report.provider or {"name": "own server"})["name"]
        self.stdout.write(f"{tenant}: {report.domain} via {provider} ({state.smtp_host})")
        for row in report.rows:
            self._row(row)
        checked = report.checked_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        self.stdout.write(f"Overall: {report.overall.upper()} (checked {checked})")

    def _row(self, row) -> None:
        self.stdout.write(f"  {row.status.upper():<10} {row.title}: {row.message}")
        for value in row.found:
            self.stdout.write(f"  {'':<10}   found:    {value}")
        if row.expected and row.status != "pass":
            self.stdout.write(f"  {'':<10}   expected: {row.expected}")
        for record in row.publish:
            self.stdout.write(f"  {'':<10}   publish:  {record.name} {record.type} {record.value}")
