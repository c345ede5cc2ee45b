"""Images that end up rendered are judged by the size their header declares, before anything
decodes them: a 17.5 KB PNG of 12,000 × 12,000 pixels is refused as the district emblem, as
evidence, as a signed paper page and as a rembuk photo, and one stored before this check is
left out of the PDFs instead of costing a gigabyte to draw."""

import io
import struct
import subprocess
import time

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled
from PIL import Image

from commitments import services as commitments
from convergence import services as convergence
from convergence.models import Evidence
from rembuk import services as rembuk
from rembuk.models import SessionFile
from tests.commitments.factories import add_people, make_document
from tests.conftest import need_poppler
from tests.convergence.objects import own_deliverable, year_for
from tests.rembuk.objects import village_session
from tests.villages.test_district_profile import FIELDS

pytestmark = pytest.mark.django_db


def huge_png(width=12_000, height=12_000) -> bytes:
    """A real PNG of width × height black-and-white pixels: a few kilobytes on disk,
    width × height × 4 bytes once decoded for drawing."""
    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def huge_jpeg() -> bytes:
    """A small real JPEG whose header (SOF0) claims 12,000 × 12,000 pixels."""
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(buffer, format="JPEG")
    data = bytearray(buffer.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 12_000, 12_000)  # height, width
    return bytes(data)


def test_the_test_images_are_what_they_claim():
    png = huge_png()
    assert len(png) < 20_000
    for data in (png, huge_jpeg()):
        with pytest.warns(Image.DecompressionBombWarning), Image.open(io.BytesIO(data)) as image:
            assert image.size == (12_000, 12_000)


def test_a_huge_emblem_is_refused_at_the_field(client, world):
    side = world.a
    client.force_login(side.users["district_admin"])
    before = side.district.emblem.name
    started = time.monotonic()
    response = client.post(
        f"/{side.district.slug}/profil/",
        {**FIELDS, "emblem": SimpleUploadedFile("lambang.png", huge_png())},
    )
    assert time.monotonic() - started < 5
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["emblem"])
    assert "12.000 × 12.000 piksel" in errors and "2.000 × 2.000 piksel" in errors
    # long and thin is refused too: what counts is the longer side
    response = client.post(
        f"/{side.district.slug}/profil/",
        {**FIELDS, "emblem": SimpleUploadedFile("lambang.png", huge_png(4_000, 10))},
    )
    assert "emblem" in response.context["form"].errors
    side.district.refresh_from_db()
    assert side.district.emblem.name == before


@pytest.mark.parametrize("data", [huge_png(), huge_jpeg()], ids=["png", "jpeg"])
def test_huge_images_are_refused_as_evidence_paper_pages_and_photos(world, data):
    side = world.a
    admin = side.users["district_admin"]
    with scopes_disabled():
        deliverable = own_deliverable(side, year_for(side, 2026))
        with pytest.raises(ValidationError, match="12.000 × 12.000 piksel"):
            convergence.upload_evidence(
                deliverable=deliverable, upload=SimpleUploadedFile("bukti.png", data), by=admin
            )
        assert not Evidence.objects.filter(deliverable=deliverable).exists()

        document = make_document(side)
        [paper] = add_people(document, side, paper=1)
        commitments.open_signing(document, by=admin)
        with pytest.raises(ValidationError, match="12.000 × 12.000 piksel"):
            commitments.sign_on_paper(
                document, signatory=paper, upload=SimpleUploadedFile("lembar.png", data), by=admin
            )
        assert not hasattr(paper, "signature") or paper.signature is None

        session = village_session(side, 2026)
        with pytest.raises(ValidationError, match="12.000 × 12.000 piksel"):
            rembuk.store_file(
                session, upload=SimpleUploadedFile("foto.png", data), kind="photo", by=admin
            )
        assert not SessionFile.objects.filter(session=session).exists()


def images_in(pdf: bytes, tmp_path) -> list[str]:
    """The images of a PDF as `pdfimages -list` (poppler) lists them: width and height."""
    need_poppler()
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    listing = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, check=True, text=True
    ).stdout.splitlines()[2:]
    return [" ".join(line.split()[3:5]) for line in listing]


def test_a_huge_emblem_stored_earlier_is_left_out_of_the_pdf(client, world, tmp_path):
    side = world.a
    with scopes_disabled():
        document = make_document(side)
    client.force_login(side.users["district_admin"])
    draft = f"/{side.district.slug}/komitmen/{document.pk}/draf.pdf"
    assert "64 64" in images_in(client.get(draft).content, tmp_path)  # the fixture's emblem
    side.district.emblem.save("lama.png", ContentFile(huge_png()), save=True)
    started = time.monotonic()
    response = client.get(draft)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert time.monotonic() - started < 20
    assert "12000 12000" not in images_in(response.content, tmp_path)
