from django.urls import path

from . import views

urlpatterns = [
    path("", views.commitment_list, name="commitment_list"),
    path("baru/", views.commitment_create, name="commitment_create"),
    path("tindak-lanjut/", views.follow_up_list, name="follow_up_list"),
    path("templat/", views.template_list, name="commitment_template_list"),
    path("templat/baru/", views.template_create, name="commitment_template_create"),
    path("templat/<uuid:template_id>/", views.template_edit, name="commitment_template_edit"),
    path(
        "templat/<uuid:template_id>/hapus/",
        views.template_delete,
        name="commitment_template_delete",
    ),
    path("terbitkan-desa/", views.issue_create, name="commitment_issue_create"),
    path("terbitan/<uuid:issue_id>/", views.issue_detail, name="commitment_issue_detail"),
    path("tindak-lanjut/<uuid:follow_up_id>/", views.follow_up_detail, name="follow_up_detail"),
    path(
        "tindak-lanjut/<uuid:follow_up_id>/lapor/",
        views.follow_up_report,
        name="follow_up_report",
    ),
    path(
        "tindak-lanjut/<uuid:follow_up_id>/verifikasi/",
        views.follow_up_verify,
        name="follow_up_verify",
    ),
    path(
        "bukti/<uuid:commitment_evidence_id>/",
        views.follow_up_evidence,
        name="follow_up_evidence",
    ),
    path("<uuid:document_id>/", views.commitment_detail, name="commitment_detail"),
    path("<uuid:document_id>/ubah/", views.commitment_edit, name="commitment_edit"),
    path("<uuid:document_id>/buka/", views.commitment_open, name="commitment_open"),
    path("<uuid:document_id>/tanda-tangan/", views.commitment_sign, name="commitment_sign"),
    path("<uuid:document_id>/pdf/", views.commitment_pdf, name="commitment_pdf"),
    path("<uuid:document_id>/draf.pdf", views.commitment_draft_pdf, name="commitment_draft_pdf"),
    path("<uuid:document_id>/ulang-pdf/", views.commitment_retry, name="commitment_retry"),
    path("<uuid:document_id>/penanda-tangan/", views.signatory_add, name="signatory_add"),
    path(
        "<uuid:document_id>/penanda-tangan/banyak/",
        views.signatories_bulk,
        name="signatories_bulk",
    ),
    path(
        "<uuid:document_id>/penanda-tangan/impor/",
        views.signatories_import,
        name="signatories_import",
    ),
    path(
        "<uuid:document_id>/penanda-tangan/<uuid:signatory_id>/",
        views.signatory_edit,
        name="signatory_edit",
    ),
    path(
        "<uuid:document_id>/penanda-tangan/<uuid:signatory_id>/hapus/",
        views.signatory_remove,
        name="signatory_remove",
    ),
    path(
        "<uuid:document_id>/penanda-tangan/<uuid:signatory_id>/geser/",
        views.signatory_move,
        name="signatory_move",
    ),
    path(
        "<uuid:document_id>/penanda-tangan/<uuid:signatory_id>/kertas/",
        views.signature_paper,
        name="signature_paper",
    ),
    path(
        "<uuid:document_id>/lembar/<uuid:signature_id>/",
        views.signature_page,
        name="signature_page",
    ),
    path(
        "<uuid:document_id>/tindak-lanjut/",
        views.follow_up_create,
        name="follow_up_create",
    ),
]
