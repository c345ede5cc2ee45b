"""Minutes files and photos (judged from their bytes, nothing kept when refused, served only
through the checked view) and the agreed activity plan with its rupiah totals."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled

from rembuk import services
from rembuk.models import Level, PlanItem, RkpdStatus, SessionFile
from tests.conftest import png_bytes
from tests.convergence.objects import PDF
from tests.rembuk.objects import png_upload, village_session

pytestmark = pytest.mark.django_db


def url(name, side, **kwargs):
    return reverse(name, kwargs={"district_slug": side.district.slug, **kwargs})


def stored_files(session):
    with scopes_disabled():
        return list(SessionFile.objects.filter(session=session))


def media_files(settings):
    root = settings.MEDIA_ROOT / "rembuk"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def docx_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def test_upload_minutes_and_photo(client, world, settings):
    side = world.a
    session = village_session(side, 2026)
    client.force_login(side.users["village_head"])
    upload = url("rembuk_upload", side, session_id=session.pk)
    response = client.post(
        upload,
        {
            "kind": "minutes",
            "caption": "Berita acara",
            "file": SimpleUploadedFile("BA rembuk.pdf", PDF),
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("#notulen")
    response = client.post(
        upload, {"kind": "minutes", "file": SimpleUploadedFile("ba.docx", docx_bytes())}
    )
    assert response.status_code == 302
    response = client.post(
        upload,
        {"kind": "photo", "file": SimpleUploadedFile("IMG_1.jpg", png_bytes((1200, 900)))},
    )
    assert response.status_code == 302 and response["Location"].endswith("#foto")
    files = stored_files(session)
    assert [f.original_name for f in files] == ["BA rembuk.pdf", "ba.docx", "IMG_1.png"]
    photo = files[2]
    assert photo.thumbnail and not files[0].thumbnail
    import hashlib

    assert files[0].sha256 == hashlib.sha256(PDF).hexdigest()
    # every role that sees the session gets the files through the checked view
    client.force_login(side.users["opd_staff"])
    served = client.get(url("rembuk_file", side, rembuk_file_id=files[0].pk))
    assert served.status_code == 200 and served["Content-Type"] == "application/pdf"
    assert served["Content-Security-Policy"].startswith("sandbox")
    thumb = client.get(url("rembuk_file", side, rembuk_file_id=photo.pk) + "?kecil=1")
    assert thumb["Content-Type"] == "image/jpeg"
    from PIL import Image

    small = Image.open(io.BytesIO(b"".join(thumb.streaming_content)))
    assert max(small.size) <= services.THUMBNAIL_SIZE
    page = client.get(url("rembuk_detail", side, session_id=session.pk)).content.decode()
    assert f"{photo.pk}/?kecil=1" in page and "BA rembuk.pdf" in page


@pytest.mark.parametrize(
    ("kind", "name", "data", "message"),
    [
        ("photo", "foto.pdf", PDF, "Foto harus berupa gambar PNG atau JPEG"),
        ("photo", "foto.png", b"\x89PNG\r\n\x1a\nrusak", "Gambar tidak dapat dibaca"),
        ("minutes", "notulen.pdf", b"MZ\x90\x00 not a pdf", "Jenis berkas tidak diterima"),
        ("minutes", "notulen.xlsx", b"PK\x03\x04broken", "Jenis berkas tidak diterima"),
    ],
)
def test_upload_refused_for_wrong_type_keeps_nothing(
    client, world, settings, kind, name, data, message
):
    side = world.a
    session = village_session(side, 2026)
    client.force_login(side.users["camat"])
    response = client.post(
        url("rembuk_upload", side, session_id=session.pk),
        {"kind": kind, "file": SimpleUploadedFile(name, data)},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert stored_files(session) == [] and media_files(settings) == []


def test_upload_refused_when_too_large_keeps_nothing(client, world, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    side = world.a
    session = village_session(side, 2026)
    client.force_login(side.users["district_admin"])
    response = client.post(
        url("rembuk_upload", side, session_id=session.pk),
        {"kind": "minutes", "file": SimpleUploadedFile("besar.pdf", PDF + b"0" * 2000)},
    )
    assert response.status_code == 200 and "terlalu besar" in response.content.decode()
    assert stored_files(session) == [] and media_files(settings) == []


def test_remove_file_deletes_it_from_storage(
    client, world, settings, django_capture_on_commit_callbacks
):
    side = world.a
    session = village_session(side, 2026)
    with scopes_disabled():
        photo = services.store_file(
            session, upload=png_upload(), kind="photo", by=side.users["district_admin"]
        )
    assert len(media_files(settings)) == 2  # the photo and its thumbnail
    client.force_login(side.users["village_head"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("rembuk_file_remove", side, rembuk_file_id=photo.pk))
    assert response.status_code == 302
    assert stored_files(session) == [] and media_files(settings) == []


def test_file_of_a_hidden_session_is_404(client, world):
    side = world.a
    with scopes_disabled():
        session = services.create_session(
            district=side.district,
            level=Level.VILLAGE,
            village=side.other_village,
            by=side.users["district_admin"],
            title="Rembuk desa lain",
            starts_at=village_session(side, 2026).starts_at,
            venue="Balai",
        )
        photo = services.store_file(
            session, upload=png_upload(), kind="photo", by=side.users["district_admin"]
        )
    for role in ("village_head", "kpm", "camat"):
        client.force_login(side.users[role])
        assert client.get(url("rembuk_file", side, rembuk_file_id=photo.pk)).status_code == 404
        if role != "kpm":  # a KPM may not remove files anywhere (403 before any lookup)
            remove = url("rembuk_file_remove", side, rembuk_file_id=photo.pk)
            assert client.post(remove).status_code == 404


# --- The plan ----------------------------------------------------------------------------------


def test_plan_items_with_budget_totals(client, world):
    side = world.a
    with scopes_disabled():
        session = services.create_session(
            district=side.district,
            level=Level.DISTRICT,
            by=side.users["district_admin"],
            title="Rembuk Kabupaten",
            starts_at=village_session(side, 2026).starts_at,
            venue="Pendopo",
        )
    client.force_login(side.users["district_admin"])
    add = url("rembuk_plan_add", side, session_id=session.pk)
    base = {"lead_agency": side.agency.pk, "fund_source": "apbd", "in_rkpd": "unknown"}
    assert (
        client.post(
            add,
            {
                **base,
                "activity": "PMT ibu hamil KEK",
                "budget": "Rp 150.000.000",
                "villages": [side.village.pk, side.other_village.pk],
            },
        ).status_code
        == 302
    )
    assert (
        client.post(
            add, {**base, "activity": "Kelas BKB", "budget": "25.500.000", "fund_source": "apbdes"}
        ).status_code
        == 302
    )
    assert client.post(add, {**base, "activity": "Sosialisasi", "budget": ""}).status_code == 302
    with scopes_disabled():
        items = list(PlanItem.objects.filter(session=session).prefetch_related("villages"))
        assert [i.budget for i in items] == [150_000_000, 25_500_000, None]
        assert {v.pk for v in items[0].villages.all()} == {side.village.pk, side.other_village.pk}
        totals = services.plan_totals(items)
    assert totals.total == 175_500_000 and totals.unbudgeted == 1
    assert totals.by_source[0][1] == 150_000_000
    page = client.get(url("rembuk_detail", side, session_id=session.pk)).content.decode()
    assert "175.500.000" in page and "150.000.000" in page and "25.500.000" in page
    # RKPD status
    first = items[0]
    response = client.post(url("rembuk_plan_rkpd", side, plan_item_id=first.pk), {"in_rkpd": "yes"})
    assert response.status_code == 302
    client.post(url("rembuk_plan_rkpd", side, plan_item_id=first.pk), {"in_rkpd": "maybe"})
    with scopes_disabled():
        first.refresh_from_db()
        assert first.in_rkpd == RkpdStatus.YES
        assert services.plan_totals(list(PlanItem.objects.filter(session=session))).in_rkpd == (
            150_000_000
        )


def test_plan_item_bad_input_changes_nothing(client, world):
    side = world.a
    session = village_session(side, 2026)
    client.force_login(side.users["village_head"])
    add = url("rembuk_plan_add", side, session_id=session.pk)
    for bad in [
        {"activity": "", "budget": "100", "in_rkpd": "unknown"},
        {"activity": "PMT", "budget": "seratus ribu", "in_rkpd": "unknown"},
        {
            "activity": "PMT",
            "budget": "100",
            "in_rkpd": "unknown",
            "lead_agency": world.b.agency.pk,
        },
        {"activity": "PMT", "in_rkpd": "unknown", "villages": [world.b.village.pk]},
        {"activity": "PMT", "in_rkpd": "sure"},
    ]:
        response = client.post(add, bad)
        assert response.status_code == 200, bad
        assert 'class="error"' in response.content.decode(), bad
    with scopes_disabled():
        assert not PlanItem.objects.filter(session=session).exists()


def test_village_session_plan_defaults_to_its_village(client, world):
    side = world.a
    session = village_session(side, 2026)
    client.force_login(side.users["village_head"])
    form = client.get(url("rembuk_plan_add", side, session_id=session.pk)).content.decode()
    assert f'value="{side.village.pk}" checked' in form
    assert side.other_village.name not in form  # another kecamatan's village is not offered
    client.post(
        url("rembuk_plan_add", side, session_id=session.pk),
        {"activity": "Posyandu", "budget": "5.000.000", "in_rkpd": "unknown"},
    )
    with scopes_disabled():
        item = PlanItem.objects.get(session=session)
        assert list(item.villages.all()) == [side.village]


def test_edit_and_remove_plan_item(client, world):
    side = world.a
    session = village_session(side, 2026)
    with scopes_disabled():
        item = services.add_plan_item(
            session, by=side.users["district_admin"], activity="Kelas ibu", budget=1_000_000
        )
    client.force_login(side.users["camat"])
    edit = url("rembuk_plan_edit", side, plan_item_id=item.pk)
    page = client.get(edit).content.decode()
    assert 'value="1.000.000"' in page
    bad = client.post(edit, {"activity": "Kelas ibu hamil", "budget": "x", "in_rkpd": "no"})
    assert bad.status_code == 200
    with scopes_disabled():
        item.refresh_from_db()
    assert item.activity == "Kelas ibu" and item.in_rkpd == RkpdStatus.UNKNOWN
    ok = client.post(edit, {"activity": "Kelas ibu hamil", "budget": "2.000.000", "in_rkpd": "no"})
    assert ok.status_code == 302
    with scopes_disabled():
        item.refresh_from_db()
    assert (item.activity, item.budget, item.in_rkpd) == ("Kelas ibu hamil", 2_000_000, "no")
    client.force_login(side.users["kpm"])
    assert client.post(url("rembuk_plan_remove", side, plan_item_id=item.pk)).status_code == 403
    client.force_login(side.users["village_head"])
    assert client.post(url("rembuk_plan_remove", side, plan_item_id=item.pk)).status_code == 302
    with scopes_disabled():
        assert not PlanItem.objects.filter(session=session).exists()


def test_plan_budget_is_read_like_every_rupiah_field(client, world):
    """The plan's budget goes through the one rupiah reader (lib.rupiah): Indonesian thousands
    are taken, cents and English thousands are refused with the reason."""
    side = world.a
    with scopes_disabled():
        session = services.create_session(
            district=side.district,
            level=Level.DISTRICT,
            by=side.users["district_admin"],
            title="Rembuk Kabupaten",
            starts_at=village_session(side, 2026).starts_at,
            venue="Pendopo",
        )
    client.force_login(side.users["district_admin"])
    add = url("rembuk_plan_add", side, session_id=session.pk)
    base = {"activity": "PMT lokal", "in_rkpd": "unknown"}
    for typed, message in (
        ("400.000,50", "Rupiah tidak memakai sen"),
        ("400,000,000", "Pakai titik untuk memisahkan ribuan"),
        ("1.5", "Titik hanya untuk memisahkan ribuan"),
    ):
        response = client.post(add, {**base, "budget": typed})
        assert response.status_code == 200
        assert message in response.content.decode(), typed
    assert client.post(add, {**base, "budget": "Rp 400.000.000,-"}).status_code == 302
    with scopes_disabled():
        assert [i.budget for i in PlanItem.objects.filter(session=session)] == [400_000_000]
