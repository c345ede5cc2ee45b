import hashlib
import secrets
import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person, identified by email. What they may do comes from their memberships."""

    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("nama lengkap"), max_length=150, blank=True)
    is_active = models.BooleanField(_("aktif"), default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("pengguna")
        verbose_name_plural = _("pengguna")

    def __str__(self):
        return self.full_name or self.email

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Role(models.TextChoices):
    NATIONAL_ADMIN = "national_admin", _("Admin nasional")
    NATIONAL_VIEWER = "national_viewer", _("Pemantau nasional")
    PROVINCE_VIEWER = "province_viewer", _("Pemantau provinsi")
    DISTRICT_ADMIN = "district_admin", _("Admin kabupaten/kota (Sekretariat Bappeda)")
    OPD_STAFF = "opd_staff", _("Staf perangkat daerah (OPD)")
    EXECUTIVE = "executive", _("Pimpinan daerah (Sekda/Bupati/Wakil)")
    CAMAT = "camat", _("Camat")
    VILLAGE_HEAD = "village_head", _("Kepala desa/lurah")
    KPM = "kpm", _("Kader Pembangunan Manusia (KPM)")


# Which scope each role needs; everything else must be empty (checked in clean() and by a
# database constraint, so a membership can never be broader than its role says).
DISTRICT_ROLES = {
    Role.DISTRICT_ADMIN,
    Role.OPD_STAFF,
    Role.EXECUTIVE,
    Role.CAMAT,
    Role.VILLAGE_HEAD,
    Role.KPM,
}
ROLE_SCOPE = {
    Role.NATIONAL_ADMIN: set(),
    Role.NATIONAL_VIEWER: set(),
    Role.PROVINCE_VIEWER: {"province"},
    Role.DISTRICT_ADMIN: {"district"},
    Role.OPD_STAFF: {"district", "agency"},
    Role.EXECUTIVE: {"district"},
    Role.CAMAT: {"district", "kecamatan"},
    Role.VILLAGE_HEAD: {"district", "village"},
    Role.KPM: {"district", "village"},
}
SCOPE_FIELDS = ("province", "district", "agency", "kecamatan", "village")


def _scope_condition(role, needed):
    parts = Q(role=role)
    for field in SCOPE_FIELDS:
        parts &= Q(**{f"{field}__isnull": field not in needed})
    return parts


class MembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True, user__is_active=True)


class Membership(models.Model):
    """A user's role with its scope. Queried by user (middleware) or by district (admin pages),
    always with an explicit filter: the tenancy middleware needs it before any scope exists."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("peran"), max_length=20, choices=Role.choices)
    province = models.ForeignKey(
        "villages.Province", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    district = models.ForeignKey(
        "villages.District",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
    )
    agency = models.ForeignKey(
        "villages.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("OPD"),
    )
    kecamatan = models.ForeignKey(
        "villages.Kecamatan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("kecamatan"),
    )
    village = models.ForeignKey(
        "villages.Village",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("desa/kelurahan"),
    )
    position = models.CharField(_("jabatan"), max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["role", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=_scope_condition(Role.NATIONAL_ADMIN, set())
                | _scope_condition(Role.NATIONAL_VIEWER, set())
                | _scope_condition(Role.PROVINCE_VIEWER, {"province"})
                | _scope_condition(Role.DISTRICT_ADMIN, {"district"})
                | _scope_condition(Role.OPD_STAFF, {"district", "agency"})
                | _scope_condition(Role.EXECUTIVE, {"district"})
                | _scope_condition(Role.CAMAT, {"district", "kecamatan"})
                | _scope_condition(Role.VILLAGE_HEAD, {"district", "village"})
                | _scope_condition(Role.KPM, {"district", "village"}),
                name="membership_scope_matches_role",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.scope_label}"

    @property
    def scope_label(self) -> str:
        for field in ("village", "kecamatan", "agency", "district", "province"):
            value = getattr(self, field)
            if value is not None:
                return str(value)
        return str(_("Seluruh Indonesia"))

    def clean(self):
        needed = ROLE_SCOPE.get(self.role, set())
        for field in SCOPE_FIELDS:
            has = getattr(self, f"{field}_id") is not None
            if field in needed and not has:
                raise ValidationError({field: _("Wajib diisi untuk peran ini.")})
            if field not in needed and has:
                setattr(self, field, None)
        # The scope must lie inside the district (no cross-tenant membership).
        if self.district_id:
            if self.kecamatan_id and self.kecamatan.district_id != self.district_id:
                raise ValidationError({"kecamatan": _("Kecamatan tidak berada di daerah ini.")})
            if self.village_id and self.village.district_id != self.district_id:
                raise ValidationError({"village": _("Desa tidak berada di daerah ini.")})
            if self.agency_id and self.agency.district_id != self.district_id:
                raise ValidationError({"agency": _("OPD tidak berada di daerah ini.")})


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """An invitation by a district admin: email + role + scope, accepted through a link that
    lives 24 hours. Only the SHA-256 of the token is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    district = models.ForeignKey(
        "villages.District", on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("email"))
    full_name = models.CharField(_("nama lengkap"), max_length=150, blank=True)
    role = models.CharField(_("peran"), max_length=20, choices=Role.choices)
    agency = models.ForeignKey(
        "villages.Agency",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("OPD"),
    )
    kecamatan = models.ForeignKey(
        "villages.Kecamatan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("kecamatan"),
    )
    village = models.ForeignKey(
        "villages.Village",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("desa/kelurahan"),
    )
    position = models.CharField(_("jabatan"), max_length=150, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(district="district")
    # The accept link arrives before anyone is logged in: it is found by its token hash only.
    by_token = models.Manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} ({self.get_role_display()})"

    @staticmethod
    def new_token() -> tuple[str, str]:
        token = secrets.token_urlsafe(32)
        return token, _hash_token(token)

    @classmethod
    def find_open(cls, token: str) -> "Invitation | None":
        inv = (
            cls.by_token.select_related("district", "agency", "kecamatan", "village")
            .filter(token_hash=_hash_token(token))
            .first()
        )
        return inv if inv is not None and inv.is_open else None

    @property
    def is_open(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )

    @property
    def status_label(self) -> str:
        if self.accepted_at:
            return str(_("diterima"))
        if self.revoked_at:
            return str(_("dibatalkan"))
        if self.expires_at <= timezone.now():
            return str(_("kedaluwarsa"))
        return str(_("menunggu"))


class AuditEvent(models.Model):
    """Who did what, when, in which district. Written by accounts.audit.record()."""

    district = models.ForeignKey(
        "villages.District", on_delete=models.CASCADE, null=True, related_name="+"
    )
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    actor_email = models.EmailField(blank=True)
    action = models.CharField(max_length=40)
    target = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = ScopedManager(district="district")
    # National events (district is null) are read by national admins only through this.
    everything = models.Manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["district", "-at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_email or '-'} {self.action} {self.target}"


class FormSubmission(models.Model):
    """The one-time key of a form that was sent (accounts.once): a second send of the same
    form finds it and is not applied again. Per user; holds no district data."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    result_url = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="form_submission_once")]

    def __str__(self):
        return f"{self.user_id} {self.key}"
