import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import png_bytes

pytestmark = pytest.mark.django_db

FIELDS = {
    "time_zone": "Asia/Makassar",
    "paper_size": "F4",
    "letterhead_name": "PEMERINTAH KABUPATEN SUMEDANG",
    "letterhead_address": "Jalan Prabu Geusan Ulun 36",
    "head_name": "Bupati Contoh",
    "deputy_name": "",
    "sekda_name": "Sekda Contoh",
    "sekda_nip": "196805121990031007",
}


def test_admin_updates_profile_and_emblem(client, world):
    client.force_login(world.a.users["district_admin"])
    url = f"/{world.a.district.slug}/profil/"
    emblem = SimpleUploadedFile("lambang.png", png_bytes((120, 120)), content_type="image/png")
    response = client.post(url, {**FIELDS, "emblem": emblem})
    assert response.status_code == 302
    world.a.district.refresh_from_db()
    assert world.a.district.time_zone == "Asia/Makassar"
    assert world.a.district.paper_size == "F4"
    served = client.get(f"/{world.a.district.slug}/lambang/")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")
    # the home page now shows the district's time zone
    assert "WITA" in client.get(f"/{world.a.district.slug}/").content.decode()


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("lambang.png", b"<svg onload=alert(1)>", "PNG atau JPEG"),
        ("lambang.png", b"\x89PNG\r\n\x1a\n" + b"0" * (1024 * 1024 + 1), "1 MB"),
    ],
)
def test_bad_emblem_is_refused_and_nothing_changes(client, world, name, content, message):
    client.force_login(world.a.users["district_admin"])
    before = world.a.district.emblem.name
    response = client.post(
        f"/{world.a.district.slug}/profil/", {**FIELDS, "emblem": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    world.a.district.refresh_from_db()
    assert world.a.district.emblem.name == before
    assert world.a.district.time_zone == "Asia/Jakarta"


def test_wrong_nip_is_refused(client, world):
    client.force_login(world.a.users["district_admin"])
    response = client.post(f"/{world.a.district.slug}/profil/", {**FIELDS, "sekda_nip": "12345"})
    assert response.status_code == 200
    assert "18 angka" in response.content.decode()
