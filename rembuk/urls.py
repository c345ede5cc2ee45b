"""Rembuk pages, inside the district patterns at /<district_slug>/rembuk/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.rembuk_list, name="rembuk_list"),
    path("baru/", views.rembuk_create, name="rembuk_create"),
    path("<uuid:session_id>/", views.rembuk_detail, name="rembuk_detail"),
    path("<uuid:session_id>/ubah/", views.rembuk_edit, name="rembuk_edit"),
    path("<uuid:session_id>/notulen/", views.rembuk_minutes, name="rembuk_minutes"),
    path("<uuid:session_id>/unggah/", views.rembuk_upload, name="rembuk_upload"),
    path("<uuid:session_id>/peserta/", views.rembuk_participants, name="rembuk_participants"),
    path(
        "<uuid:session_id>/peserta/kepala-desa/",
        views.rembuk_add_village_heads,
        name="rembuk_add_village_heads",
    ),
    path(
        "<uuid:session_id>/peserta/tanpa-undangan/hapus/",
        views.rembuk_walk_ins_remove,
        name="rembuk_walk_ins_remove",
    ),
    path(
        "<uuid:session_id>/presensi/",
        views.rembuk_checkin_settings,
        name="rembuk_checkin_settings",
    ),
    path("<uuid:session_id>/rencana/", views.rembuk_plan_add, name="rembuk_plan_add"),
    path("peserta/<uuid:participant_id>/hadir/", views.rembuk_attendance, name="rembuk_attendance"),
    path(
        "peserta/<uuid:participant_id>/hapus/",
        views.rembuk_participant_remove,
        name="rembuk_participant_remove",
    ),
    path("berkas/<uuid:rembuk_file_id>/", views.rembuk_file, name="rembuk_file"),
    path(
        "berkas/<uuid:rembuk_file_id>/hapus/", views.rembuk_file_remove, name="rembuk_file_remove"
    ),
    path("rencana/<uuid:plan_item_id>/", views.rembuk_plan_edit, name="rembuk_plan_edit"),
    path("rencana/<uuid:plan_item_id>/hapus/", views.rembuk_plan_remove, name="rembuk_plan_remove"),
    path("rencana/<uuid:plan_item_id>/rkpd/", views.rembuk_plan_rkpd, name="rembuk_plan_rkpd"),
]
