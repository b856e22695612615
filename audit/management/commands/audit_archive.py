import getpass
from datetime import timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from audit.archive import ArchiveError, audit_archive
from audit.models import AuditEvent


class Command(BaseCommand):
    help = (
        "Move audit events older than N days to a gzip-compressed JSON Lines file and delete "
        "them, in one audited step (the only way audit events are ever deleted)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-days", type=int, required=True, help="Archive events older than this."
        )
        parser.add_argument(
            "--output",
            type=Path,
            help="The file to write (default: audit-before-<date>.jsonl.gz here). Never "
            "overwritten.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Only say how many events would go."
        )

    def handle(self, *args, older_than_days: int, output: Path | None, dry_run: bool, **opts):
        if older_than_days < 1:
            raise CommandError("--older-than-days must be at least 1.")
        cutoff = timezone.now() - timedelta(days=older_than_days)
        if dry_run:
            count = AuditEvent.objects.filter(created_at__lt=cutoff).count()
            self.stdout.write(f"{count} audit events are older than {cutoff:%Y-%m-%d %H:%M} UTC.")
            return
        path = output or Path(f"audit-before-{cutoff:%Y-%m-%d}.jsonl.gz")
        try:
            result = audit_archive(cutoff=cutoff, path=path, operator=getpass.getuser())
        except (ArchiveError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        if not result.events:
            self.stdout.write(f"No audit events older than {cutoff:%Y-%m-%d %H:%M} UTC.")
            return
        self.stdout.write(
            f"Archived and deleted {result.events} audit events older than "
            f"{cutoff:%Y-%m-%d %H:%M} UTC to {result.path} (sha256 {result.sha256})."
        )
