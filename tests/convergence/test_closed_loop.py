"""The closed loop between the rembuk and the convergence actions (issue 15): the rembuk's
records attached to the deliverables they serve by reference, the agreed activity plan on the
planning deliverable with its RKPD/Renja count, and a deliverable's supporting agency."""

from datetime import date, datetime, timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.models import Membership
from accounts.policy import access_for
from commitments.models import CommitmentDocument
from convergence import services, summaries
from convergence.models import Deliverable, DeliverableTemplate, RecordLink, Status
from rembuk import services as rembuk
from rembuk.models import Level, PlanItem, RkpdStatus, SessionFile
from rembuk.summaries import rkpd_counts
from tests.commitments.factories import make_document
from tests.convergence.objects import pdf_upload, year_for
from villages.models import Agency

pytestmark = pytest.mark.django_db


def deliverable_of(district_year, action_number, number) -> Deliverable:
    with scopes_disabled():
        return Deliverable.objects.select_related(
            "template", "year_action__district_year", "year_action__action"
        ).get(
            year_action__district_year=district_year,
            year_action__action__number=action_number,
            template__number=number,
        )


def district_session(side, year, title=None):
    with scopes_disabled():
        return rembuk.create_session(
            district=side.district,
            level=Level.DISTRICT,
            by=side.users["district_admin"],
            title=title or f"Rembuk Stunting Kabupaten {year}",
            starts_at=datetime(year, 5, 20, 9, 0, tzinfo=side.district.tz),
            venue="Pendopo kabupaten",
        )


def minutes_file(session, side):
    with scopes_disabled():
        return rembuk.store_file(
            session,
            upload=pdf_upload("berita-acara.pdf"),
            kind=SessionFile.Kind.MINUTES,
            by=side.users["district_admin"],
        )


def commitment_of(side, session=None):
    """A district commitment document of 2026 (tests.commitments.factories' year)."""
    with scopes_disabled():
        document = make_document(side)
        if session is not None:
            CommitmentDocument.objects.filter(pk=document.pk).update(rembuk=session)
        return document


def link_url(world, deliverable, name="deliverable_link"):
    return reverse(
        name, kwargs={"district_slug": world.a.district.slug, "deliverable_id": deliverable.pk}
    )


def last_message(response) -> str:
    """The message this response added (the session keeps earlier unread ones too)."""
    return [str(m) for m in get_messages(response.wsgi_request)][-1]


def links_of(deliverable) -> list:
    with scopes_disabled():
        return list(RecordLink.objects.filter(deliverable=deliverable).order_by("linked_at"))


# --- Which deliverables draw on the portal's records -----------------------------------------


def test_shipped_frameworks_name_the_rembuk_and_plan_deliverables(world):
    """8 aksi: Aksi 2's plan and RKPD matrix show the plan, Aksi 3's commitment and minutes
    take the rembuk; the 2025 model: Aksi Utama 2 (planning, with the rembuk) its commitment
    and minutes deliverable, then its RKPD/Renja matrix. Nothing else."""
    expected = {
        ("8-aksi-2018", 2, 1): "activity_plan",
        ("8-aksi-2018", 2, 2): "activity_plan",
        ("8-aksi-2018", 3, 1): "rembuk",
        ("8-aksi-2018", 3, 2): "rembuk",
        ("model-2025", 2, 1): "rembuk",
        ("model-2025", 2, 2): "activity_plan",
    }
    marked = {
        (t.action.framework.code, t.action.number, t.number): t.portal_records
        for t in DeliverableTemplate.objects.select_related("action__framework").exclude(
            portal_records=""
        )
        if t.action.framework.code in ("8-aksi-2018", "model-2025")
    }
    assert marked == expected
    assert DeliverableTemplate.objects.get(
        action__framework__code="model-2025", action__number=2, number=1
    ).title.startswith("Dokumen komitmen dan berita acara rembuk")


# --- Attaching the rembuk's records ---------------------------------------------------------


def test_admin_attaches_session_document_and_minutes_and_submits_without_an_upload(
    client, world, year_a
):
    target = deliverable_of(year_a, 2, 1)  # Aksi Utama 2: commitment and minutes
    session = district_session(world.a, 2026)
    minutes = minutes_file(session, world.a)
    document = commitment_of(world.a, session)
    client.force_login(world.a.users["district_admin"])
    for value in (f"rembuk:{session.pk}", f"commitment:{document.pk}", f"minutes:{minutes.pk}"):
        response = client.post(link_url(world, target), {"record": value})
        assert response.status_code == 302
        assert last_message(response) == "Rekaman rembuk dilampirkan sebagai bukti."
    links = links_of(target)
    assert [(link.rembuk_id, link.commitment_id, link.minutes_id) for link in links] == [
        (session.pk, None, None),
        (None, document.pk, None),
        (None, None, minutes.pk),
    ]
    assert {link.linked_by for link in links} == {world.a.users["district_admin"]}

    page = client.get(link_url(world, target, "deliverable_detail")).content.decode()
    slug = world.a.district.slug
    assert f'href="/{slug}/rembuk/{session.pk}/"' in page
    assert f'href="/{slug}/komitmen/{document.pk}/"' in page
    assert f'href="/{slug}/rembuk/berkas/{minutes.pk}/"' in page
    assert "Komitmen Bersama Percepatan Penurunan Stunting" in page  # the document's title
    assert "berita-acara.pdf" in page

    # the records are the evidence: no file was uploaded, and it can be sent
    with scopes_disabled():
        assert not target.evidence.exists()
    client.force_login(world.a.users["district_admin"])
    client.post(link_url(world, target, "deliverable_submit"))
    with scopes_disabled():
        target.refresh_from_db()
    assert target.status == Status.SUBMITTED


def test_a_document_deliverable_with_nothing_attached_still_cannot_be_sent(world, year_a):
    target = deliverable_of(year_a, 2, 1)
    with scopes_disabled(), pytest.raises(ValidationError, match="Lampirkan rekaman rembuk"):
        services.submit_deliverable(deliverable=target, by=world.a.users["district_admin"])


def test_a_record_is_attached_once(client, world, year_a):
    target = deliverable_of(year_a, 2, 1)
    session = district_session(world.a, 2026)
    client.force_login(world.a.users["district_admin"])
    client.post(link_url(world, target), {"record": f"rembuk:{session.pk}"})
    again = client.post(link_url(world, target), {"record": f"rembuk:{session.pk}"})
    assert last_message(again) == "Rekaman ini sudah dilampirkan."
    assert len(links_of(target)) == 1
    # and the offered choices no longer hold it
    page = client.get(link_url(world, target, "deliverable_detail")).content.decode()
    assert f'value="rembuk:{session.pk}"' not in page


def test_another_districts_records_can_never_be_attached(client, world, year_a):
    """B's session, document and minutes named on A's deliverable: refused with a message by
    the page (they are not even found in A's scope), and by the service called directly."""
    target = deliverable_of(year_a, 2, 1)
    theirs = district_session(world.b, 2026)
    their_minutes = minutes_file(theirs, world.b)
    their_document = commitment_of(world.b, theirs)
    client.force_login(world.a.users["district_admin"])
    for value in (
        f"rembuk:{theirs.pk}",
        f"commitment:{their_document.pk}",
        f"minutes:{their_minutes.pk}",
    ):
        response = client.post(link_url(world, target), {"record": value})
        assert response.status_code == 302
        assert last_message(response) == "Pilih rekaman rembuk yang akan dilampirkan."
    assert links_of(target) == []
    with scopes_disabled():
        for record in (theirs, their_document, their_minutes):
            with pytest.raises(ValidationError, match="bukan milik daerah ini"):
                services.link_record(
                    deliverable=target, target=record, by=world.a.users["district_admin"]
                )
    assert links_of(target) == []
    # nor can B's link be detached through A's deliverable
    their_year = year_for(world.b, 2026)
    with scopes_disabled():
        their_link = services.link_record(
            deliverable=deliverable_of(their_year, 2, 1),
            target=theirs,
            by=world.b.users["district_admin"],
        )
    response = client.post(
        link_url(world, target, "deliverable_unlink"), {"link": str(their_link.pk)}
    )
    assert last_message(response) == "Rekaman itu tidak terlampir pada keluaran ini."
    with scopes_disabled():
        assert RecordLink.objects.filter(pk=their_link.pk).exists()
    # B's admin cannot reach A's deliverable at all
    client.force_login(world.b.users["district_admin"])
    response = client.post(link_url(world, target), {"record": f"rembuk:{theirs.pk}"})
    assert response.status_code == 404
    assert links_of(target) == []


def test_only_the_rembuk_deliverables_of_the_same_year_take_records(world, year_a):
    admin = world.a.users["district_admin"]
    this_year = district_session(world.a, 2026)
    last_year = district_session(world.a, 2025)
    with scopes_disabled():
        with pytest.raises(ValidationError, match="tidak menerima rekaman rembuk"):
            services.link_record(
                deliverable=deliverable_of(year_a, 3, 3), target=this_year, by=admin
            )
        with pytest.raises(ValidationError, match="tahun 2026"):
            services.link_record(
                deliverable=deliverable_of(year_a, 2, 1), target=last_year, by=admin
            )
        photo = rembuk.store_file(
            this_year, upload=pdf_upload("x.pdf"), kind=SessionFile.Kind.MINUTES, by=admin
        )
        SessionFile.objects.filter(pk=photo.pk).update(kind=SessionFile.Kind.PHOTO)
        photo.refresh_from_db()
        with pytest.raises(ValidationError, match="Hanya rembuk"):
            services.link_record(deliverable=deliverable_of(year_a, 2, 1), target=photo, by=admin)
    with scopes_disabled():
        assert RecordLink.objects.count() == 0


def test_the_8_aksi_rembuk_action_takes_records(world):
    old = year_for(world.a, 2024)
    session = district_session(world.a, 2024)
    with scopes_disabled():
        link = services.link_record(
            deliverable=deliverable_of(old, 3, 2),
            target=session,
            by=world.a.users["district_admin"],
        )
        assert link.rembuk_id == session.pk and link.district_id == world.a.district.pk


def test_links_follow_the_evidence_rules(client, world, year_a):
    """Another agency's OPD staff: 403. A submitted deliverable: refused (and its links stay).
    A locked year: 403 for everyone."""
    target = deliverable_of(year_a, 2, 1)  # led by BAPPEDA; the OPD user is DINKES
    session = district_session(world.a, 2026)
    client.force_login(world.a.users["opd_staff"])
    refused = client.post(link_url(world, target), {"record": f"rembuk:{session.pk}"})
    assert refused.status_code == 403
    for role in ("executive", "camat", "village_head"):
        client.force_login(world.a.users[role])
        assert (
            client.post(link_url(world, target), {"record": f"rembuk:{session.pk}"}).status_code
            == 403
        )

    client.force_login(world.a.users["district_admin"])
    client.post(link_url(world, target), {"record": f"rembuk:{session.pk}"})
    client.post(link_url(world, target, "deliverable_submit"))
    (link,) = links_of(target)
    document = commitment_of(world.a, session)
    late = client.post(link_url(world, target), {"record": f"commitment:{document.pk}"})
    assert last_message(late) == "Keluaran berstatus dikirim tidak dapat diubah."
    kept = client.post(link_url(world, target, "deliverable_unlink"), {"link": str(link.pk)})
    assert last_message(kept) == "Keluaran berstatus dikirim tidak dapat diubah."
    assert len(links_of(target)) == 1

    with scopes_disabled():
        services.lock_year(district_year=year_a, by=world.a.users["district_admin"])
    response = client.post(link_url(world, target, "deliverable_unlink"), {"link": str(link.pk)})
    assert response.status_code == 403
    assert len(links_of(target)) == 1


def test_unlinking_keeps_the_record_and_a_linked_minutes_file_cannot_be_deleted(
    client, world, year_a
):
    target = deliverable_of(year_a, 2, 1)
    session = district_session(world.a, 2026)
    minutes = minutes_file(session, world.a)
    client.force_login(world.a.users["district_admin"])
    client.post(link_url(world, target), {"record": f"minutes:{minutes.pk}"})
    (link,) = links_of(target)

    remove = reverse(
        "rembuk_file_remove",
        kwargs={"district_slug": world.a.district.slug, "rembuk_file_id": minutes.pk},
    )
    response = client.post(remove)
    assert response.status_code == 302
    assert "dilampirkan sebagai bukti" in last_message(response)
    with scopes_disabled():
        assert SessionFile.objects.filter(pk=minutes.pk).exists()

    # another district's link id, or none: nothing happens
    nothing = client.post(link_url(world, target, "deliverable_unlink"), {"link": "x"})
    assert last_message(nothing) == "Rekaman itu tidak terlampir pada keluaran ini."
    response = client.post(link_url(world, target, "deliverable_unlink"), {"link": str(link.pk)})
    assert last_message(response) == "Rekaman dilepas dari keluaran ini."
    assert links_of(target) == []
    again = client.post(link_url(world, target, "deliverable_unlink"), {"link": str(link.pk)})
    assert last_message(again) == "Rekaman itu tidak terlampir pada keluaran ini."
    with scopes_disabled():
        assert SessionFile.objects.filter(pk=minutes.pk).exists()
    # now the file may go
    client.post(remove)
    with scopes_disabled():
        assert not SessionFile.objects.filter(pk=minutes.pk).exists()


def test_the_deliverable_page_reads_its_links_in_a_fixed_number_of_queries(client, world, year_a):
    target = deliverable_of(year_a, 2, 1)
    admin = world.a.users["district_admin"]
    client.force_login(admin)
    url = link_url(world, target, "deliverable_detail")

    def attach(n):
        for _ in range(n):
            session = district_session(world.a, 2026, title=f"Rembuk {len(links_of(target))}")
            with scopes_disabled():
                services.link_record(deliverable=target, target=session, by=admin)
                services.link_record(
                    deliverable=target, target=minutes_file(session, world.a), by=admin
                )
                services.link_record(deliverable=target, target=commitment_of(world.a), by=admin)

    attach(1)
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    attach(4)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert page.count('class="tag">Rembuk</span>') == 5
    assert len(many) == len(few)


# --- The activity plan on the planning deliverable ----------------------------------------


def plan_line(session, side, activity, *, status=RkpdStatus.UNKNOWN, budget=None, **fields):
    with scopes_disabled():
        item = rembuk.add_plan_item(
            session, by=side.users["district_admin"], activity=activity, budget=budget, **fields
        )
        if status != RkpdStatus.UNKNOWN:
            rembuk.set_rkpd(item, status=status, by=side.users["district_admin"])
        return item


def test_plan_items_carry_their_plan_year_and_programme_code(world):
    session = district_session(world.a, 2026)
    item = plan_line(session, world.a, "PMT ibu hamil KEK", programme_code=" 1.02.02.2.02.0005 ")
    assert (item.plan_year, item.programme_code) == (2027, "1.02.02.2.02.0005")
    later = plan_line(session, world.a, "Sanitasi", plan_year=2029)
    assert later.plan_year == 2029
    with scopes_disabled():
        for year in (2025, 2032):
            with pytest.raises(ValidationError) as caught:
                rembuk.add_plan_item(
                    session, by=world.a.users["district_admin"], activity="x", plan_year=year
                )
            assert caught.value.message_dict["plan_year"] == [
                "Tahun rencana harus antara 2026 dan 2031."
            ]
        with pytest.raises(ValidationError) as caught:
            rembuk.add_plan_item(
                session, by=world.a.users["district_admin"], activity="x", programme_code="abc"
            )
        assert "programme_code" in caught.value.message_dict
        assert PlanItem.objects.filter(session=session).count() == 2


def test_plan_form_takes_the_plan_year_and_code(client, world):
    session = district_session(world.a, 2026)
    client.force_login(world.a.users["district_admin"])
    add = reverse(
        "rembuk_plan_add",
        kwargs={"district_slug": world.a.district.slug, "session_id": session.pk},
    )
    form = client.get(add).content.decode()
    assert 'name="plan_year" value="2027"' in form
    response = client.post(
        add,
        {
            "activity": "Kelas ibu balita",
            "plan_year": "2028",
            "programme_code": "2.08.02.2.01.0004",
            "in_rkpd": "unknown",
        },
    )
    assert response.status_code == 302
    bad = client.post(add, {"activity": "Posyandu", "plan_year": "2020", "in_rkpd": "unknown"})
    assert bad.status_code == 200
    assert "Tahun rencana harus antara 2026 dan 2031." in bad.content.decode()
    with scopes_disabled():
        (item,) = PlanItem.objects.filter(session=session)
    assert (item.activity, item.plan_year, item.programme_code) == (
        "Kelas ibu balita",
        2028,
        "2.08.02.2.01.0004",
    )
    detail = client.get(
        reverse(
            "rembuk_detail",
            kwargs={"district_slug": world.a.district.slug, "session_id": session.pk},
        )
    ).content.decode()
    assert "Rencana tahun 2028 · 2.08.02.2.01.0004" in detail


def test_the_planning_deliverable_shows_next_years_plan_and_its_rkpd_count(client, world, year_a):
    """Year 2026's Aksi Utama 2 matrix shows the lines of A's district rembuk meant for 2027:
    four of them (two in the RKPD, Rp 100.000.000 + Rp 50.000.000; one not; one unknown).
    A line for 2028, a village rembuk's line and B's lines are not counted."""
    session = district_session(world.a, 2026)
    plan_line(session, world.a, "PMT ibu hamil", status=RkpdStatus.YES, budget=100_000_000)
    plan_line(
        session,
        world.a,
        "Kelas ibu balita",
        status=RkpdStatus.YES,
        budget=50_000_000,
        programme_code="1.02.02.2.02.0005",
    )
    plan_line(session, world.a, "Jamban sehat", status=RkpdStatus.NO, budget=20_000_000)
    plan_line(session, world.a, "Pelatihan kader")
    plan_line(session, world.a, "Air bersih", status=RkpdStatus.YES, budget=7, plan_year=2028)
    with scopes_disabled():
        village = rembuk.create_session(
            district=world.a.district,
            level=Level.VILLAGE,
            village=world.a.village,
            by=world.a.users["district_admin"],
            title="Rembuk desa",
            starts_at=datetime(2026, 3, 1, 9, 0, tzinfo=world.a.district.tz),
            venue="Balai desa",
        )
    plan_line(village, world.a, "Posyandu desa", status=RkpdStatus.YES, budget=9)
    theirs = district_session(world.b, 2026)
    plan_line(theirs, world.b, "Kegiatan B", status=RkpdStatus.YES, budget=11)

    with scopes_disabled():
        counts = rkpd_counts([world.a.district, world.b.district], 2027)
    mine = counts[world.a.district.pk]
    assert (mine.items, mine.in_rkpd, mine.not_in_rkpd, mine.unknown) == (4, 2, 1, 1)
    assert mine.budget_in_rkpd == 150_000_000
    assert (counts[world.b.district.pk].items, counts[world.b.district.pk].in_rkpd) == (1, 1)

    target = deliverable_of(year_a, 2, 2)
    client.force_login(world.a.users["executive"])
    page = client.get(link_url(world, target, "deliverable_detail")).content.decode()
    assert "Rencana kegiatan rembuk kabupaten/kota untuk tahun 2027" in page
    assert "2 dari 4 kegiatan masuk RKPD/Renja." in page
    assert "Tidak masuk: 1; belum diketahui: 1." in page
    assert "Rp 150.000.000" in page
    for shown in ("PMT ibu hamil", "Kelas ibu balita", "1.02.02.2.02.0005", "Jamban sehat"):
        assert shown in page
    for hidden in ("Air bersih", "Posyandu desa", "Kegiatan B"):
        assert hidden not in page
    # the commitment deliverable does not show the plan
    other = client.get(link_url(world, deliverable_of(year_a, 2, 1), "deliverable_detail"))
    assert "masuk RKPD/Renja." not in other.content.decode()


def test_the_8_aksi_plan_deliverable_shows_the_plan(client, world):
    old = year_for(world.a, 2024)
    session = district_session(world.a, 2024)
    plan_line(session, world.a, "Gizi sensitif", status=RkpdStatus.YES, budget=5_000_000)
    client.force_login(world.a.users["district_admin"])
    for number in (1, 2):
        page = client.get(
            link_url(world, deliverable_of(old, 2, number), "deliverable_detail")
        ).content.decode()
        assert "untuk tahun 2025" in page
        assert "1 dari 1 kegiatan masuk RKPD/Renja." in page


# --- The supporting agency --------------------------------------------------------------------


def test_supporting_agency_is_set_with_the_action_and_works_on_the_deliverable(
    client, world, year_a
):
    """BAPPEDA leads Aksi Utama 2; DINKES supports its RKPD matrix. DINKES staff then see it in
    their list (late: its due date has passed), may upload evidence to it and comment; other
    deliverables of the action stay closed to them."""
    target = deliverable_of(year_a, 2, 2)
    sibling = deliverable_of(year_a, 2, 1)
    with scopes_disabled():
        bappeda = Agency.objects.get(district=world.a.district, short_name="BAPPEDA")
    dinkes = world.a.agency
    client.force_login(world.a.users["district_admin"])
    setup = reverse(
        "action_setup",
        kwargs={"district_slug": world.a.district.slug, "year": 2026, "action_number": 2},
    )
    form = client.get(setup).context["form"]
    data = {"lead_agency": str(bappeda.pk)}
    for d in form.deliverables:
        data[f"due_{d.pk}"] = d.due_date.isoformat()
        data[f"supporting_{d.pk}"] = ""
    data[f"supporting_{target.pk}"] = str(bappeda.pk)
    same = client.post(setup, data)
    assert same.status_code == 200
    assert "OPD pendukung harus berbeda dari OPD pengampu." in same.content.decode()
    data[f"supporting_{target.pk}"] = str(dinkes.pk)
    yesterday = world.a.district.local_now().date() - timedelta(days=1)
    data[f"due_{target.pk}"] = yesterday.isoformat()
    assert client.post(setup, data).status_code == 302
    with scopes_disabled():
        target.refresh_from_db()
        sibling.refresh_from_db()
    assert (target.supporting_agency, sibling.supporting_agency) == (dinkes, None)

    page = client.get(link_url(world, target, "deliverable_detail")).content.decode()
    assert '<dd class="supporting-agency">DINKES' in page

    staff = world.a.users["opd_staff"]
    with scopes_disabled():
        access = access_for(list(Membership.objects.active().filter(user=staff)), world.a.district)
        work = summaries.work_of(world.a.district, access)
    assert target.pk in [item.id for item in work.late.items]
    assert sibling.pk not in [item.id for item in (*work.late.items, *work.due_soon.items)]

    client.force_login(staff)
    upload = client.post(link_url(world, target, "evidence_upload"), {"file": pdf_upload()})
    assert upload.status_code == 302
    comment = client.post(link_url(world, target, "deliverable_comment"), {"text": "Data siap"})
    assert comment.status_code == 302
    with scopes_disabled():
        assert target.evidence.count() == 1 and target.comments.count() == 1
    assert (
        client.post(link_url(world, sibling, "evidence_upload"), {"file": pdf_upload()}).status_code
        == 403
    )

    # the board export names it
    client.force_login(world.a.users["executive"])
    export = client.get(
        reverse(
            "board_export",
            kwargs={"district_slug": world.a.district.slug, "year": 2026, "fmt": "csv"},
        )
    ).content.decode("utf-8-sig")
    lines = [line.split(";") for line in export.splitlines()]
    header = [cell.strip('"') for cell in lines[0]]
    assert header[5:7] == ["opd", "opd_pendukung"]
    row = next(r for r in lines if target.template.title in r[4])
    assert (row[5].strip('"'), row[6].strip('"')) == ("BAPPEDA", "DINKES")


def test_supporting_agency_must_be_of_the_district_and_not_the_lead(world, year_a):
    target = deliverable_of(year_a, 2, 2)
    with scopes_disabled():
        year_action = target.year_action
        bappeda = Agency.objects.get(district=world.a.district, short_name="BAPPEDA")
        theirs = world.b.agency
        for agency, message in (
            (theirs, "OPD daerah ini"),
            (bappeda, "berbeda dari OPD pengampu"),
        ):
            with pytest.raises(ValidationError, match=message):
                services.set_up_action(
                    year_action=year_action,
                    lead_agency=bappeda,
                    responsible=[],
                    due_dates={},
                    supporting_agencies={target.pk: agency},
                    by=world.a.users["district_admin"],
                )
        target.refresh_from_db()
        assert target.supporting_agency_id is None


def test_supporting_staff_cannot_work_once_the_deliverable_is_locked(client, world, year_a):
    target = deliverable_of(year_a, 2, 2)
    with scopes_disabled():
        Deliverable.objects.filter(pk=target.pk).update(supporting_agency=world.a.agency)
        services.lock_year(district_year=year_a, by=world.a.users["district_admin"])
    client.force_login(world.a.users["opd_staff"])
    upload = client.post(link_url(world, target, "evidence_upload"), {"file": pdf_upload()})
    assert upload.status_code == 403


# --- A past year caught up on: the actual dates of its steps ------------------------------------


def test_a_past_years_steps_keep_their_actual_dates_and_are_marked_back_filled(client, world):
    """Year 2025, entered after it ended: DINKES sent the February measurement on 10 March
    2025 (due 28 February: late by its actual date) and Bappeda verified it on 20 March 2025.
    The history keeps both days and when they were typed, marked as back-filled; the
    deliverable's dates and the export use the actual days."""
    from tests.convergence.objects import own_deliverable

    past = year_for(world.a, 2025)
    target = own_deliverable(world.a, past)
    staff, admin = world.a.users["opd_staff"], world.a.users["district_admin"]
    tz = world.a.district.tz
    with scopes_disabled():
        services.upload_evidence(deliverable=target, upload=pdf_upload(), by=staff)
        services.save_data(
            deliverable=target,
            values={f["key"]: "3" for f in target.template.fields},
            note="",
            by=staff,
        )
        assert target.due_date == date(2025, 2, 28)
        for day, message in (
            (date(2023, 12, 31), "1 Januari 2024"),
            (world.a.district.local_now().date() + timedelta(days=1), "setelah hari ini"),
        ):
            with pytest.raises(ValidationError, match=message):
                services.submit_deliverable(deliverable=target, by=staff, happened_on=day)
        services.submit_deliverable(deliverable=target, by=staff, happened_on=date(2025, 3, 10))
        with pytest.raises(ValidationError, match=r"sebelum langkah sebelumnya \(2025-03-10\)"):
            services.verify_deliverable(deliverable=target, by=admin, happened_on=date(2025, 3, 9))
    # a day that is not a date: refused by the page, nothing moves
    client.force_login(admin)
    bad = client.post(link_url(world, target, "deliverable_verify"), {"happened_on": "2025-02-30"})
    assert last_message(bad) == "Tanggal sebenarnya harus tanggal (TTTT-BB-HH)."
    with scopes_disabled():
        target.refresh_from_db()
    assert target.status == Status.SUBMITTED
    page = client.get(link_url(world, target, "deliverable_detail")).content.decode()
    assert 'name="happened_on"' in page
    client.post(link_url(world, target, "deliverable_verify"), {"happened_on": "2025-03-20"})

    with scopes_disabled():
        target.refresh_from_db()
        steps = list(target.transitions.order_by("at", "id"))
    assert target.status == Status.VERIFIED
    assert target.submitted_at.astimezone(tz).date() == date(2025, 3, 10)
    assert target.verified_at.astimezone(tz).date() == date(2025, 3, 20)
    assert target.submitted_at.astimezone(tz).date() > target.due_date  # late, by 10 days
    assert [(t.to_status, t.happened_on, t.backfilled) for t in steps] == [
        (Status.SUBMITTED, date(2025, 3, 10), True),
        (Status.VERIFIED, date(2025, 3, 20), True),
    ]
    assert all(t.at.year >= 2026 for t in steps)  # typed after the year ended
    page = client.get(link_url(world, target, "deliverable_detail")).content.decode()
    assert page.count('class="tag backfilled"') == 2
    assert "10 Mar 2025" in page and "20 Mar 2025" in page

    export = client.get(
        reverse(
            "board_export",
            kwargs={"district_slug": world.a.district.slug, "year": 2025, "fmt": "csv"},
        )
    ).content.decode("utf-8-sig")
    row = next(line for line in export.splitlines() if target.template.title in line)
    assert '"2025-03-10 12:00";"2025-03-20 12:00"' in row


def test_a_step_of_the_current_year_is_not_back_filled(client, world, year_a):
    from tests.convergence.objects import own_deliverable, submit_complete

    target = own_deliverable(world.a, year_a)
    with scopes_disabled():
        submit_complete(target, by=world.a.users["opd_staff"])
        (step,) = target.transitions.all()
    assert (step.happened_on, step.backfilled) == (None, False)
    client.force_login(world.a.users["district_admin"])
    page = client.get(link_url(world, target, "deliverable_detail")).content.decode()
    assert 'name="happened_on"' not in page


def test_the_board_filtered_by_an_agency_holds_the_deliverables_it_supports(client, world, year_a):
    """DINKES leads Aksi Utama 3 (three deliverables) and supports one deliverable of Aksi
    Utama 2: filtered by DINKES, the board shows those four, and of Aksi Utama 2 only that one."""
    target = deliverable_of(year_a, 2, 2)
    with scopes_disabled():
        Deliverable.objects.filter(pk=target.pk).update(supporting_agency=world.a.agency)
    client.force_login(world.a.users["executive"])
    board = reverse("board", kwargs={"district_slug": world.a.district.slug, "year": 2026})
    rows = client.get(board, {"agency": world.a.agency.pk}).context["rows"]
    shown = {
        row.year_action.action.number: [d.template.number for d in row.deliverables] for row in rows
    }
    assert shown == {2: [2], 3: [1, 2, 3]}
