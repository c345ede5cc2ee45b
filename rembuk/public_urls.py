"""The public self check-in page behind a session's QR code, at /hadir/<code>/."""

from django.urls import path

from . import views

urlpatterns = [
    path("<str:token>/", views.checkin, name="rembuk_checkin"),
]
