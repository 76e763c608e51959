"""State 004's town verification formulas, written as scheme configuration, not code.

town year-end = county verification × 60% + mean of the sampled villages × 40%
composite     = daily work × 30% + year-end × 70%
grades        好 ≥ 90, 较好 [80, 90), 一般 [60, 80), 较差 < 60
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from domain.commands import Context, EnrolCounty, SubmitData
from domain.composites import evaluate_composites, grade_for
from domain.county import County
from domain.decimals import round2
from domain.errors import InvalidCommand
from domain.scheme import Scheme
from domain.scheme_reading import parse_scheme
from domain.scoring import score_year

D = Decimal

TOWN_FORMULAS: dict[str, Any] = {
    "composite_inputs": [
        {"code": "verification", "name": "县级核验得分"},
        {"code": "villages", "name": "抽查村得分", "many": True},
        {"code": "daily_work", "name": "日常工作得分"},
    ],
    "composites": [
        # Listed before the year-end score it uses: the order of the document does not matter.
        {
            "code": "composite",
            "name": "综合得分",
            "components": [{"source": "daily_work", "weight": "0.3"}, {"source": "year_end", "weight": "0.7"}],
        },
        {
            "code": "year_end",
            "name": "乡镇年终考核得分",
            "components": [
                {"source": "verification", "weight": "0.6"},
                {"source": "villages", "weight": "0.4", "aggregate": "mean"},
            ],
        },
    ],
}


def town_scheme(scheme_document: dict[str, Any], formulas: dict[str, Any] = TOWN_FORMULAS) -> Scheme:
    document = copy.deepcopy(scheme_document)
    document.update(copy.deepcopy(formulas))
    return parse_scheme(document)


@pytest.fixture
def town(scheme_document: dict[str, Any]) -> Scheme:
    return town_scheme(scheme_document)


def inputs(verification: str | None, villages: list[str] | None, daily_work: str | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if verification is not None:
        values["verification"] = D(verification)
    if villages is not None:
        values["villages"] = [D(v) for v in villages]
    if daily_work is not None:
        values["daily_work"] = D(daily_work)
    return values


def test_the_town_formulas_parse_as_scheme_configuration(town: Scheme) -> None:
    assert [item.code for item in town.composite_inputs] == ["verification", "villages", "daily_work"]
    assert town.composite_inputs[1].many is True
    year_end = next(item for item in town.composites if item.code == "year_end")
    assert [(c.source, c.weight, c.aggregate) for c in year_end.components] == [
        ("verification", D("0.6"), "value"),
        ("villages", D("0.4"), "mean"),
    ]
    assert parse_scheme(town.to_document()) == town


def test_year_end_and_composite_worked_by_hand(town: Scheme) -> None:
    results = evaluate_composites(town.composites, inputs("85", ["90", "80", "70", "88"], "92"))
    # villages: (90 + 80 + 70 + 88) / 4 = 328 / 4 = 82
    # year-end: 85 × 0.6 + 82 × 0.4 = 51 + 32.8 = 83.8
    assert results["year_end"] == D("83.8")
    # composite: 92 × 0.3 + 83.8 × 0.7 = 27.6 + 58.66 = 86.26
    assert results["composite"] == D("86.26")
    assert grade_for(round2(results["composite"]) or D(0), town.grades) == "较好"
    assert grade_for(round2(results["year_end"]) or D(0), town.grades) == "较好"


@pytest.mark.parametrize(
    ("verification", "villages", "daily_work", "year_end", "composite", "grade"),
    [
        # 95 × 0.6 + (92 + 94 + 96 + 98) / 4 × 0.4 = 57 + 95 × 0.4 = 57 + 38 = 95;
        # 88 × 0.3 + 95 × 0.7 = 26.4 + 66.5 = 92.9
        ("95", ["92", "94", "96", "98"], "88", "95", "92.9", "好"),
        # 90 × 0.6 + 90 × 0.4 = 90; 90 × 0.3 + 90 × 0.7 = 90, exactly on the boundary
        ("90", ["90", "90", "90", "90"], "90", "90", "90", "好"),
        # 70 × 0.6 + (60 + 65 + 70 + 75) / 4 × 0.4 = 42 + 67.5 × 0.4 = 42 + 27 = 69;
        # 80 × 0.3 + 69 × 0.7 = 24 + 48.3 = 72.3
        ("70", ["60", "65", "70", "75"], "80", "69", "72.3", "一般"),
        # 50 × 0.6 + (40 + 50 + 60 + 70) / 4 × 0.4 = 30 + 55 × 0.4 = 30 + 22 = 52;
        # 60 × 0.3 + 52 × 0.7 = 18 + 36.4 = 54.4
        ("50", ["40", "50", "60", "70"], "60", "52", "54.4", "较差"),
        # 80 × 0.6 + (80 + 80 + 80 + 79.98) / 4 × 0.4 = 48 + 79.995 × 0.4 = 48 + 31.998 = 79.998;
        # 80 × 0.3 + 79.998 × 0.7 = 24 + 55.9986 = 79.9986, shown as 80.00
        ("80", ["80", "80", "80", "79.98"], "80", "79.998", "79.9986", "较好"),
    ],
)
def test_town_grades(
    town: Scheme,
    verification: str,
    villages: list[str],
    daily_work: str,
    year_end: str,
    composite: str,
    grade: str,
) -> None:
    results = evaluate_composites(town.composites, inputs(verification, villages, daily_work))
    assert results["year_end"] == D(year_end)
    assert results["composite"] == D(composite)
    assert grade_for(round2(results["composite"]) or D(0), town.grades) == grade


@pytest.mark.parametrize(
    ("given", "year_end"),
    [
        (inputs(None, ["90", "80"], "92"), None),  # no county verification yet
        (inputs("85", None, "92"), None),  # villages not sampled yet
        (inputs("85", [], "92"), None),  # sampled list still empty
        # only the daily work score missing: 85 × 0.6 + (90 + 80) / 2 × 0.4 = 51 + 34 = 85
        (inputs("85", ["90", "80"], None), D(85)),
    ],
)
def test_a_missing_input_gives_none(town: Scheme, given: dict[str, Any], year_end: Decimal | None) -> None:
    results = evaluate_composites(town.composites, given)
    assert results["year_end"] == year_end
    assert results["composite"] is None


def test_each_component_aggregate(scheme_document: dict[str, Any]) -> None:
    formulas = {
        "composite_inputs": [{"code": "villages", "name": "抽查村得分", "many": True}],
        "composites": [
            {"code": name, "name": name, "components": [{"source": "villages", "weight": 1, "aggregate": name}]}
            for name in ("mean", "sum", "min", "max", "value")
        ],
    }
    scheme = town_scheme(scheme_document, formulas)
    results = evaluate_composites(scheme.composites, {"villages": [D(90), D(80), D(70), D(88)]})
    assert results == {"mean": D(82), "sum": D(328), "min": D(70), "max": D(90), "value": D(82)}


def test_composites_over_the_indicator_total_and_external_inputs(scheme_document: dict[str, Any]) -> None:
    formulas = copy.deepcopy(TOWN_FORMULAS)
    formulas["composite_inputs"] = [item for item in formulas["composite_inputs"] if item["code"] != "verification"]
    formulas["composites"][1]["components"][0]["source"] = "total"
    scheme = town_scheme(scheme_document, formulas)
    context = Context("tester", "corr-1")
    county = County.enrol(EnrolCounty("110101", "示范县", "北京市", "east", scheme), context)
    for indicator, period, value in [
        ("1.1", "2023", "59.1"),
        ("1.2", "2023-01", "40"),
        ("1.2", "2023-02", "50"),
        ("2.1", "2023-Q1", "35"),
        ("2.1", "2023-Q2", "38"),
        ("2.2", "2023", "88"),
    ]:
        county.handle(SubmitData(indicator, period, D(value)), context)

    card = score_year(county.book(2023), {"villages": [D(90), D(80), D(70), D(88)], "daily_work": D(92)})

    # The indicator total is 72.5 (see test_scoring.test_the_example_scorecard).
    assert card.total == D("72.5")
    # year-end: 72.5 × 0.6 + 82 × 0.4 = 43.5 + 32.8 = 76.3
    assert card.composites["year_end"] == D("76.3")
    # composite: 92 × 0.3 + 76.3 × 0.7 = 27.6 + 53.41 = 81.01
    assert card.composites["composite"] == D("81.01")
    assert grade_for(round2(card.composites["composite"]) or D(0), scheme.grades) == "较好"
    assert score_year(county.book(2023)).composites == {"year_end": None, "composite": None}


def test_a_scheme_with_broken_formulas_is_refused(scheme_document: dict[str, Any]) -> None:
    formulas = copy.deepcopy(TOWN_FORMULAS)
    formulas["composites"][1]["components"][0]["weight"] = "0.5"
    formulas["composites"][0]["components"][0]["source"] = "daily"
    with pytest.raises(InvalidCommand) as info:
        town_scheme(scheme_document, formulas)
    assert {(p.field, p.rule) for p in info.value.problems} == {
        ("composites.year_end.components", "weights_sum_to_one"),
        ("composites.composite.components.daily", "known_source"),
    }
