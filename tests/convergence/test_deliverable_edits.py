"""What an OPD typed is what Bappeda gets: sending saves the typed fields first, a refused
form comes back as typed, a save from an out-of-date page is refused with who changed it, two
people deciding at once cannot both win, and a history row without a user does not break the
page."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from accounts.models import User
from convergence import services
from convergence.models import Comment, Deliverable, Status, Transition
from tests.concurrency import race
from tests.convergence.objects import pdf_upload

pytestmark = pytest.mark.django_db


def _url(world, name, deliverable):
    return reverse(
        name, kwargs={"district_slug": world.a.district.slug, "deliverable_id": deliverable.pk}
    )


def _fields(deliverable):
    return {f["key"]: f for f in deliverable.template.fields}


def _returned(world, deliverable, values):
    admin, opd = world.a.users["district_admin"], world.a.users["opd_staff"]
    with scopes_disabled():
        services.save_data(deliverable=deliverable, values=values, note="", by=opd)
        services.submit_deliverable(deliverable=deliverable, by=opd)
        services.return_deliverable(deliverable=deliverable, reason="angka salah", by=admin)
        deliverable.refresh_from_db()
    return deliverable


def test_resubmitting_sends_the_values_typed_on_the_page(client, world, deliverable):
    # the measurement deliverable of DINKES: three counts of children
    assert set(_fields(deliverable)) == {
        "jumlah_balita_sasaran",
        "jumlah_balita_diukur",
        "jumlah_balita_stunting",
    }
    _returned(
        world,
        deliverable,
        {
            "jumlah_balita_sasaran": "120",
            "jumlah_balita_diukur": "100",
            "jumlah_balita_stunting": "30",
        },
    )
    client.force_login(world.a.users["opd_staff"])
    page = client.get(_url(world, "deliverable_detail", deliverable)).content.decode()
    # the send button belongs to the form with the fields: sending sends what is typed
    form = page.split('name="field_jumlah_balita_diukur"', 1)[1].split("</form>", 1)[0]
    assert 'name="kirim"' in form and "Kirim ulang ke Bappeda" in form
    response = client.post(
        _url(world, "deliverable_data", deliverable),
        {
            "field_jumlah_balita_sasaran": "120",
            "field_jumlah_balita_diukur": "110",  # corrected, not saved separately
            "field_jumlah_balita_stunting": "27",
            "note": "dikoreksi",
            "kirim": "1",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        deliverable.refresh_from_db()
    assert deliverable.status == Status.SUBMITTED
    assert deliverable.data["jumlah_balita_diukur"] == "110"
    assert deliverable.data["jumlah_balita_stunting"] == "27"
    assert deliverable.note == "dikoreksi"


def test_a_refused_save_shows_the_form_as_typed_and_changes_nothing(client, world, deliverable):
    client.force_login(world.a.users["opd_staff"])
    response = client.post(
        _url(world, "deliverable_data", deliverable),
        {
            "field_jumlah_balita_sasaran": "seratus",
            "field_jumlah_balita_diukur": "98",
            "field_jumlah_balita_stunting": "12",
            "note": "catatan panjang yang diketik",
            "kirim": "1",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="seratus"' in page and 'value="98"' in page
    assert "catatan panjang yang diketik" in page
    assert "harus bilangan bulat" in page
    with scopes_disabled():
        deliverable.refresh_from_db()
    assert deliverable.data == {} and deliverable.status == Status.DRAFT


def test_a_save_from_an_out_of_date_page_is_refused_with_who_and_when(client, world, deliverable):
    admin, opd = world.a.users["district_admin"], world.a.users["opd_staff"]
    client.force_login(opd)
    page = client.get(_url(world, "deliverable_detail", deliverable)).content.decode()
    token = page.split('name="edit_token" value="', 1)[1].split('"', 1)[0]
    # meanwhile the district admin saves the same deliverable
    with scopes_disabled():
        services.save_data(
            deliverable=deliverable,
            values={"jumlah_balita_sasaran": "500"},
            note="oleh admin",
            by=admin,
        )
    response = client.post(
        _url(world, "deliverable_data", deliverable),
        {"field_jumlah_balita_sasaran": "77", "note": "oleh OPD", "edit_token": token},
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert admin.full_name in text and "sudah diubah oleh" in text
    assert 'value="77"' in text and "oleh OPD" in text  # what the OPD typed is still there
    with scopes_disabled():
        deliverable.refresh_from_db()
    assert deliverable.data["jumlah_balita_sasaran"] == "500"
    assert deliverable.note == "oleh admin"
    # the page now carries the new token: a deliberate second save goes through
    fresh = text.split('name="edit_token" value="', 1)[1].split('"', 1)[0]
    assert fresh != token
    client.post(
        _url(world, "deliverable_data", deliverable),
        {"field_jumlah_balita_sasaran": "77", "note": "oleh OPD", "edit_token": fresh},
    )
    with scopes_disabled():
        deliverable.refresh_from_db()
    assert deliverable.data["jumlah_balita_sasaran"] == "77"


def test_the_page_shows_history_whose_user_was_deleted(client, world, deliverable):
    """Rows made by someone who was deleted since (or by the system) keep the page working."""
    from tests.conftest import make_user

    gone = make_user("pergi@sumedang.test", "Pegawai Pindah")
    with scopes_disabled():
        services.upload_evidence(deliverable=deliverable, upload=pdf_upload(), by=gone)
        Comment.objects.create(
            district=world.a.district, deliverable=deliverable, author=gone, text="ok"
        )
        Transition.objects.create(
            district=world.a.district,
            deliverable=deliverable,
            from_status="draft",
            to_status="submitted",
            actor=gone,
        )
    User.objects.filter(pk=gone.pk).delete()
    client.force_login(world.a.users["district_admin"])
    for name in ("deliverable_detail",):
        response = client.get(_url(world, name, deliverable))
        assert response.status_code == 200
        assert response.content.decode().count("sistem / pengguna terhapus") == 3
    with scopes_disabled():
        ya = deliverable.year_action
    response = client.get(
        reverse(
            "action_detail",
            kwargs={
                "district_slug": world.a.district.slug,
                "year": ya.district_year.year,
                "action_number": ya.action.number,
            },
        )
    )
    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_two_decisions_at_the_same_moment_one_wins(world, postgres):
    from tests.convergence.objects import own_deliverable, year_for

    admin, opd = world.a.users["district_admin"], world.a.users["opd_staff"]
    with scopes_disabled():
        deliverable = own_deliverable(world.a, year_for(world.a, 2026))
        services.save_data(
            deliverable=deliverable,
            values={f["key"]: "3" for f in deliverable.template.fields},
            note="",
            by=opd,
        )
        services.submit_deliverable(deliverable=deliverable, by=opd)
    pk, district = deliverable.pk, world.a.district

    def decide(step):
        def run():
            with scope(district=district.pk):
                d = Deliverable.objects.select_related("year_action__district_year").get(pk=pk)
                if step == "verify":
                    return services.verify_deliverable(deliverable=d, by=admin)
                if step == "submit":
                    return services.submit_deliverable(deliverable=d, by=opd)
                return services.return_deliverable(deliverable=d, reason="kurang", by=admin)

        return run

    # (a verified deliverable may still be returned later, so the racing pair is return+verify)
    first, second = race(decide("return"), decide("verify"))
    assert isinstance(first, Deliverable)
    assert isinstance(second, ValidationError)
    decide("submit")()
    first, second = race(decide("verify"), decide("verify"))
    assert isinstance(first, Deliverable) and isinstance(second, ValidationError)
    with scopes_disabled():
        moves = list(
            Transition.objects.filter(deliverable_id=pk).values_list("to_status", flat=True)
        )
        assert Deliverable.objects.get(pk=pk).status == Status.VERIFIED
    assert moves == ["submitted", "returned", "submitted", "verified"]
