"""Rembuk objects of one side that URLs can point at: a village session in the side's own
village (which the district admin, the camat and the village head may all manage, and every
role may see), with one participant, one photo and one line of the plan."""

from datetime import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled

from rembuk import services
from rembuk.models import Level, Participant, PlanItem, RembukSession, SessionFile
from tests.conftest import png_bytes


def png_upload(name="foto.png", data=None):
    return SimpleUploadedFile(name, data or png_bytes(), content_type="image/png")


def village_session(side, year, **fields):
    """The side's village session of `year`, made once."""
    with scopes_disabled():
        session = RembukSession.objects.filter(
            district=side.district, village=side.village, year=year
        ).first()
        if session is None:
            session = services.create_session(
                district=side.district,
                level=Level.VILLAGE,
                village=side.village,
                by=side.users["village_head"],
                title=f"Rembuk Stunting Desa {side.village.name} {year}",
                starts_at=datetime(year, 3, 10, 9, 0, tzinfo=side.district.tz),
                venue="Balai desa",
                agenda="Hasil analisis situasi\nKegiatan prioritas",
                **fields,
            )
    return session


def rembuk_objects(side, year):
    with scopes_disabled():
        session = village_session(side, year)
        admin = side.users["district_admin"]
        participant = Participant.objects.filter(session=session).first()
        if participant is None:
            participant = services.add_participant(
                session, name="Siti Aminah", position="Ketua TP PKK", organisation="PKK", by=admin
            )
        stored = SessionFile.objects.filter(session=session).first()
        if stored is None:
            stored = services.store_file(
                session, upload=png_upload(), kind="photo", caption="Pembukaan", by=admin
            )
        item = PlanItem.objects.filter(session=session).first()
        if item is None:
            item = services.add_plan_item(
                session,
                by=admin,
                activity="Kelas ibu hamil",
                budget=12_500_000,
                fund_source="apbdes",
            )
    return {
        "session_id": session.pk,
        "participant_id": participant.pk,
        "rembuk_file_id": stored.pk,
        "plan_item_id": item.pk,
    }
