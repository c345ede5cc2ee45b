import pytest
from django.apps import apps
from django.db import IntegrityError, models, transaction
from django_scopes import ScopeError, scope, scopes_disabled

from accounts.models import Membership, Role
from accounts.policy import access_for
from villages.models import Agency

pytestmark = pytest.mark.django_db

# Models that carry a district but are not tenant data: the public national region list,
# and memberships, which the tenancy middleware reads by user before any scope exists.
NOT_SCOPED = {"villages.Kecamatan", "villages.Village", "accounts.Membership"}


def district_models():
    for model in apps.get_models():
        label = f"{model._meta.app_label}.{model.__name__}"
        fields = [f for f in model._meta.get_fields() if isinstance(f, models.ForeignKey)]
        if any(f.name == "district" for f in fields) and label not in NOT_SCOPED:
            yield model


def test_every_district_owned_model_fails_closed_without_a_scope(world):
    found = list(district_models())
    assert Agency in found
    for model in found:
        with pytest.raises(ScopeError):
            list(model._default_manager.all())
        with scope(district=world.a.district.id, kecamatan=None, village=None):
            rows = list(model._default_manager.all())
            assert all(r.district_id == world.a.district.id for r in rows), model


def test_scope_shows_only_the_active_district(world):
    with scope(district=world.b.district.id, kecamatan=None, village=None):
        assert set(Agency.objects.values_list("district_id", flat=True)) == {world.b.district.id}


def memberships(user):
    return list(Membership.objects.active().filter(user=user))


def test_village_roles_are_scoped_to_their_village(world):
    access = access_for(memberships(world.a.users["village_head"]), world.a.district)
    scope_ = access.scope()
    assert scope_["district"] == world.a.district.id
    assert scope_["village"] == [world.a.village.id]
    assert scope_["kecamatan"] == [world.a.village.kecamatan_id]
    camat = access_for(memberships(world.a.users["camat"]), world.a.district).scope()
    assert camat["kecamatan"] == [world.a.kecamatan.id]
    assert camat["village"] is None  # every village, but only inside his kecamatan:


def _scope_dimensions(model) -> set:
    """The dimensions of a django-scopes ScopedManager (kept in its closure)."""
    get_queryset = type(model._default_manager).get_queryset
    names = get_queryset.__code__.co_freevars
    cells = dict(zip(names, get_queryset.__closure__ or (), strict=False))
    return set(cells["required_scopes"].cell_contents) if "required_scopes" in cells else set()


def test_every_village_scoped_model_is_also_scoped_by_kecamatan():
    """A camat's scope leaves the village dimension open, so a model scoped by village alone
    would show him every village of the district."""
    from django.apps import apps

    checked = 0
    for model in apps.get_models():
        dimensions = _scope_dimensions(model)
        if "village" in dimensions:
            assert "kecamatan" in dimensions, model.__name__
            checked += 1
    assert checked >= 3


def test_no_access_to_another_district(world):
    assert access_for(memberships(world.a.users["district_admin"]), world.b.district) is None
    assert access_for(memberships(world.province_viewer_a), world.b.district) is None
    assert access_for(memberships(world.province_viewer_a), world.a.district).read_only
    assert access_for(memberships(world.outsider), world.a.district) is None
    national = access_for(memberships(world.national_viewer), world.b.district)
    assert national.read_only and national.can("district.view")
    assert not national.can("members.manage")


def test_membership_scope_must_match_role(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=world.outsider, role=Role.CAMAT, district=world.a.district)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            user=world.outsider, role=Role.NATIONAL_VIEWER, district=world.a.district
        )


def test_membership_scope_must_lie_in_the_district(world):
    from django.core.exceptions import ValidationError

    m = Membership(
        user=world.outsider,
        role=Role.VILLAGE_HEAD,
        district=world.a.district,
        village=world.b.village,
    )
    with pytest.raises(ValidationError):
        m.full_clean()
    with scopes_disabled():
        m = Membership(
            user=world.outsider,
            role=Role.OPD_STAFF,
            district=world.a.district,
            agency=world.b.agency,
        )
        with pytest.raises(ValidationError):
            m.full_clean()


def test_district_pages_use_the_district_time_zone(client, world):
    client.force_login(world.b.users["district_admin"])
    response = client.get(f"/{world.b.district.slug}/")
    assert "WITA" in response.content.decode()
    client.force_login(world.a.users["district_admin"])
    assert "WIB" in client.get(f"/{world.a.district.slug}/").content.decode()
