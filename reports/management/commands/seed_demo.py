import zoneinfo
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from accounts.models import Role, User
from accounts.services import grant_membership
from commitments.demo import seed_commitments
from convergence.demo import seed_convergence
from documents.dev_seal import ensure_dev_seals
from lib.clock import in_the_past, local, replaying
from outcomes.demo import seed_outcomes
from reports.demo import seed_evaluation
from reports.models import ITEMS
from reports.services import update_publication
from reports.snapshots import refresh_snapshot
from village_reports.demo import ensure_emblem, seed_villages
from villages.models import Agency, District, Province, TimeZone
from villages.services import ensure_default_agencies

DEFAULT_PASSWORD = "konvergensi-demo-2026"  # noqa: S105 (printed demo login)

# Two real districts in different time zones. Officials' names are invented for the demo.
DEMO_DISTRICTS = [
    {
        "code": "32.11",
        "short": "sumedang",
        "time_zone": TimeZone.WIB,
        "paper_size": "F4",
        "letterhead_address": "Jalan Prabu Geusan Ulun Nomor 36, Sumedang 45311",
        "head_name": "Dr. H. Ahmad Sudrajat, M.Si.",
        "deputy_name": "Hj. Rina Kartika, S.E.",
        "sekda_name": "Drs. Budi Santoso, M.Si.",
        "sekda_nip": "196805121990031007",
        "kecamatan": "32.11.01",
        "villages": ["32.11.01.2001", "32.11.01.2002"],
        # its public page shows every item; the other district publishes nothing yet
        "publish": True,
    },
    {
        "code": "53.02",
        "short": "tts",
        "time_zone": TimeZone.WITA,
        "paper_size": "A4",
        "letterhead_address": "Jalan Gajah Mada, SoE, Timor Tengah Selatan",
        "head_name": "Yohanes Benu, S.H.",
        "deputy_name": "Maria Nenobais, S.Pd.",
        "sekda_name": "Ir. Daniel Tefa, M.Si.",
        "sekda_nip": "197001011995031002",
        "kecamatan": None,
        "villages": [],
    },
]


PUBLISHING = {spec["code"] for spec in DEMO_DISTRICTS if spec.get("publish")}

# One viewer for the province of each demo district.
PROVINCE_VIEWERS = [
    ("32", "provinsi.jabar@demo.konvergensi.id", "Pemantau Provinsi Jawa Barat"),
    ("53", "provinsi.ntt@demo.konvergensi.id", "Pemantau Provinsi Nusa Tenggara Timur"),
]


def _email(role: str, short: str) -> str:
    return f"{role.replace('_', '.')}.{short}@demo.konvergensi.id"


# Invented people for the demo accounts, so that signature blocks and attendance lists read
# like the real thing (a position over a person's name).
PERSON_NAMES = {
    "sumedang": {
        "camat": "Dedi Supriadi, S.IP.",
        "heads": ["Asep Saepudin", "Yayan Sopyan"],
        "kpm": ["Neneng Nurhayati", "Euis Komariah"],
    },
    "tts": {
        "camat": "Yohanis Tanesib, S.Sos.",
        "heads": ["Marthen Nope", "Yusuf Banunaek"],
        "kpm": ["Maria Tefa", "Agustina Selan"],
    },
}


def _scope_of(membership) -> str:
    """The part of the country a demo login covers, when narrower than its district."""
    if membership.village_id:
        return f"{membership.village.kind_label} {membership.village.name}"
    if membership.kecamatan_id:
        return _("Kecamatan %(name)s") % {"name": membership.kecamatan.name}
    if membership.agency_id:
        return membership.agency.short_name
    if membership.province_id:
        return membership.province.name
    return ""


class Command(BaseCommand):
    help = "Create the demo districts and one user in every role (idempotent); print the logins."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEFAULT_PASSWORD)

    @scopes_disabled()
    def handle(self, *args, password, **options):
        if not Province.objects.exists():
            raise CommandError("Load the regions first: python manage.py import_regions")
        # the accounts exist since early last year: the demo's history starts then
        wib = zoneinfo.ZoneInfo(TimeZone.WIB)
        joined = in_the_past(local(date(timezone.now().year - 1, 1, 2), 8, 0, wib))
        # positions and titles are stored as documents print them: in Indonesian
        with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
            with replaying(joined):
                districts, lines, viewers = self._accounts(password)
            # a development seal certificate each (kept if there), before any final PDF
            ensure_dev_seals(district for district, _users in districts)
            for district, users in districts:
                users[Role.PROVINCE_VIEWER] = viewers[district.province_id]
                # the focus decrees first: the convergence deliverables report them
                seed_villages(district, users, *users.pop("villages"))
                seed_convergence(district, users)
                seed_commitments(district, users, password=password)
                seed_outcomes(district, users)
                seed_evaluation(district, users, password=password)
                update_publication(
                    district,
                    by=users[Role.DISTRICT_ADMIN],
                    **dict.fromkeys(ITEMS, district.code in PUBLISHING),
                )
        # the roll-ups read snapshots: the demo districts' are there from the start
        for district, _users in districts:
            refresh_snapshot(district)
        self._print_logins(lines, password)

    def _accounts(self, password):
        """The demo districts' set-up and every demo account, with their memberships."""
        lines = []
        districts = []
        for spec in DEMO_DISTRICTS:
            district, district_lines, users = self._district(spec, password)
            districts.append((district, users))
            lines += district_lines
        viewers = {}
        for code, email, name in PROVINCE_VIEWERS:
            user = self._user(email, name, password)
            province = Province.objects.get(code=code)
            lines.append(grant_membership(user=user, role=Role.PROVINCE_VIEWER, province=province))
            viewers[province.pk] = user
        for role, email, name in (
            (Role.NATIONAL_VIEWER, "nasional@demo.konvergensi.id", "Pemantau Nasional"),
            (Role.NATIONAL_ADMIN, "admin.nasional@demo.konvergensi.id", "Admin Nasional"),
        ):
            user = self._user(email, name, password)
            lines.append(grant_membership(user=user, role=role))
        return districts, lines, viewers

    def _print_logins(self, memberships, password):
        """The demo logins by district, each with the role's name as the interface shows it
        and the part it covers: `  <email>  <role>[ · <scope>]`."""
        groups: dict = {}
        for m in memberships:
            groups.setdefault(m.district, []).append(m)
        width = max(len(m.user.email) for m in memberships) + 2
        for district, members in groups.items():
            if district is None:
                self.stdout.write(_("Provinsi dan nasional"))
            else:
                self.stdout.write(f"{district.name} — /{district.slug}/")
                if district.code in PUBLISHING:
                    self.stdout.write(
                        "  "
                        + _("Halaman publik (tanpa masuk): %(url)s")
                        % {"url": reverse("public_page", kwargs={"district_slug": district.slug})}
                    )
            for m in members:
                role = m.get_role_display()
                scope = _scope_of(m)
                self.stdout.write(
                    f"  {m.user.email:<{width}}{role}{f' · {scope}' if scope else ''}"
                )
        self.stdout.write(_("Kata sandi semua akun: %(password)s") % {"password": password})

    def _user(self, email, full_name, password):
        user, created = User.objects.get_or_create(email=email, defaults={"full_name": full_name})
        if created:  # hashing is slow on purpose; a second `make run` must start in seconds
            user.set_password(password)
            user.save(update_fields=["password"])
        return user

    def _district(self, spec, password):
        district = District.objects.get(code=spec["code"])
        for field in (
            "time_zone",
            "paper_size",
            "letterhead_address",
            "head_name",
            "deputy_name",
            "sekda_name",
            "sekda_nip",
        ):
            setattr(district, field, spec[field])
        district.letterhead_name = district.default_letterhead_name()
        district.save()
        ensure_default_agencies(district)
        ensure_emblem(district)
        kecamatan = (
            district.kecamatan.get(code=spec["kecamatan"])
            if spec["kecamatan"]
            else district.kecamatan.active().order_by("code").first()
        )
        villages = (
            [district.villages.get(code=c) for c in spec["villages"]]
            if spec["villages"]
            else list(kecamatan.villages.active().order_by("code")[:2])
        )
        dinkes = Agency.objects.get(district=district, short_name="DINKES")
        bappeda = Agency.objects.get(district=district, short_name="BAPPEDA")
        short = spec["short"]
        names = PERSON_NAMES.get(short, PERSON_NAMES["sumedang"])
        people = [
            (Role.DISTRICT_ADMIN, "Sekretariat TPPS Bappeda", "Sekretariat TPPS Bappeda", {}),
            (Role.OPD_STAFF, "Staf Dinas Kesehatan", "Staf Dinas Kesehatan", {"agency": dinkes}),
            (Role.EXECUTIVE, district.sekda_name, "Sekretaris Daerah", {}),
            (Role.CAMAT, names["camat"], f"Camat {kecamatan.name}", {"kecamatan": kecamatan}),
            (
                Role.VILLAGE_HEAD,
                names["heads"][0],
                villages[0].head_title,
                {"village": villages[0]},
            ),
            (Role.KPM, names["kpm"][0], f"KPM {villages[0].name}", {"village": villages[0]}),
        ]
        lines = []
        users = {}
        for role, name, position, scope in people:
            user = self._user(_email(role, short), name, password)
            lines.append(
                grant_membership(
                    user=user, role=role, district=district, position=position, **scope
                )
            )
            users[role] = user
        # Bappeda staff fill in the actions the secretariat verifies: a verifier is another
        # person than the sender (the district's setting, on by default)
        user = self._user(
            f"opd.staff.bappeda.{short}@demo.konvergensi.id", "Staf Bappeda", password
        )
        lines.append(
            grant_membership(
                user=user,
                role=Role.OPD_STAFF,
                district=district,
                position="Staf Bidang Pemerintahan dan Pembangunan Manusia Bappeda",
                agency=bappeda,
            )
        )
        users["bappeda_staff"] = user
        # a second village (not a focus village) with its own head and KPM
        village_users = [{"head": users[Role.VILLAGE_HEAD], "kpm": users[Role.KPM]}, {}]
        for role, key, name, position in (
            (Role.VILLAGE_HEAD, "head", names["heads"][1], villages[1].head_title),
            (Role.KPM, "kpm", names["kpm"][1], f"KPM {villages[1].name}"),
        ):
            user = self._user(_email(role, f"2.{short}"), name, password)
            lines.append(
                grant_membership(
                    user=user, role=role, district=district, position=position, village=villages[1]
                )
            )
            village_users[1][key] = user
        users["villages"] = (villages, village_users)
        return district, lines, users
