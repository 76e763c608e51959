"""A rebuild in parallel partitions (``ruraleval projections rebuild --partitions N``, ADR 28)
ends with the same read models as the incremental ones, row for row."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from domain import commands as c
from domain.scheme import Scheme
from projections.partitions import apply_partition, merge, partitioned
from projections.runner import TRACKING_TABLE
from projections.store import SQLiteReadStore
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


def test_rows_left_by_a_rebuild_killed_midway_are_replaced_when_the_log_is_replayed(
    store_url: str, scheme: Scheme
) -> None:
    """A coordinator killed after its partitions committed rows (PostgreSQL writes them in place)
    leaves positions at 0 beside rows: the next catch-up replays over them and ends equal to the
    incremental read models, not refused by duplicate keys."""
    platform = Platform(parse_database_url(store_url))
    try:
        history(platform, scheme)
        platform.projections.catch_up()
        incremental = read_model_rows(platform)
        platform.projections.clear()  # as the coordinator does first
        head = platform.ledger.head()
        streams, _ = partitioned(platform.ledger, head, 2)
        assert apply_partition(platform.projections, streams[0], head) > 0  # one partition done, then killed
        assert read_model_rows(platform)["county_totals"], "the partition left rows behind"
        assert set(platform.projections.positions().values()) == {0}
        platform.projections.catch_up()
        assert platform.progress.failures() == {}
        assert read_model_rows(platform) == incremental
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


def _file_state(path: str) -> tuple[int, int]:
    """(rows of the event list, lowest position) as another process reading the file sees them."""
    with closing(sqlite3.connect(path)) as connection:
        rows = connection.execute("SELECT COUNT(*) FROM county_events").fetchone()[0]
        lowest = connection.execute("SELECT MIN(position) FROM projection_tracking").fetchone()[0]
    return int(rows), int(lowest)


def test_on_sqlite_the_partitions_rows_arrive_with_their_positions_and_leave_no_scratch_file(
    sqlite_url: str, scheme: Scheme
) -> None:
    """Rows at position 0 would be replayed again by the next start (a coordinator killed after
    the partitions wrote them): on SQLite they appear together with the positions, in one commit.
    A crashed rebuild's scratch file is no obstacle and none is left behind."""
    store = parse_database_url(sqlite_url)
    platform = Platform(store)
    try:
        history(platform, scheme)
        platform.projections.catch_up()
        incremental = read_model_rows(platform)
    finally:
        platform.close()
    leftover = Path(f"{store.path}.rebuild-0")
    leftover.write_bytes(b"not a database: what a crashed rebuild left")
    seen: list[tuple[int, int]] = []
    events = rebuild_in_partitions(store, 2, lambda done, total: seen.append(_file_state(store.path)))
    assert seen and all(rows == 0 for rows, _ in seen), "nothing at position 0 before the positions are set"
    assert _file_state(store.path) == (len(incremental["county_events"]), events)
    platform = Platform(store)
    try:
        assert read_model_rows(platform) == incremental
    finally:
        platform.close()
    assert not list(Path(store.path).parent.glob("*.rebuild-*")), "no scratch file left"


def test_the_merge_copies_columns_by_name_when_a_table_differs_from_the_scratch_files(tmp_path: Path) -> None:
    """A table a later version altered (its columns in another order) still gets each value in its column."""
    main, scratch = SQLiteReadStore(str(tmp_path / "main.db")), SQLiteReadStore(str(tmp_path / "part.db"), scratch=True)
    try:
        main.create([TRACKING_TABLE, "CREATE TABLE t (a TEXT, b TEXT)", "CREATE TABLE u (a TEXT)"])
        main.create(["INSERT INTO projection_tracking (name, position) VALUES ('x', 0)"])
        scratch.create([TRACKING_TABLE, "CREATE TABLE t (b TEXT, a TEXT)", "CREATE TABLE u (a TEXT)"])
        scratch.create(["INSERT INTO t (a, b) VALUES ('A', 'B')", "INSERT INTO u (a) VALUES ('A')"])
        assert merge(main, [scratch.path], 7) == 2
        assert main.query("SELECT a, b FROM t") == [{"a": "A", "b": "B"}]
        assert main.query("SELECT a FROM u") == [{"a": "A"}]
        assert main.query("SELECT position FROM projection_tracking") == [{"position": 7}]
    finally:
        main.close()
        scratch.close()


def test_the_read_models_do_not_depend_on_how_the_log_is_cut_into_batches(store_url: str, scheme: Scheme) -> None:
    """The live thread, a rebuild and a partition cut the log differently (1,000 events, 5,000,
    whole counties): every cut gives the same rows (a county's total once recorded the county's
    version at the end of whichever batch last touched it)."""
    platform = Platform(parse_database_url(store_url))
    try:
        history(platform, scheme)
        platform.ledger.execute(CODES[0], c.PostFeedback("1.2", "2023-02", "county", "来源为统计年报"),
                                c.Context("tester", "note"))  # fmt: skip
        later = replace(scheme, id=f"{scheme.id}-2024", year=2024)  # a second year, scored apart
        platform.ledger.publish_scheme(later, c.Context("tester", "setup-2024"))
        platform.ledger.execute(CODES[1], c.AdoptScheme(later), c.Context("tester", "adopt"))
        for period, value in (("2023-07", 31), ("2024-01", 20)):
            platform.ledger.execute(CODES[1], c.SubmitData("1.2", period, Decimal(value)), c.Context("t", period))
        platform.projections.catch_up()
        whole = read_model_rows(platform)
        for size in (1, 7):
            platform.projections.clear()
            platform.projections.catch_up(batch_size=size)
            assert read_model_rows(platform) == whole, f"batches of {size}"
        platform.projections.clear()
        head = platform.ledger.head()
        streams, _ = partitioned(platform.ledger, head, 1)
        assert apply_partition(platform.projections, streams[0], head, batch_size=3) == head
        assert read_model_rows(platform) == whole, "stream by stream, in batches of 3"
        assert len(platform.projections.source) == 0, "a partition keeps no county it is done with"
    finally:
        platform.close()
