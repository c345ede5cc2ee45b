"""The audit log: who did what, when, in which district."""

from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from lib.ratelimit import client_ip as lib_client_ip

from .models import AuditEvent, Membership

# What the audit log shows for each action code that `record()` writes, anywhere in the code
# (tests/accounts/test_audit.py finds every code in the source and checks it has a label).
# Lazy, so that the page and its filter speak the reader's language.
ACTION_LABELS = {
    # accounts
    "login": _("masuk"),
    "logout": _("keluar"),
    "login_failed": _("gagal masuk"),
    "mfa_failed": _("kode autentikator salah"),
    "reauth_failed": _("konfirmasi kata sandi atau kode gagal"),
    "invitation_sent": _("undangan dikirim"),
    "invitation_accepted": _("undangan diterima"),
    "invitation_revoked": _("undangan dibatalkan"),
    "role_changed": _("peran diubah"),
    "role_granted": _("peran diberikan"),
    "membership_ended": _("peran dicabut"),
    "mfa_added": _("MFA diaktifkan"),
    "mfa_removed": _("MFA dinonaktifkan"),
    "user_anonymised": _("akun pengguna dianonimkan"),
    "mfa_enrol_link_sent": _("tautan pendaftaran MFA dikirim ke email"),
    "mfa_enrol_proven": _("pendaftaran MFA dikonfirmasi lewat email"),
    # regions, district, agencies
    "district_updated": _("profil daerah diubah"),
    "village_profile_updated": _("profil desa diubah"),
    "regions_imported": _("daftar wilayah diimpor"),
    "agency_added": _("OPD ditambahkan"),
    "agency_changed": _("OPD diubah"),
    "year_removed": _("tahun aksi dihapus"),
    "province_grading_closed": _("penilaian provinsi ditutup"),
    "rembuk_walk_ins_removed": _("peserta tanpa undangan dihapus"),
    # convergence actions
    "framework_uploaded": _("kerangka aksi diunggah"),
    "framework_published": _("kerangka aksi diterbitkan"),
    "framework_deleted": _("kerangka aksi dihapus"),
    "year_opened": _("tahun aksi dibuka"),
    "year_locked": _("tahun aksi dikunci"),
    "action_set_up": _("pengaturan aksi diubah"),
    "evidence_uploaded": _("bukti diunggah"),
    "evidence_removed": _("bukti dihapus"),
    "record_linked": _("rekaman rembuk dilampirkan"),
    "record_unlinked": _("rekaman rembuk dilepas"),
    "deliverable_submit": _("keluaran dikirim"),
    "deliverable_verify": _("keluaran diverifikasi"),
    "deliverable_return": _("keluaran dikembalikan"),
    "kecamatan_entry_filled": _("data kecamatan diisi"),
    "kecamatan_entry_verify": _("data kecamatan diverifikasi camat"),
    "kecamatan_entry_return": _("data kecamatan dikembalikan camat"),
    "board_imported": _("data keluaran diimpor"),
    "grade_self": _("nilai mandiri diisi"),
    "grade_province": _("nilai provinsi diisi"),
    # focus villages
    "focus_decree_created": _("SK lokus dicatat"),
    "focus_decree_updated": _("SK lokus diubah"),
    "focus_villages_set": _("daftar desa lokus diubah"),
    "focus_village_updated": _("data desa lokus diubah"),
    "focus_village_removed": _("desa dihapus dari daftar lokus"),
    "focus_imported": _("desa lokus diimpor"),
    # outcome data
    "outcome_value_added": _("nilai indikator dicatat"),
    "outcome_value_updated": _("nilai indikator diubah"),
    "outcome_target_set": _("target indikator kabupaten ditetapkan"),
    "outcome_imported": _("nilai indikator diimpor"),
    # village reports
    "report_periods_created": _("periode laporan desa dibuat"),
    "report_period_due_changed": _("batas kirim laporan desa diubah"),
    "report_settings_changed": _("pengaturan periode laporan desa diubah"),
    "village_file_uploaded": _("berkas laporan desa diunggah"),
    "village_file_removed": _("berkas laporan desa dihapus"),
    "village_report_submit": _("laporan desa dikirim"),
    "village_report_verify": _("laporan desa diverifikasi"),
    "village_report_return": _("laporan desa dikembalikan"),
    "village_report_correction": _("koreksi laporan desa dimulai"),
    "kecamatan_recap_forward": _("rekap kecamatan diteruskan ke kabupaten"),
    "kecamatan_recap_accept": _("rekap kecamatan diterima kabupaten"),
    "kecamatan_recap_return": _("rekap kecamatan dikembalikan ke kecamatan"),
    # rembuk
    "rembuk_created": _("rembuk dibuat"),
    "rembuk_changed": _("rembuk diubah"),
    "rembuk_checkin_code_renewed": _("kode presensi rembuk diperbarui"),
    "rembuk_participants_added": _("peserta rembuk ditambahkan"),
    "rembuk_participant_removed": _("peserta rembuk dihapus"),
    "rembuk_attendance": _("kehadiran peserta rembuk dicatat"),
    "rembuk_checked_in": _("peserta rembuk presensi mandiri"),
    "rembuk_file_uploaded": _("berkas rembuk diunggah"),
    "rembuk_file_removed": _("berkas rembuk dihapus"),
    "rembuk_plan_added": _("kegiatan rembuk ditambahkan"),
    "rembuk_plan_changed": _("kegiatan rembuk diubah"),
    "rembuk_plan_removed": _("kegiatan rembuk dihapus"),
    "rembuk_rkpd_set": _("status RKPD/Renja kegiatan diubah"),
    # commitments
    "commitment_created": _("dokumen komitmen dibuat"),
    "commitment_new_version": _("versi baru dokumen komitmen"),
    "commitment_signing_opened": _("penandatanganan komitmen dibuka"),
    "commitment_signed": _("komitmen ditandatangani"),
    "commitment_follow_up_created": _("butir komitmen mulai dipantau"),
    "commitment_follow_up_reported": _("kemajuan tindak lanjut dilaporkan"),
    "commitment_follow_up_verified": _("tindak lanjut diterima"),
    "commitment_follow_up_returned": _("tindak lanjut dikembalikan"),
    "commitment_signatories_added": _("penanda tangan ditambahkan sekaligus"),
    "commitment_paper_batch_read": _("pindaian lembar tanda tangan dibaca"),
    "commitment_paper_batch_confirmed": _("tanda tangan kertas dari pindaian dicatat"),
    "commitment_template_saved": _("templat komitmen disimpan"),
    "commitment_template_updated": _("templat komitmen diubah"),
    "commitment_template_deleted": _("templat komitmen dihapus"),
    "commitment_issued_to_villages": _("komitmen diterbitkan untuk desa/kelurahan"),
    # the public page
    "publication_changed": _("pilihan publikasi diubah"),
    # the annual evaluation
    "evaluation_requested": _("evaluasi tahunan diminta"),
    "evaluation_approved": _("evaluasi tahunan disetujui"),
}


def client_ip(request) -> str | None:
    if request is None:
        return None
    return lib_client_ip(request) or None


def record(action: str, *, actor=None, district=None, target: str = "", request=None, **data):
    """Append one event. `district=None` marks a national event (imports, national logins)."""
    with scopes_disabled():
        return AuditEvent.objects.create(
            district=district,
            actor=actor if actor is not None and actor.is_authenticated else None,
            actor_email=getattr(actor, "email", "") or "",
            action=action,
            target=str(target)[:300],
            data=data,
            ip_address=client_ip(request),
        )


def record_for_user(action: str, user, request, **data):
    """One event about `user` himself in each district he has a role in (the district's admins
    read it there), or one national event when he has none."""
    districts = {}
    for m in Membership.objects.active().filter(user=user).select_related("district"):
        if m.district_id:
            districts.setdefault(m.district_id, m.district)
    for district in list(districts.values()) or [None]:
        record(action, actor=user, district=district, target=user.email, request=request, **data)
