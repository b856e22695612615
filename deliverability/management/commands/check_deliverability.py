import json

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import get_tenant_model, tenant_context

from deliverability.engine import CheckRow, DeliverabilityReport, Status
from deliverability.models import DeliverabilityState
from deliverability.services import domain_dns_check
from smtp_integration.selectors import platform_from_address
from tenants.models import EmailTransport

# Scripts and monitoring tell a red domain by the exit code alone, with or without --json.
RED_EXIT_CODE = 2


class Command(BaseCommand):
    help = (
        "Check SPF, DKIM and DMARC of a tenant's From domain now, store the result as the "
        "Deliverability tab shows it, and print each row. Exits with 2 when the domain is red."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="The tenant's schema name.")
        parser.add_argument(
            "--fresh", action="store_true", help="Bypass every DNS cache, like Re-check now."
        )
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print the result as JSON."
        )

    def handle(self, *args, tenant: str, fresh: bool, as_json: bool, **options):
        found = get_tenant_model().objects.exclude(schema_name="public")
        try:
            tenant_row = found.get(schema_name=tenant)
        except found.model.DoesNotExist:
            raise CommandError(f"No tenant with schema {tenant!r}.") from None
        with tenant_context(tenant_row):
            state = domain_dns_check(fresh=fresh)
        if state is None:
            self._platform_default(tenant, as_json=as_json)
            return
        report = DeliverabilityReport.from_dict(state.report)
        if as_json:
            self.stdout.write(json.dumps(_report_json(tenant, state, report), indent=2))
        else:
            self._report_text(tenant, state, report)
        if report.overall == Status.FAIL:
            raise CommandError(
                f"{report.domain} is red: publish the records shown, then check again.",
                returncode=RED_EXIT_CODE,
            )

    def _platform_default(self, tenant: str, *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "tenant": tenant,
                        "route": EmailTransport.PLATFORM_DEFAULT.value,
                        "from_address": platform_from_address(),
                    },
                    indent=2,
                )
            )
            return
        self.stdout.write(
            f"{tenant}: email goes through the platform default from "
            f"{platform_from_address()}; there is nothing to check or publish."
        )

    def _report_text(self, tenant: str, state: DeliverabilityState, report) -> None:
        provider = (report.provider or {"name": "own server"})["name"]
        self.stdout.write(f"{tenant}: {report.domain} via {provider} ({state.smtp_host})")
        for row in report.rows:
            self._row(row)
        checked = report.checked_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        self.stdout.write(f"Overall: {report.overall.upper()} (checked {checked})")

    def _row(self, row: CheckRow) -> None:
        self.stdout.write(f"  {row.status.upper():<10} {row.title}: {row.message}")
        for value in row.found:
            self.stdout.write(f"  {'':<10}   found:    {value}")
        if row.expected and row.status != Status.PASS:
            self.stdout.write(f"  {'':<10}   expected: {row.expected}")
        for record in row.publish:
            self.stdout.write(f"  {'':<10}   publish:  {record.name} {record.type} {record.value}")


def _report_json(tenant: str, state: DeliverabilityState, report: DeliverabilityReport) -> dict:
    """The result as scripts read it: a stable subset of the stored report."""
    return {
        "tenant": tenant,
        "route": EmailTransport.CUSTOM.value,
        "overall": str(report.overall),
        "provider": dict(report.provider) if report.provider else None,
        "domain": report.domain,
        "smtp_host": state.smtp_host,
        "checked_at": report.checked_at.isoformat(),
        "records": [
            {
                "check": str(row.check),
                "title": row.title,
                "status": str(row.status),
                "message": row.message,
                "found": list(row.found),
                "expected": row.expected,
                "publish": [
                    {"name": record.name, "type": record.type, "value": record.value}
                    for record in row.publish
                ],
            }
            for row in report.rows
        ],
    }
