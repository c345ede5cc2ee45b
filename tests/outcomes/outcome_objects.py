"""Outcome objects of one side that URLs can point at: a stored value of the side's district
and a pending import."""

from decimal import Decimal

from django.core.files.base import ContentFile
from django_scopes import scopes_disabled

from outcomes.models import Indicator, IndicatorValue, OutcomeImport


def outcome_objects(side, year):
    with scopes_disabled():
        value, _created = IndicatorValue.objects.get_or_create(
            district=side.district,
            kecamatan=None,
            village=None,
            indicator=Indicator.objects.get(code="prevalensi_stunting"),
            year=year,
            month=None,
            source="ssgi",
            defaults={"value": Decimal("21.50")},
        )
        upload = OutcomeImport.objects.filter(district=side.district).first()
        if upload is None:
            upload = OutcomeImport(district=side.district, original_name="capaian.csv")
            upload.file.save(
                "impor",
                ContentFile(
                    "kode_wilayah,indikator,tahun,nilai,sumber\n"
                    f"{side.district.code},prevalensi_stunting,{year},20.1,SSGI\n".encode()
                ),
                save=False,
            )
            upload.save()
    return {"value_id": value.pk, "outcome_import_id": upload.pk}
