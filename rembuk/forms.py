"""Forms of the rembuk pages. They check what was typed; the rules live in rembuk.services."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lib import pasted
from lib.rupiah import format_rupiah, parse_rupiah
from villages.models import Agency, Village

from . import services
from .models import FundSource, Level, RkpdStatus, SessionFile

LOCAL_INPUT = "%Y-%m-%dT%H:%M"


class SessionForm(forms.Form):
    """What the organisers may change after creating a session."""

    title = forms.CharField(label=gettext_lazy("Judul"), max_length=250)
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Tanggal dan jam mulai"),
        input_formats=[LOCAL_INPUT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT),
    )
    venue = forms.CharField(label=gettext_lazy("Tempat"), max_length=250)
    chair = forms.CharField(label=gettext_lazy("Pimpinan rapat"), max_length=200, required=False)
    agenda = forms.CharField(
        label=gettext_lazy("Agenda"),
        required=False,
        max_length=5000,
        help_text=gettext_lazy("Satu butir per baris."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    year = forms.IntegerField(
        label=gettext_lazy("Tahun"),
        min_value=2015,
        max_value=2100,
        required=False,
        help_text=gettext_lazy("Kosongkan untuk memakai tahun tanggal mulai."),
    )
    checkin_open = forms.BooleanField(
        label=gettext_lazy("Peserta boleh mencatat kehadiran sendiri dengan kode QR"),
        required=False,
        initial=True,
    )

    def __init__(self, *args, district, **kwargs):
        self.district = district
        super().__init__(*args, **kwargs)
        self.fields["starts_at"].help_text = _("Waktu setempat (%(tz)s).") % {
            "tz": district.time_zone_short
        }
        self.fields["title"].help_text = _(
            "Misalnya: Rembuk Stunting %(district)s Tahun %(year)s"
        ) % {
            "district": district.name,
            "year": district.local_now().year,
        }

    @staticmethod
    def initial_for(session) -> dict:
        return {
            "title": session.title,
            # shown as the wall clock of the district, whatever the server's time zone
            "starts_at": timezone.localtime(session.starts_at, session.district.tz).replace(
                tzinfo=None
            ),
            "venue": session.venue,
            "chair": session.chair,
            "agenda": session.agenda,
            "year": session.year,
            "checkin_open": session.checkin_open,
        }

    def clean_starts_at(self):
        """The typed wall-clock time is the district's, not the server's."""
        value = self.cleaned_data["starts_at"]
        naive = timezone.make_naive(value) if timezone.is_aware(value) else value
        return naive.replace(tzinfo=self.district.tz)

    def session_fields(self) -> dict:
        data = {k: self.cleaned_data[k] for k in ("title", "starts_at", "venue", "chair", "agenda")}
        data["checkin_open"] = self.cleaned_data["checkin_open"]
        data["year"] = self.cleaned_data["year"] or data["starts_at"].year
        return data


class SessionCreateForm(SessionForm):
    level = forms.ChoiceField(label=gettext_lazy("Tingkat"))
    kecamatan = forms.ChoiceField(
        label=gettext_lazy("Kecamatan"),
        required=False,
        help_text=gettext_lazy("Untuk rembuk tingkat kecamatan."),
    )
    village = forms.ChoiceField(
        label=gettext_lazy("Desa/kelurahan"),
        required=False,
        help_text=gettext_lazy("Untuk rembuk tingkat desa/kelurahan."),
    )

    field_order = ["level", "kecamatan", "village"]

    def __init__(self, *args, choices: services.CreationChoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.choices = choices
        labels = dict(Level.choices)
        self.fields["level"].choices = [(v, labels[v]) for v in choices.levels]
        self.kecamatan_by_id = {str(k.pk): k for k in choices.kecamatan}
        self.village_by_id = {str(v.pk): v for v in choices.villages}
        self.fields["kecamatan"].choices = [("", "—")] + [
            (str(k.pk), k.name) for k in choices.kecamatan
        ]
        groups: dict[str, list] = {}
        for v in choices.villages:
            groups.setdefault(v.kecamatan.name, []).append((str(v.pk), v.name))
        self.fields["village"].choices = [("", "—"), *groups.items()]
        # one choice only (a village head's village): chosen already
        if len(choices.levels) == 1:
            self.fields["level"].initial = choices.levels[0]
        if len(choices.kecamatan) == 1:
            self.fields["kecamatan"].initial = str(choices.kecamatan[0].pk)
        if len(choices.villages) == 1:
            self.fields["village"].initial = str(choices.villages[0].pk)
        if not choices.kecamatan:
            del self.fields["kecamatan"]

    def clean(self):
        data = super().clean()
        level = data.get("level")
        data["kecamatan_obj"] = data["village_obj"] = None
        if level == Level.KECAMATAN:
            kecamatan = self.kecamatan_by_id.get(data.get("kecamatan") or "")
            if kecamatan is None:
                self.add_error("kecamatan", _("Pilih kecamatan untuk rembuk tingkat kecamatan."))
            data["kecamatan_obj"] = kecamatan
        elif level == Level.VILLAGE:
            village = self.village_by_id.get(data.get("village") or "")
            if village is None:
                self.add_error("village", _("Pilih desa/kelurahan untuk rembuk tingkat desa."))
            data["village_obj"] = village
        return data


class MinutesForm(forms.Form):
    chair = forms.CharField(label=gettext_lazy("Pimpinan rapat"), max_length=200, required=False)
    minutes = forms.CharField(
        label=gettext_lazy("Notulen"),
        required=False,
        max_length=50_000,
        help_text=gettext_lazy(
            "Ringkasan jalannya rapat, kesepakatan dan tindak lanjut. Berkas berita acara "
            "yang ditandatangani dapat diunggah di bawah."
        ),
        widget=forms.Textarea(attrs={"rows": 12}),
    )


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Jenis"),
        choices=SessionFile.Kind.choices,
        widget=forms.RadioSelect,
        initial=SessionFile.Kind.MINUTES,
    )
    file = forms.FileField(
        label=gettext_lazy("Berkas"),
        help_text=gettext_lazy(
            "Notulen/berita acara: PDF, PNG, JPEG atau DOCX. Foto: PNG atau JPEG. "
            "Paling besar %(mb)s MB."
        )
        % {"mb": settings.MAX_UPLOAD_BYTES // 1_048_576},
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,.docx"}),
    )
    caption = forms.CharField(label=gettext_lazy("Keterangan"), max_length=200, required=False)


class ParticipantsForm(forms.Form):
    lines = forms.CharField(
        label=gettext_lazy("Peserta, satu orang per baris"),
        help_text=gettext_lazy(
            "Tulis: nama; jabatan; instansi. Jabatan dan instansi boleh dikosongkan. "
            "Baris yang disalin dari tabel (dipisah tab) juga diterima. Paling banyak "
            "5.000 baris sekali tempel."
        ),
        max_length=pasted.MAX_PASTED_CHARS,
        widget=forms.Textarea(
            attrs={
                "rows": 10,
                "placeholder": "Dr. Siti Aminah; Kepala Dinas Kesehatan; Dinas Kesehatan\n"
                "Budi Santoso; Camat; Kecamatan Wado",
            }
        ),
    )

    def clean_lines(self):
        """(people, bad lines): a bad line is skipped and shown, not a reason to refuse the
        others; only a paste that is too long or holds nobody is refused."""
        people, bad = pasted.read_people(self.cleaned_data["lines"])
        if bad and not bad[0].number:
            raise ValidationError(bad[0].reason)
        if not people and not bad:
            raise ValidationError(_("Tulis paling sedikit satu nama."))
        return people, bad


class PlanItemForm(forms.Form):
    activity = forms.CharField(label=gettext_lazy("Kegiatan"), max_length=300)
    plan_year = forms.IntegerField(
        label=gettext_lazy("Tahun rencana"),
        required=False,
        help_text=gettext_lazy(
            "Tahun RKPD/Renja yang dituju; bila kosong, tahun setelah rembuk (baris baru) atau "
            "tahun yang sudah tercatat"
        ),
    )
    programme_code = forms.CharField(
        label=gettext_lazy("Kode program/kegiatan/subkegiatan"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("Kode nomenklatur, misalnya 1.02.02.2.02.0005"),
    )
    lead_agency = forms.ModelChoiceField(
        label=gettext_lazy("OPD penanggung jawab"),
        queryset=Agency.objects.none(),
        required=False,
        empty_label="—",
    )
    villages = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Lokasi (desa/kelurahan)"),
        queryset=Village.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    budget = forms.CharField(
        label=gettext_lazy("Anggaran (Rp)"),
        required=False,
        max_length=30,
        help_text=gettext_lazy("Dalam rupiah, mis. 150.000.000"),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    fund_source = forms.ChoiceField(
        label=gettext_lazy("Sumber dana"),
        choices=[("", "—"), *FundSource.choices],
        required=False,
    )
    target_indicator = forms.CharField(
        label=gettext_lazy("Indikator dan sasaran"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("Misalnya: 120 ibu hamil KEK menerima PMT"),
    )
    timeframe = forms.CharField(
        label=gettext_lazy("Waktu pelaksanaan"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("Misalnya: Triwulan II 2027"),
    )
    in_rkpd = forms.ChoiceField(
        label=gettext_lazy("Masuk RKPD/Renja tahun berikutnya"),
        choices=RkpdStatus.choices,
        initial=RkpdStatus.UNKNOWN,
    )

    def __init__(self, *args, session, item=None, **kwargs):
        super().__init__(*args, **kwargs)
        agencies = Agency.objects.filter(district=session.district)
        current = item.lead_agency_id if item else None
        self.fields["lead_agency"].queryset = agencies.filter(
            Q(is_active=True) | Q(pk=current)
        ).order_by("short_name")
        self.fields["villages"].queryset = location_choices(session)
        self.fields["plan_year"].initial = session.year + 1

    @staticmethod
    def initial_for(item) -> dict:
        return {
            "activity": item.activity,
            "plan_year": item.plan_year,
            "programme_code": item.programme_code,
            "lead_agency": item.lead_agency_id,
            "villages": [v.pk for v in item.villages.all()],
            "budget": "" if item.budget is None else format_rupiah(item.budget),
            "fund_source": item.fund_source,
            "target_indicator": item.target_indicator,
            "timeframe": item.timeframe,
            "in_rkpd": item.in_rkpd,
        }

    def clean_budget(self):
        try:
            return parse_rupiah(self.cleaned_data["budget"])
        except ValueError as exc:
            raise ValidationError(exc.args[0]) from exc

    def plan_fields(self) -> dict:
        """The typed fields; an empty plan year leaves the default (or the recorded year)."""
        fields = {k: self.cleaned_data[k] for k in services.PLAN_FIELDS}
        if fields["plan_year"] is None:
            del fields["plan_year"]
        return fields


def location_choices(session):
    """The villages a plan line may name: the whole district for a district session, the
    kecamatan's for a kecamatan or village session."""
    villages = Village.objects.filter(district=session.district).select_related("kecamatan")
    if session.level != Level.DISTRICT:
        villages = villages.filter(kecamatan_id=session.kecamatan_id)
    return villages.order_by("kecamatan__name", "name")


class CheckinForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Nama lengkap"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    position = forms.CharField(
        label=gettext_lazy("Jabatan"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
    )
    organisation = forms.CharField(
        label=gettext_lazy("Instansi/lembaga"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
