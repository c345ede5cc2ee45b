"""Scores against values computed by hand from the shipped frameworks' points and weights.

Points are A=4, B=3, C=2, D=1 in both frameworks; an indicator scores points × weight."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_scopes import scopes_disabled

from convergence import services
from convergence.models import Evidence, Grade, Indicator
from tests.convergence.objects import pdf_upload, year_for

pytestmark = pytest.mark.django_db


def grade_all(district_year, grades_by_action, source, by):
    """`grades_by_action`: {action number: "ABC"} — one letter per indicator, in order."""
    with scopes_disabled():
        for indicator in (
            Indicator.objects.filter(action__framework=district_year.framework)
            .select_related("action")
            .prefetch_related("options")
        ):
            letters = grades_by_action.get(indicator.action.number)
            if not letters:
                continue
            option = next(
                o for o in indicator.options.all() if o.grade == letters[indicator.number - 1]
            )
            services.grade_indicator(
                district_year=district_year,
                indicator=indicator,
                option=option,
                source=source,
                justification="Sesuai dokumen",
                by=by,
            )
    with scopes_disabled():
        return services.scores(district_year)


def test_eight_aksi_scores_by_hand(world):
    year = year_for(world.a, 2024)
    # weights per action: 1:[3,2,1] 2:[2,1,1] 3:[2,1,1] 4:[2,1] 5:[2,1] 6:[1,1] 7:[2,2,1] 8:[2,1]
    # self grades cycle A,B,C,D over the 20 indicators:
    #  aksi 1: A·3 + B·2 + C·1 = 12 + 6 + 2 = 20     aksi 5: D·2 + A·1 = 2 + 4 = 6
    #  aksi 2: D·2 + A·1 + B·1 = 2 + 4 + 3 = 9       aksi 6: B·1 + C·1 = 3 + 2 = 5
    #  aksi 3: C·2 + D·1 + A·1 = 4 + 1 + 4 = 9       aksi 7: D·2 + A·2 + B·1 = 2 + 8 + 3 = 13
    #  aksi 4: B·2 + C·1 = 6 + 2 = 8                 aksi 8: C·2 + D·1 = 4 + 1 = 5     total 75
    own = {1: "ABC", 2: "DAB", 3: "CDA", 4: "BC", 5: "DA", 6: "BC", 7: "DAB", 8: "CD"}
    grade_all(year, own, Grade.Source.SELF, world.a.users["district_admin"])
    # province: aksi 1 all A (4·6 = 24), the rest all B (3 × sum of weights):
    #  12, 12, 9, 9, 6, 15, 9  → total 24 + 72 = 96
    province = {1: "AAA", 2: "BBB", 3: "BBB", 4: "BB", 5: "BB", 6: "BB", 7: "BBB", 8: "BB"}
    scores = grade_all(year, province, Grade.Source.PROVINCE, world.province_viewer_a)
    by_action = {row.year_action.action.number: row for row in scores.actions}
    assert [by_action[n].self_score for n in range(1, 9)] == [20, 9, 9, 8, 6, 5, 13, 5]
    assert [by_action[n].province_score for n in range(1, 9)] == [24, 12, 12, 9, 9, 6, 15, 9]
    assert [by_action[n].difference for n in range(1, 9)] == [4, 3, 3, 1, 3, 1, 2, 4]
    assert [by_action[n].maximum for n in range(1, 9)] == [24, 16, 16, 12, 12, 8, 20, 12]
    assert (scores.self_total, scores.province_total, scores.maximum) == (75, 96, 120)
    assert scores.difference == 21
    assert scores.self_percent == Decimal("62.5") and scores.province_percent == Decimal("80.0")
    assert scores.self_class == ""  # the 8-aksi framework has no classes


def test_2025_model_scores_and_class_by_hand(world):
    year = year_for(world.a, 2025)
    # weights: 1:[2,3,1] 2:[2,2,1] 3:[3,2,1] 4:[2,2,1] 5:[1,1] 6:[1,1]; maximum 4·26 = 104
    # self: all A except aksi utama 3 all D: 4·(6+5+5+2+2) + 1·6 = 80 + 6 = 86 → 82.7 % Berdaya
    own = {1: "AAA", 2: "AAA", 3: "DDD", 4: "AAA", 5: "AA", 6: "AA"}
    scores = grade_all(year, own, Grade.Source.SELF, world.a.users["district_admin"])
    assert (scores.self_total, scores.maximum) == (86, 104)
    assert scores.self_percent == Decimal("82.7") and scores.self_class == "Berdaya"
    # province: all C but aksi pendukung 2 not graded yet: 2·(26 − 2) = 48; no class until all
    province = {1: "CCC", 2: "CCC", 3: "CCC", 4: "CCC", 5: "CC"}
    scores = grade_all(year, province, Grade.Source.PROVINCE, world.province_viewer_a)
    assert scores.province_total == 48 and scores.province_class == ""
    row3 = next(r for r in scores.actions if r.year_action.action.number == 3)
    assert (row3.self_score, row3.province_score, row3.difference) == (6, 12, 6)
    scores = grade_all(year, {6: "CC"}, Grade.Source.PROVINCE, world.province_viewer_a)
    assert scores.province_total == 52 and scores.province_percent == Decimal("50.0")
    assert scores.province_class == "Tumbuh"


def test_self_grade_needs_justification_and_own_evidence(world):
    admin = world.a.users["district_admin"]
    year = year_for(world.a, 2026)
    with scopes_disabled():
        indicator = Indicator.objects.filter(
            action__framework=year.framework, action__number=1
        ).first()
        option = indicator.options.first()
        with pytest.raises(ValidationError, match="alasan"):
            services.grade_indicator(
                district_year=year,
                indicator=indicator,
                option=option,
                source="self",
                justification=" ",
                by=admin,
            )
        other_action = year.actions.get(action__number=2).deliverables.first()
        foreign = services.upload_evidence(deliverable=other_action, upload=pdf_upload(), by=admin)
        with pytest.raises(ValidationError, match="aksi yang sama"):
            services.grade_indicator(
                district_year=year,
                indicator=indicator,
                option=option,
                source="self",
                justification="ok",
                evidence=[foreign],
                by=admin,
            )
        assert not Grade.objects.exists()


def test_grade_pages_for_admin_and_province(client, world):
    year = year_for(world.a, 2026)
    with scopes_disabled():
        indicators = list(
            Indicator.objects.filter(
                action__framework=year.framework, action__number=1
            ).prefetch_related("options")
        )
        deliverable = year.actions.get(action__number=1).deliverables.first()
        evidence = services.upload_evidence(
            deliverable=deliverable, upload=pdf_upload(), by=world.a.users["district_admin"]
        )
    slug = world.a.district.slug
    form_url = reverse(
        "assessment_self", kwargs={"district_slug": slug, "year": 2026, "action_number": 1}
    )
    data = {}
    for i in indicators:
        data[f"grade_{i.pk}"] = str(i.options.all()[0].pk)  # A
        data[f"justification_{i.pk}"] = "Dokumen lengkap"
    data[f"evidence_{indicators[0].pk}"] = [str(evidence.pk)]
    client.force_login(world.a.users["district_admin"])
    assert client.post(form_url, data).status_code == 302
    client.force_login(world.province_viewer_a)
    province_url = reverse(
        "assessment_province", kwargs={"district_slug": slug, "year": 2026, "action_number": 1}
    )
    assert client.get(form_url).status_code == 403
    data = {f"grade_{i.pk}": str(i.options.all()[1].pk) for i in indicators}  # B, no reasons
    assert client.post(province_url, data).status_code == 302
    page = client.get(reverse("assessment", kwargs={"district_slug": slug, "year": 2026}))
    scores = page.context["scores"]
    # aksi utama 1 weights 2,3,1: self 4·6 = 24, province 3·6 = 18
    assert (scores.self_total, scores.province_total, scores.difference) == (24, 18, -6)
    assert evidence.original_name in page.content.decode()
    with scopes_disabled():
        assert list(Grade.objects.get(indicator=indicators[0], source="self").evidence.all()) == [
            evidence
        ]
        assert Evidence.objects.count() == 1


def test_a_fault_on_one_indicator_saves_no_grade(client, world):
    year_for(world.a, 2026)
    with scopes_disabled():
        indicators = list(
            Indicator.objects.filter(
                action__framework__code="model-2025", action__number=1
            ).prefetch_related("options")
        )
    data = {f"grade_{i.pk}": str(i.options.all()[0].pk) for i in indicators}
    data[f"justification_{indicators[0].pk}"] = "Dokumen lengkap"  # the others have none
    client.force_login(world.a.users["district_admin"])
    response = client.post(
        reverse(
            "assessment_self",
            kwargs={"district_slug": world.a.district.slug, "year": 2026, "action_number": 1},
        ),
        data,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Tidak ada yang disimpan" in html and "Dokumen lengkap" in html
    with scopes_disabled():
        assert not Grade.objects.exists()
