"""Frameworks are reference data by year: shipped as data, versioned by national admins,
immutable once a district year uses them."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled

from convergence.definitions import framework_as_definition, shipped_definition
from convergence.models import Action, Framework, FrameworkFrozen
from tests.convergence.objects import year_for

pytestmark = pytest.mark.django_db


def test_shipped_frameworks_cover_their_years():
    eight = Framework.objects.get(code="8-aksi-2018")
    model = Framework.objects.get(code="model-2025")
    assert eight.is_published and model.is_published
    assert [a.code for a in eight.actions.all()] == [f"Aksi {n}" for n in range(1, 9)]
    kinds = [a.kind for a in model.actions.all()]
    assert kinds == ["main"] * 4 + ["supporting"] * 2
    assert Framework.objects.for_year(2018) == eight
    assert Framework.objects.for_year(2024) == eight
    assert Framework.objects.for_year(2025) == model
    assert Framework.objects.for_year(2031) == model
    assert Framework.objects.for_year(2017) is None
    # what is stored is what the data files say
    assert framework_as_definition(model)["actions"] == shipped_definition("model-2025")["actions"]


def test_published_framework_in_use_is_frozen(world):
    model = Framework.objects.get(code="model-2025")
    action = model.actions.first()
    action.title = "Boleh selama belum dipakai"
    action.save()
    year_for(world.a, 2026)
    action.title = "Tidak boleh"
    with pytest.raises(FrameworkFrozen):
        action.save()
    indicator = action.indicators.first()
    with pytest.raises(FrameworkFrozen):
        indicator.options.first().save()
    with pytest.raises(FrameworkFrozen):
        indicator.delete()
    assert Action.objects.get(pk=action.pk).title == "Boleh selama belum dipakai"


def new_version(code="model-2027", **changes):
    data = shipped_definition("model-2025")
    data.update(code=code, name="Model 2027 (uji)", first_year=2027, **changes)
    return json.dumps(data).encode()


def test_national_admin_uploads_checks_and_publishes_a_version(client, world):
    client.force_login(world.national_admin)
    response = client.post(
        "/nasional/kerangka/", {"file": SimpleUploadedFile("m.json", new_version())}
    )
    assert response.status_code == 302
    draft = Framework.objects.get(code="model-2027")
    assert draft.status == "draft" and draft.actions.count() == 6
    assert Framework.objects.for_year(2027).code == "model-2025"  # drafts are not used
    assert client.get("/nasional/kerangka/model-2027/").status_code == 200
    downloaded = json.loads(client.get("/nasional/kerangka/model-2027/unduh/").content)
    assert downloaded["code"] == "model-2027"
    client.post("/nasional/kerangka/model-2027/terbitkan/")
    assert Framework.objects.for_year(2027).code == "model-2027"
    client.post("/nasional/kerangka/model-2027/hapus/")
    assert Framework.objects.filter(code="model-2027").exists()  # published: kept


def test_bad_definitions_are_refused_with_reasons(client, world):
    client.force_login(world.national_admin)
    bad = json.loads(new_version())
    bad["actions"][0]["due_month"] = 13
    bad["actions"][1]["indicators"][0]["options"] = [{"grade": "A", "points": 4}]
    for content, message in [
        (b"{not json", "bukan JSON"),
        (json.dumps(bad).encode(), "aksi ke-1.due_month"),
        (json.dumps(bad).encode(), "aksi ke-2.indikator ke-1.options"),
        (new_version(code="model-2025"), "sudah dipakai"),
    ]:
        response = client.post(
            "/nasional/kerangka/", {"file": SimpleUploadedFile("m.json", content)}
        )
        assert response.status_code == 200
        assert message in response.content.decode()
    assert Framework.objects.count() == 2


def test_district_year_keeps_its_framework(world):
    year = year_for(world.a, 2024)
    with scopes_disabled():
        assert year.framework.code == "8-aksi-2018"
        assert year.actions.count() == 8
