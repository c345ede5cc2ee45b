from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lib.text import strip_form_text
from villages.models import Agency

from .models import Framework, Status


class OpenYearForm(forms.Form):
    year = forms.IntegerField(label=_("Tahun"), min_value=2018, max_value=2100)
    framework = forms.ModelChoiceField(
        label=_("Kerangka aksi"),
        queryset=Framework.objects.published(),
        required=False,
        empty_label=_("— sesuai tahun —"),
        help_text=_("Kosongkan untuk memakai kerangka yang berlaku pada tahun itu."),
    )


class ActionSetupForm(forms.Form):
    lead_agency = forms.ModelChoiceField(label=_("OPD pengampu"), queryset=None, required=False)
    responsible = forms.MultipleChoiceField(
        label=_("Penanggung jawab"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, year_action, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.year_action = year_action
        self.fields["lead_agency"].queryset = Agency.objects.filter(
            district=year_action.district, is_active=True
        )
        self.users = {str(m.user.pk): m.user for m in members}
        self.fields["responsible"].choices = [
            (
                str(m.user.pk),
                f"{m.user.full_name or m.user.email} · {m.get_role_display()}"
                + (f" ({m.agency.short_name})" if m.agency_id else ""),
            )
            for m in members
        ]
        self.deliverables = list(year_action.deliverables.select_related("template"))
        for d in self.deliverables:
            self.fields[f"due_{d.pk}"] = forms.DateField(
                label=d.template.title,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )
            # an inactive agency stays on the list while a deliverable still names it
            self.fields[f"supporting_{d.pk}"] = forms.ModelChoiceField(
                label=_("OPD pendukung"),
                queryset=Agency.objects.filter(
                    Q(is_active=True) | Q(pk=d.supporting_agency_id),
                    district=year_action.district,
                ),
                required=False,
                empty_label="—",
            )
        if not self.is_bound:
            self.initial["lead_agency"] = year_action.lead_agency_id
            self.initial["responsible"] = [str(u.pk) for u in year_action.responsible.all()]
            for d in self.deliverables:
                self.initial[f"due_{d.pk}"] = d.due_date
                self.initial[f"supporting_{d.pk}"] = d.supporting_agency_id

    def due_fields(self):
        return [self[f"due_{d.pk}"] for d in self.deliverables]

    def deliverable_fields(self):
        """Each deliverable's due date and supporting agency fields, side by side."""
        return [(self[f"due_{d.pk}"], self[f"supporting_{d.pk}"]) for d in self.deliverables]

    def clean(self):
        data = super().clean()
        year = self.year_action.district_year.year
        for d in self.deliverables:
            value = data.get(f"due_{d.pk}")
            if value and not year - 1 <= value.year <= year + 1:
                self.add_error(f"due_{d.pk}", _("Tenggat harus sekitar tahun %(y)s.") % {"y": year})
            lead, supporting = data.get("lead_agency"), data.get(f"supporting_{d.pk}")
            if lead is not None and supporting is not None and lead.pk == supporting.pk:
                self.add_error(
                    f"supporting_{d.pk}", _("OPD pendukung harus berbeda dari OPD pengampu.")
                )
        return data

    def responsible_users(self):
        return [self.users[pk] for pk in self.cleaned_data.get("responsible", [])]

    def due_dates(self):
        return {d.pk: self.cleaned_data[f"due_{d.pk}"] for d in self.deliverables}

    def supporting_agencies(self):
        return {d.pk: self.cleaned_data[f"supporting_{d.pk}"] for d in self.deliverables}


class EvidenceForm(forms.Form):
    file = forms.FileField(
        label=_("Berkas bukti"),
        help_text=_("PDF, PNG, JPEG, XLSX atau DOCX; paling besar %(mb)s MB.")
        % {"mb": settings.MAX_UPLOAD_BYTES // 1_048_576},
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,.xlsx,.docx"}),
    )


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Alasan dikembalikan"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Komentar"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )


class BoardFilterForm(forms.Form):
    agency = forms.ModelChoiceField(
        label=_("OPD"), queryset=None, required=False, empty_label=_("Semua OPD")
    )
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, district, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.filter(district=district)
        self.fields["status"].choices = [("", _("Semua status")), *Status.choices]


class AgencyForm(forms.ModelForm):
    class Meta:
        model = Agency
        fields = ["short_name", "name", "is_active"]

    def __init__(self, *args, district, **kwargs):
        super().__init__(*args, **kwargs)
        self.district = district

    def clean(self):
        return strip_form_text(super().clean())

    def clean_short_name(self):
        value = self.cleaned_data["short_name"].strip().upper()
        clash = Agency.objects.filter(district=self.district, short_name=value)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(_("Singkatan %(s)s sudah dipakai OPD lain.") % {"s": value})
        return value


class UploadForm(forms.Form):
    """One CSV/XLSX/JSON upload, size-limited."""

    file = forms.FileField(label=_("Berkas"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise ValidationError(_("Berkas terlalu besar."))
        return upload
