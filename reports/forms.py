from django import forms

from .models import ITEMS, Publication


class PublicationForm(forms.ModelForm):
    class Meta:
        model = Publication
        fields = list(ITEMS)
