import sqlite3
import time
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection


class Command(BaseCommand):
    help = (
        "Write a consistent copy of the SQLite database, safe while the app is running, and "
        "delete backups older than CRAMPLOG_BACKUP_KEEP_DAYS from the default folder."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            help="File to write. Default: var/backups/cramplog-YYYYmmdd-HHMMSS.sqlite3.",
        )

    def handle(self, *args, output=None, **options):
        if connection.vendor != "sqlite":
            raise CommandError(
                "This database is not SQLite. Back up PostgreSQL with pg_dump, for example "
                '`pg_dump --format=custom --file=cramplog.dump "$DATABASE_URL"`.'
            )
        source_path = Path(connection.settings_dict["NAME"])
        if not source_path.exists():
            raise CommandError(f"There is no database at {source_path} yet: run migrate first.")
        folder = settings.VAR_DIR / "backups"
        if output is None:
            output = folder / f"cramplog-{datetime.now():%Y%m%d-%H%M%S}.sqlite3"
        if output.exists():
            raise CommandError(f"{output} already exists; choose another --output.")
        output.parent.mkdir(parents=True, exist_ok=True)

        # The online backup API copies a snapshot page by page while other connections keep
        # writing; a plain file copy could catch the database or its WAL half-written.
        source = sqlite3.connect(source_path)
        destination = sqlite3.connect(output)
        try:
            with destination:
                source.backup(destination)
        finally:
            destination.close()
            source.close()
        output.chmod(0o600)
        self.stdout.write(f"Backed up {source_path} to {output}")

        if output.parent == folder:
            self.prune(folder)

    def prune(self, folder):
        """Keep backups for a bounded time, so deleted accounts leave the backups too."""
        days = settings.CRAMPLOG_BACKUP_KEEP_DAYS
        cutoff = time.time() - days * 24 * 60 * 60
        for old in folder.glob("cramplog-*.sqlite3"):
            if old.stat().st_mtime < cutoff:
                old.unlink()
                self.stdout.write(f"Deleted {old}, older than {days} days")
