from django.urls import path

from . import views

urlpatterns = [
    path("", views.outcomes, name="outcomes"),
    path("isi/", views.value_add, name="outcome_value_add"),
    path("nilai/<uuid:value_id>/", views.value_edit, name="outcome_value_edit"),
    path("target/", views.targets, name="outcome_targets"),
    # the format is part of the name, not an argument: nothing here names an object
    path("ekspor.xlsx", views.outcome_export, {"fmt": "xlsx"}, name="outcome_export_xlsx"),
    path("ekspor.csv", views.outcome_export, {"fmt": "csv"}, name="outcome_export_csv"),
    path("impor/", views.outcome_import, name="outcome_import"),
    path(
        "impor/<uuid:outcome_import_id>/",
        views.outcome_import_preview,
        name="outcome_import_preview",
    ),
]
