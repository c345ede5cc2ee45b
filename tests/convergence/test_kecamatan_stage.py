"""The 2025 model's kecamatan stage (issue 15): each kecamatan enters its part of a marked
deliverable, its camat verifies it, and the district verifies the deliverable only after every
kecamatan's part is verified. District A (Sumedang) has two kecamatan: 32.11.01 Wado (the
world's camat) and 32.11.02 Jatinunggal (no camat unless a test adds one)."""

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.models import AuditEvent, Role
from accounts.services import grant_membership
from convergence import services
from convergence.definitions import (
    framework_as_definition,
    shipped_definition,
    validate_definition,
)
from convergence.models import (
    Deliverable,
    DeliverableTemplate,
    Framework,
    KecamatanEntry,
    Status,
)
from tests.conftest import make_user
from tests.convergence.objects import submit_complete, year_for

pytestmark = pytest.mark.django_db

WAIT_BOTH = (
    "Tahap kecamatan belum selesai: 2 kecamatan belum diverifikasi camat (Wado, Jatinunggal)."
)
WAIT_JATINUNGGAL = (
    "Tahap kecamatan belum selesai: 1 kecamatan belum diverifikasi camat (Jatinunggal)."
)


def url(world, name, **kwargs):
    return reverse(name, kwargs={"district_slug": world.a.district.slug, **kwargs})


def messages_of(response):
    """The messages shown after a POST whose redirect the client followed."""
    return [str(m) for m in get_messages(response.wsgi_request)]


def analysis_recap(district_year):
    """Aksi Utama 1, keluaran 1: the recap of the kecamatan's situation-analysis data."""
    with scopes_disabled():
        return Deliverable.objects.select_related("template", "year_action__action").get(
            year_action__district_year=district_year,
            year_action__action__number=1,
            template__number=1,
        )


def entry(deliverable, code):
    with scopes_disabled():
        return KecamatanEntry.objects.select_related(
            "kecamatan", "deliverable__template", "deliverable__year_action__district_year"
        ).get(deliverable=deliverable, kecamatan__code=code)


def second_camat(world):
    """A camat for Jatinunggal, the kecamatan the world's camat does not head."""
    user = make_user("camat2@sumedang.test", "Camat Jatinunggal")
    with scopes_disabled():
        grant_membership(
            user=user,
            role=Role.CAMAT,
            district=world.a.district,
            kecamatan=world.a.other_kecamatan,
        )
    return user


# --- The framework marks which deliverables have a kecamatan stage ---------------------------


def test_the_2025_model_marks_situation_analysis_and_tiered_reporting(world):
    with scopes_disabled():
        marked = set(
            DeliverableTemplate.objects.filter(kecamatan_stage=True).values_list(
                "action__framework__code", "action__number", "number"
            )
        )
    # Aksi Utama 1 keluaran 1 (kecamatan data verified by the camat) and Aksi Utama 4
    # keluaran 3 (tiered reporting recap); nothing in the 8-aksi framework
    assert marked == {("model-2025", 1, 1), ("model-2025", 4, 3)}
    shipped = framework_as_definition(Framework.objects.get(code="model-2025"))
    assert shipped == shipped_definition("model-2025")


def test_a_definition_with_a_kecamatan_stage_that_is_not_true_or_false_is_refused():
    data = shipped_definition("model-2025")
    data["actions"][0]["deliverables"][0]["kecamatan_stage"] = "ya"
    assert validate_definition(data) == [
        "aksi ke-1.keluaran ke-1.kecamatan_stage: true atau false."
    ]


def test_opening_the_year_gives_every_kecamatan_its_row_once(world):
    district_year = year_for(world.a, 2026)
    with scopes_disabled():
        rows = list(
            KecamatanEntry.objects.filter(deliverable__year_action__district_year=district_year)
            .order_by("deliverable__year_action__action__number", "kecamatan__code")
            .values_list(
                "deliverable__year_action__action__number", "kecamatan__code", "status", "note"
            )
        )
        # 2 marked deliverables x 2 kecamatan, all waiting and empty
        expected = [
            (1, "32.11.01", "draft", ""),
            (1, "32.11.02", "draft", ""),
            (4, "32.11.01", "draft", ""),
            (4, "32.11.02", "draft", ""),
        ]
        assert rows == expected
        services.ensure_kecamatan_entries(district_year)
        assert KecamatanEntry.objects.filter(district=world.a.district).count() == 4
        # B's year has B's kecamatan only
        year_for(world.b, 2025)
        assert set(
            KecamatanEntry.objects.filter(district=world.b.district).values_list(
                "kecamatan__code", flat=True
            )
        ) == {"53.02.01", "53.02.02"}


# --- The rule: the district waits for every kecamatan ---------------------------------------


def test_district_verification_waits_for_every_kecamatan_verified_by_its_camat(world):
    district_year = year_for(world.a, 2026)
    recap = analysis_recap(district_year)
    admin, camat = world.a.users["district_admin"], world.a.users["camat"]
    camat2 = second_camat(world)
    with scopes_disabled():
        submit_complete(recap, by=world.a.users["opd_staff"])
        with pytest.raises(ValidationError) as refused:
            services.verify_deliverable(deliverable=recap, by=admin)
        assert refused.value.messages == [WAIT_BOTH]
        recap.refresh_from_db()
        assert recap.status == Status.SUBMITTED

        wado = entry(recap, "32.11.01")
        services.fill_kecamatan_entry(entry=wado, note="Data sasaran 12 desa, e-PPGBM", by=camat)
        # filled is not verified: still both waiting
        with pytest.raises(ValidationError) as refused:
            services.verify_deliverable(deliverable=recap, by=admin)
        assert refused.value.messages == [WAIT_BOTH]
        services.verify_kecamatan_entry(entry=wado, by=camat)
        with pytest.raises(ValidationError) as refused:
            services.verify_deliverable(deliverable=recap, by=admin)
        assert refused.value.messages == [WAIT_JATINUNGGAL]

        jatinunggal = entry(recap, "32.11.02")
        services.fill_kecamatan_entry(entry=jatinunggal, note="Data 8 desa", by=admin)
        services.verify_kecamatan_entry(entry=jatinunggal, by=camat2)
        services.verify_deliverable(deliverable=recap, by=admin)
        recap.refresh_from_db()
        assert recap.status == Status.VERIFIED


def test_a_deliverable_without_a_kecamatan_stage_does_not_wait(world):
    district_year = year_for(world.a, 2026)
    with scopes_disabled():
        analysis = Deliverable.objects.select_related("template").get(
            year_action__district_year=district_year,
            year_action__action__number=1,
            template__number=2,
        )
        assert analysis.template.kecamatan_stage is False
        submit_complete(analysis, by=world.a.users["opd_staff"])
        services.verify_deliverable(deliverable=analysis, by=world.a.users["district_admin"])
        analysis.refresh_from_db()
        assert analysis.status == Status.VERIFIED


def test_a_retired_kecamatan_is_not_waited_for(world):
    from django.utils import timezone

    district_year = year_for(world.a, 2026)
    recap = analysis_recap(district_year)
    with scopes_disabled():
        world.a.other_kecamatan.retired_at = timezone.now()
        world.a.other_kecamatan.save(update_fields=["retired_at"])
        wado = entry(recap, "32.11.01")
        services.fill_kecamatan_entry(entry=wado, note="data", by=world.a.users["camat"])
        services.verify_kecamatan_entry(entry=wado, by=world.a.users["camat"])
        assert services.kecamatan_waiting(recap) == []


# --- Filling, verifying, returning -----------------------------------------------------------


def test_double_verify_applies_once(world):
    recap = analysis_recap(year_for(world.a, 2026))
    camat = world.a.users["camat"]
    with scopes_disabled():
        wado = entry(recap, "32.11.01")
        services.fill_kecamatan_entry(entry=wado, note="data", by=camat)
        first = services.verify_kecamatan_entry(entry=wado, by=camat)
        verified_at = first.verified_at
        with pytest.raises(ValidationError) as refused:
            services.verify_kecamatan_entry(entry=entry(recap, "32.11.01"), by=camat)
        assert refused.value.messages == ["Data kecamatan ini sudah berstatus terverifikasi."]
        assert entry(recap, "32.11.01").verified_at == verified_at
        assert AuditEvent.objects.filter(action="kecamatan_entry_verify").count() == 1


def test_an_empty_part_cannot_be_verified_or_saved(world):
    recap = analysis_recap(year_for(world.a, 2026))
    camat = world.a.users["camat"]
    with scopes_disabled():
        wado = entry(recap, "32.11.01")
        with pytest.raises(ValidationError) as refused:
            services.verify_kecamatan_entry(entry=wado, by=camat)
        assert refused.value.messages == ["Data kecamatan ini belum diisi."]
        with pytest.raises(ValidationError) as refused:
            services.fill_kecamatan_entry(entry=wado, note="   ", by=camat)
        assert refused.value.messages == ["Tuliskan data dan bukti kecamatan sebelum menyimpan."]
        assert entry(recap, "32.11.01").status == KecamatanEntry.Status.DRAFT


def test_return_needs_a_reason_and_the_part_is_filled_again(world):
    recap = analysis_recap(year_for(world.a, 2026))
    camat = world.a.users["camat"]
    with scopes_disabled():
        wado = entry(recap, "32.11.01")
        services.fill_kecamatan_entry(entry=wado, note="data lama", by=camat)
        with pytest.raises(ValidationError) as refused:
            services.return_kecamatan_entry(entry=wado, reason=" ", by=camat)
        assert refused.value.messages == [
            "Tuliskan alasan pengembalian agar kecamatan tahu apa yang diperbaiki."
        ]
        returned = services.return_kecamatan_entry(
            entry=wado, reason="Data puskesmas belum masuk", by=camat
        )
        assert (returned.status, returned.return_reason) == (
            "returned",
            "Data puskesmas belum masuk",
        )
        # a returned part waits for new data before it can be verified
        with pytest.raises(ValidationError):
            services.verify_kecamatan_entry(entry=entry(recap, "32.11.01"), by=camat)
        services.fill_kecamatan_entry(entry=entry(recap, "32.11.01"), note="data baru", by=camat)
        verified = services.verify_kecamatan_entry(entry=entry(recap, "32.11.01"), by=camat)
        assert (verified.status, verified.note, verified.return_reason) == (
            "verified",
            "data baru",
            "",
        )
        # verified: no longer changes
        with pytest.raises(ValidationError) as refused:
            services.fill_kecamatan_entry(entry=verified, note="lain", by=camat)
        assert refused.value.messages == [
            "Data kecamatan ini sudah diverifikasi camat dan tidak dapat diubah."
        ]
        assert entry(recap, "32.11.01").note == "data baru"


def test_a_locked_year_takes_no_kecamatan_data(world):
    district_year = year_for(world.a, 2026)
    recap = analysis_recap(district_year)
    with scopes_disabled():
        services.lock_year(district_year=district_year, by=world.a.users["district_admin"])
        with pytest.raises(ValidationError, match="sudah dikunci"):
            services.fill_kecamatan_entry(
                entry=entry(recap, "32.11.01"), note="data", by=world.a.users["camat"]
            )
        assert entry(recap, "32.11.01").note == ""


# --- Through the pages: who sees and does what ---------------------------------------------


def test_the_camat_sees_and_verifies_only_his_kecamatan(client, world):
    recap = analysis_recap(year_for(world.a, 2026))
    wado, jatinunggal = entry(recap, "32.11.01"), entry(recap, "32.11.02")
    client.force_login(world.a.users["camat"])
    page = client.get(url(world, "kecamatan_stage", year=2026))
    assert page.status_code == 200
    shown = [
        (e.deliverable.template.title, e.kecamatan.name)
        for r in page.context["rows"]
        for e in r.entries
    ]
    assert shown == [
        ("Rekapitulasi verifikasi data kecamatan", "Wado"),
        ("Rekapitulasi pelaporan berjenjang", "Wado"),
    ]
    assert "Jatinunggal" not in page.content.decode()

    # his own: fill, then verify
    response = client.post(
        url(world, "kecamatan_entry_fill", kecamatan_entry_id=wado.pk), {"note": "12 desa"}
    )
    assert response.status_code == 302
    client.get(response["Location"])  # (the message shown)
    verify = url(world, "kecamatan_entry_verify", kecamatan_entry_id=wado.pk)
    response = client.post(verify, follow=True)
    assert messages_of(response) == ["Data kecamatan Wado diverifikasi."]
    # twice: applied once, said so
    response = client.post(verify, follow=True)
    assert messages_of(response) == ["Data kecamatan ini sudah berstatus terverifikasi."]
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="kecamatan_entry_verify").count() == 1

    # another kecamatan's part: as if it did not exist, and nothing changes
    for name, data in [
        ("kecamatan_entry_fill", {"note": "x"}),
        ("kecamatan_entry_verify", {}),
        ("kecamatan_entry_return", {"reason": "x"}),
    ]:
        response = client.post(url(world, name, kecamatan_entry_id=jatinunggal.pk), data)
        assert response.status_code == 404, name
    after = entry(recap, "32.11.02")
    assert (after.status, after.note) == ("draft", "")


def test_the_admin_fills_any_kecamatan_and_verifies_only_those_without_a_camat(client, world):
    """Wado (32.11.01) has an active camat account: only he verifies it. Jatinunggal
    (32.11.02) has none: the district admin verifies it on its behalf, recorded as such."""
    recap = analysis_recap(year_for(world.a, 2026))
    wado, jatinunggal = entry(recap, "32.11.01"), entry(recap, "32.11.02")
    client.force_login(world.a.users["district_admin"])
    page = client.get(url(world, "kecamatan_stage", year=2026))
    shown = [
        (e.deliverable.template.number, e.kecamatan.code)
        for r in page.context["rows"]
        for e in r.entries
    ]
    assert shown == [(1, "32.11.01"), (1, "32.11.02"), (3, "32.11.01"), (3, "32.11.02")]
    for kecamatan, note in ((jatinunggal, "Data dari kecamatan tanpa akun"), (wado, "Data Wado")):
        response = client.post(
            url(world, "kecamatan_entry_fill", kecamatan_entry_id=kecamatan.pk),
            {"note": note},
            follow=True,
        )
        assert messages_of(response) == [
            f"Data kecamatan {kecamatan.kecamatan.name} disimpan dan menunggu verifikasi camat."
        ]
    page = client.get(url(world, "kecamatan_stage", year=2026))
    buttons = {
        e.kecamatan.code: e.can_verify
        for r in page.context["rows"]
        for e in r.entries
        if e.deliverable.template.number == 1
    }
    assert buttons == {"32.11.01": False, "32.11.02": True}

    # Wado: refused with the reason, nothing changes
    response = client.post(
        url(world, "kecamatan_entry_verify", kecamatan_entry_id=wado.pk), follow=True
    )
    assert messages_of(response) == [
        "Kec. Wado memiliki akun camat yang aktif: datanya diverifikasi oleh camat, bukan atas "
        "nama kecamatan."
    ]
    after = entry(recap, "32.11.01")
    assert (after.status, after.on_behalf) == ("draft", False)

    # Jatinunggal: verified on its behalf; a second click changes nothing
    for _ in range(2):
        client.post(url(world, "kecamatan_entry_verify", kecamatan_entry_id=jatinunggal.pk))
    after = entry(recap, "32.11.02")
    assert (after.status, after.on_behalf, after.verified_by) == (
        "verified",
        True,
        world.a.users["district_admin"],
    )
    page = client.get(url(world, "kecamatan_stage", year=2026)).content.decode()
    assert page.count("atas nama kecamatan (tanpa akun camat)") == 1
    with scopes_disabled():
        from accounts.models import AuditEvent

        verified = AuditEvent.objects.filter(action="kecamatan_entry_verify")
        assert [e.data.get("on_behalf") for e in verified] == [True]


def test_the_district_verify_button_says_which_kecamatan_are_waiting(client, world):
    recap = analysis_recap(year_for(world.a, 2026))
    with scopes_disabled():
        submit_complete(recap, by=world.a.users["opd_staff"])
    client.force_login(world.a.users["district_admin"])
    response = client.post(url(world, "deliverable_verify", deliverable_id=recap.pk), follow=True)
    assert messages_of(response) == [WAIT_BOTH]
    page = client.get(url(world, "deliverable_detail", deliverable_id=recap.pk)).content.decode()
    assert "Belum diverifikasi camat: 2 kecamatan (Wado, Jatinunggal)." in page


def test_other_districts_see_nothing(client, world):
    recap = analysis_recap(year_for(world.a, 2026))
    wado = entry(recap, "32.11.01")
    year_for(world.b, 2025)
    # B's camat and admin on A's pages: A is not their district
    for user in (world.b.users["camat"], world.b.users["district_admin"]):
        client.force_login(user)
        assert client.get(url(world, "kecamatan_stage", year=2026)).status_code == 404
        response = client.post(url(world, "kecamatan_entry_verify", kecamatan_entry_id=wado.pk))
        assert response.status_code == 404
    # A's camat naming B's part in his own district: not found
    with scopes_disabled():
        b_entry = KecamatanEntry.objects.filter(district=world.b.district).first()
    client.force_login(world.a.users["camat"])
    response = client.post(
        url(world, "kecamatan_entry_fill", kecamatan_entry_id=b_entry.pk), {"note": "x"}
    )
    assert response.status_code == 404
    with scopes_disabled():
        assert KecamatanEntry.objects.get(pk=b_entry.pk).note == ""


def test_the_stage_page_queries_do_not_grow_with_kecamatan(
    client, world, django_assert_max_num_queries
):
    """2 kecamatan, then 40: the same number of queries (rows made in one insert)."""
    from villages.models import Kecamatan

    year_for(world.a, 2026)
    client.force_login(world.a.users["district_admin"])
    page = url(world, "kecamatan_stage", year=2026)
    client.get(page)
    counts = []
    with django_assert_max_num_queries(20) as captured:
        assert client.get(page).status_code == 200
    counts.append(len(captured.captured_queries))
    Kecamatan.objects.bulk_create(
        Kecamatan(code=f"32.11.{n:02d}", name=f"Kecamatan {n}", district=world.a.district)
        for n in range(3, 41)
    )
    response = client.get(page)  # makes the 76 new rows
    assert sum(r.total for r in response.context["rows"]) == 80
    with django_assert_max_num_queries(20) as captured:
        assert client.get(page).status_code == 200
    counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1], counts


def test_the_camat_menu_leads_to_the_newest_year(client, world):
    client.force_login(world.a.users["camat"])
    # no year opened yet: the page says so
    page = client.get(url(world, "kecamatan_stage_current"))
    assert page.status_code == 200
    assert "Belum ada tahun aksi konvergensi yang dibuka." in page.content.decode()
    year_for(world.a, 2025)
    year_for(world.a, 2026)
    page = client.get(url(world, "kecamatan_stage_current"))
    assert page.context["district_year"].year == 2026
    assert (
        url(world, "kecamatan_stage_current")
        in client.get(url(world, "district_home")).content.decode()
    )
