from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from lib.tabular import TableError, check_table
from lib.text import strip_form_text
from lib.uploads import check_image

from .models import District, VillageProfile
from .services import MAX_REGION_ROWS

EMBLEM_TYPES = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg"}
# The emblem prints about 2.5 cm wide on every document: 2,000 pixels is 2,000 dpi there.
EMBLEM_MAX_SIDE = 2000


class DistrictProfileForm(forms.ModelForm):
    class Meta:
        model = District
        fields = [
            "time_zone",
            "paper_size",
            "letterhead_name",
            "letterhead_address",
            "emblem",
            "head_name",
            "deputy_name",
            "sekda_name",
            "sekda_nip",
            "verifier_must_differ",
        ]

    def clean_emblem(self):
        emblem = self.cleaned_data.get("emblem")
        if emblem and hasattr(emblem, "content_type"):  # a new upload
            if emblem.size > 1024 * 1024:
                raise forms.ValidationError(_("Lambang paling besar 1 MB."))
            data = emblem.read()
            emblem.seek(0)
            kind = next((k for magic, k in EMBLEM_TYPES.items() if data.startswith(magic)), None)
            if kind is None:
                raise forms.ValidationError(_("Lambang harus berupa gambar PNG atau JPEG."))
            check_image(data, max_side=EMBLEM_MAX_SIDE)
            emblem.name = f"{self.instance.code.replace('.', '')}.{kind}"
        return emblem

    def clean(self):
        # the letterhead and the officials' names print on every document
        return strip_form_text(super().clean())

    def clean_sekda_nip(self):
        nip = self.cleaned_data["sekda_nip"].replace(" ", "")
        if nip and (len(nip) != 18 or not nip.isdigit()):
            raise forms.ValidationError(_("NIP terdiri dari 18 angka."))
        return nip


class VillageProfileForm(forms.ModelForm):
    class Meta:
        model = VillageProfile
        fields = ["office_address", "head_name", "secretary_name"]


class RegionImportForm(forms.Form):
    file = forms.FileField(label=_("Berkas daftar wilayah (CSV atau XLSX: kode,nama)"))
    partial = forms.BooleanField(
        label=_("Sebagian saja: hanya menambah dan mengganti nama, tidak menghapus"),
        required=False,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("Berkas terlalu besar (paling besar %(mb)d MB).")
                % {"mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        data = upload.read()
        upload.seek(0)
        try:
            check_table(data, max_rows=MAX_REGION_ROWS)
        except TableError as exc:
            # the list is read by a job: what can be judged without parsing is judged now
            raise forms.ValidationError(str(exc)) from exc
        return upload
