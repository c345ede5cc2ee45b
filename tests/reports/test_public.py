"""The public page /publik/<district-slug>/: no login; only what the district chose to publish
(each item alone shows exactly that item); never a person's name, NIP or e-mail; cached per
district and language with a change of the choice showing at once; the same number of queries
for a small and a larger district; only the district admin changes the choice."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import AuditEvent
from commitments.models import CommitmentDocument, DocumentVersion
from convergence.models import YearAction
from documents.models import GeneratedDocument
from outcomes.models import STUNTING, Indicator, IndicatorValue, Source
from reports import services
from reports.models import ITEMS, Publication
from tests.commitments.factories import NIP, add_people
from tests.commitments.test_commitment_summaries import document, sign
from tests.convergence.objects import year_for
from village_reports.models import FocusDecree, FocusVillage
from villages.models import District, Kecamatan, Village, VillageProfile

pytestmark = pytest.mark.django_db

TITLE = "Komitmen Publik Uji Tujuh Tujuh"
SEKDA_NIP = "196805121990031007"


def url(side, **query):
    base = reverse("public_page", kwargs={"district_slug": side.district.slug})
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def publish(side, **choices):
    with scopes_disabled():
        services.update_publication(
            side.district,
            by=side.users["district_admin"],
            **{**dict.fromkeys(ITEMS, False), **choices},
        )


def prevalence(side, kecamatan, value, *, year=2024, source=Source.SSGI):
    with scopes_disabled():
        IndicatorValue.objects.create(
            district=side.district,
            kecamatan=kecamatan,
            indicator=Indicator.objects.get(code=STUNTING),
            year=year,
            value=Decimal(value),
            source=source,
        )


def focus(side, *villages):
    year = side.district.local_now().year
    with scopes_disabled():
        decree, _ = FocusDecree.objects.get_or_create(
            district=side.district, year=year, defaults={"number": "100.3/Kep.77-Bappeda/2026"}
        )
        for village in villages:
            FocusVillage.objects.create(decree=decree, district=side.district, village=village)


def signed_document(side, title=TITLE):
    """A signed district commitment with a final PDF, signed by the executive (a member with
    an e-mail and a NIP) and two people on paper."""
    made = document(side, CommitmentDocument.Status.SIGNED)
    with scopes_disabled():
        add_people(made, side, users=["executive"])
        version = made.current_version
        final = GeneratedDocument.objects.create(
            kind=GeneratedDocument.Kind.COMMITMENT,
            district=side.district,
            source_type="commitments.documentversion",
            source_id=str(version.pk),
            file="x.pdf",
            sha256="0" * 64,
            size=1,
        )
        DocumentVersion.objects.filter(pk=version.pk).update(title=title, final=final)
    sign(side, made, 2, 2)  # two more places on paper; the first two places signed
    return made


@pytest.fixture
def data(world):
    """District A with a kecamatan prevalence (the OTHER kecamatan: the focus village lies in
    the first), a focus village, an open convergence year and a signed commitment."""
    a = world.a
    with scopes_disabled():
        a.district.sekda_name = "Drs. Budi Santoso, M.Si."
        a.district.sekda_nip = SEKDA_NIP
        a.district.save()
        VillageProfile.objects.create(
            village=a.village, district=a.district, head_name="Kepala Desa Ujang Suryana"
        )
    prevalence(a, a.other_kecamatan, "23.40")
    focus(a, a.village)
    district_year = year_for(a, a.district.local_now().year)
    with scopes_disabled():
        action_title = (
            YearAction.objects.filter(district_year=district_year)
            .order_by("action__number")
            .values_list("action__title", flat=True)
            .first()
        )
    made = signed_document(a)
    return {
        "kecamatan": a.other_kecamatan.name,
        "village": a.village.name,
        "action": action_title,
        "commitment": TITLE,
        "document": made,
    }


WHAT = {  # item → the key of `data` only it shows
    "prevalence": "kecamatan",
    "focus_villages": "village",
    "actions": "action",
    "commitments": "commitment",
}


def test_anonymous_reads_a_calm_page_when_nothing_is_published(client, world, data):
    response = client.get(url(world.a))
    assert response.status_code == 200
    html = response.content.decode()
    assert "belum menerbitkan data apa pun" in html
    for key in WHAT.values():
        assert data[key] not in html, key
    assert "public" in response["Cache-Control"] and "max-age=600" in response["Cache-Control"]
    assert "Diperbarui" in html


def test_each_item_alone_shows_exactly_that_item(client, world, data):
    a = world.a
    publish(a)  # a row with everything off
    html = client.get(url(a)).content.decode()
    for key in WHAT.values():
        assert data[key] not in html, key
    for item, key in WHAT.items():
        publish(a, **{item: True})
        html = client.get(url(a)).content.decode()
        assert data[key] in html, item
        for other in set(WHAT.values()) - {key}:
            assert data[other] not in html, f"{item} shows {other}"


def test_figures_carry_source_year_and_band_and_the_document_its_link(client, world, data):
    a = world.a
    publish(a, **dict.fromkeys(ITEMS, True))
    html = client.get(url(a)).content.decode()
    # 23.40 % lies in 20–30: the yellow band; SSGI 2024 its source and year
    assert "23,40 %" in html
    assert "tag-band-yellow" in html
    assert "SSGI, 2024" in html
    token = data["document"].current_version.verify_token
    assert reverse("document_verify", kwargs={"token": token}) in html
    # three places (the executive, then Tokoh 1 and Tokoh 2 on paper), the first two signed:
    # 2 signatures
    assert '<td class="num" data-label="Tanda tangan">2</td>' in html


def test_a_focus_village_figure_names_its_decree_year_apart_from_the_measurement(client, world):
    """A decree's village prevalence is dated by the decree, while its stated source names the
    measurement's own month and year: the page does not set the two years side by side."""
    a = world.a
    year = a.district.local_now().year
    focus(a, a.village, a.other_village)
    with scopes_disabled():
        FocusVillage.objects.filter(village=a.village).update(
            prevalence=Decimal("23.40"), prevalence_source=f"e-PPGBM Agustus {year - 1}"
        )
        FocusVillage.objects.filter(village=a.other_village).update(prevalence=Decimal("9.10"))
    publish(a, prevalence=True)
    html = client.get(url(a)).content.decode()
    assert f"e-PPGBM Agustus {year - 1}, menurut SK desa lokus {year}</td>" in html
    assert f"e-PPGBM Agustus {year - 1}, {year}<" not in html
    assert f">SK desa lokus {year}</td>" in html  # no source stated: the decree alone
    english = client.get(url(a, lang="en")).content.decode()
    assert (
        f"e-PPGBM Agustus {year - 1}, as stated in the focus-village decree of {year}</td>"
    ) in english


def test_no_personal_data_with_everything_published(client, world, data):
    a = world.a
    publish(a, **dict.fromkeys(ITEMS, True))
    html = client.get(url(a)).content.decode()
    assert NIP not in html and SEKDA_NIP not in html
    assert "@" not in html  # no e-mail address of anyone
    for user in a.users.values():
        assert user.full_name not in html
    assert "Tokoh 1" not in html  # a signatory on paper
    assert "Kepala Desa Ujang Suryana" not in html
    assert "Budi Santoso" not in html


def test_cached_page_costs_almost_no_query_and_a_change_shows_at_once(
    client, world, data, django_assert_max_num_queries
):
    a = world.a
    publish(a, prevalence=True)
    first = client.get(url(a)).content.decode()
    assert data["kecamatan"] in first
    # the district and its publication, in the read-only transaction of the public page
    # (a savepoint, SET TRANSACTION READ ONLY, its release): 2 SELECTs
    with django_assert_max_num_queries(5):
        second = client.get(url(a)).content.decode()
    assert second == first
    publish(a, prevalence=True, commitments=True)
    third = client.get(url(a)).content.decode()
    assert data["commitment"] in third


def test_english_is_cached_apart(client, world, data):
    a = world.a
    publish(a, prevalence=True)
    indonesian = client.get(url(a)).content.decode()
    english = client.get(url(a, lang="en")).content.decode()
    assert '<html lang="id">' in indonesian and '<html lang="en">' in english
    assert "Updated" in english and "Diperbarui" in indonesian


def _larger(side, world):
    """More of everything: every kecamatan of the district with a figure, five more focus
    villages, four more signed documents."""
    with scopes_disabled():
        kecamatan = list(Kecamatan.objects.filter(district=side.district))
        villages = list(
            Village.objects.filter(district=side.district).exclude(pk=side.village.pk)[:5]
        )
    for i, k in enumerate(kecamatan):
        prevalence(side, k, f"{10 + i}.5", year=2023)
    focus(side, *villages)
    for i in range(4):
        signed_document(side, title=f"Komitmen {i}")


def test_uncached_query_count_does_not_grow_with_the_district(
    client, world, data, django_assert_max_num_queries
):
    a = world.a
    publish(a, **dict.fromkeys(ITEMS, True))
    # 19 with the cache in Redis; in the database (SQLite, `make test`) its reads and writes
    # are queries too: 4 more, the same for both districts
    bound = 19 if settings.REDIS_URL else 23
    cache.clear()
    with django_assert_max_num_queries(bound):
        assert client.get(url(a)).status_code == 200
    _larger(a, world)
    publish(a, **dict.fromkeys(ITEMS, False))
    publish(a, **dict.fromkeys(ITEMS, True))  # a new choice time: not from the cache
    with django_assert_max_num_queries(bound):
        html = client.get(url(a)).content.decode()
    assert "Komitmen 3" in html


def test_unknown_or_retired_district_is_not_found(client, world):
    assert client.get("/publik/kab-tidak-ada/").status_code == 404
    with scopes_disabled():
        District.objects.filter(pk=world.b.district.pk).update(retired_at=timezone.now())
    assert client.get(url(world.b)).status_code == 404


def test_only_the_district_admin_changes_the_choice(client, world):
    a = world.a
    edit = reverse("publication_edit", kwargs={"district_slug": a.district.slug})
    posted = {"prevalence": "on", "edit_token": "-"}
    for role, user in a.users.items():
        if role == "district_admin":
            continue
        client.force_login(user)
        assert client.get(edit).status_code == 403, role
        assert client.post(edit, posted).status_code == 403, role
    client.force_login(world.b.users["district_admin"])
    assert client.post(edit, posted).status_code == 404
    client.logout()
    assert client.post(edit, posted).status_code == 302  # to the login
    with scopes_disabled():
        assert not Publication.objects.filter(district=a.district).exists()

    client.force_login(a.users["district_admin"])
    page = client.get(edit)
    assert page.status_code == 200
    assert url(a) in page.content.decode()
    assert client.post(edit, posted).status_code == 302
    with scopes_disabled():
        saved = Publication.objects.get(district=a.district)
        assert saved.chosen == ("prevalence",)
        event = AuditEvent.objects.get(district=a.district, action="publication_changed")
    assert event.data["fields"] == ["prevalence"]
    assert event.actor == a.users["district_admin"]


def test_a_save_from_an_outdated_page_is_refused(client, world):
    a = world.a
    edit = reverse("publication_edit", kwargs={"district_slug": a.district.slug})
    publish(a, actions=True)
    with scopes_disabled():
        opened = Publication.objects.get(district=a.district).updated_at.isoformat()
    publish(a, actions=True, focus_villages=True)  # someone else saves in between
    client.force_login(a.users["district_admin"])
    response = client.post(edit, {"prevalence": "on", "edit_token": opened})
    assert response.status_code == 200
    assert "sudah diubah" in response.content.decode()
    with scopes_disabled():
        assert Publication.objects.get(district=a.district).chosen == (
            "focus_villages",
            "actions",
        )


def test_the_index_lists_only_districts_that_publish_something(client, world):
    a, b = world.a, world.b
    publish(b)  # a row with everything off: not listed
    publish(a, focus_villages=True)
    response = client.get(reverse("public_index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert url(a) in html
    assert url(b) not in html


def test_focus_list_names_the_villages_in_one_query(world, django_assert_num_queries):
    from village_reports.summaries import focus_list

    a, b = world.a, world.b
    focus(a, a.other_village, a.village)
    focus(b, b.village)
    year = a.district.local_now().year
    with scopes_disabled(), django_assert_num_queries(1):
        found = focus_list([a.district, b.district], year)
    # by kecamatan code: 32.11.01 (a.village) before 32.11.02 (a.other_village)
    assert [v.name for v in found[a.district.pk].villages] == [
        a.village.name,
        a.other_village.name,
    ]
    assert found[a.district.pk].villages[0].kecamatan_name == a.kecamatan.name
    assert found[a.district.pk].decree_number == "100.3/Kep.77-Bappeda/2026"
    assert found[b.district.pk].count == 1
    with scopes_disabled():
        assert focus_list([a.district], year - 1)[a.district.pk].count == 0


def test_signed_documents_in_one_query(world, django_assert_num_queries):
    from commitments.summaries import signed_documents

    a, b = world.a, world.b
    first = signed_document(a, title="Komitmen Pertama")
    signed_document(a, title="Komitmen Kedua")
    document(a, CommitmentDocument.Status.SIGNING)  # not signed yet: not listed
    with scopes_disabled(), django_assert_num_queries(1):
        found = signed_documents([a.district, b.district], limit=1)
    # two signed documents in A, one shown (limit 1); none in B
    assert found[a.district.pk].total == 2
    assert len(found[a.district.pk].latest) == 1
    assert found[b.district.pk].total == 0
    with scopes_disabled():
        both = signed_documents([a.district])[a.district.pk].latest
        token = DocumentVersion.objects.get(document=first).verify_token
    one = next(d for d in both if d.title == "Komitmen Pertama")
    # the executive and two on paper; the first two places signed
    assert one.signatures == 2
    assert one.verify_token == token
    assert one.level == "district" and one.area == ""
