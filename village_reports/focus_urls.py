from django.urls import path

from . import focus_views as views

urlpatterns = [
    path("", views.focus_years, name="focus_years"),
    path("tetapkan/", views.focus_decree_create, name="focus_decree_create"),
    path("<int:year>/", views.focus_year, name="focus_year"),
    path("<int:year>/sk/", views.focus_decree_edit, name="focus_decree_edit"),
    path("<int:year>/sk/berkas/", views.focus_decree_scan, name="focus_decree_scan"),
    path("<int:year>/pilih/", views.focus_pick, name="focus_pick"),
    path("<int:year>/desa/<int:village_id>/", views.focus_entry, name="focus_entry"),
    path("<int:year>/impor/", views.focus_import, name="focus_import"),
    path(
        "<int:year>/impor/<uuid:focus_import_id>/",
        views.focus_import_preview,
        name="focus_import_preview",
    ),
]
