from django.urls import include, path
from django.views.i18n import set_language

from accounts import views as accounts_views
from villages import views as villages_views

district_patterns = [
    path("", villages_views.district_home, name="district_home"),
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
]

urlpatterns = [
    path("", accounts_views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("undangan/<str:token>/", accounts_views.invitation_accept, name="invitation_accept"),
    path("nasional/wilayah/", villages_views.region_import, name="region_import"),
    path(
        "nasional/wilayah/impor/<uuid:import_id>/",
        villages_views.region_import_status,
        name="region_import_status",
    ),
    # District pages last: the slug is a catch-all first segment.
    path("<slug:district_slug>/", include(district_patterns)),
]
