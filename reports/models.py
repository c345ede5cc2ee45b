"""What a district chooses to show the public on /publik/<district-slug>/ (DOMAIN.md §3: the
public reads what each district publishes). One row per district; every item is off until
the district admin turns it on."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from villages.models import District

# the items, in the order of the page and the form
ITEMS = ("prevalence", "focus_villages", "actions", "commitments")


class Publication(models.Model):
    district = models.OneToOneField(District, on_delete=models.CASCADE, related_name="+")
    prevalence = models.BooleanField(
        _("prevalensi stunting"),
        default=False,
        help_text=_("Per kecamatan dan desa/kelurahan, dengan sumber dan tahun setiap angka."),
    )
    focus_villages = models.BooleanField(
        _("desa lokus"),
        default=False,
        help_text=_("Daftar desa lokus tahun berjalan menurut SK lokus."),
    )
    actions = models.BooleanField(
        _("kemajuan aksi konvergensi"),
        default=False,
        help_text=_("Per aksi: persentase keluaran yang sudah diverifikasi."),
    )
    commitments = models.BooleanField(
        _("dokumen komitmen yang sudah ditandatangani"),
        default=False,
        help_text=_(
            "Judul, tanggal, tingkat, jumlah tanda tangan dan tautan verifikasi publik; "
            "tanpa nama maupun NIP penanda tangan."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(district="district")

    class Meta:
        verbose_name = _("publikasi")
        verbose_name_plural = _("publikasi")

    def __str__(self):
        return str(self.district)

    @property
    def chosen(self) -> tuple[str, ...]:
        return tuple(item for item in ITEMS if getattr(self, item))

    @property
    def anything(self) -> bool:
        return bool(self.chosen)
