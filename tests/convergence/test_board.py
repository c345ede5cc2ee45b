"""The board, the executive's read-only summary, exports without formula injection, and the
all-or-nothing bulk import of deliverable metadata."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled
from openpyxl import Workbook, load_workbook

from convergence import services
from convergence.models import BoardImport, Deliverable, Status
from lib import generations
from tests.convergence.objects import pdf_upload, submit_complete, year_for

pytestmark = pytest.mark.django_db


def url(world, name, **kwargs):
    return reverse(name, kwargs={"district_slug": world.a.district.slug, **kwargs})


def verify_all_of_action(world, year_action):
    admin = world.a.users["district_admin"]
    with scopes_disabled():
        for d in year_action.deliverables.select_related("template"):
            # sent by the agency, verified by the secretariat (a verifier is not the sender)
            submit_complete(d, by=world.a.users["opd_staff"])
            services.verify_deliverable(deliverable=d, by=admin)


def test_board_shows_status_overdue_and_summary(client, world, year_a, deliverable):
    with scopes_disabled():
        ya = deliverable.year_action
        verify_all_of_action(world, ya)
        late = (
            Deliverable.objects.filter(year_action__district_year=year_a)
            .exclude(year_action=ya)
            .first()
        )
        late.due_date = world.a.district.local_now().date() - timedelta(days=3)
        late.save()
    client.force_login(world.a.users["executive"])
    response = client.get(url(world, "board", year=2026))
    html = response.content.decode()
    assert response.status_code == 200
    summary = {
        row.year_action.action.number: row.percent for row in response.context["summary"].rows
    }
    assert summary[ya.action.number] == 100
    today = world.a.district.local_now().date()
    with scopes_disabled():
        expected = set(
            Deliverable.objects.filter(
                year_action__district_year=year_a,
                status__in=[Status.DRAFT, Status.RETURNED],
                due_date__lt=today,
            ).values_list("pk", flat=True)
        )
    assert late.pk in expected
    assert {d.pk for d in response.context["summary"].overdue} == expected
    assert "is-overdue" in html and "terlambat" in html
    # read-only for the executive: no forms to change anything
    assert "Impor data keluaran" not in html and "Kunci tahun" not in html
    action_page = client.get(url(world, "action_detail", year=2026, action_number=1)).content
    assert b'type="file"' not in action_page and b'class="verify"' not in action_page
    assert client.post(url(world, "deliverable_verify", deliverable_id=late.pk)).status_code == 403


def test_board_filters(client, world, year_a, deliverable):
    client.force_login(world.a.users["district_admin"])
    response = client.get(url(world, "board", year=2026), {"agency": world.a.agency.pk})
    agencies = {row.year_action.lead_agency_id for row in response.context["rows"]}
    assert agencies == {world.a.agency.pk}
    with scopes_disabled():
        submit_complete(deliverable, by=world.a.users["opd_staff"])
    response = client.get(url(world, "board", year=2026), {"status": "submitted"})
    shown = [d.pk for row in response.context["rows"] for d in row.deliverables]
    assert shown == [deliverable.pk]


def test_the_kept_board_shows_each_change_on_the_next_view(client, world, year_a, deliverable):
    """The board is kept rendered for the district (convergence.views.board): a second view
    reads it from the cache, and a submission, a new due date or a verification shows on the
    very next view, for the sender and for any other reader of the district."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    board = url(world, "board", year=2026)
    row = f'href="{url(world, "deliverable_detail", deliverable_id=deliverable.pk)}"'

    def status_of(html):  # the status tag of the deliverable's row on the board (not the summary)
        table = html[html.index('<table class="board stack">') :]
        cell = table[table.index(row) :]
        cell = cell[cell.index('<span class="tag status-') :]
        return cell[cell.index(">") + 1 : cell.index("</span>")]

    client.force_login(world.a.users["executive"])
    with CaptureQueriesContext(connection) as first:
        html = client.get(board).content.decode()
        assert status_of(html) == "draf"
    # the page says when its figures were read, in the district's zone
    now = world.a.district.local_now()
    assert f"Angka per {now:%-d} " in html and f" {world.a.district.time_zone_short};" in html
    with CaptureQueriesContext(connection) as second:
        assert status_of(client.get(board).content.decode()) == "draf"
    assert len(second) < len(first)  # read from the cache: the summary's queries are not run

    with scopes_disabled():
        submit_complete(deliverable, by=world.a.users["opd_staff"])
    assert status_of(client.get(board).content.decode()) == "dikirim"
    client.force_login(world.a.users["opd_staff"])
    assert status_of(client.get(board).content.decode()) == "dikirim"

    with scopes_disabled():
        deliverable.refresh_from_db()
        deliverable.due_date = date(2026, 11, 30)
        deliverable.save()
    assert "30 Nov 2026" in client.get(board).content.decode()

    with scopes_disabled():
        services.verify_deliverable(deliverable=deliverable, by=world.a.users["district_admin"])
    assert status_of(client.get(board).content.decode()) == "terverifikasi"


def test_board_queries_do_not_grow_with_deliverables(client, world, django_assert_max_num_queries):
    """The 8-aksi year has 22 deliverables, the 2025 model 16: same number of queries."""
    client.force_login(world.a.users["district_admin"])
    counts = {}
    for year in (2024, 2026):
        district_year = year_for(world.a, year)
        with scopes_disabled():
            for ya in district_year.actions.all():
                ya.responsible.set([world.a.users["district_admin"], world.a.users["opd_staff"]])
        client.get(url(world, "board", year=year))
        # the board read afresh, not from its kept copy (lib.generations)
        generations.move(generations.DISTRICT_DATA, world.a.district.pk)
        with django_assert_max_num_queries(25) as captured:
            response = client.get(url(world, "board", year=year))
        assert response.status_code == 200
        counts[year] = len(captured.captured_queries)
    assert counts[2024] == counts[2026], counts


def test_action_page_queries_do_not_grow_with_evidence(
    client, world, deliverable, django_assert_max_num_queries
):
    client.force_login(world.a.users["district_admin"])
    page = url(
        world, "action_detail", year=2026, action_number=deliverable.year_action.action.number
    )
    sizes = []
    client.get(page)
    for n in (1, 6):
        with scopes_disabled():
            for _ in range(n):
                services.upload_evidence(
                    deliverable=deliverable, upload=pdf_upload(), by=world.a.users["opd_staff"]
                )
                services.add_comment(
                    deliverable=deliverable, text="cek", by=world.a.users["opd_staff"]
                )
        with django_assert_max_num_queries(30) as captured:
            assert client.get(page).status_code == 200
        sizes.append(len(captured.captured_queries))
    assert sizes[0] == sizes[1]


def test_csv_export_keeps_a_note_with_a_separator_in_one_cell(client, world, deliverable):
    """An Indonesian spreadsheet splits CSV on `;`: a note `;=1+1` must stay one text cell,
    never become an empty cell followed by the formula =1+1."""
    with scopes_disabled():
        deliverable.note = ";=1+1"
        deliverable.save()
    client.force_login(world.a.users["executive"])
    response = client.get(url(world, "board_export", year=2026, fmt="csv"))
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert {len(r) for r in rows} == {14}  # every row has the 14 columns of the header
    assert [r[-1] for r in rows[1:] if r[-1]] == [";=1+1"]
    assert not [c for r in rows for c in r if c.startswith(("=", "+", "-", "@"))]
    # every field is quoted, so a spreadsheet splitting on "," does not cut a cell either
    assert text.splitlines()[0].startswith('"aksi";"kode_aksi";')
    assert '";=1+1"' in text


def test_exports_escape_formulas(client, world, deliverable):
    with scopes_disabled():
        deliverable.note = '=HYPERLINK("http://evil.test","klik")'
        deliverable.save()
    client.force_login(world.a.users["executive"])
    response = client.get(url(world, "board_export", year=2026, fmt="csv"))
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0][:3] == ["aksi", "kode_aksi", "judul_aksi"]
    notes = [r[-1] for r in rows[1:] if r[-1]]
    assert notes == ['\'=HYPERLINK("http://evil.test","klik")']
    response = client.get(url(world, "board_export", year=2026, fmt="xlsx"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [
        c
        for row in sheet.iter_rows(min_row=2)
        for c in row
        if c.value and "HYPERLINK" in str(c.value)
    ]
    assert len(cells) == 1 and cells[0].data_type == "s" and cells[0].value.startswith("'=")
    assert sheet.max_row == 1 + 16
    assert client.get(url(world, "board_export", year=2026, fmt="exe")).status_code == 404


def upload_import(client, world, content: bytes, name="impor.csv"):

    response = client.post(
        url(world, "board_import", year=2026), {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def snapshot(year):
    with scopes_disabled():
        return sorted(
            (str(d.pk), d.due_date, d.note, d.year_action.lead_agency_id)
            for d in Deliverable.objects.filter(year_action__district_year=year).select_related(
                "year_action"
            )
        )


def test_import_previews_then_applies(client, world, year_a):
    client.force_login(world.a.users["district_admin"])
    before = snapshot(year_a)
    content = (
        "aksi,keluaran,tenggat,opd,penanggung_jawab,catatan\n"
        f"1,1,15/02/2026,DINKES,{world.a.users['opd_staff'].email},Data dari puskesmas\n"
        "1,2,2026-03-20,DINKES,,\n"
    ).encode()
    preview = upload_import(client, world, content)
    response = client.get(preview)
    plan = response.context["plan"]  # the preview stored at upload
    assert plan["errors"] == [] and plan["error_count"] == 0
    fields = sorted((c["line"], c["field"]) for c in plan["changes"])
    assert fields == [
        (2, "catatan"),
        (2, "opd"),
        (2, "penanggung_jawab"),
        (2, "tenggat"),
        (3, "tenggat"),
    ]
    assert snapshot(year_a) == before  # the preview changes nothing
    assert client.post(preview).status_code == 302
    with scopes_disabled():
        first = Deliverable.objects.get(
            year_action__district_year=year_a, year_action__action__number=1, template__number=1
        )
        assert first.due_date == date(2026, 2, 15) and first.note == "Data dari puskesmas"
        assert first.year_action.lead_agency == world.a.agency
        assert list(first.year_action.responsible.all()) == [world.a.users["opd_staff"]]
    # a second confirmation does not apply it again
    client.post(preview)
    with scopes_disabled():
        assert BoardImport.objects.get(pk=preview.rstrip("/").rsplit("/", 1)[-1]).applied_at


def test_an_imported_due_date_shows_on_the_kept_board_at_once(client, world, year_a):
    """An import that only moves due dates is a bulk update (no signal): it moves the
    district's data generation itself, so the kept board is not a minute behind."""
    client.force_login(world.a.users["district_admin"])
    board = url(world, "board", year=2026)
    content = b"aksi,keluaran,tenggat,opd,penanggung_jawab,catatan\n1,2,2026-03-21,,,\n"
    preview = upload_import(client, world, content)
    changes = client.get(preview).context["plan"]["changes"]
    assert [c["field"] for c in changes] == ["tenggat"]
    assert "21 Mar 2026" not in client.get(board).content.decode()  # now kept
    assert client.post(preview).status_code == 302
    assert "21 Mar 2026" in client.get(board).content.decode()


def test_import_with_an_error_changes_nothing_and_names_the_line(client, world, year_a):
    client.force_login(world.a.users["district_admin"])
    before = snapshot(year_a)
    content = (
        b"aksi,keluaran,tenggat,opd,catatan\n"
        b"1,1,2026-02-15,DINKES,benar\n"
        b"1,2,31/02/2026,,\n"
        b"9,1,,,\n"
        b"2,1,,TIDAKADA,\n"
        b"1,1,,,dobel\n"
    )
    preview = upload_import(client, world, content)
    response = client.get(preview)
    errors = dict(response.context["plan"]["errors"])
    assert set(errors) == {3, 4, 5, 6}
    assert "bukan tanggal" in errors[3]
    assert "tidak ada" in errors[4]
    assert "TIDAKADA" in errors[5]
    assert "baris 2" in errors[6]
    html = response.content.decode()
    assert "baris 3" in html and "Terapkan perubahan" not in html
    client.post(preview)
    assert snapshot(year_a) == before


def test_import_takes_the_boards_own_xlsx_export(client, world, year_a):
    client.force_login(world.a.users["district_admin"])
    exported = client.get(url(world, "board_export", year=2026, fmt="xlsx")).content
    workbook = load_workbook(io.BytesIO(exported))
    sheet = workbook.active
    sheet.cell(row=2, column=9).value = date(2026, 4, 30)  # tenggat, typed as a real date
    buffer = io.BytesIO()
    workbook.save(buffer)
    preview = upload_import(client, world, buffer.getvalue(), "papan.xlsx")
    plan = client.get(preview).context["plan"]
    assert plan["errors"] == []
    assert [(c["line"], c["field"], c["new"]) for c in plan["changes"]] == [
        (2, "tenggat", "2026-04-30")
    ]


def test_import_refuses_a_file_that_is_not_a_table(client, world, year_a):
    client.force_login(world.a.users["district_admin"])
    wb = Workbook()
    wb.active.append(["nama"])
    buffer = io.BytesIO()
    wb.save(buffer)
    plan = client.get(upload_import(client, world, buffer.getvalue(), "x.xlsx")).context["plan"]
    assert "Kolom wajib" in plan["errors"][0][1]
    # a file that is no table at all is refused at the upload, and nothing is stored
    response = client.post(
        url(world, "board_import", year=2026),
        {"file": SimpleUploadedFile("x.csv", b"\x00\x01binary")},
    )
    assert response.status_code == 200
    assert "bukan CSV atau XLSX" in str(response.context["form"].errors["file"])
    with scopes_disabled():
        assert BoardImport.objects.count() == 1
