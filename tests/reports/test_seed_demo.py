import hashlib
import io
import re
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone
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
from reports.models import EvaluationVersion
from villages.models import District

pytestmark = pytest.mark.django_db

HEADING = re.compile(r"^(?P<name>\S.*) — /(?P<slug>[a-z0-9-]+)/$")
PUBLIC = re.compile(r"^  Halaman publik \(tanpa masuk\): (?P<url>/publik/[a-z0-9-]+/)$")
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
        elif PUBLIC.match(line):
            continue
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
    from village_reports.models import FocusVillage, VillageReport

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


KEP = re.compile(r"[\d.]+/Kep\.[\w.-]+/\d{4}")  # a decree number as the demo writes one


@scopes_disabled()
def test_demo_history_is_plausible_and_agrees_with_itself(client, regions):
    """Documents are signed on their own date or in the days after, reports are sent after
    their period and decided soon after, nothing happened in the future; each district-year
    has one focus decree (number, date, villages) wherever it is shown; each demo district
    has an emblem on its letterhead and its villages' scorecards print people's names."""
    from commitments.chain import verify_chain
    from commitments.models import CommitmentDocument, Signature
    from rembuk.models import RembukSession
    from village_reports.models import FocusDecree, VillageReport
    from villages.models import VillageProfile

    seed("demo-password-123")
    now = timezone.now()
    for code in ("32.11", "53.02"):
        district = District.objects.get(code=code)
        tz = district.tz
        local = lambda moment: moment.astimezone(tz).date()  # noqa: B023, E731
        this_year = district.local_now().year

        # the district's joint commitment (nine signatures) and the village's (two so far)
        signatures = Signature.objects.filter(district=district).select_related(
            "signatory__version"
        )
        assert signatures.count() == 11
        for signature in signatures:
            day = signature.signatory.version.signed_on
            assert day <= local(signature.signed_at) <= day + timedelta(days=3), signature
            assert signature.signed_at <= now
        for document in CommitmentDocument.objects.filter(district=district):
            assert verify_chain(document) == []
            version = document.current_version
            signed = [s.signed_at for s in signatures if s.signatory.version_id == version.pk]
            assert document.created_at < min(signed)
            if version.pdf_rendered_at:
                assert max(signed) <= version.pdf_rendered_at <= now
        for session in RembukSession.objects.filter(district=district):
            assert session.created_at < session.starts_at <= now

        # village reports: sent after the period ended and at most nine days late (the demo's
        # one late village), decided within three days; a correction after the verification
        reports = VillageReport.objects.filter(district=district).select_related("period")
        decided = {(r.village_id, r.period_id, r.version): r.decided_at for r in reports}
        for report in reports.exclude(status="draft"):
            sent = report.submitted_at
            assert report.created_at <= sent <= now
            if report.version == 1:
                period = report.period
                assert period.ends_on < local(sent) <= period.due_on + timedelta(days=9), report
            else:
                assert sent > decided[(report.village_id, report.period_id, 1)]
            if report.decided_at:
                assert sent < report.decided_at <= min(now, sent + timedelta(days=3))
        for report in reports.filter(period__kind="scorecard"):
            for key in ("sign_head", "sign_secretary"):
                name = report.data[key]
                assert name and not name.startswith(("Kepala", "Lurah", "Sekretaris")), name

        # convergence: sent by the due date, verified after being sent, graded after the year
        deliverables = Deliverable.objects.filter(district=district)
        for d in deliverables.exclude(submitted_at=None):
            assert local(d.submitted_at) <= d.due_date and d.submitted_at <= now, d
            if d.verified_at:
                assert d.submitted_at < d.verified_at <= now
        assert not Transition.objects.filter(deliverable__district=district, at__gt=now).exists()
        assert not Evidence.objects.filter(deliverable__district=district, uploaded_at__gt=now)
        for grade in Grade.objects.filter(district_year__district=district):
            assert local(grade.graded_at).year > grade.district_year.year
            assert grade.graded_at <= now
        assert not AuditEvent.objects.filter(district=district, at__gt=now).exists()

        # one decree per district-year: the same number, date and villages everywhere
        admin = User.objects.get(email__startswith="district.admin", memberships__district=district)
        client.force_login(admin)
        # with the test's four villages per district: the first demo village and the two
        # others that are not the second demo village last year, and one of those this year
        for year, villages in ((this_year - 1, 3), (this_year, 2)):
            decree = FocusDecree.objects.get(district=district, year=year)
            assert decree.entries.count() == villages
            assert decree.signed_on == date(year, 1, 20)
            [reported] = deliverables.filter(
                year_action__district_year__year=year, data__has_key="nomor_sk"
            )
            assert reported.data["nomor_sk"] == decree.number
            assert reported.data["tanggal_sk"] == f"{year}-01-20"
            assert reported.data["jumlah_desa_lokus"] == str(villages)
            focus_page = client.get(f"/{district.slug}/lokus/{year}/").content.decode()
            deliverable_page = client.get(
                f"/{district.slug}/keluaran/{reported.pk}/"
            ).content.decode()
            assert f"{villages} desa lokus" in focus_page
            shown = set(KEP.findall(focus_page)) | set(KEP.findall(deliverable_page))
            assert shown == {decree.number}, shown

        # the emblem (a PNG) and the demo villages' profiles, printed on their documents
        with district.emblem.open("rb") as emblem:
            assert emblem.read(8) == b"\x89PNG\r\n\x1a\n"
        profiles = VillageProfile.objects.filter(district=district).select_related("village")
        assert profiles.count() == 2
        heads = {
            m.village_id: m.user.full_name
            for m in Membership.objects.filter(district=district, role=Role.VILLAGE_HEAD)
        }
        for profile in profiles:
            assert profile.office_address and profile.secretary_name
            assert profile.head_name == heads[profile.village_id]


def test_the_demo_clock_moves_django_time_inside_its_block_only(db):
    from datetime import UTC, datetime

    from lib.clock import in_the_past, replaying

    moment = datetime(2025, 3, 18, 5, 10, tzinfo=UTC)
    with replaying(moment):
        replayed = timezone.now()
        joined = User.objects.create_user(email="jam@contoh.test", password="x" * 12)
    assert timedelta(0) <= replayed - moment < timedelta(seconds=5)
    assert timedelta(0) <= joined.date_joined - moment < timedelta(seconds=5)
    assert timezone.now() - datetime.now(UTC) < timedelta(seconds=1)
    future = datetime.now(UTC) + timedelta(days=3)
    assert in_the_past(future) < datetime.now(UTC)
    assert in_the_past(moment) == moment


def test_demo_publishes_one_district_and_prints_its_public_link(client, regions):
    lines = seed("demo-password-123")
    links = [m["url"] for line in lines if (m := PUBLIC.match(line))]
    assert links == ["/publik/kab-sumedang/"]
    html = client.get(links[0]).content.decode()
    for heading in ("Prevalensi stunting", "Desa lokus", "Aksi konvergensi", "Komitmen yang"):
        assert heading in html
    other = client.get("/publik/kab-timor-tengah-selatan/").content.decode()
    assert "belum menerbitkan data apa pun" in other


@scopes_disabled()
def test_demo_districts_have_an_approved_evaluation_of_the_closed_year(client, regions, tmp_path):
    from tests.commitments.test_pdf import flat, pdf_text
    from tests.conftest import need_poppler

    need_poppler()
    seed("demo-password-123")
    sekdas = (("32.11", "Drs. Budi Santoso, M.Si."), ("53.02", "Ir. Daniel Tefa, M.Si."))
    for code, sekda in sekdas:
        district = District.objects.get(code=code)
        year = district.local_now().year - 1
        [version] = EvaluationVersion.objects.filter(district=district).select_related("pdf")
        assert (version.year, version.number, version.status) == (year, 1, "final")
        assert version.approved_by_name == sekda
        # sealed at approval with the demo's development certificate (documents.dev_seal)
        assert version.pdf.seal_subject == f"Segel pengembangan — {district.name}"
        # approved on 24 February at 09:00 local time, after the texts of the 20th
        approved = version.approved_at.astimezone(district.tz)
        assert (approved.month, approved.day, approved.hour) == (2, 24, 9)
        with version.pdf.file.open("rb") as handle:
            data = handle.read()
        assert hashlib.sha256(data).hexdigest() == version.pdf.sha256
        text = flat(pdf_text(data, tmp_path))
        assert f"Tahun {year}" in text and "Versi 1" in text
        assert "Bappeda memastikan kegiatan rembuk masuk RKPD tahun berikutnya." in text
    # a second run adds no version
    seed("demo-password-123")
    assert EvaluationVersion.objects.count() == 2
