from django import forms
from django.utils.translation import gettext_lazy as _


class VerifyUploadForm(forms.Form):
    """The public verification page's upload: is this file the stored PDF?"""

    pdf = forms.FileField(label=_("Berkas PDF yang ingin diperiksa"))
