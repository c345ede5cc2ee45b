"""The top floor: what each district's people see first. The district home is the seed of the
district dashboard; it reads the feature apps only through what they offer to be read."""

from django.http import HttpResponse
from django.shortcuts import redirect, render

from accounts.models import Membership, Role
from accounts.policy import district_view, memberships_of, rollup_view
from commitments import summaries as commitments
from convergence import summaries as convergence
from lib import spreadsheet
from villages.models import Kecamatan, Village

from . import dashboard, rollups


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
    return render(
        request,
        "reports/district_home.html",
        {
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


def _year(raw) -> int | None:
    """?tahun=2025 picks the dashboard's year; anything else, the district's current year."""
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= 2100 else None


# --- province and national roll-ups ----------------------------------------------------------


def _rollup_query(request) -> dict:
    return {
        "year": rollups.parse_year(request.GET.get("tahun")),
        "sort": request.GET.get("urut"),
        "direction": request.GET.get("arah"),
    }


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=spreadsheet.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@rollup_view("province")
def province_rollup(request, province):
    """A province's districts side by side, from their snapshots (reports.snapshots)."""
    table = rollups.province_table(province, **_rollup_query(request))
    return render(request, "reports/province_rollup.html", {"table": table})


@rollup_view("province")
def province_rollup_export(request, province):
    table = rollups.province_table(province, **_rollup_query(request))
    return _xlsx(
        rollups.province_xlsx(table), f"rekap-provinsi-{province.code}-{table['year']}.xlsx"
    )


@rollup_view("national")
def national_rollup(request):
    """The provinces, each aggregated over its districts' snapshots."""
    table = rollups.national_table(**_rollup_query(request))
    return render(request, "reports/national_rollup.html", {"table": table})


@rollup_view("national")
def national_rollup_export(request):
    table = rollups.national_table(**_rollup_query(request))
    return _xlsx(rollups.national_xlsx(table), f"rekap-nasional-{table['year']}.xlsx")
