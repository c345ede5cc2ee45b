from django.urls import path

from . import views

urlpatterns = [
    path("<str:token>/", views.commitment_verify, name="commitment_verify"),
]
