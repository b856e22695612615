import json

from django.core.management.base import BaseCommand, CommandError

from operations.probes import probes_run
from operations.status import Check, Status, beat_check, status_read, worker_check

# A probe or a script tells trouble by the exit code alone.
TROUBLE_EXIT_CODE = 1


class Command(BaseCommand):
    help = (
        "Whether email flows: PostgreSQL, Redis and the broker; live workers and their queues; "
        "beat's last tick; the sweeper's and the daily deliverability check's last runs; the "
        "outbox's queue and the age of its oldest due email; paused tenants. Exits with 1 "
        "when something is wrong."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print the result as JSON."
        )
        only = parser.add_mutually_exclusive_group()
        only.add_argument(
            "--worker",
            metavar="HOSTNAME",
            help="Only whether this worker's heartbeat is alive (a container health check).",
        )
        only.add_argument("--beat", action="store_true", help="Only whether beat ticked lately.")

    def handle(self, *args, as_json: bool, worker: str | None, beat: bool, **options):
        if worker or beat:
            self._report(Status([worker_check(worker) if worker else beat_check()]), as_json)
            return
        probes = probes_run()
        checks = [
            Check(p.name, p.ok, f"{p.ms:.0f} ms" if p.ok else p.error, {"ms": round(p.ms, 1)})
            for p in probes
        ]
        if all(probe.ok for probe in probes):
            checks += status_read().checks
        self._report(Status(checks), as_json)

    def _report(self, status: Status, as_json: bool) -> None:
        checks = status.checks
        if as_json:
            self.stdout.write(json.dumps(status.as_dict(), indent=2, default=str))
        else:
            width = max(len(check.name) for check in checks)
            for check in checks:
                mark = "ok  " if check.ok else "FAIL"
                self.stdout.write(f"{mark} {check.name.ljust(width)}  {check.summary}")
        if not status.ok:
            raise CommandError(
                f"Not healthy: {', '.join(status.failed)}.", returncode=TROUBLE_EXIT_CODE
            )
