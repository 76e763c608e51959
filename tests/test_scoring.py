"""The brief's default scoring methods, with every expected figure worked out by hand."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from domain.composites import grade_for
from domain.decimals import round2
from domain.scheme import Band, IndicatorDef, Method, Scheme
from domain.scheme_reading import parse_scheme
from domain.scoring import Scorecard, fraction, score_year, year_value
from domain.state import Adjustment, CountyYear, Override, Submission

D = Decimal


def book_of(scheme: Scheme, data: dict[str, dict[str, Any]] | None = None) -> CountyYear:
    """A county's year with the given values (indicator → period → value)."""
    book = CountyYear(scheme=scheme, indicators={item.code: copy.copy(item) for item in scheme.indicators})
    for code, periods in (data or {}).items():
        book.data[code] = {period: Submission(D(value), "form", 1) for period, value in periods.items()}
    return book


def points(book: CountyYear, *amounts: str) -> None:
    for index, amount in enumerate(amounts):
        book.adjustments.append(Adjustment(f"a-{index}", D(amount), "创新", "理由", "evaluator"))


def override(book: CountyYear, node: str, value: str, override_id: str = "o-1") -> Override:
    book.overrides[override_id] = Override(override_id, node, D(value), "province", "省级核查", "evaluator")
    return book.overrides[override_id]


# The example scheme with these values (worked out in test_the_example_scorecard):
EXAMPLE_DATA = {
    "1.1": {"2023": "59.1"},
    "1.2": {"2023-01": "40", "2023-02": "50"},
    "2.1": {"2023-Q1": "35", "2023-Q2": "38"},
    "2.2": {"2023": "88"},
}


@pytest.fixture
def example(scheme: Scheme) -> CountyYear:
    return book_of(scheme, EXAMPLE_DATA)


def single_manual_scheme(scheme_document: dict[str, Any]) -> Scheme:
    """One top-level indicator of weight 100, scored manually: the total is f × 100."""
    document = copy.deepcopy(scheme_document)
    document["indicators"] = [
        {"code": "M", "name": "综合评价", "weight": 100, "method": {"type": "manual"}, "range": [0, 1]},
    ]
    return parse_scheme(document)


# ------------------------------------------------------------------ attainment


HIGHER = Method("attainment", target=D(120))
HIGHER_FROM_BASELINE = Method("attainment", target=D("61.5"), baseline=D("56.7"))
LOWER = Method("attainment", target=D("29.2"))
LOWER_FROM_BASELINE = Method("attainment", target=D(30), baseline=D(40))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("90", "0.75"),  # 90 / 120
        ("120", "1"),  # reaches the target
        ("150", "1"),  # 150 / 120 = 1.25, capped at 1
        ("0", "0"),
        ("-10", "0"),  # -10 / 120 < 0, clamped to 0
        ("30", "0.25"),  # 30 / 120
    ],
)
def test_attainment_higher_is_better(value: str, expected: str) -> None:
    assert fraction(HIGHER, "higher_better", D(value)) == D(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("59.1", "0.5"),  # (59.1 − 56.7) / (61.5 − 56.7) = 2.4 / 4.8
        ("57.9", "0.25"),  # 1.2 / 4.8
        ("56.7", "0"),  # at the baseline
        ("50", "0"),  # below the baseline: −6.7 / 4.8, clamped to 0
        ("61.5", "1"),
        ("70", "1"),  # 13.3 / 4.8, capped at 1
    ],
)
def test_attainment_higher_is_better_from_a_baseline(value: str, expected: str) -> None:
    assert fraction(HIGHER_FROM_BASELINE, "higher_better", D(value)) == D(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("25", "1"),  # at or below the target scores full
        ("29.2", "1"),
        ("36.5", "0.8"),  # 29.2 / 36.5
        ("58.4", "0.5"),  # 29.2 / 58.4
        ("0", "1"),
    ],
)
def test_attainment_lower_is_better(value: str, expected: str) -> None:
    assert fraction(LOWER, "lower_better", D(value)) == D(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("35", "0.5"),  # (40 − 35) / (40 − 30)
        ("38", "0.2"),  # 2 / 10
        ("40", "0"),  # at the baseline
        ("45", "0"),  # worse than the baseline: −5 / 10, clamped to 0
        ("30", "1"),
        ("20", "1"),  # 20 / 10 = 2, capped at 1
    ],
)
def test_attainment_lower_is_better_from_a_baseline(value: str, expected: str) -> None:
    assert fraction(LOWER_FROM_BASELINE, "lower_better", D(value)) == D(expected)


def test_attainment_keeps_28_significant_digits() -> None:
    # 1 / 3 is not a binary float and not a two-place figure: exact to 28 digits.
    f = fraction(Method("attainment", target=D(3)), "higher_better", D(1))
    assert f == D("0.3333333333333333333333333333")
    assert isinstance(f, Decimal)


# ------------------------------------------------------------------- threshold


MIN_BANDS = Method("threshold", bands=[Band(D(1), min=D(95)), Band(D("0.8"), min=D(85)), Band(D("0.5"), min=D(70))])
MAX_BANDS = Method("threshold", bands=[Band(D(1), max=D(5)), Band(D("0.6"), max=D(10)), Band(D("0.2"), max=D(20))])


@pytest.mark.parametrize(
    ("value", "expected"),
    [("100", "1"), ("95", "1"), ("94.99", "0.8"), ("85", "0.8"), ("84.9", "0.5"), ("70", "0.5"), ("69.9", "0")],
)
def test_threshold_min_bands_score_the_highest_band_reached(value: str, expected: str) -> None:
    assert fraction(MIN_BANDS, "higher_better", D(value)) == D(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", "1"), ("5", "1"), ("5.01", "0.6"), ("10", "0.6"), ("15", "0.2"), ("20", "0.2"), ("20.5", "0")],
)
def test_threshold_max_bands_score_the_lowest_band_stayed_under(value: str, expected: str) -> None:
    assert fraction(MAX_BANDS, "lower_better", D(value)) == D(expected)


def test_threshold_bands_from_a_document_in_any_order(scheme_document: dict[str, Any]) -> None:
    scheme_document["indicators"][5]["method"]["bands"] = [
        {"max": 20, "f": 0.2},
        {"max": 5, "f": 1},
        {"max": 10, "f": 0.6},
    ]
    method = parse_scheme(scheme_document).indicators[5].method
    assert method is not None
    assert [fraction(method, "lower_better", D(v)) for v in ("4", "7", "12", "30")] == [D(1), D("0.6"), D("0.2"), D(0)]


# ---------------------------------------------------------------------- manual


@pytest.mark.parametrize(("value", "expected"), [("0.85", "0.85"), ("0", "0"), ("1", "1")])
def test_manual_takes_the_recorded_fraction(value: str, expected: str) -> None:
    assert fraction(Method("manual"), "higher_better", D(value)) == D(expected)


def test_a_manual_indicator_scores_its_weight_times_the_fraction(scheme_document: dict[str, Any]) -> None:
    book = book_of(single_manual_scheme(scheme_document), {"M": {"2023": "0.85"}})
    assert score_year(book).node("M").score == D(85)  # 100 × 0.85


# ---------------------------------------------------------------- year values


def monthly(aggregate: str) -> IndicatorDef:
    return IndicatorDef("X", "月度指标", "1", D(10), frequency="monthly", aggregate=aggregate)


# In submission order, which is not period order.
SUBMITTED = {
    period: Submission(D(value), "form", version)
    for version, (period, value) in enumerate(
        [("2023-03", "30"), ("2023-01", "10"), ("2023-12", "5"), ("2023-02", "20")]
    )
}


def test_latest_takes_the_value_of_the_last_period_not_the_last_submission() -> None:
    assert year_value(monthly("latest"), SUBMITTED) == D(5)  # 2023-12


def test_sum_adds_every_period() -> None:
    assert year_value(monthly("sum"), SUBMITTED) == D(65)  # 30 + 10 + 5 + 20


def test_mean_averages_the_periods() -> None:
    assert year_value(monthly("mean"), SUBMITTED) == D("16.25")  # 65 / 4


def test_no_periods_means_no_value_and_no_score(scheme: Scheme) -> None:
    assert year_value(monthly("sum"), {}) is None
    card = score_year(book_of(scheme))
    assert card.node("1.1").value is None
    assert card.node("1.1").score == D(0)
    assert card.total == D(0)


def test_sums_are_exact_decimals_not_floats(scheme: Scheme) -> None:
    # As floats 0.1 + 0.2 = 0.30000000000000004.
    book = book_of(scheme, {"1.2": {"2023-01": "0.1", "2023-02": "0.2"}})
    node = score_year(book).node("1.2")
    assert node.value == D("0.3")
    assert node.score == D("0.075")  # 30 × 0.3 / 120


# ----------------------------------------------------------------- the scorecard


def test_the_example_scorecard(example: CountyYear) -> None:
    card = score_year(example)
    # 1.1: 20 × (59.1 − 56.7) / (61.5 − 56.7) = 20 × 0.5 = 10
    # 1.2: monthly sum 40 + 50 = 90; 30 × 90 / 120 = 22.5
    # 2.1: quarterly mean (35 + 38) / 2 = 36.5, lower is better: 25 × 29.2 / 36.5 = 25 × 0.8 = 20
    # 2.2: 88 reaches the ≥ 85 band: 25 × 0.8 = 20
    expected = {"1.1": "10", "1.2": "22.5", "2.1": "20", "2.2": "20", "1": "32.5", "2": "40"}
    assert {node.code: node.score for node in card.nodes} == {code: D(v) for code, v in expected.items()}
    assert [node.code for node in card.nodes] == ["1", "1.1", "1.2", "2", "2.1", "2.2"]
    assert [node.level for node in card.nodes] == [1, 2, 2, 1, 2, 2]
    assert card.node("1.2").value == D(90)
    assert card.node("2.1").value == D("36.5")
    assert [card.node(code).max for code in ("1", "1.1", "2.2")] == [D(50), D(20), D(25)]
    assert card.total == card.computed_total == D("72.5")  # 32.5 + 40
    assert card.grade == "一般"
    assert all(isinstance(node.score, Decimal) for node in card.nodes)
    assert isinstance(card.total, Decimal)


def test_a_dimension_scores_the_sum_of_its_children_at_every_level(scheme_document: dict[str, Any]) -> None:
    scheme_document["indicators"][1] = {"code": "1.1", "parent": "1", "name": "科技", "weight": 20}
    scheme_document["indicators"] += [
        {"code": "1.1.1", "parent": "1.1", "name": "甲", "weight": 12, "method": {"type": "manual"}},
        {"code": "1.1.2", "parent": "1.1", "name": "乙", "weight": 8, "method": {"type": "manual"}},
    ]
    book = book_of(parse_scheme(scheme_document), {"1.1.1": {"2023": "0.5"}, "1.1.2": {"2023": "0.25"}})
    card = score_year(book)
    assert card.node("1.1.1").score == D(6)  # 12 × 0.5
    assert card.node("1.1.2").score == D(2)  # 8 × 0.25
    assert card.node("1.1").score == D(8)  # 6 + 2
    assert card.node("1").score == D(8)  # 8 + 0 (1.2 has no data)
    assert card.node("1.1.1").level == 3


# --------------------------------------------------------------- bonus and penalty


def test_bonus_and_penalty_points_adjust_the_total(example: CountyYear) -> None:
    points(example, "3", "-2")
    card = score_year(example)
    assert (card.bonus, card.penalty) == (D(3), D(2))
    assert card.total == D("73.5")  # 72.5 + 3 − 2


def test_bonus_is_capped_by_bonus_cap(example: CountyYear) -> None:
    points(example, "3", "4")  # 7 points of bonus, the cap is 5
    card = score_year(example)
    assert card.bonus == D(5)
    assert card.total == D("77.5")  # 72.5 + 5


def test_penalty_is_capped_by_penalty_cap(example: CountyYear) -> None:
    points(example, "-6", "-7")  # 13 points of penalty, the cap is 10
    card = score_year(example)
    assert card.penalty == D(10)
    assert card.total == D("62.5")  # 72.5 − 10


def test_bonus_and_penalty_are_capped_separately_not_netted(example: CountyYear) -> None:
    # Netted first, +8 − 3 = 5 would fit under the bonus cap and give 77.5.
    # Capped separately: bonus min(8, 5) = 5, penalty min(3, 10) = 3: 72.5 + 5 − 3 = 74.5.
    points(example, "8", "-3")
    card = score_year(example)
    assert (card.bonus, card.penalty, card.total) == (D(5), D(3), D("74.5"))


def test_the_total_is_clamped_to_100(scheme_document: dict[str, Any]) -> None:
    book = book_of(single_manual_scheme(scheme_document), {"M": {"2023": "0.98"}})
    points(book, "4")
    card = score_year(book)
    assert card.computed_total == card.total == D(100)  # 98 + 4 = 102, clamped


def test_the_total_is_clamped_to_0(scheme_document: dict[str, Any]) -> None:
    book = book_of(single_manual_scheme(scheme_document), {"M": {"2023": "0.04"}})
    points(book, "-9")
    card = score_year(book)
    assert card.total == D(0)  # 4 − 9 = −5, clamped
    assert card.grade == "较差"


# ------------------------------------------------------------------------ grades


@pytest.mark.parametrize(
    ("f", "total", "grade"),
    [
        ("1", "100", "好"),
        ("0.9", "90", "好"),  # exactly 90
        ("0.89995", "89.995", "好"),  # shown as 90.00
        ("0.89994", "89.994", "较好"),  # shown as 89.99
        ("0.8", "80", "较好"),  # exactly 80
        ("0.79995", "79.995", "较好"),  # shown as 80.00
        ("0.7999", "79.99", "一般"),
        ("0.6", "60", "一般"),  # exactly 60
        ("0.5999", "59.99", "较差"),
        ("0", "0", "较差"),
    ],
)
def test_grade_bands_use_the_total_shown_to_two_places(
    scheme_document: dict[str, Any], f: str, total: str, grade: str
) -> None:
    card = score_year(book_of(single_manual_scheme(scheme_document), {"M": {"2023": f}}))
    assert card.total == D(total)
    assert card.grade == grade


def test_grade_for_reads_the_bands_of_the_scheme(scheme: Scheme) -> None:
    assert [grade_for(D(v), scheme.grades) for v in ("90", "89.99", "80", "79.99", "60", "59.99")] == [
        "好",
        "较好",
        "较好",
        "一般",
        "一般",
        "较差",
    ]


def test_scores_are_shown_rounded_half_up_to_two_places() -> None:
    assert round2(D("89.995")) == D("90.00")
    assert round2(D("0.125")) == D("0.13")  # half up, not banker's rounding to 0.12
    assert round2(D("10.5049")) == D("10.50")


# --------------------------------------------------------------------- overrides


def test_an_indicator_override_replaces_its_score_and_its_parents_use_it(example: CountyYear) -> None:
    record = override(example, "1.1", "18")
    card = score_year(example)
    node = card.node("1.1")
    assert (node.computed, node.score, node.override) == (D(10), D(18), record)
    assert node.overridden
    assert card.node("1").score == D("40.5")  # 18 + 22.5
    assert card.total == D("80.5")  # 40.5 + 40
    assert card.grade == "较好"


def test_a_dimension_override_replaces_the_sum_of_its_children(example: CountyYear) -> None:
    override(example, "2", "45")
    override(example, "2.1", "5", "o-2")  # the dimension's own override wins over its children
    card = score_year(example)
    assert card.node("2").computed == D(25)  # 5 + 20
    assert card.node("2").score == D(45)
    assert card.total == D("77.5")  # 32.5 + 45


def test_a_total_override_replaces_the_total_and_its_grade(example: CountyYear) -> None:
    record = override(example, "total", "91")
    points(example, "2")
    card = score_year(example)
    assert card.computed_total == D("74.5")  # 72.5 + 2
    assert card.total == D(91)
    assert card.total_override == record
    assert card.grade == "好"


def test_a_revoked_override_restores_the_computed_score(example: CountyYear) -> None:
    override(example, "1.1", "18").revoked = True
    card = score_year(example)
    assert card.node("1.1").score == D(10)
    assert not card.node("1.1").overridden
    assert card.total == D("72.5")


def test_the_latest_override_of_an_authority_counts_and_its_revocation_restores_the_one_beneath(
    example: CountyYear,
) -> None:
    override(example, "1.1", "18", "o-1")
    override(example, "1.1", "15", "o-2")
    assert score_year(example).node("1.1").score == D(15)
    example.overrides["o-2"].revoked = True
    assert score_year(example).node("1.1").override == example.overrides["o-1"]
    example.overrides["o-1"].revoked = True
    assert score_year(example).node("1.1").override is None
    assert score_year(example).node("1.1").score == D(10)  # computed: 20 × 0.5


def test_an_override_of_a_retired_indicator_no_longer_counts(example: CountyYear) -> None:
    override(example, "1.2", "30")
    example.indicators["1.2"].retired = True
    example.indicators["1.1"].weight = D(50)
    card = score_year(example)
    assert "1.2" not in [node.code for node in card.nodes]
    assert card.node("1").score == D(25)  # 50 × 0.5


def test_the_scorecard_is_a_pure_function_of_the_book(example: CountyYear) -> None:
    first: Scorecard = score_year(example)
    assert score_year(example) == first
    assert example.data["1.2"]["2023-01"].value == D(40)
