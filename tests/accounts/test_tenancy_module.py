"""accounts/tenancy.py, the one module that enters a district: what each way in lets a caller
see and do. world.a is Sumedang (WIB, Asia/Jakarta), world.b is Timor Tengah Selatan (WITA,
Asia/Makassar)."""

import pytest
from django.db import DatabaseError, transaction
from django.http import Http404, HttpResponse
from django.template import engines
from django.template.response import SimpleTemplateResponse
from django.test import RequestFactory
from django.utils import timezone, translation
from django_scopes import ScopeError

from accounts.middleware import DistrictMiddleware
from accounts.tenancy import (
    DistrictTask,
    district_scope,
    each_district,
    found_by_token,
    public_district_page,
    rollup_scope,
)
from config.celery import app as celery_app
from villages.models import Agency, District

pytestmark = pytest.mark.django_db


def _districts_seen():
    return set(Agency.objects.values_list("district_id", flat=True))


def test_district_scope_sees_one_district_and_nothing_without_it(world):
    a, b = world.a.district, world.b.district
    with district_scope(a):
        assert _districts_seen() == {a.pk}
    with district_scope(b):
        assert _districts_seen() == {b.pk}
    with pytest.raises(ScopeError):
        _districts_seen()


def test_a_scope_is_never_built_from_a_missing_district(world):
    # django-scopes reads None as "every district": the module refuses it outright
    with pytest.raises(ValueError), district_scope(District(name="belum disimpan")):
        pass
    with pytest.raises(ValueError), rollup_scope([world.a.district, None]):
        pass


def test_rollup_scope_reads_the_districts_given_and_only_those(world):
    a, b = world.a.district, world.b.district
    with rollup_scope([a, b]):
        assert _districts_seen() == {a.pk, b.pk}
    with rollup_scope([b]):
        assert _districts_seen() == {b.pk}
    with rollup_scope([]):  # an empty roll-up sees nothing, never everything
        assert _districts_seen() == set()


@pytest.mark.postgres
def test_rollup_scope_cannot_write(world, postgres):
    a = world.a.district
    before = None
    with pytest.raises(DatabaseError, match="read-only"), rollup_scope([a]):
        before = Agency.objects.count()
        Agency.objects.create(district=a, short_name="X", name="Tulisan terlarang")
    assert before is not None
    with district_scope(a):
        assert not Agency.objects.filter(short_name="X").exists()


def test_each_district_visits_each_district_with_matching_rows_in_its_own_zone(world):
    a, b = world.a.district, world.b.district
    seen = []
    for district in each_district(Agency, district__in=[a, b]):
        seen.append((district.code, timezone.get_current_timezone_name(), _districts_seen()))
    assert seen == [
        ("32.11", "Asia/Jakarta", {a.pk}),
        ("53.02", "Asia/Makassar", {b.pk}),
    ]


def test_found_by_token_finds_across_districts_and_answers_none_for_a_stranger(world):
    agency = world.b.agency
    found = found_by_token(Agency, related=("district",), pk=agency.pk)
    assert found == agency and found.district == world.b.district
    assert found_by_token(Agency, pk=-1) is None


@celery_app.task(base=DistrictTask, name="tests.tenancy_probe")
def _probe(*, district):
    return {
        "district": district.code,
        "zone": timezone.get_current_timezone_name(),
        "language": translation.get_language(),
        "seen": sorted(_districts_seen()),
    }


def test_a_district_task_runs_in_its_district_zone_and_the_documents_language(world):
    b = world.b.district
    with translation.override("en"):  # whoever queued it had the English interface
        result = _probe.apply(kwargs={"district_id": b.pk}).get()
    assert result == {
        "district": "53.02",
        "zone": "Asia/Makassar",
        "language": "id",
        "seen": [b.pk],
    }


def test_a_public_district_page_reads_one_district_and_cannot_write(world):
    a = world.a.district

    @public_district_page
    def page(request):
        names = sorted(set(Agency.objects.values_list("district_id", flat=True)))
        return HttpResponse(
            f"{request.district.code} {names} {timezone.get_current_timezone_name()}"
        )

    response = page(RequestFactory().get("/"), district_slug=a.slug)
    assert response.content.decode() == f"32.11 [{a.pk}] Asia/Jakarta"
    with pytest.raises(Http404):
        page(RequestFactory().get("/"), district_slug="kab-tidak-ada")


@pytest.mark.postgres
def test_a_public_district_page_cannot_write(world, postgres):
    a = world.a.district

    @public_district_page
    def page(request):
        Agency.objects.create(district=a, short_name="X", name="Tulisan terlarang")
        return HttpResponse("ditulis")

    with pytest.raises(DatabaseError, match="read-only"), transaction.atomic():
        page(RequestFactory().get("/"), district_slug=a.slug)


def test_the_middleware_renders_a_lazy_template_response_inside_the_scope(world):
    """A TemplateResponse renders after the view returns; its queryset is evaluated then. The
    middleware renders it while the district's scope is still open (pretix does the same),
    instead of letting it fail (or, worse, run) outside."""
    side = world.a
    template = engines["django"].from_string(
        "{% for a in agencies %}{{ a.district_id }};{% endfor %}"
    )

    def view(request):
        return SimpleTemplateResponse(template, {"agencies": Agency.objects.order_by("pk")})

    request = RequestFactory().get(f"/{side.district.slug}/")
    request.user = side.users["district_admin"]
    response = DistrictMiddleware(view)(request)
    assert response.is_rendered
    ids = {int(x) for x in response.content.decode().strip(";").split(";")}
    assert ids == {side.district.pk}


@pytest.mark.postgres
def test_a_write_after_a_rollup_in_the_same_transaction_works(world, postgres):
    """A roll-up nested in a longer transaction (a job that reads, then stores its PDF) makes
    only its own savepoint read-only: the transaction writes again after it."""
    a = world.a.district
    with transaction.atomic():
        with rollup_scope([a]):
            assert Agency.objects.count() > 0
        with district_scope(a):
            Agency.objects.create(district=a, short_name="Y", name="Ditulis setelah roll-up")
    with district_scope(a):
        assert Agency.objects.filter(short_name="Y").exists()
