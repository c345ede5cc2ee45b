"""Village reports, inside the district patterns (every name takes district_slug)."""

from django.urls import path

from . import report_views as views

urlpatterns = [
    path("desa/", views.village_home, name="village_home"),
    path("desa/<int:village_id>/", views.village_page, name="village_page"),
    path("desa/<int:village_id>/profil/", views.village_profile_edit, name="village_profile_edit"),
    path(
        "desa/<int:village_id>/laporan/<int:period_id>/",
        views.village_report,
        name="village_report",
    ),
    path(
        "desa/<int:village_id>/laporan/<int:period_id>/simpan/",
        views.village_report_save,
        name="village_report_save",
    ),
    path("laporan/<uuid:report_id>/", views.report_version, name="report_version"),
    path("laporan/<uuid:report_id>/unggah/", views.report_upload, name="report_upload"),
    path("laporan/<uuid:report_id>/koreksi/", views.report_correct, name="report_correct"),
    path("laporan/<uuid:report_id>/verifikasi/", views.report_verify, name="report_verify"),
    path("laporan/<uuid:report_id>/kembalikan/", views.report_return, name="report_return"),
    path("laporan/<uuid:report_id>/atas-nama/", views.report_on_behalf, name="report_on_behalf"),
    path("laporan/<uuid:report_id>/cetak/", views.report_pdf, name="report_pdf"),
    path("berkas-desa/<uuid:file_id>/", views.report_file, name="report_file"),
    path("berkas-desa/<uuid:file_id>/hapus/", views.report_file_remove, name="report_file_remove"),
    path("laporan-desa/", views.period_list, name="period_list"),
    path("laporan-desa/periode/", views.period_setup, name="period_setup"),
    path("laporan-desa/<int:period_id>/", views.completeness, name="completeness"),
    path(
        "laporan-desa/<int:period_id>/ekspor/",
        views.completeness_export,
        name="completeness_export",
    ),
    path("laporan-desa/<int:period_id>/rekap/", views.recap_list, name="recap_list"),
    path(
        "laporan-desa/<int:period_id>/rekap/<int:kecamatan_id>/teruskan/",
        views.recap_forward,
        name="recap_forward",
    ),
    path(
        "laporan-desa/<int:period_id>/rekap/<int:kecamatan_id>/terima/",
        views.recap_accept,
        name="recap_accept",
    ),
    path(
        "laporan-desa/<int:period_id>/rekap/<int:kecamatan_id>/kembalikan/",
        views.recap_return,
        name="recap_return",
    ),
]
