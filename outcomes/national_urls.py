"""The national admin's outcome pages (/nasional/capaian/…): one file of values for many
districts."""

from django.urls import path

from . import views

urlpatterns = [
    path("impor/", views.national_outcome_import, name="national_outcome_import"),
    path(
        "impor/<uuid:national_outcome_import_id>/",
        views.national_outcome_import_preview,
        name="national_outcome_import_preview",
    ),
]
