"""What waits for each role on the district home: the camat's village reports to verify and
documents to sign, an OPD user's own deliverables (due within 30 days, returned, late), the
admin's verifications. Expected rows and counts are written out from the objects made here;
the home's query count has one bound for a small and a larger district."""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django_scopes import scopes_disabled

from commitments.models import CommitmentDocument, FollowUpStatus
from convergence.models import Deliverable, Status, YearAction
from tests.commitments.factories import add_people
from tests.commitments.test_commitment_summaries import document, follow_up, sign, sign_on_paper
from tests.convergence.objects import year_for
from tests.village_reports.test_village_report_summaries import report, villages_of
from village_reports import reports as village_reports_services
from village_reports.models import ReportKind, ReportPeriod, ReportStatus

pytestmark = pytest.mark.django_db

YEAR = 2026
# the admin: 30 measured (session, district, memberships, the home, its lists); without Redis
# (`make test` on SQLite) the cache and the sessions live in the database: 5 more, as many for
# a small district as for a large one
HOME_QUERIES = 30 if settings.REDIS_URL else 35


def home(client, user, side):
    client.force_login(user)
    return client.get(reverse("district_home", kwargs={"district_slug": side.district.slug}))


def all_periods(side):
    with scopes_disabled():
        village_reports_services.create_periods(district=side.district, year=YEAR, by=None)
        return {
            (p.kind, p.number): p
            for p in ReportPeriod.objects.filter(district=side.district, year=YEAR)
        }


def waiting_reports(side):
    """Wado (the camat's kecamatan): v1 quarter 1 sent 3 days ago, v2 quarter 1 sent yesterday,
    v1 quarter 2 sent today; v2 quarter 2 returned (not his to verify now); Jatinunggal's v3
    quarter 1 sent (not his kecamatan)."""
    periods = all_periods(side)
    v1, v2, v3, _v4 = villages_of(side)
    assert v1.kecamatan_id == v2.kecamatan_id == side.kecamatan.pk != v3.kecamatan_id
    today = side.district.local_now().date()
    q1, q2 = periods[(ReportKind.SCORECARD, 1)], periods[(ReportKind.SCORECARD, 2)]
    report(side, v1, q1, ReportStatus.SUBMITTED, sent_on=today - dt.timedelta(days=3))
    report(side, v2, q1, ReportStatus.SUBMITTED, sent_on=today - dt.timedelta(days=1))
    report(side, v1, q2, ReportStatus.SUBMITTED, sent_on=today)
    report(side, v2, q2, ReportStatus.RETURNED, sent_on=today)
    report(side, v3, q1, ReportStatus.SUBMITTED, sent_on=today)
    return periods, (v1, v2, v3)


def camat_to_sign(side):
    """One document being signed where the camat is listed and has not signed; one where he
    signed already; one still a draft (nothing to sign yet)."""
    waiting = document(side, CommitmentDocument.Status.SIGNING)
    done = document(side, CommitmentDocument.Status.SIGNING)
    draft = document(side, CommitmentDocument.Status.DRAFT)
    with scopes_disabled():
        add_people(waiting, side, users=["camat"])
        add_people(draft, side, users=["camat"])
        add_people(done, side, users=["camat"])
    sign(side, done, 0, 1)  # the first place, the camat's, signed
    return waiting


def test_camat_home_lists_his_villages_reports_and_his_signatures(client, world):
    a = world.a
    periods, (v1, v2, v3) = waiting_reports(a)
    waiting_doc = camat_to_sign(a)
    response = home(client, a.users["camat"], a)
    assert response.status_code == 200
    work = response.context["work"]
    r = work["reports"]
    # 3 of his kecamatan: quarter 1 (v1, v2) and quarter 2 (v1); v3 is Jatinunggal's
    assert r.count == 3
    assert [(p.number, p.count) for p in r.periods] == [(1, 2), (2, 1)]
    # longest waiting first: v1 q1 (3 days), v2 q1 (1 day), v1 q2 (today)
    assert [(x.village_id, x.number) for x in r.reports] == [(v1.pk, 1), (v2.pk, 1), (v1.pk, 2)]
    page = response.content.decode()
    q1 = periods[(ReportKind.SCORECARD, 1)]
    assert f"/laporan-desa/{q1.pk}/?status=submitted" in page
    assert f"/desa/{v1.pk}/laporan/{q1.pk}/" in page
    assert v3.name not in page
    c = work["commitments"]
    assert c.to_sign_count == 1 and [d.document_id for d in c.to_sign] == [waiting_doc.pk]
    assert f"/{waiting_doc.pk}/tanda-tangan/" in page
    assert work["deliverables"].any is False  # the board is not the camat's


def own_deliverables(side):
    """The OPD user's agency (DINKES) leads some actions. Every deliverable is first put far
    ahead (100 days, draft) so that only these count:
    d1 own draft due in 5 days → due soon; d2 own returned due in 40 days → returned;
    d3 own draft due 2 days ago → late; d4 own returned due 1 day ago → late (not returned);
    d5 own draft due in 45 days → nothing yet; x1 another agency's draft due in 3 days, not
    his → nothing; x2 another agency's, naming him responsible, due in 10 days → due soon;
    x3 another agency's submitted → the admin's to verify (with d6 own submitted)."""
    district_year = year_for(side, YEAR)
    today = side.district.local_now().date()
    with scopes_disabled():
        rows = Deliverable.objects.filter(year_action__district_year=district_year)
        rows.update(status=Status.DRAFT, due_date=today + dt.timedelta(days=100))
        # his agency leads action 1 as well (the framework gives it action 7 only)
        YearAction.objects.filter(district_year=district_year, action__number=1).update(
            lead_agency=side.agency
        )
        own = list(
            rows.filter(year_action__lead_agency=side.agency).order_by(
                "year_action__action__number", "template__number"
            )[:6]
        )
        # the first deliverable of three other actions (x2's action names him responsible)
        others = []
        for d in rows.exclude(year_action__lead_agency=side.agency).order_by(
            "year_action__action__number", "template__number"
        ):
            if all(o.year_action_id != d.year_action_id for o in others):
                others.append(d)
        others = others[:3]
        assert len(own) == 6 and len(others) == 3

        def put(d, status, days):
            Deliverable.objects.filter(pk=d.pk).update(
                status=status, due_date=today + dt.timedelta(days=days)
            )

        d1, d2, d3, d4, d5, d6 = own
        x1, x2, x3 = others
        put(d1, Status.DRAFT, 5)
        put(d2, Status.RETURNED, 40)
        put(d3, Status.DRAFT, -2)
        put(d4, Status.RETURNED, -1)
        put(d5, Status.DRAFT, 45)
        put(d6, Status.SUBMITTED, 3)
        put(x1, Status.DRAFT, 3)
        put(x2, Status.DRAFT, 10)
        put(x3, Status.SUBMITTED, 1)
        x2.year_action.responsible.add(side.users["opd_staff"])
    return own, others


def test_opd_home_lists_only_his_deliverables(client, world):
    a = world.a
    (d1, d2, d3, d4, _d5, d6), (x1, x2, x3) = own_deliverables(a)
    response = home(client, a.users["opd_staff"], a)
    assert response.status_code == 200
    d = response.context["work"]["deliverables"]
    ids = lambda rows: [x.id for x in rows.items]  # noqa: E731
    # late: d3 (2 days ago) before d4 (yesterday); returned: d2; due soon: d1 (5), x2 (10)
    assert ids(d.late) == [d3.pk, d4.pk] and d.late.count == 2
    assert ids(d.returned) == [d2.pk] and d.returned.count == 1
    assert ids(d.due_soon) == [d1.pk, x2.pk] and d.due_soon.count == 2
    assert d.to_verify.count == 0  # verifying is the admin's
    page = response.content.decode()
    assert f"/keluaran/{d3.pk}/" in page and f"/keluaran/{x2.pk}/" in page
    assert f"/keluaran/{x1.pk}/" not in page
    assert f"/keluaran/{x3.pk}/" not in page and f"/keluaran/{d6.pk}/" not in page


def test_admin_home_lists_what_waits_for_his_verification(client, world):
    a = world.a
    (_d1, _d2, _d3, _d4, _d5, d6), (_x1, _x2, x3) = own_deliverables(a)
    made = document(a, CommitmentDocument.Status.SIGNED)
    f1 = follow_up(a, made, 1, FollowUpStatus.DONE, due_days=-3)
    f2 = follow_up(a, made, 2, FollowUpStatus.DONE, due_days=4, village=a.village)
    follow_up(a, made, 3, FollowUpStatus.IN_PROGRESS, due_days=4)  # not reported done yet
    follow_up(a, made, 4, FollowUpStatus.VERIFIED, due_days=-4)  # verified already
    response = home(client, a.users["district_admin"], a)
    work = response.context["work"]
    d = work["deliverables"]
    # submitted: x3 due tomorrow, d6 in 3 days
    assert [x.id for x in d.to_verify.items] == [x3.pk, d6.pk] and d.to_verify.count == 2
    assert (d.late.count, d.returned.count, d.due_soon.count) == (0, 0, 0)  # not OPD
    c = work["commitments"]
    assert c.to_verify_count == 2 and [f.id for f in c.to_verify] == [f1.pk, f2.pk]
    page = response.content.decode()
    assert f"/keluaran/{x3.pk}/" in page and f"/tindak-lanjut/{f1.pk}/" in page
    assert "?status=done" in page and "?status=submitted" in page


def test_opd_follow_ups_of_his_agency_due_within_30_days(client, world):
    a = world.a
    made = document(a, CommitmentDocument.Status.SIGNED)
    late = follow_up(a, made, 1, FollowUpStatus.IN_PROGRESS, due_days=-1)
    soon = follow_up(a, made, 2, FollowUpStatus.NOT_STARTED, due_days=20)
    follow_up(a, made, 3, FollowUpStatus.NOT_STARTED, due_days=31)  # beyond 30 days
    follow_up(a, made, 4, FollowUpStatus.DONE, due_days=2)  # reported done
    follow_up(a, made, 5, FollowUpStatus.NOT_STARTED, due_days=2, village=a.village)  # not his
    c = home(client, a.users["opd_staff"], a).context["work"]["commitments"]
    assert c.own_count == 2 and [f.id for f in c.own] == [late.pk, soon.pk]
    assert c.to_verify_count == 0


def _more(side):
    """A larger district: 12 more reports waiting (6 periods × the camat's 2 villages would
    clash with those already there, so the other periods), 20 more deliverables on each list,
    15 more documents to sign and follow-ups to verify."""
    periods = all_periods(side)
    v1, v2, _v3, _v4 = villages_of(side)
    today = side.district.local_now().date()
    for key, period in periods.items():
        if key in ((ReportKind.SCORECARD, 1), (ReportKind.SCORECARD, 2)):
            continue
        for village in (v1, v2):
            report(side, village, period, ReportStatus.SUBMITTED, sent_on=today)
    district_year = year_for(side, YEAR)
    with scopes_disabled():
        rows = list(
            Deliverable.objects.filter(
                year_action__district_year=district_year, due_date=today + dt.timedelta(days=100)
            )
        )
        for n, d in enumerate(rows):
            status = (Status.SUBMITTED, Status.RETURNED, Status.DRAFT)[n % 3]
            Deliverable.objects.filter(pk=d.pk).update(
                status=status, due_date=today + dt.timedelta(days=(n % 20) - 5)
            )
    # and last year, still open, with every deliverable sent for verification
    last_year = year_for(side, YEAR - 1)
    with scopes_disabled():
        Deliverable.objects.filter(year_action__district_year=last_year).update(
            status=Status.SUBMITTED
        )
    for _ in range(15):
        waiting = document(side, CommitmentDocument.Status.SIGNING)
        with scopes_disabled():
            add_people(waiting, side, users=["camat", "district_admin", "opd_staff"])
    made = document(side, CommitmentDocument.Status.SIGNED)
    for n in range(15):
        follow_up(side, made, n + 1, FollowUpStatus.DONE, due_days=n - 5)
        follow_up(side, made, n + 16, FollowUpStatus.IN_PROGRESS, due_days=n)


@pytest.mark.parametrize("role", ["camat", "opd_staff", "district_admin"])
def test_home_queries_do_not_grow_with_the_work(client, world, role, django_assert_max_num_queries):
    a = world.a
    waiting_reports(a)
    camat_to_sign(a)
    own_deliverables(a)
    user = a.users[role]
    home(client, user, a)  # warm the session and caches
    with django_assert_max_num_queries(HOME_QUERIES):
        small = home(client, user, a)
    _more(a)
    with django_assert_max_num_queries(HOME_QUERIES):
        large = home(client, user, a)
    work = large.context["work"]
    # bounded rows: at most 10 of each list shown, the count says the rest
    if role == "camat":
        # 3 + 4 more periods × 2 villages = 11 waiting, 10 shown
        assert work["reports"].count == 11 and len(work["reports"].reports) == 10
        assert work["commitments"].to_sign_count == 16  # 1 + 15
        assert len(work["commitments"].to_sign) == 10
    if role == "district_admin":
        assert work["deliverables"].to_verify.count > 10
        assert len(work["deliverables"].to_verify.items) == 10
        assert work["commitments"].to_verify_count == 15
    if role == "opd_staff":
        d = work["deliverables"]
        assert all(len(rows.items) <= 10 for rows in (d.late, d.returned, d.due_soon))
    assert small.status_code == large.status_code == 200


def test_each_work_summary_runs_a_fixed_number_of_queries(world, django_assert_num_queries):
    from accounts.models import Membership
    from accounts.policy import access_for
    from commitments import summaries as commitments
    from convergence import summaries as convergence
    from village_reports import summaries as village_reports

    a = world.a
    waiting_reports(a)
    camat_to_sign(a)
    own_deliverables(a)

    def access(role):
        with scopes_disabled():
            memberships = list(
                Membership.objects.active()
                .filter(user=a.users[role])
                .select_related("district", "village")
            )
        return access_for(memberships, a.district)

    camat, opd, admin = access("camat"), access("opd_staff"), access("district_admin")
    with scopes_disabled():
        # reports: counts per period + the first rows; nothing to read for a non-camat
        with django_assert_num_queries(2):
            village_reports.work_of(a.district, camat)
        with django_assert_num_queries(0):
            village_reports.work_of(a.district, opd)
        # deliverables: counts + window-numbered rows; the camat has no board
        with django_assert_num_queries(2):
            convergence.work_of(a.district, opd)
        with django_assert_num_queries(2):
            convergence.work_of(a.district, admin)
        with django_assert_num_queries(0):
            convergence.work_of(a.district, camat)
        # commitments: places to sign (count, rows) + follow-ups (counts, rows)
        with django_assert_num_queries(4):
            commitments.work_of(a.district, camat)
        with django_assert_num_queries(4):
            commitments.work_of(a.district, admin)


def test_the_kept_work_shows_each_change_on_the_next_view(client, world):
    """The lists of work are kept under the district's data generation, the day and the
    reader's access: a second view reads none of their rows, and a signature given, a report
    sent or a signatory added in bulk (which sends no signal) shows on the very next view."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from commitments import services as commitment_services

    a = world.a
    periods, (v1, v2, _v3) = waiting_reports(a)
    waiting = camat_to_sign(a)
    camat = a.users["camat"]
    first = home(client, camat, a).context["work"]
    assert first["commitments"].to_sign_count == 1 and first["reports"].count == 3

    with CaptureQueriesContext(connection) as second:
        again = client.get(reverse("district_home", kwargs={"district_slug": a.district.slug}))
    read = " ".join(q["sql"] for q in second)
    assert "commitments_signatory" not in read and "village_reports_villagereport" not in read
    assert again.context["work"]["commitments"].to_sign_count == 1

    # the camat's place on the waiting document signed (a row saved: a signal)
    with scopes_disabled():
        sign_on_paper(a, waiting.current_version.signatories.get(user=camat))
    assert home(client, camat, a).context["work"]["commitments"].to_sign_count == 0

    # a new document listing him, its signatories added in one bulk insert (no signal)
    another = document(a, CommitmentDocument.Status.SIGNING)
    assert home(client, camat, a).context["work"]["commitments"].to_sign_count == 0
    with scopes_disabled():
        commitment_services.add_signatories(
            another,
            rows=[{"position": "Camat Wado", "name": "Camat", "user": camat}],
            by=a.users["district_admin"],
        )
    work = home(client, camat, a).context["work"]["commitments"]
    assert work.to_sign_count == 1 and [d.document_id for d in work.to_sign] == [another.pk]

    # v2's quarter 3 sent
    q3 = periods[(ReportKind.SCORECARD, 3)]
    report(a, v2, q3, ReportStatus.SUBMITTED, sent_on=a.district.local_now().date())
    assert home(client, camat, a).context["work"]["reports"].count == 4
