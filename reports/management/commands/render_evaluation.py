import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from accounts.tenancy import district_scope
from reports import services
from villages.models import District


class Command(BaseCommand):
    help = (
        "Render a district's annual evaluation of --year now, as its next version (--district "
        "code or slug; --output also writes the PDF to a file), or queue one rendering job per "
        "district that has that year open or closed (--all)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--district", help="a district's code (32.11) or slug")
        parser.add_argument("--all", action="store_true", help="queue every district's report")
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--output", help="write the rendered PDF to this file too")

    def handle(self, *args, district=None, all=False, year, output=None, **options):
        if bool(district) == bool(all):
            raise CommandError("give either --district or --all")
        if all:
            if output:
                raise CommandError("--output needs --district")
            count = services.queue_all(year)
            self.stdout.write(f"{count} evaluation job(s) of {year} queued")
            return
        found = District.objects.active().filter(Q(code=district) | Q(slug=district)).first()
        if found is None:
            raise CommandError(f"no active district {district!r}")
        started = time.monotonic()
        with district_scope(found), timezone.override(found.tz):
            try:
                version = services.render_now(found, year)
            except RuntimeError as exc:
                raise CommandError(f"{found.name} {year}: {exc}") from None
            pdf = version.pdf
            if output:
                with pdf.file.open("rb") as handle:
                    Path(output).write_bytes(handle.read())
        seconds = time.monotonic() - started
        self.stdout.write(
            f"{found.code} {found.name} {year} version {version.number}: {pdf.file.name}\n"
            f"sha256 {pdf.sha256} · {pdf.pages} page(s) · {pdf.size} bytes · {seconds:.1f} s"
            + (f"\nwritten to {output}" if output else "")
        )
