"""Restore a backup made by `manage.py backup` (documents/backup.py) into the database of
DATABASE_URL, MEDIA_ROOT and SEAL_DIR:

    createdb konvergensi_new
    DATABASE_URL=postgres://…/konvergensi_new python manage.py restore var/backups/konvergensi-…

Refuses a database that has any table, or a MEDIA_ROOT that has any file, unless --force.
Checks afterwards that the migrations, the row count of every table and the file count are
the backup's.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from documents.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup directory into an empty database (DATABASE_URL) and media folder, "
        "then check it against the manifest."
    )
    # the database is empty until the restore: nothing to check before it
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("backup", help="a backup directory (konvergensi-<time>)")
        parser.add_argument(
            "--force",
            action="store_true",
            help="restore into a database and media folder that are not empty: the database's "
            "tables are dropped and replaced, the files written over",
        )

    def handle(self, *args, backup, force, **options):
        try:
            report = restore_backup(backup=Path(backup), force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = report.manifest
        self.stdout.write(
            f"restored the backup of {manifest['created_at']} (version "
            f"{manifest['app']['version']}, commit {manifest['app']['commit']})"
        )
        self.stdout.write(
            f"checked: migrations as in the backup, {report.tables} tables with "
            f"{report.rows} rows, {report.media_files} media files, {report.seal_files} "
            "seal files"
        )
        for note in report.notes:
            self.stdout.write(self.style.WARNING(note))
        self.stdout.write("not in the backup (bring them back yourself):")
        for item in manifest["not_included"]:
            self.stdout.write(f"  - {item}")
