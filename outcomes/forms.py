from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Indicator, Source

MONTHS = [("", "—")] + [(str(m), str(m)) for m in range(1, 13)]


def _number(value):
    """Accept a comma as decimal mark (Indonesian), as the imports do."""
    return value.replace(",", ".").strip() if isinstance(value, str) else value


class FiguresForm(forms.Form):
    value = forms.DecimalField(
        label=gettext_lazy("Nilai"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text=gettext_lazy("Persen 0–100. Kosongkan bila pembilang dan penyebut diisi."),
        localize=True,
    )
    numerator = forms.IntegerField(
        label=gettext_lazy("Pembilang"),
        required=False,
        min_value=0,
        help_text=gettext_lazy("Mis. jumlah balita stunting"),
    )
    denominator = forms.IntegerField(
        label=gettext_lazy("Penyebut"),
        required=False,
        min_value=1,
        help_text=gettext_lazy("Mis. jumlah balita yang diukur"),
    )
    note = forms.CharField(label=gettext_lazy("Catatan"), required=False, max_length=300)

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and "value" in data:
            data = data.copy()
            data["value"] = _number(data["value"])
        super().__init__(data, *args, **kwargs)


class ValueForm(FiguresForm):
    indicator = forms.ModelChoiceField(
        label=gettext_lazy("Indikator"), queryset=Indicator.objects.all(), to_field_name="code"
    )
    area = forms.CharField(
        label=gettext_lazy("Kode wilayah"),
        required=False,
        max_length=20,
        help_text=gettext_lazy(
            "Kosongkan untuk kabupaten/kota; atau kode Kemendagri kecamatan (32.11.01) atau "
            "desa (32.11.01.2001)."
        ),
    )
    year = forms.IntegerField(label=gettext_lazy("Tahun"), min_value=2000, max_value=2100)
    month = forms.TypedChoiceField(
        label=gettext_lazy("Bulan"),
        choices=MONTHS,
        required=False,
        coerce=int,
        empty_value=None,
    )
    source = forms.ChoiceField(label=gettext_lazy("Sumber"), choices=Source.choices)

    field_order = ["indicator", "area", "year", "month", "source", "value"]


class TargetForm(forms.Form):
    indicator = forms.ModelChoiceField(
        label=gettext_lazy("Indikator"), queryset=Indicator.objects.all(), to_field_name="code"
    )
    year = forms.IntegerField(label=gettext_lazy("Tahun"), min_value=2000, max_value=2100)
    value = forms.DecimalField(
        label=gettext_lazy("Target"), min_value=0, max_digits=14, decimal_places=2, localize=True
    )

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and "value" in data:
            data = data.copy()
            data["value"] = _number(data["value"])
        super().__init__(data, *args, **kwargs)


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Berkas CSV atau XLSX"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise ValidationError(_("Berkas terlalu besar."))
        return upload
