from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from reports.snapshots import refresh_snapshot
from villages.models import District


class Command(BaseCommand):
    help = (
        "Recompute the roll-up snapshots: every active district, or one (--district code or "
        "slug), of its current year or --year."
    )

    def add_arguments(self, parser):
        parser.add_argument("--district", help="a district's code (32.11) or slug")
        parser.add_argument("--year", type=int)

    def handle(self, *args, district=None, year=None, **options):
        districts = District.objects.active().order_by("code")
        if district:
            districts = districts.filter(Q(code=district) | Q(slug=district))
            if not districts:
                raise CommandError(f"no active district {district!r}")
        count = 0
        for d in districts:
            snapshot = refresh_snapshot(d, year)
            count += 1
            if district:
                self.stdout.write(f"{d.code} {d.name}: {snapshot.year}")
        self.stdout.write(f"{count} snapshot(s) refreshed")
