"""Property: rescoring one indicator after a data change equals scoring the whole year."""

from __future__ import annotations

import contextlib
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from domain import commands as c
from domain.county import County
from domain.errors import DomainError
from domain.scheme_reading import parse_scheme
from domain.scoring import rescore_data, score_year
from tests.conftest import example_document

SCHEME = parse_scheme(example_document())
# The same tree with a composite of a dimension's score and the total, which every data event moves.
FORMULAS = {
    "composites": [
        {
            "code": "blend",
            "name": "综合",
            "components": [{"source": "1", "weight": "0.4"}, {"source": "total", "weight": "0.6"}],
        }
    ]
}
WITH_COMPOSITE = parse_scheme(example_document() | FORMULAS)
PERIODS = {
    "1.1": ["2023"],
    "1.2": [f"2023-{m:02d}" for m in range(1, 13)],
    "2.1": ["2023-Q1", "2023-Q3"],
    "2.2": ["2023"],
}
change = st.sampled_from(sorted(PERIODS)).flatmap(
    lambda code: st.tuples(
        st.just(code), st.sampled_from(PERIODS[code]), st.decimals(0, 120, places=2), st.sampled_from(["s", "c", "w"])
    )
)


@settings(max_examples=60, deadline=None)
@given(
    changes=st.lists(change, min_size=1, max_size=25),
    override=st.booleans(),
    points=st.sampled_from([None, Decimal("3"), Decimal("-7.5")]),
    composite=st.booleans(),
)
def test_rescore_after_data_equals_full_scoring(
    changes: list[tuple[str, str, Decimal, str]], override: bool, points: Decimal | None, composite: bool
) -> None:
    """Also with an override, points (the capped bonus or penalty a path's rescoring carries over) and a
    composite: the grade, total and composites of each rescored card are those of a full scoring."""
    context = c.Context("tester", "incremental")
    scheme = WITH_COMPOSITE if composite else SCHEME
    county = County.enrol(c.EnrolCounty("130425", "大名县", "河北省", "east", scheme), context)
    if override:
        county.handle(c.OverrideScore(2023, "1.2", Decimal(12), "centre", "核查", "o1"), context)
    if points is not None:
        # Twice: the second entry only partly fits its cap (5 bonus, 10 penalty points).
        county.handle(c.AdjustPoints(2023, points, "B1", "依据", "p1"), context)
        county.handle(c.AdjustPoints(2023, points, "B1", "依据", "p2"), context)
    card = score_year(county.years["2023"])
    for indicator, period, value, kind in changes:
        command: c.CountyCommand
        if kind == "s":
            command = c.SubmitData(indicator, period, value)
        elif kind == "c":
            command = c.CorrectData(indicator, period, value, "更正")
        else:
            command = c.WithdrawSubmission(indicator, period, "撤回")
        with contextlib.suppress(DomainError):
            county.handle(command, context)
        card = rescore_data(county.years["2023"], card, indicator)
        assert card == score_year(county.years["2023"])
