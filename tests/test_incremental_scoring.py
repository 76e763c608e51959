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
@given(changes=st.lists(change, min_size=1, max_size=25), override=st.booleans())
def test_rescore_after_data_equals_full_scoring(changes: list[tuple[str, str, Decimal, str]], override: bool) -> None:
    context = c.Context("tester", "incremental")
    county = County.enrol(c.EnrolCounty("130425", "大名县", "河北省", "east", SCHEME), context)
    if override:
        county.handle(c.OverrideScore(2023, "1.2", Decimal(12), "centre", "核查", "o1"), context)
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
