from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.forms import ReauthForm
from lib import pasted, text
from rembuk.models import Level

from .models import FollowUpStatus, Template

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ContentForm(forms.Form):
    title = forms.CharField(label=_("Judul"), max_length=300)
    preamble = forms.CharField(
        label=_("Pembukaan"),
        max_length=text.NOTE,
        help_text=_("{hari}, {tanggal} dan {tempat} diisi dari tanggal dan tempat di bawah."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    points = forms.CharField(
        label=_("Butir komitmen"),
        # 40 points of at most text.LINE characters; each point is checked by the service
        max_length=40 * (text.LINE + 8),
        help_text=_("Satu butir per baris; nomor dibuat otomatis."),
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    closing = forms.CharField(
        label=_("Penutup"),
        required=False,
        max_length=text.NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    place = forms.CharField(label=_("Tempat penandatanganan"), max_length=120)
    signed_on = forms.DateField(label=_("Tanggal"), widget=DATE_WIDGET)


class CreateForm(ContentForm):
    template = forms.ChoiceField(label=_("Templat"), choices=Template.choices)
    level = forms.ChoiceField(label=_("Tingkat"), choices=Level.choices)
    kecamatan = forms.TypedChoiceField(label=_("Kecamatan"), coerce=int, required=False)
    village = forms.TypedChoiceField(label=_("Desa/kelurahan"), coerce=int, required=False)
    rembuk = forms.ChoiceField(label=_("Dari rembuk"), required=False)
    year = forms.IntegerField(label=_("Tahun"), min_value=2018, max_value=2100)

    field_order = ["template", "level", "kecamatan", "village", "rembuk", "year"]


class SignatoryForm(forms.Form):
    position = forms.CharField(label=_("Jabatan"), max_length=200)
    name = forms.CharField(
        label=_("Nama"),
        max_length=200,
        required=False,
        help_text=_("Boleh dikosongkan dan diisi nanti atau saat penandatanganan."),
    )
    rank = forms.CharField(label=_("Pangkat/golongan"), max_length=120, required=False)
    nip = forms.CharField(
        label=_("NIP"),
        max_length=40,
        required=False,
        help_text=_("18 angka; kosongkan untuk pejabat yang tidak ber-NIP."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    organisation = forms.CharField(label=_("Instansi/lembaga"), max_length=200, required=False)
    user = forms.TypedChoiceField(
        label=_("Akun portal"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_(
            "Bila ada, ia menandatangani sendiri di portal; bila tidak, lembar kertas diunggah."
        ),
    )


class SignatoryLinesForm(forms.Form):
    lines = forms.CharField(
        label=_("Penanda tangan, satu orang per baris"),
        help_text=_(
            "Tulis: nama; jabatan; instansi. Jabatan wajib diisi; nama boleh dikosongkan "
            "(diisi saat penandatanganan). Baris yang disalin dari tabel (dipisah tab) juga "
            "diterima."
        ),
        max_length=pasted.MAX_PASTED_CHARS,
        widget=forms.Textarea(
            attrs={
                "rows": 8,
                "placeholder": "Dr. Siti Aminah; Kepala Dinas Kesehatan; Dinas Kesehatan\n"
                "; Kepala Desa Cimungkal; Kecamatan Wado",
            }
        ),
    )

    def clean_lines(self):
        """(people, bad lines): a bad line is skipped and shown, not a reason to refuse the
        others; only a paste that is too long or holds nobody is refused."""
        people, bad = pasted.read_people(
            self.cleaned_data["lines"], name_required=False, position_required=True
        )
        if bad and not bad[0].number:
            raise forms.ValidationError(bad[0].reason)
        if not people and not bad:
            raise forms.ValidationError(_("Tulis paling sedikit satu penanda tangan."))
        return people, bad


class VillageBlockForm(forms.Form):
    scope = forms.ChoiceField(
        label=_("Desa/kelurahan"),
        help_text=_(
            "Satu blok tanda tangan per desa/kelurahan dari daftar wilayah, dengan jabatan "
            "Kepala Desa atau Lurah dan nama desanya. Nama diambil dari akun atau profil desa "
            "bila ada; selain itu diisi nanti atau saat penandatanganan."
        ),
    )


class SignForm(ReauthForm):
    content_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)
    agree = forms.BooleanField(
        label=_("Saya telah membaca dokumen ini dan menyetujui isinya."), required=True
    )


class PaperForm(forms.Form):
    name = forms.CharField(
        label=_("Nama penanda tangan"),
        max_length=200,
        required=False,
        help_text=_("Seperti tertulis pada lembar; wajib bila nama belum tercatat."),
    )
    page = forms.FileField(
        label=_("Pindaian lembar bertanda tangan"),
        required=False,
        help_text=_("PDF, PNG atau JPEG; paling besar %(mb)s MB.")
        % {"mb": settings.MAX_UPLOAD_BYTES // 1_048_576},
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )


class FollowUpForm(forms.Form):
    point = forms.TypedChoiceField(label=_("Butir"), coerce=int)
    owner = forms.MultipleChoiceField(
        label=_("Pemilik"),
        help_text=_(
            "Satu atau beberapa sekaligus (tahan Ctrl atau sentuh lama): setiap pemilik "
            "mendapat baris pemantauan sendiri."
        ),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        error_messages={"required": _("Pilih paling sedikit satu pemilik.")},
    )
    due_on = forms.DateField(label=_("Tenggat"), widget=DATE_WIDGET)
    verifier = forms.TypedChoiceField(
        label=_("Verifikator"), coerce=int, required=False, empty_value=None
    )


class ProgressForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (s.value, s.label)
            for s in (FollowUpStatus.NOT_STARTED, FollowUpStatus.IN_PROGRESS, FollowUpStatus.DONE)
        ],
    )
    note = forms.CharField(
        label=_("Catatan kemajuan"),
        required=False,
        max_length=text.NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    upload = forms.FileField(label=_("Bukti"), required=False)


class VerdictForm(forms.Form):
    accept = forms.TypedChoiceField(
        label=_("Keputusan"),
        coerce=lambda v: v == "1",
        choices=[("1", _("Terima")), ("0", _("Kembalikan"))],
    )
    verdict = forms.CharField(
        label=_("Catatan"),
        required=False,
        max_length=text.NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class TemplateForm(forms.Form):
    name = forms.CharField(label=_("Nama templat"), max_length=120)
    title = forms.CharField(label=_("Judul"), max_length=300)
    preamble = forms.CharField(
        label=_("Pembukaan"),
        max_length=text.NOTE,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    points = forms.CharField(
        label=_("Butir komitmen"),
        max_length=40 * (text.LINE + 8),
        help_text=_("Satu butir per baris; nomor dibuat otomatis."),
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    closing = forms.CharField(
        label=_("Penutup"),
        required=False,
        max_length=text.NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class NewTemplateForm(TemplateForm):
    kind = forms.ChoiceField(label=_("Jenis"), choices=Template.choices)

    field_order = ["kind", "name"]


class IssueForm(forms.Form):
    SCOPES = [
        ("all", _("Semua desa/kelurahan")),
        ("focus", _("Desa lokus tahun ini")),
        ("kecamatan", _("Satu kecamatan")),
    ]
    template = forms.ChoiceField(label=_("Templat"), required=False)
    year = forms.IntegerField(label=_("Tahun"), min_value=2018, max_value=2100)
    scope = forms.ChoiceField(label=_("Untuk"), choices=SCOPES, widget=forms.RadioSelect)
    kecamatan = forms.TypedChoiceField(
        label=_("Kecamatan"), coerce=int, required=False, empty_value=None
    )
    signed_on = forms.DateField(label=_("Tanggal penandatanganan"), widget=DATE_WIDGET)
