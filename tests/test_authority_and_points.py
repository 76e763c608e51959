"""Whose result stands (ADR 19): authorities ordered by the scheme, restorations on
revocation, a closed year that still takes higher authorities' results; and bonus/penalty
points that keep the sign of their category, stay within their cap and can be revoked.

Each bullet of the issue "Trust in every score" (items 3 and 4) is reproduced here first.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
import pytest

from domain.chain import canonical, event_fields, recompute
from domain.commands import (
    AdjustPoints,
    AdjustWeights,
    ClosePeriod,
    Context,
    EnrolCounty,
    OverrideScore,
    ReopenPeriod,
    RevokeOverride,
    RevokePoints,
    SubmitData,
)
from domain.county import County
from domain.errors import ConflictError, InvalidCommand, NotFound
from domain.scheme import DEFAULT_AUTHORITIES, Scheme
from domain.scheme_reading import parse_scheme
from domain.scoring import counted_points, score_year
from ruraleval.transcoder import OrjsonTranscoder
from tests.test_county_commands import accept, book, enrol, only_event, refuse, score

D = Decimal
AT = datetime(2024, 1, 12, 3, 0, tzinfo=UTC)  # 11:00 in Beijing


def at(actor: str, minutes: int = 0) -> Context:
    return Context(actor, f"corr-{actor}-{minutes}", AT.replace(minute=minutes))


def override(node: str, score: int | str, authority: str, override_id: str, reason: str = "核查结果") -> OverrideScore:
    return OverrideScore(2023, node, D(score), authority, reason, override_id)


def standing(county: County, node: str) -> str | None:
    found = book(county).active_overrides().get(node)
    return found.id if found else None


@pytest.fixture
def county(scheme: Scheme) -> County:
    enrolled = Context("centre.admin", "c-0", datetime(2023, 3, 1, tzinfo=UTC))
    county = County.enrol(EnrolCounty("110101", "示范县", "北京市", "east", scheme), enrolled)
    submitted = Context("county.user", "c-1", datetime(2023, 12, 20, tzinfo=UTC))
    county.handle(SubmitData("2.2", "2023", D(90)), submitted)  # band 0.8 → 20 of 25
    county.collect_events()
    return county


def categories_scheme(document: dict[str, Any], **signs: str) -> Scheme:
    document = copy.deepcopy(document)
    names = {"B1": "创新工作加分", "P1": "安全事故减分"}
    document["indicators"] += [
        {"code": code, "name": names.get(code, code), "kind": "bonus_penalty", "sign": sign}
        for code, sign in (signs or {"B1": "bonus", "P1": "penalty"}).items()
    ]
    return parse_scheme(document)


# ------------------------------------------------------------------ the scheme's order


def test_the_default_order_puts_province_and_city_over_the_centre_and_the_county(scheme: Scheme) -> None:
    assert scheme.authorities == list(DEFAULT_AUTHORITIES) == ["province", "city", "centre", "county"]
    assert [scheme.above_county(a) for a in scheme.authorities] == [True, True, True, False]
    assert scheme.to_document()["authorities"] == ["province", "city", "centre", "county"]


def test_a_scheme_may_order_its_authorities_and_the_document_keeps_the_order(scheme_document: dict[str, Any]) -> None:
    scheme = parse_scheme(scheme_document | {"authorities": ["province", "centre", "county"]})
    assert scheme.authorities == ["province", "centre", "county"]
    assert parse_scheme(scheme.to_document()) == scheme
    assert scheme.rank("city") == 3  # not listed: below every listed one, and refused in overrides


@pytest.mark.parametrize(
    ("authorities", "expected"),
    [
        (["province", "village"], {("authorities[1]", "one_of")}),
        (["province", "city", "province"], {("authorities[2]", "unique")}),
        ([], {("authorities", "list")}),
        ("province > city", {("authorities", "list")}),
        ([["province"]], {("authorities[0]", "one_of")}),
    ],
)
def test_a_bad_order_of_authorities_is_refused(
    scheme_document: dict[str, Any], authorities: Any, expected: set[tuple[str, str]]
) -> None:
    with pytest.raises(InvalidCommand) as info:
        parse_scheme(scheme_document | {"authorities": authorities})
    assert {(p.field, p.rule) for p in info.value.problems} == expected
    assert all("authorities" in p.message or "权限" in p.message for p in info.value.problems)


def test_a_scheme_stored_before_the_new_fields_loads_and_keeps_its_hash(scheme_document: dict[str, Any]) -> None:
    """Old events hold schemes without ``authorities`` and categories without ``sign``."""
    scheme = categories_scheme(scheme_document)
    legacy = dataclasses.replace(
        scheme,
        indicators=[dataclasses.replace(i, sign="") if i.kind == "bonus_penalty" else i for i in scheme.indicators],
    )
    county = County.enrol(EnrolCounty("110101", "示范县", "北京市", "east", legacy), Context("a", "c"))
    [enrolled] = county.collect_events()
    transcoder = OrjsonTranscoder()
    stored = orjson.loads(transcoder.encode(enrolled.__dict__))
    del stored["scheme"]["v"]["authorities"]  # as an event recorded before the field existed
    for indicator in stored["scheme"]["v"]["indicators"]:
        del indicator["v"]["sign"]
    state = transcoder.decode(orjson.dumps(stored))
    state["originator_id"] = enrolled.originator_id  # as the event store's mapper does
    assert state["scheme"].authorities == ["province", "city", "centre", "county"]
    assert {i.code: i.sign for i in state["scheme"].indicators if i.kind == "bonus_penalty"} == {"B1": "", "P1": ""}
    read_back = object.__new__(type(enrolled))
    object.__setattr__(read_back, "__dict__", state)
    assert recompute(read_back) == enrolled.event_hash
    # What is hashed is what the code before these fields hashed: no trace of them.
    hashed = canonical("Enrolled", enrolled.originator_id, 1, enrolled.timestamp, event_fields(read_back))
    assert b'"authorities"' not in hashed and b'"sign"' not in hashed
    # A scheme that says something else than the defaults is hashed with it.
    ordered = dataclasses.replace(scheme, authorities=["city", "province", "centre", "county"])
    other = County.enrol(EnrolCounty("110101", "示范县", "北京市", "east", ordered), Context("a", "c"))
    [event] = other.collect_events()
    assert event.event_hash != enrolled.event_hash
    assert b'"authorities"' in canonical("Enrolled", event.originator_id, 1, event.timestamp, event_fields(event))


def test_an_event_recorded_by_the_code_before_these_fields_keeps_its_hash() -> None:
    """tests/legacy_enrolled_event.json was recorded at 92a737e, before ``authorities`` and ``sign``."""
    stored = json.loads((Path(__file__).parent / "legacy_enrolled_event.json").read_text("utf-8"))
    state = OrjsonTranscoder().decode(orjson.dumps(stored["state"]))
    state |= {"originator_id": UUID(stored["originator_id"]), "originator_version": stored["originator_version"]}
    enrolled = object.__new__(County.Enrolled)  # as the event store's mapper reads it back
    object.__setattr__(enrolled, "__dict__", state)
    assert recompute(enrolled) == enrolled.event_hash
    county = enrolled.mutate(None)
    assert county.years["2023"].scheme.authorities == ["province", "city", "centre", "county"]
    assert county.years["2023"].indicators["B1"].sign == ""  # a category of old: either sign, as then
    accept(county, AdjustPoints(2023, D(-2), "B1", "理由", "a-1"))
    accept(county, AdjustPoints(2023, D(2), "B1", "理由", "a-2"))


# ------------------------------------------------------- issue: precedence of authorities


def test_a_county_result_does_not_replace_a_standing_city_result(county: County) -> None:
    accept(county, override("2.2", 22, "city", "o-city"), at("evaluator.city"))
    error = refuse(
        county, override("2.2", 25, "county", "o-county"), "higher_authority_stands", "authority", ConflictError
    )
    message = str(error)
    for named in ("o-city", "市级", "evaluator.city", "2024-01-12 11:00", "县级"):
        assert named in message, named
    assert score(county, "2.2") == D(22)


def test_revoking_restores_what_stands_beneath(county: County) -> None:
    """The issue: revoking the county's override brought back the computed score, not the city's."""
    accept(county, override("2.2", 18, "county", "o-county"), at("evaluator.a", 1))
    accept(county, override("2.2", 22, "city", "o-city"), at("evaluator.b", 2))  # a higher one replaces
    assert standing(county, "2.2") == "o-city"
    accept(county, override("2.2", 24, "city", "o-city-2", "市级复核"), at("evaluator.c", 3))  # latest of equals
    assert standing(county, "2.2") == "o-city-2"

    result, _ = accept(county, RevokeOverride("o-city-2", "复核结论撤回"), at("evaluator.c", 4))
    assert result["standing"] | {"recorded_at": None} == {
        "source": "override", "node": "2.2", "score": D(22), "override_id": "o-city", "authority": "city",
        "authority_label": "市级", "actor": "evaluator.b", "reason": "核查结果", "recorded_at": None,
    }  # fmt: skip
    result, _ = accept(county, RevokeOverride("o-city", "市级结果撤回"))
    assert result["standing"]["override_id"] == "o-county"
    assert score(county, "2.2") == D(18)
    result, _ = accept(county, RevokeOverride("o-county", "县级结果撤回"))
    assert result["standing"] == {"source": "computed", "node": "2.2", "score": D(20)}
    assert score_year(book(county)).node("2.2").override is None


def test_revoking_an_override_beneath_leaves_the_standing_one(county: County) -> None:
    accept(county, override("2.2", 18, "county", "o-county"))
    accept(county, override("2.2", 22, "province", "o-province"))
    result, _ = accept(county, RevokeOverride("o-county", "县级结果作废"))
    assert result["standing"]["override_id"] == "o-province"
    accept(county, RevokeOverride("o-province", "省级结果撤回"))
    assert score_year(book(county)).node("2.2").override is None  # not the revoked county one


def test_precedence_holds_for_dimensions_and_the_total(county: County) -> None:
    accept(county, override("total", 91, "centre", "o-centre"))
    refuse(county, override("total", 99, "county", "o-county"), "higher_authority_stands", "authority", ConflictError)
    accept(county, override("total", 88, "province", "o-province"))
    accept(county, override("2", 40, "county", "o-dim"))
    card = score_year(book(county))
    assert (card.total, card.total_override and card.total_override.id) == (D(88), "o-province")
    accept(county, RevokeOverride("o-province", "省级结果撤回"))
    assert score_year(book(county)).total == D(91)


def test_the_schemes_order_decides(scheme_document: dict[str, Any]) -> None:
    """A county's own verification scheme may rank the centre first and list no county results."""
    county = enrol(parse_scheme(scheme_document | {"authorities": ["centre", "province", "city"]}))
    accept(county, override("1.1", 10, "province", "o-province"))
    accept(county, override("1.1", 12, "centre", "o-centre"))
    refuse(county, override("1.1", 15, "province", "o-2"), "higher_authority_stands", "authority", ConflictError)
    error = refuse(county, override("1.1", 15, "county", "o-3"), "scheme_authority", "authority")
    assert "县级" in str(error)
    refuse(county, override("1.1", 15, "village", "o-4"), "one_of", "authority")


def test_an_older_override_comes_back_only_while_it_fits_the_node(county: County) -> None:
    """Passed over while its node is worth less than its score: never capped, never above the maximum."""
    accept(county, override("2.2", 24, "province", "o-1"))
    accept(county, override("2.2", 10, "province", "o-2"))
    accept(county, AdjustWeights("2", {"2.1": D(35), "2.2": D(15)}, "调整权重"))  # o-2 (10) still fits
    accept(county, RevokeOverride("o-2", "撤回"))
    node = score_year(book(county)).node("2.2")
    assert (node.override, node.score, node.max) == (None, D(12), D(15))  # 15 × 0.8 computed; o-1 is 24 > 15
    accept(county, AdjustWeights("2", {"2.1": D(25), "2.2": D(25)}, "恢复权重"))
    assert standing(county, "2.2") == "o-1"  # o-1 was never revoked: it fits again, and stands
    refuse(
        county,
        AdjustWeights("2", {"2.1": D(35), "2.2": D(15)}, "再调"),
        "override_within_weight",
        "weights.2.2",
        ConflictError,
    )


# ------------------------------------------------------------ issue: the closed year


def test_a_closed_year_takes_results_of_authorities_above_the_county(county: County) -> None:
    accept(county, override("2.2", 18, "county", "o-county"))
    accept(county, ClosePeriod("2023", "年度评估结束"))
    accept(county, override("2.2", 24, "province", "o-province", "省级考核组实地核查"))
    accept(county, override("2.1", 20, "city", "o-city", "市级考核组抽查"))
    accept(county, override("total", 80, "centre", "o-centre", "中心复核"))
    accept(county, RevokeOverride("o-province", "省级结果更正"))
    assert standing(county, "2.2") == "o-county"
    error = refuse(county, override("2.2", 19, "county", "o-2"), "period_open", "year", ConflictError)
    assert "省级、市级、中心结果仍可录入" in str(error)
    refuse(county, RevokeOverride("o-county", "撤回"), "period_open", "year", ConflictError)
    refuse(county, AdjustPoints(2023, D(1), "创新", "加分", "a-1"), "period_open", "year", ConflictError)
    accept(county, ReopenPeriod("2023", "补录"))
    accept(county, RevokeOverride("o-county", "撤回"))


def test_above_the_county_follows_the_schemes_order(scheme_document: dict[str, Any]) -> None:
    county = enrol(parse_scheme(scheme_document | {"authorities": ["province", "county", "city", "centre"]}))
    accept(county, ClosePeriod("2023", "年度评估结束"))
    accept(county, override("1.1", 10, "province", "o-1"))
    refuse(county, override("1.2", 10, "city", "o-2"), "period_open", "year", ConflictError)
    refuse(county, override("1.2", 10, "centre", "o-3"), "period_open", "year", ConflictError)


def test_closing_a_month_or_quarter_leaves_results_open(county: County) -> None:
    accept(county, ClosePeriod("2023-12"))
    accept(county, ClosePeriod("2023-Q4"))
    accept(county, override("2.2", 18, "county", "o-county"))
    accept(county, AdjustPoints(2023, D(1), "创新", "加分", "a-1"))


# ---------------------------------------------------------------------- points: sign


def test_a_negative_entry_in_a_bonus_category_is_refused(scheme_document: dict[str, Any]) -> None:
    county = enrol(categories_scheme(scheme_document))
    error = refuse(county, AdjustPoints(2023, D(-2), "B1", "理由", "a-1"), "category_sign", "points")
    assert "B1 创新工作加分" in str(error) and "加分项" in str(error)
    error = refuse(county, AdjustPoints(2023, D(2), "P1", "理由", "a-1"), "category_sign", "points")
    assert "P1 安全事故减分" in str(error) and "减分项" in str(error)
    accept(county, AdjustPoints(2023, D(2), "B1", "理由", "a-1"))
    accept(county, AdjustPoints(2023, D(-2), "P1", "理由", "a-2"))
    card = score_year(book(county))
    assert (card.bonus, card.penalty) == (D(2), D(2))


def test_a_category_stored_without_a_sign_takes_either_as_before(scheme_document: dict[str, Any]) -> None:
    scheme = categories_scheme(scheme_document)
    legacy = dataclasses.replace(scheme, indicators=[dataclasses.replace(i, sign="") for i in scheme.indicators])
    county = enrol(legacy)
    accept(county, AdjustPoints(2023, D(-2), "B1", "理由", "a-1"))
    accept(county, AdjustPoints(2023, D(3), "B1", "理由", "a-2"))
    card = score_year(book(county))
    assert (card.bonus, card.penalty) == (D(3), D(2))


def test_a_category_of_the_wrong_kind_or_without_sign_is_refused_in_a_new_scheme(
    scheme_document: dict[str, Any],
) -> None:
    document = copy.deepcopy(scheme_document)
    document["indicators"] += [
        {"code": "B1", "name": "加分", "kind": "bonus_penalty"},
        {"code": "B2", "name": "加分", "kind": "bonus_penalty", "sign": "plus"},
    ]
    document["indicators"][1]["sign"] = "bonus"
    with pytest.raises(InvalidCommand) as info:
        parse_scheme(document)
    assert {(p.field, p.rule) for p in info.value.problems} == {
        ("indicators[6].sign", "required"),
        ("indicators[7].sign", "one_of"),
        ("indicators[1].sign", "bonus_penalty_only"),
    }


def test_a_category_keeps_its_sign_in_the_document(scheme_document: dict[str, Any]) -> None:
    scheme = categories_scheme(scheme_document)
    documents = {i["code"]: i for i in scheme.to_document()["indicators"]}
    assert (documents["B1"]["sign"], documents["P1"]["sign"]) == ("bonus", "penalty")
    assert "sign" not in documents["1.1"]
    assert parse_scheme(scheme.to_document()) == scheme


# --------------------------------------------------------------------- points: bounds


@pytest.mark.parametrize(
    ("points", "rule"),
    [
        (D("1e308"), "within_cap"),
        (D("-1e308"), "within_cap"),
        (D("5.01"), "within_cap"),
        (D("-10.5"), "within_cap"),
        (D("1.234"), "two_decimals"),
        (D("-0.001"), "two_decimals"),
        (D("NaN"), "finite"),
        (D("Infinity"), "finite"),
        (D("-Infinity"), "finite"),
        (D(0), "non_zero"),
    ],
)
def test_points_beyond_the_cap_or_two_decimals_are_refused(county: County, points: Decimal, rule: str) -> None:
    error = refuse(county, AdjustPoints(2023, points, "创新", "理由", "a-1"), rule, "points")
    assert "e+308" in str(error) if points.is_finite() and abs(points) > 100 else True


def test_points_at_the_cap_with_two_decimals_are_accepted(county: County) -> None:
    accept(county, AdjustPoints(2023, D("5"), "创新", "理由", "a-1"))
    accept(county, AdjustPoints(2023, D("-10.00"), "通报", "理由", "a-2"))
    accept(county, AdjustPoints(2023, D("0.01"), "创新", "理由", "a-3"))
    refuse(county, AdjustPoints(2023, D("1"), "创新", "理由", "a-3"), "unique_id", "adjustment_id", ConflictError)


# ------------------------------------------------------------------- points: counted


def test_entries_fill_the_cap_in_recorded_order(county: County) -> None:
    result, _ = accept(county, AdjustPoints(2023, D(3), "创新", "典型经验推广", "a-1"))
    assert result["points"]["bonus"] == {"cap": D(5), "before_cap": D(3), "after_cap": D(3)}
    result, _ = accept(county, AdjustPoints(2023, D(4), "创新", "获省级表彰", "a-2"))
    assert [(e["adjustment_id"], e["points"], e["counted"]) for e in result["points"]["entries"]] == [
        ("a-1", D(3), D(3)),
        ("a-2", D(4), D(2)),
    ]
    assert result["points"]["bonus"] == {"cap": D(5), "before_cap": D(7), "after_cap": D(5)}
    accept(county, AdjustPoints(2023, D(-6), "通报", "项目滞后", "a-3"))
    result, _ = accept(county, AdjustPoints(2023, D(-6), "通报", "资金滞留", "a-4"))
    assert result["points"]["penalty"] == {"cap": D(10), "before_cap": D(12), "after_cap": D(10)}
    card = score_year(book(county))
    assert [(e.id, e.kind, e.counted) for e in card.adjustments] == [
        ("a-1", "bonus", D(3)),
        ("a-2", "bonus", D(2)),
        ("a-3", "penalty", D(-6)),
        ("a-4", "penalty", D(-4)),
    ]
    assert (card.bonus_before_cap, card.bonus, card.penalty_before_cap, card.penalty) == (D(7), D(5), D(12), D(10))


def test_counted_points_is_the_cap_filled_in_order() -> None:
    assert counted_points([D(3), D(-4), D(4), D(-8), D(1)], D(5), D(10)) == [D(3), D(-4), D(2), D(-6), D(0)]
    assert counted_points([D("1e308"), D(2)], D(5), D(10)) == [D(5), D(0)]  # stored before the bound existed
    assert str(counted_points([D(-10), D(-1)], D(5), D(10))[1]) == "0"  # never "-0"


# ------------------------------------------------------------------- points: revoked


def test_an_entry_can_be_revoked_with_a_reason(county: County) -> None:
    accept(county, AdjustPoints(2023, D(4), "创新", "获省级表彰", "a-1"))
    accept(county, AdjustPoints(2023, D(3), "创新", "典型经验推广", "a-2"))
    assert score_year(book(county)).adjustments[1].counted == D(1)
    event = only_event(county, RevokePoints("a-1", "表彰文件撤销"), County.PointsRevoked, at("evaluator.east"))
    assert (event.year, event.adjustment_id, event.points, event.category, event.reason, event.actor) == (
        2023, "a-1", D(4), "创新", "表彰文件撤销", "evaluator.east",
    )  # fmt: skip
    card = score_year(book(county))
    assert [(e.id, e.counted) for e in card.adjustments] == [("a-2", D(3))]
    assert card.bonus == D(3)
    refuse(county, RevokePoints("a-1", "再次撤销"), "not_revoked", "adjustment_id", ConflictError)
    refuse(county, RevokePoints("a-404", "理由"), "known_adjustment", "adjustment_id", NotFound)
    refuse(county, RevokePoints("a-2", " "), "reason_required", "reason")
    accept(county, ClosePeriod("2023", "年度评估结束"))
    refuse(county, RevokePoints("a-2", "理由"), "period_open", "year", ConflictError)
