from django.urls import include, path
from django.views.i18n import set_language

from accounts import views as accounts_views
from config import health
from convergence import views as convergence_views
from documents import views as documents_views
from reports import views as reports_views
from villages import views as villages_views

district_patterns = [
    path("", reports_views.district_home, name="district_home"),
    path("dasbor/", reports_views.district_dashboard, name="district_dashboard"),
    path("dasbor/ekspor/", reports_views.dashboard_export, name="dashboard_export"),
    path("profil/", villages_views.district_profile, name="district_profile"),
    path("lambang/", villages_views.district_emblem, name="district_emblem"),
    path("wilayah/", villages_views.district_areas, name="district_areas"),
    path("pengguna/", accounts_views.members, name="members"),
    path("pengguna/undang/", accounts_views.member_invite, name="member_invite"),
    path("pengguna/<uuid:membership_id>/", accounts_views.member_edit, name="member_edit"),
    path("pengguna/<uuid:membership_id>/cabut/", accounts_views.member_end, name="member_end"),
    path(
        "undangan/<uuid:invitation_id>/batal/",
        accounts_views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("audit/", accounts_views.audit_log, name="audit_log"),
    path("publikasi/", reports_views.publication_edit, name="publication_edit"),
    path("evaluasi/", reports_views.evaluation_years, name="evaluation_years"),
    path("evaluasi/<int:year>/", reports_views.evaluation_year, name="evaluation_year"),
    path("evaluasi/<int:year>/uraian/", reports_views.evaluation_texts, name="evaluation_texts"),
    path("evaluasi/<int:year>/buat/", reports_views.evaluation_request, name="evaluation_request"),
    path(
        "evaluasi/<int:year>/versi/<int:evaluation_number>/",
        reports_views.evaluation_download,
        name="evaluation_download",
    ),
    path(
        "evaluasi/<int:year>/versi/<int:evaluation_number>/setujui/",
        reports_views.evaluation_approve,
        name="evaluation_approve",
    ),
    path("opd/", convergence_views.agency_list, name="agency_list"),
    path("opd/<int:agency_id>/", convergence_views.agency_edit, name="agency_edit"),
    path("konvergensi/", convergence_views.year_list, name="year_list"),
    path("konvergensi/buka/", convergence_views.year_open, name="year_open"),
    path("konvergensi/<int:year>/", convergence_views.board, name="board"),
    path("konvergensi/<int:year>/kunci/", convergence_views.year_lock, name="year_lock"),
    path("konvergensi/<int:year>/hapus/", convergence_views.year_remove, name="year_remove"),
    path(
        "konvergensi/<int:year>/ekspor/<str:fmt>/",
        convergence_views.board_export,
        name="board_export",
    ),
    path("konvergensi/<int:year>/impor/", convergence_views.board_import, name="board_import"),
    path(
        "konvergensi/<int:year>/impor/<uuid:board_import_id>/",
        convergence_views.board_import_preview,
        name="board_import_preview",
    ),
    path(
        "konvergensi/<int:year>/aksi/<int:action_number>/",
        convergence_views.action_detail,
        name="action_detail",
    ),
    path(
        "konvergensi/<int:year>/aksi/<int:action_number>/atur/",
        convergence_views.action_setup,
        name="action_setup",
    ),
    path("konvergensi/<int:year>/penilaian/", convergence_views.assessment, name="assessment"),
    path(
        "konvergensi/<int:year>/penilaian/ekspor/<str:fmt>/",
        convergence_views.assessment_export,
        name="assessment_export",
    ),
    path(
        "konvergensi/<int:year>/penilaian/tutup-provinsi/",
        convergence_views.assessment_province_close,
        name="assessment_province_close",
    ),
    path(
        "konvergensi/<int:year>/penilaian/mandiri/<int:action_number>/",
        convergence_views.assessment_self,
        name="assessment_self",
    ),
    path(
        "konvergensi/<int:year>/penilaian/provinsi/<int:action_number>/",
        convergence_views.assessment_province,
        name="assessment_province",
    ),
    path(
        "keluaran/<uuid:deliverable_id>/",
        convergence_views.deliverable_detail,
        name="deliverable_detail",
    ),
    path(
        "keluaran/<uuid:deliverable_id>/unggah/",
        convergence_views.evidence_upload,
        name="evidence_upload",
    ),
    path(
        "keluaran/<uuid:deliverable_id>/isian/",
        convergence_views.deliverable_data,
        name="deliverable_data",
    ),
    path(
        "keluaran/<uuid:deliverable_id>/kirim/",
        convergence_views.deliverable_submit,
        name="deliverable_submit",
    ),
    path(
        "keluaran/<uuid:deliverable_id>/verifikasi/",
        convergence_views.deliverable_verify,
        name="deliverable_verify",
    ),
    path(
        "keluaran/<uuid:deliverable_id>/kembalikan/",
        convergence_views.deliverable_return,
        name="deliverable_return",
    ),
    path(
        "keluaran/<uuid:deliverable_id>/komentar/",
        convergence_views.deliverable_comment,
        name="deliverable_comment",
    ),
    path(
        "keluaran/<uuid:deliverable_id>/rekaman/",
        convergence_views.deliverable_link,
        name="deliverable_link",
    ),
    path(
        "keluaran/<uuid:deliverable_id>/rekaman/lepas/",
        convergence_views.deliverable_unlink,
        name="deliverable_unlink",
    ),
    path(
        "konvergensi/kecamatan/",
        convergence_views.kecamatan_stage_current,
        name="kecamatan_stage_current",
    ),
    path(
        "konvergensi/<int:year>/kecamatan/",
        convergence_views.kecamatan_stage,
        name="kecamatan_stage",
    ),
    path(
        "konvergensi/kecamatan/<uuid:kecamatan_entry_id>/isi/",
        convergence_views.kecamatan_entry_fill,
        name="kecamatan_entry_fill",
    ),
    path(
        "konvergensi/kecamatan/<uuid:kecamatan_entry_id>/verifikasi/",
        convergence_views.kecamatan_entry_verify,
        name="kecamatan_entry_verify",
    ),
    path(
        "konvergensi/kecamatan/<uuid:kecamatan_entry_id>/kembalikan/",
        convergence_views.kecamatan_entry_return,
        name="kecamatan_entry_return",
    ),
    path("bukti/<uuid:evidence_id>/", convergence_views.evidence_file, name="evidence_file"),
    path(
        "bukti/<uuid:evidence_id>/hapus/",
        convergence_views.evidence_remove,
        name="evidence_remove",
    ),
    path("tugas/<uuid:job_id>/", documents_views.job_status, name="job_status"),
    path("tugas/<uuid:job_id>/ulang/", documents_views.job_retry, name="job_retry"),
    path("lokus/", include("village_reports.focus_urls")),
    path("capaian/", include("outcomes.urls")),
    path("rembuk/", include("rembuk.urls")),
    path("komitmen/", include("commitments.urls")),
    path("", include("village_reports.report_urls")),
]

urlpatterns = [
    path("", accounts_views.home, name="home"),
    # before allauth's: its TOTP activation needs these first (accounts.enrolment)
    path("accounts/2fa/konfirmasi/", accounts_views.mfa_enrol_request, name="mfa_enrol_request"),
    path(
        "accounts/2fa/konfirmasi/<str:token>/",
        accounts_views.mfa_enrol_confirm,
        name="mfa_enrol_confirm",
    ),
    path("accounts/", include("allauth.urls")),
    path("ping/", accounts_views.ping, name="ping"),
    # for load balancers and monitors; answered by config.health.HealthMiddleware first
    path("healthz", health.healthz, name="healthz"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("undangan/<str:token>/", accounts_views.invitation_accept, name="invitation_accept"),
    path("nasional/provinsi/", reports_views.national_rollup, name="national_rollup"),
    path(
        "nasional/provinsi/ekspor/",
        reports_views.national_rollup_export,
        name="national_rollup_export",
    ),
    path("provinsi/<str:province_code>/", reports_views.province_rollup, name="province_rollup"),
    path(
        "provinsi/<str:province_code>/ekspor/",
        reports_views.province_rollup_export,
        name="province_rollup_export",
    ),
    path("nasional/wilayah/", villages_views.region_import, name="region_import"),
    path(
        "nasional/wilayah/impor/<uuid:import_id>/",
        villages_views.region_import_status,
        name="region_import_status",
    ),
    path(
        "nasional/tugas/<uuid:national_job_id>/",
        documents_views.national_job_status,
        name="national_job_status",
    ),
    path(
        "nasional/tugas/<uuid:national_job_id>/ulang/",
        documents_views.national_job_retry,
        name="national_job_retry",
    ),
    path("nasional/capaian/", include("outcomes.national_urls")),
    path("nasional/kerangka/", convergence_views.framework_list, name="framework_list"),
    path(
        "nasional/kerangka/<slug:framework_code>/",
        convergence_views.framework_detail,
        name="framework_detail",
    ),
    path(
        "nasional/kerangka/<slug:framework_code>/unduh/",
        convergence_views.framework_download,
        name="framework_download",
    ),
    path(
        "nasional/kerangka/<slug:framework_code>/terbitkan/",
        convergence_views.framework_publish,
        name="framework_publish",
    ),
    path(
        "nasional/kerangka/<slug:framework_code>/hapus/",
        convergence_views.framework_delete,
        name="framework_delete",
    ),
    path("hadir/", include("rembuk.public_urls")),
    # a commitment document's or an annual evaluation's version (the QR code on their pages)
    path("verifikasi/<str:token>/", reports_views.document_verify, name="document_verify"),
    path("publik/", reports_views.public_index, name="public_index"),
    path("publik/<slug:district_slug>/", reports_views.public_page, name="public_page"),
    # District pages last: the slug is a catch-all first segment.
    path("<slug:district_slug>/", include(district_patterns)),
]
