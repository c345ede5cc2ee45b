"""Development seal certificates into SEAL_DIR (documents/dev_seal.py):

    python manage.py make_dev_seal --district 32.11      # one district (code or slug)
    python manage.py make_dev_seal --staffed             # every district with a member
    python manage.py make_dev_seal --all                 # every active district

A district that has a certificate keeps it unless --force. Not for production.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from accounts.models import Membership
from documents.dev_seal import ensure_dev_seals
from villages.models import District


class Command(BaseCommand):
    help = (
        "Generate development seal certificates (a development CA, one certificate per "
        "district) into SEAL_DIR. Not for production."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--district", help="a district's code (32.11) or slug")
        which.add_argument(
            "--staffed", action="store_true", help="every district with at least one member"
        )
        which.add_argument("--all", action="store_true", dest="every", help="every active district")
        parser.add_argument(
            "--force", action="store_true", help="replace a district's existing certificate"
        )

    def handle(self, *args, district=None, staffed=False, force=False, **options):
        districts = District.objects.active().order_by("code")
        if district:
            districts = districts.filter(Q(code=district) | Q(slug=district))
            if not districts:
                raise CommandError(f"no active district {district!r}")
        elif staffed:
            members = Membership.objects.filter(district__isnull=False).values("district")
            districts = districts.filter(pk__in=members)
        made = ensure_dev_seals(districts, force=force)
        for path in made:
            self.stdout.write(str(path))
        self.stdout.write(
            f"{len(made)} development seal certificate(s) made in {settings.SEAL_DIR}"
        )
