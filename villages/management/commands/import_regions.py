from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.audit import record
from villages.models import Province
from villages.services import RegionImportError, import_regions, parse_region_file


class Command(BaseCommand):
    help = (
        "Import the national region list (CSV or XLSX, columns kode,nama; header optional). "
        "A complete list adds, renames and retires areas; --partial only adds and renames."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(settings.REGIONS_DEFAULT_FILE))
        parser.add_argument(
            "--partial",
            action="store_true",
            help="the file is part of the list: add and rename, retire nothing",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when regions are already loaded (used by make run)",
        )

    def handle(self, *args, file, partial, if_empty, **options):
        if if_empty and Province.objects.exists():
            self.stdout.write("regions already loaded; skipped")
            return
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"berkas tidak ditemukan: {file}")
        try:
            rows = parse_region_file(path.read_bytes(), path.name)
            result = import_regions(rows, partial=partial)
        except RegionImportError as exc:
            for line in exc.errors:
                self.stderr.write(line)
            raise CommandError(
                f"impor dibatalkan: {len(exc.errors)} kesalahan; basis data tidak berubah"
            ) from exc
        record("regions_imported", target=path.name, summary=result.summary, partial=partial)
        self.stdout.write(result.summary)
