from django import forms

from .evaluation import SECTIONS
from .models import ITEMS, Publication


class PublicationForm(forms.ModelForm):
    class Meta:
        model = Publication
        fields = list(ITEMS)


class EvaluationTextsForm(forms.Form):
    """One text per section of the annual evaluation (reports.evaluation.SECTIONS), all
    optional: a section left empty says so in the PDF."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, title in SECTIONS:
            self.fields[key] = forms.CharField(
                label=title,
                required=False,
                strip=False,
                widget=forms.Textarea(attrs={"rows": 4}),
            )
