"""A rebuild in parallel partitions (``ruraleval projections rebuild --partitions N``, ADR 28)
ends with the same read models as the incremental ones, row for row."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

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


def _analysed(platform: Platform, table: str) -> Any:
    """When the table's statistics were last gathered by ANALYZE (None: never)."""
    with platform.projections.store.transaction() as sql:
        rows = sql.execute("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = %s", [table])
    return rows[0]["last_analyze"] if rows else None


def test_a_rebuild_on_postgresql_leaves_the_planner_statistics_of_the_refilled_read_models(
    postgres_url: str, scheme: Scheme
) -> None:
    """Without them the as-of ranking of a freshly rebuilt store is planned for empty tables."""
    platform = Platform(parse_database_url(postgres_url))
    try:
        history(platform, scheme)
        assert _analysed(platform, "score_history") is None
        platform.projections.rebuild()
        after_sequential = _analysed(platform, "county_totals")
        assert after_sequential is not None
    finally:
        platform.close()
    rebuild_in_partitions(parse_database_url(postgres_url), 2)
    platform = Platform(parse_database_url(postgres_url))
    try:
        assert _analysed(platform, "county_totals") > after_sequential
    finally:
        platform.close()
