"""Focus-village objects of one side that URLs can point at: the year's decree (with a scan)
listing the side's village, and a pending import of that year."""

from django.core.files.base import ContentFile
from django_scopes import scopes_disabled

from tests.convergence.objects import PDF
from village_reports.models import FocusDecree, FocusImport, FocusVillage


def focus_objects(side, year):
    with scopes_disabled():
        decree, _created = FocusDecree.objects.get_or_create(
            district=side.district, year=year, defaults={"number": f"400/Kep.{year}/Lokus"}
        )
        if not decree.scan:
            decree.scan.save("sk", ContentFile(PDF), save=False)
            decree.scan_name = f"sk-lokus-{year}.pdf"
            decree.save()
        FocusVillage.objects.get_or_create(
            decree=decree, village=side.village, defaults={"district": side.district}
        )
        job = FocusImport.objects.filter(district=side.district, year=year).first()
        if job is None:
            job = FocusImport(district=side.district, year=year, original_name="lokus.csv")
            job.file.save(
                "impor",
                ContentFile(f"kode_desa,prevalensi\n{side.village.code},21.5\n".encode()),
                save=False,
            )
            job.save()
    return {"village_id": side.village.pk, "focus_import_id": job.pk}
