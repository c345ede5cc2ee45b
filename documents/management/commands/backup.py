"""A backup of the database and the stored files (documents/backup.py):

    python manage.py backup                          # into BACKUP_DIR (default var/backups)
    python manage.py backup --output /srv/backups --keep 14

Prints the new directory's path on the last line. Exits non-zero, leaving no directory
behind, when any step fails.
"""

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from documents.backup import BackupError, make_backup


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump, custom format) and the stored files (MEDIA_ROOT, and "
        "SEAL_DIR when outside it) into a new dated directory with a manifest."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            default=os.environ.get("BACKUP_DIR")
            or str(Path(settings.BASE_DIR) / "var" / "backups"),
            help="the folder that receives the backup directory (env BACKUP_DIR; var/backups)",
        )
        parser.add_argument(
            "--keep",
            type=int,
            default=0,
            help="keep only this many newest backups in the folder (0: keep all)",
        )
        parser.add_argument(
            "--no-seal",
            action="store_true",
            help="leave the seal certificates (SEAL_DIR) out of the backup",
        )

    def handle(self, *args, output, keep, no_seal, **options):
        if keep < 0:
            raise CommandError("--keep must be 0 or more")
        try:
            path = make_backup(directory=Path(output), keep=keep, with_seal=not no_seal)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = (path / "manifest.json").read_text()
        import json

        facts = json.loads(manifest)
        rows = sum(facts["database"]["tables"].values())
        media = facts["media"]
        self.stdout.write(
            f"database {facts['database']['name']}: {len(facts['database']['tables'])} tables, "
            f"{rows} rows"
        )
        self.stdout.write(
            f"media: {media['files']} files, {media['bytes']} bytes"
            if "files" in media
            else f"media: {media['skipped']}"
        )
        seal = facts["seal"]
        self.stdout.write(
            f"seal: {seal['files']} files" if "files" in seal else f"seal: {seal['skipped']}"
        )
        self.stdout.write("not in the backup (keep them apart):")
        for item in facts["not_included"]:
            self.stdout.write(f"  - {item}")
        self.stdout.write(str(path))
