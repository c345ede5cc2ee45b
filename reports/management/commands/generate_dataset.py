"""`manage.py generate_dataset --scale district|national`: a synthetic dataset on the real
regions (reports.generate does the work, one district at a time in its own scope).

    --scale district [--district <code or slug>]   one district (default: the one with the
                                                   most villages)
    --scale national [--limit N]                   every active district (the first N by code)
    --years 5 --seed 0                             five yearly cycles ending this year; the
                                                   same seed gives the same figures
    --fresh                                        replace what an earlier run generated

A district that already holds convergence years or village reports is skipped (so a second
run adds nothing); --fresh removes an earlier generation first (never a district whose
accounts were not generated). The regions are imported first when the database has none.
"""

import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q
from django.utils import translation

from reports.generate import generate_district, password_hash
from villages.models import District, Province

DEFAULT_PASSWORD = "konvergensi-demo-2026"  # noqa: S105 (printed; a synthetic dataset)


class Command(BaseCommand):
    help = "Generate a synthetic but plausible dataset on the real regions (one or all districts)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=("district", "national"), default="district")
        parser.add_argument("--district", help="code (32.11) or slug of the district")
        parser.add_argument("--years", type=int, default=5)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--fresh", action="store_true", help="replace an earlier generation")
        parser.add_argument("--limit", type=int, help="national: only the first N districts")
        parser.add_argument("--password", default=DEFAULT_PASSWORD)

    def handle(self, *args, scale, district, years, seed, fresh, limit, password, **options):
        if years < 1:
            raise CommandError("--years must be at least 1")
        if not Province.objects.exists():
            self.stdout.write("no regions yet: importing the national list first")
            call_command("import_regions", stdout=self.stdout)
        # Districts, kecamatan and villages are national reference data (no tenant scope):
        # choosing the districts needs no scopes_disabled. Everything written happens inside
        # reports.generate.generate_district, in that district's own scope.
        districts = self._districts(scale, district, limit)
        hashed = password_hash(password)
        started = time.monotonic()
        totals = {}
        done = skipped = 0
        with translation.override(settings.LANGUAGE_CODE):
            for d in districts:
                result = generate_district(d, years=years, seed=seed, fresh=fresh, hashed=hashed)
                if result.skipped:
                    skipped += 1
                    self.stdout.write(f"{d.code} {d.name}: skipped (already holds data)")
                    continue
                done += 1
                rows = sum(result.counts.values())
                for k, v in result.counts.items():
                    totals[k] = totals.get(k, 0) + v
                self.stdout.write(
                    f"{d.code} {d.name}: {result.seconds:.1f} s, {rows} rows ("
                    + ", ".join(f"{k} {v}" for k, v in sorted(result.counts.items()))
                    + ")"
                )
        seconds = time.monotonic() - started
        self.stdout.write(
            f"generated {done} districts, skipped {skipped}, {sum(totals.values())} rows "
            f"in {seconds:.1f} s" + (f" ({seconds / done:.1f} s per district)" if done else "")
        )
        if totals:
            self.stdout.write(", ".join(f"{k} {v}" for k, v in sorted(totals.items())))
        if done:
            self.stdout.write(f"password of every generated account: {password}")

    def _districts(self, scale, name, limit):
        active = District.objects.active().order_by("code")
        if scale == "national":
            return list(active[:limit] if limit else active)
        if name:
            found = active.filter(Q(code=name) | Q(slug=name)).first()
            if found is None:
                raise CommandError(f"no active district {name!r}")
            return [found]
        largest = (
            active.annotate(n=Count("villages", filter=Q(villages__retired_at__isnull=True)))
            .order_by("-n", "code")
            .first()
        )
        if largest is None:
            raise CommandError("no active district")
        return [largest]
