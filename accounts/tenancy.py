"""Entering a district: the one module that opens tenant scopes (django-scopes, as in pretix).

Every district-owned table has a scoped default manager that refuses to query outside an
active scope. Code enters a scope only through this module:

- `access_scope(access)`: a request's scope, narrowed to the user's kecamatan or village
  (the middleware opens it around the whole response);
- `district_scope(district)`: one whole district, every dimension set (jobs, services);
- `rollup_scope(districts)`: several districts at once, read-only (province and national
  views and their jobs: one query over many districts, never a write);
- `each_district(model, **filters)`: a national job (reminders, sweeps) visiting, one at a
  time, each district that has matching rows;
- `found_by_token(model, **lookup)`: a public page finding its object by an unguessable
  token, then working in that object's district;
- `public_district_page`: a public page of one district, entered read-only;
- `DistrictTask`: the Celery base class of tasks that work in one district (pretix's
  EventTask is the model): called with `district_id=…`, it runs with `district=` inside that
  district's scope, time zone and the documents' language.

`scopes_disabled()` appears nowhere else but in migrations and management commands
(tests/accounts/test_tenancy.py holds the list).
"""

from contextlib import contextmanager
from functools import wraps

from celery.contrib.django.task import DjangoTask
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled


def _ids(districts) -> list[int]:
    ids = {getattr(d, "pk", d) for d in districts}
    # django-scopes reads None as "every value": a scope is never built from a missing id
    if None in ids:
        raise ValueError("a district scope needs real district ids")
    return sorted(ids)


@contextmanager
def access_scope(access):
    """The scope of one user in one district (policy.Access.scope decides the dimensions)."""
    with scope(**access.scope()):
        yield


@contextmanager
def district_scope(district):
    """All of one district: its kecamatan and villages included."""
    (district_id,) = _ids([district])
    with scope(district=district_id, kecamatan=None, village=None):
        yield


@contextmanager
def districts_scope(districts):
    """Several districts, for a national job that writes in each of them (the region import
    seeding every new district's agencies). Views use `rollup_scope`."""
    with scope(district=_ids(districts) or [-1], kecamatan=None, village=None):
        yield


@contextmanager
def rollup_scope(districts):
    """Several districts at once, read-only: what a province or national view reads. On
    PostgreSQL the transaction itself is read-only, so a roll-up can never write."""
    ids = _ids(districts) or [-1]
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION READ ONLY")
        with scope(district=ids, kecamatan=None, village=None):
            yield


def each_district(model, **filters):
    """Yield, one at a time and inside its own scope and time zone, each district that has
    rows of `model` matching `filters`. For national jobs (reminders, sweeps): finding which
    districts have work is the one query that looks across districts."""
    from villages.models import District

    ids = {row[0] for row in across_districts(model, **filters)}
    for district in District.objects.filter(pk__in=ids).order_by("code"):
        with district_scope(district), timezone.override(district.tz):
            yield district


def across_districts(model, *fields, **filters) -> list[tuple]:
    """The distinct (district id, *fields) of the rows of `model` matching `filters`, in every
    district: how a national job finds which districts have work (ids, years, switches; never
    a row's content). It then enters each of them through `district_scope`."""
    with scopes_disabled():
        rows = model.objects.filter(**filters).values_list("district_id", *fields).distinct()
        return list(rows)


def found_by_token(model, *, related=(), **lookup):
    """The object a public page names by an unguessable token (a check-in code, a verification
    token), found before any district is known; None when there is none. The caller then works
    inside `district_scope(obj.district)`."""
    with scopes_disabled():
        rows = model.objects.filter(**lookup)
        return (rows.select_related(*related) if related else rows).first()


class DistrictTask(DjangoTask):
    """A task that works in one district. Call it with `district_id=…` (never a model
    instance); it runs with `district=` in that district's scope and time zone, in the
    documents' language (Indonesian)."""

    abstract = True

    def __call__(self, *args, district_id, **kwargs):
        from villages.models import District

        district = District.objects.get(pk=district_id)
        with (
            district_scope(district),
            timezone.override(district.tz),
            translation.override(settings.LANGUAGE_CODE),
        ):
            return super().__call__(*args, district=district, **kwargs)


def public_district_page(view):
    """A public page of one district (`/publik/<district_slug>/…`, no login): the district
    comes from the slug (an unknown or retired one is a 404), and the view runs inside that
    district's scope read-only, in its time zone. A public page can only read, and only one
    district."""
    from django.http import Http404

    @wraps(view)
    def wrapped(request, *args, district_slug, **kwargs):
        from villages.models import District

        district = District.objects.active().filter(slug=district_slug).first()
        if district is None:
            raise Http404
        request.district = district
        with rollup_scope([district]), timezone.override(district.tz):
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            return response

    return wrapped
