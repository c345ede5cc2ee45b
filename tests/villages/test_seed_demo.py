import io
import re

import pytest
from django.core.management import call_command
from django.db.models import Count
from django_scopes import scopes_disabled

from accounts.models import AuditEvent, Membership, Role, User
from convergence import services
from convergence.models import (
    Comment,
    Deliverable,
    DistrictYear,
    Evidence,
    Grade,
    Indicator,
    Transition,
)
from villages.models import District

pytestmark = pytest.mark.django_db

HEADING = re.compile(r"^(?P<name>\S.*) — /(?P<slug>[a-z0-9-]+)/$")
LOGIN = re.compile(r"^  (?P<email>\S+@\S+) +(?P<role>[^·]+?)(?: · (?P<scope>.+))?$")
ROLE_BY_NAME = {str(role.label): role.value for role in Role}


def seed(password):
    out = io.StringIO()
    call_command("seed_demo", "--password", password, stdout=out)
    return out.getvalue().strip().splitlines()


def logins(lines):
    """[{role, slug, email, scope}] from the printed logins, "-" for no district."""
    accounts, slug = [], None
    for line in lines[:-1]:
        if heading := HEADING.match(line):
            slug = heading["slug"]
        elif line == "Provinsi dan nasional":
            slug = "-"
        else:
            login = LOGIN.match(line)
            assert login and slug, line
            role = ROLE_BY_NAME[login["role"]]  # the name the interface shows, not a code
            accounts.append({**login.groupdict(), "role": role, "slug": slug})
    return accounts


def test_demo_has_every_role_in_two_time_zones_and_every_account_logs_in(client, regions):
    lines = seed("demo-password-123")
    assert lines[-1] == "Kata sandi semua akun: demo-password-123"
    accounts = logins(lines)
    by_district = {}
    for a in accounts:
        by_district.setdefault(a["slug"], set()).add(a["role"])
    district_roles = {"district_admin", "opd_staff", "executive", "camat", "village_head", "kpm"}
    assert by_district["kab-sumedang"] == district_roles
    assert by_district["kab-timor-tengah-selatan"] == district_roles
    assert by_district["-"] == {"province_viewer", "national_viewer", "national_admin"}
    viewers = {a["email"] for a in accounts if a["role"] == "province_viewer"}
    assert viewers == {"provinsi.jabar@demo.konvergensi.id", "provinsi.ntt@demo.konvergensi.id"}
    zones = {
        m.district.time_zone
        for m in Membership.objects.filter(district__isnull=False).select_related("district")
    }
    assert zones == {"Asia/Jakarta", "Asia/Makassar"}
    for a in accounts:
        client.logout()
        response = client.post(
            "/accounts/login/", {"login": a["email"], "password": "demo-password-123"}
        )
        assert response.status_code == 302, a
        landing = client.get(response["Location"], follow=True)
        assert landing.status_code == 200, a
        if a["slug"] != "-":
            # village heads and KPM land on their village
            assert client.get(f"/{a['slug']}/", follow=True).status_code == 200, a


def test_printed_logins_name_roles_as_the_interface_does(regions):
    """Who logs in as what, in the words of the role list on the users page, never a code."""
    text = "\n".join(seed("demo-password-123"))
    assert "Kabupaten Sumedang — /kab-sumedang/" in text
    assert re.search(
        r"district\.admin\.sumedang@demo\.konvergensi\.id +Admin kabupaten/kota "
        r"\(Sekretariat Bappeda\)",
        text,
    )
    assert "Staf perangkat daerah (OPD) · BAPPEDA" in text  # the sender the secretariat verifies
    assert "Staf perangkat daerah (OPD) · DINKES" in text
    assert "Camat · Kecamatan Wado" in text
    assert "Kepala desa/lurah · Desa Cimungkal" in text
    assert "Pemantau provinsi · Jawa Barat" in text
    # "camat" and "kpm" are words of the emails too; the other codes cannot hide there
    codes = [role.value for role in Role if "_" in role.value]
    assert not [code for code in codes if code in text], text


def _counts():
    with scopes_disabled():
        counts = {
            model.__name__: model.objects.count()
            for model in (
                Membership,
                User,
                DistrictYear,
                Deliverable,
                Evidence,
                Transition,
                Comment,
                Grade,
                AuditEvent,
            )
        }
        counts["statuses"] = sorted(
            Deliverable.objects.values_list("district_id", "year_action__district_year__year")
            .annotate(n=Count("pk"))
            .values_list("district_id", "year_action__district_year__year", "status", "n")
        )
    return counts


def test_seed_is_idempotent(regions):
    seed("demo-password-123")
    before = _counts()
    seed("demo-password-123")
    assert _counts() == before
    assert Membership.objects.filter(role=Role.NATIONAL_ADMIN).count() == 1


@scopes_disabled()
def test_demo_districts_have_a_year_in_progress_and_a_scored_closed_year(client, regions):
    seed("demo-password-123")
    for code, short in (("32.11", "sumedang"), ("53.02", "tts")):
        district = District.objects.get(code=code)
        today = district.local_now().date()
        admin = User.objects.get(email=f"district.admin.{short}@demo.konvergensi.id")
        staff = User.objects.get(email=f"opd.staff.{short}@demo.konvergensi.id")

        current = DistrictYear.objects.get(district=district, year=today.year)
        assert current.status == DistrictYear.Status.OPEN
        assert current.framework.code == "model-2025"
        deliverables = Deliverable.objects.filter(year_action__district_year=current)
        assert set(deliverables.values_list("status", flat=True)) == {
            "draft",
            "submitted",
            "returned",
            "verified",
        }
        assert deliverables.overdue(today).filter(status="draft").exists()
        assert deliverables.filter(status="draft", due_date__gte=today).exists()
        returned = Transition.objects.filter(
            deliverable__year_action__district_year=current, to_status="returned"
        )
        assert returned.exists()
        assert all(t.reason for t in returned)
        assert Comment.objects.filter(deliverable__year_action__district_year=current).exists()
        bappeda = User.objects.get(email=f"opd.staff.bappeda.{short}@demo.konvergensi.id")
        for year_action in current.actions.select_related("lead_agency"):
            expected = staff if year_action.lead_agency.short_name == "DINKES" else bappeda
            assert list(year_action.responsible.all()) == [expected]
        # the secretariat verifies what the agencies sent: never the sender himself
        for verified in Transition.objects.filter(
            deliverable__district=district, to_status="verified"
        ):
            sent = (
                Transition.objects.filter(
                    deliverable=verified.deliverable, to_status="submitted", at__lte=verified.at
                )
                .order_by("-at", "-id")
                .first()
            )
            assert verified.actor == admin and sent.actor != admin
        evidence = Evidence.objects.filter(deliverable__district=district).first()
        with evidence.file.open("rb") as f:
            assert f.read(5) == b"%PDF-"
        assert evidence.content_type == "application/pdf"

        previous = DistrictYear.objects.get(district=district, year=today.year - 1)
        assert previous.is_locked
        assert previous.framework.code == "model-2025"
        done = Deliverable.objects.filter(year_action__district_year=previous)
        assert done.exists()
        assert set(done.values_list("status", flat=True)) == {"verified"}
        assert not done.filter(evidence__isnull=True).exists()
        indicators = Indicator.objects.filter(action__framework=previous.framework).count()
        for source in (Grade.Source.SELF, Grade.Source.PROVINCE):
            grades = Grade.objects.filter(district_year=previous, source=source)
            assert grades.count() == indicators
        province_grades = Grade.objects.filter(district_year=previous, source="province")
        assert {g.graded_by.email for g in province_grades} == {
            "provinsi.jabar@demo.konvergensi.id"
            if code == "32.11"
            else "provinsi.ntt@demo.konvergensi.id"
        }
        scores = services.scores(previous)
        assert scores.self_graded == scores.province_graded == scores.indicator_count
        assert scores.self_total != scores.province_total

        client.force_login(admin)
        for url in (
            f"/{district.slug}/",
            f"/{district.slug}/konvergensi/{current.year}/",
            f"/{district.slug}/konvergensi/{previous.year}/",
            f"/{district.slug}/konvergensi/{previous.year}/penilaian/",
            f"/{district.slug}/keluaran/{deliverables.filter(status='verified').first().pk}/",
        ):
            assert client.get(url).status_code == 200, url


def test_grant_role_command(regions):
    out = io.StringIO()
    call_command(
        "grant_role",
        "Kepala@Bappeda.test",
        "district_admin",
        "--district",
        "kab-sumedang",
        stdout=out,
    )
    assert "district_admin Kabupaten Sumedang kepala@bappeda.test" in out.getvalue()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("grant_role", "x@y.test", "camat", "--district", "kab-sumedang")
    with pytest.raises(CommandError):
        call_command("grant_role", "x@y.test", "district_admin", "--district", "kab-tidak-ada")


@scopes_disabled()
def test_demo_villages_have_focus_years_and_reports_in_every_state(regions):
    from villages.models import FocusVillage, VillageReport

    seed("demo-password-123")
    for code in ("32.11", "53.02"):
        district = District.objects.get(code=code)
        year = district.local_now().year
        heads = Membership.objects.filter(district=district, role=Role.VILLAGE_HEAD)
        kpm = Membership.objects.filter(district=district, role=Role.KPM)
        assert heads.count() == 2
        assert {m.village_id for m in kpm} == {m.village_id for m in heads}
        focus = set(
            FocusVillage.objects.filter(district=district).values_list("village_id", "decree__year")
        )
        assert {y for _v, y in focus} == {year - 1, year}
        head_villages = [m.village_id for m in heads.order_by("user__email")]
        focus_years = [{y for v, y in focus if v == village} for village in head_villages]
        assert sorted(map(len, focus_years)) == [0, 2]  # one focus village, one not
        reports = VillageReport.objects.filter(district=district)
        assert set(reports.values_list("status", flat=True)) == {
            "draft",
            "submitted",
            "returned",
            "verified",
        }
        assert reports.filter(version=2).exists()  # a correction
        assert all(r.remark for r in reports.filter(status="returned"))
