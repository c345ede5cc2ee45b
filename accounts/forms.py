from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from villages.models import Agency, Kecamatan, Village

from .models import DISTRICT_ROLES, ROLE_SCOPE, Role


class VillageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.kecamatan.name} — {obj.name} ({obj.code})"


class RoleScopeForm(forms.Form):
    """Role plus the scope that role needs, limited to the district's own areas."""

    role = forms.ChoiceField(label=_("Peran"))
    agency = forms.ModelChoiceField(label=_("OPD"), queryset=Agency.objects.none(), required=False)
    kecamatan = forms.ModelChoiceField(
        label=_("Kecamatan (untuk camat)"), queryset=Kecamatan.objects.none(), required=False
    )
    village = VillageChoiceField(
        label=_("Desa/kelurahan (untuk kepala desa dan KPM)"),
        queryset=Village.objects.none(),
        required=False,
    )
    position = forms.CharField(label=_("Jabatan"), max_length=150, required=False)

    def __init__(self, *args, district, **kwargs):
        super().__init__(*args, **kwargs)
        self.district = district
        self.fields["role"].choices = [(r.value, r.label) for r in Role if r in DISTRICT_ROLES]
        self.fields["agency"].queryset = Agency.objects.filter(district=district, is_active=True)
        self.fields["kecamatan"].queryset = Kecamatan.objects.active().filter(district=district)
        self.fields["village"].queryset = (
            Village.objects.active().filter(district=district).select_related("kecamatan")
        )

    def clean(self):
        data = super().clean()
        role = data.get("role")
        if not role:
            return data
        needed = ROLE_SCOPE[Role(role)]
        for field, message in (
            ("agency", _("Pilih OPD untuk staf OPD.")),
            ("kecamatan", _("Pilih kecamatan untuk camat.")),
            ("village", _("Pilih desa/kelurahan untuk kepala desa atau KPM.")),
        ):
            if field in needed and not data.get(field):
                self.add_error(field, message)
            elif field not in needed:
                data[field] = None
        return data


class InviteForm(RoleScopeForm):
    email = forms.EmailField(label=_("Email"))
    full_name = forms.CharField(label=_("Nama lengkap"), max_length=150, required=False)

    field_order = ["email", "full_name", "role", "agency", "kecamatan", "village", "position"]


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label=_("Nama lengkap"), max_length=150)
    password1 = forms.CharField(
        label=_("Kata sandi"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("Ulangi kata sandi"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("Kedua kata sandi tidak sama."))
        elif p1:
            from .models import User

            try:
                validate_password(p1, User(email=self.email, full_name=data.get("full_name", "")))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class ReauthForm(forms.Form):
    """The password again, and the authenticator's code when the user has one
    (accounts.reauth): before signing a commitment or approving the annual evaluation."""

    password = forms.CharField(
        label=_("Kata sandi Anda"),
        strip=False,
        # a megabyte is not a password: refused as input before it is hashed (and audited as
        # a failed re-authentication)
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label=_("Kode autentikator"),
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
