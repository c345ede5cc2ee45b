"""The top floor: what each district's people see first. The district home is the seed of the
district dashboard; it reads the feature apps only through what they offer to be read."""

from django.http import HttpResponse
from django.shortcuts import redirect, render

from accounts.models import Membership, Role
from accounts.policy import district_view, memberships_of
from commitments import summaries as commitments
from convergence import summaries as convergence
from lib.spreadsheet import XLSX
from village_reports import summaries as village_reports
from villages.models import Kecamatan, Village

from . import dashboard, exports

HOME_ROWS = 10  # rows of each list of work on a home page; the count says how many in all


@district_view("district.view")
def district_home(request):
    district = request.district
    access = request.access
    if access.village_ids and not access.district_wide and not access.kecamatan_ids:
        # a village head or KPM lands on his village
        return redirect("village_home", district_slug=district.slug)
    own = [m for m in memberships_of(request) if m.district_id == district.id]
    counts = {
        "kecamatan": Kecamatan.objects.active().filter(district=district).count(),
        "villages": Village.objects.active().filter(district=district).count(),
        "members": Membership.objects.active().filter(district=district).count(),
    }
    # the executive's home is the district dashboard; the secretariat and the camat reach it
    # from theirs (their homes stay light: the admin's is bounded in queries)
    board = None
    if access.has_role(Role.EXECUTIVE):
        year = _year(request.GET.get("tahun"))
        board = dashboard.build(request, year)
    progress = None
    if access.can("convergence.view"):
        if board is not None and year is None:  # the dashboard read the same year's progress
            progress = board["progress"]
        else:
            progress = convergence.year_progress([district])[district.pk]
    # the district's latest commitment document (signed ones first), and its late follow-ups
    commitment = commitments.documents([district])[district.pk].latest
    follow_late = (
        commitments.follow_ups([district])[district.pk].all.late if access.district_wide else 0
    )
    # what waits for this user: the camat's reports to verify, an OPD's deliverables, the
    # admin's verifications, anyone's signatures (each a fixed number of queries, bounded rows)
    work = {
        "reports": village_reports.work_of(district, access, limit=HOME_ROWS),
        "deliverables": convergence.work_of(district, access, limit=HOME_ROWS),
        "commitments": commitments.work_of(district, access, limit=HOME_ROWS),
    }
    return render(
        request,
        "reports/district_home.html",
        {
            "work": work,
            "dashboard": board,
            "dashboard_link": access.can("dashboard.view") and board is None,
            "commitment": commitment,
            "follow_late": follow_late,
            "progress": progress,
            "counts": counts,
            "own_memberships": own,
            "access": access,
            "local_now": district.local_now(),
        },
    )


@district_view("dashboard.view")
def district_dashboard(request):
    """The district dashboard (a camat's: his kecamatan's rows) with its numbers' sources."""
    return render(
        request,
        "reports/dashboard.html",
        {"dashboard": dashboard.build(request, _year(request.GET.get("tahun")))},
    )


@district_view("dashboard.view")
def dashboard_export(request):
    """Every table of the dashboard (as the user sees it) in one XLSX workbook."""
    body, year = exports.dashboard_xlsx(request, _year(request.GET.get("tahun")))
    response = HttpResponse(body, content_type=XLSX)
    name = f"dasbor-{request.district.slug}-{year}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _year(raw) -> int | None:
    """?tahun=2025 picks the dashboard's year; anything else, the district's current year."""
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= 2100 else None
