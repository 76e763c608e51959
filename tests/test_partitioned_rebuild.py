"""A rebuild in parallel partitions (``ruraleval projections rebuild --partitions N``, ADR 28)
ends with the same read models as the incremental ones, row for row."""

from __future__ import annotations

from decimal import Decimal

from domain import commands as c
from domain.scheme import Scheme
from ruraleval.platform import Platform
from ruraleval.rebuild import rebuild_in_partitions
from ruraleval.settings import parse_database_url
from tests.test_processes import read_model_rows

CODES = [f"1304{n:02d}" for n in range(21, 28)]


def history(platform: Platform, scheme: Scheme) -> None:
    context = c.Context("tester", "setup")
    platform.ledger.publish_scheme(scheme, context)
    for number, code in enumerate(CODES):
        platform.ledger.enrol(c.EnrolCounty(code, f"县{number}", "河北省", "east", scheme), context)
        for month in range(1, 7):
            command = c.SubmitData("1.2", f"2023-{month:02d}", Decimal(10 * month + number))
            platform.ledger.execute(code, command, c.Context("tester", f"{code}-{month}"))
        correction = c.SubmitData("1.2", "2023-03", Decimal(5), reason="更正", may_correct=True)
        platform.ledger.execute(code, correction, c.Context("tester", f"{code}-fix"))
        if number % 3 == 0:
            override = c.OverrideScore(2023, "1", Decimal(12), "province", "省级核查", f"o-{code}")
            platform.ledger.execute(code, override, c.Context("evaluator", f"{code}-o"))


def test_a_partitioned_rebuild_equals_the_incremental_read_models(store_url: str, scheme: Scheme) -> None:
    platform = Platform(parse_database_url(store_url))
    try:
        history(platform, scheme)
        platform.projections.catch_up()  # incremental: as the projection thread would have
        incremental = read_model_rows(platform)
        assert incremental["county_totals"], "the history produced scores"
    finally:
        platform.close()
    reported: list[tuple[int, int]] = []
    events = rebuild_in_partitions(parse_database_url(store_url), 3, lambda done, total: reported.append((done, total)))
    platform = Platform(parse_database_url(store_url))
    try:
        assert events == platform.ledger.head()
        assert read_model_rows(platform) == incremental
        assert set(platform.projections.positions().values()) == {events}
        assert reported and reported[-1] == (events, events), "the progress ends at the head"
    finally:
        platform.close()
