from django import forms
from django.utils.translation import gettext_lazy as _

from .evaluation import SECTIONS
from .models import ITEMS, Publication


class PublicationForm(forms.ModelForm):
    class Meta:
        model = Publication
        fields = list(ITEMS)


# what the page calls each section (reports.evaluation.SECTIONS holds the PDF's titles, always
# Indonesian); a section without a label here shows the PDF's title
SECTION_LABELS = {
    "summary": _("Ringkasan"),
    "prevalence": _("Prevalensi stunting"),
    "actions": _("Aksi konvergensi"),
    "villages": _("Desa lokus"),
    "rembuk": _("Rembuk stunting dan komitmen"),
    "budget": _("Anggaran"),
    "problems": _("Permasalahan"),
    "recommendations": _("Rekomendasi"),
}


def section_label(key: str, title: str) -> str:
    return SECTION_LABELS.get(key, title)


class EvaluationTextsForm(forms.Form):
    """One text per section of the annual evaluation (reports.evaluation.SECTIONS), all
    optional: a section left empty says so in the PDF."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, title in SECTIONS:
            self.fields[key] = forms.CharField(
                label=section_label(key, title),
                required=False,
                strip=False,
                widget=forms.Textarea(attrs={"rows": 4}),
            )
