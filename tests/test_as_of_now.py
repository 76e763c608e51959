"""As of any instant, however recent: an answer is final the moment it is given (ADR 16).

Events are stamped under the store's write lock, so recorded time follows commit order
whatever the writers' clocks; a read as of T first settles T (after that no event stamped
at or before T can commit) and brings the read models up to what it found.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from domain import commands as c
from domain.county import county_id
from domain.decimals import round2
from domain.errors import DomainError
from domain.provinces import province_of
from domain.scheme import Scheme
from domain.scheme_reading import parse_scheme
from domain.scoring import score_year
from projections import ranking_queries
from ruraleval.ledger import Ledger, utc_now
from ruraleval.platform import Platform
from ruraleval.settings import parse_database_url
from tests.conftest import client_for, enrol_over_http, example_document

CODE = "130425"
SCHEME: Scheme = parse_scheme(example_document())


def _enrolled_a_moment_ago_is_found(client: TestClient, scheme_document: dict[str, Any]) -> None:
    assert client.post("/api/v1/schemes", json=scheme_document).status_code == 201
    enrol_over_http(client, CODE)
    moment = datetime.now(UTC) + timedelta(milliseconds=1)
    while datetime.now(UTC) <= moment:  # the instant must have passed to be asked about
        time.sleep(0.0002)
    response = client.get(f"/api/v1/counties/{CODE}/scores", params={"year": 2023, "as_of": moment.isoformat()})
    assert response.status_code == 200, response.text
    assert response.json()["as_of"] == moment.isoformat(), "the instant asked for is the instant used"
    rankings = client.get("/api/v1/rankings", params={"year": 2023, "as_of": moment.isoformat()})
    assert [entry["county"] for entry in rankings.json()["counties"]] == [CODE]


def test_a_county_enrolled_a_moment_ago_is_there_as_of_just_after_its_answer(
    client: TestClient, scheme_document: dict[str, Any]
) -> None:
    _enrolled_a_moment_ago_is_found(client, scheme_document)


def test_a_county_enrolled_a_moment_ago_is_there_in_memory_too(
    memory_client: TestClient, scheme_document: dict[str, Any]
) -> None:
    _enrolled_a_moment_ago_is_found(memory_client, scheme_document)


def _enrol(platform: Platform, *codes: str) -> None:
    context = c.Context("tester", "setup")
    platform.ledger.publish_scheme(SCHEME, context)
    for code in codes:
        platform.ledger.enrol(c.EnrolCounty(code, f"县{code}", province_of(code), "east", SCHEME), context)
        platform.ledger.execute(code, c.SubmitData("1.1", "2023", Decimal(58)), context)
        platform.ledger.execute(code, c.SubmitData("2.2", "2023", Decimal(80)), context)


def test_stamps_follow_commit_order_whatever_the_writers_clocks(
    store_url: str, make_platform: Callable[..., Platform]
) -> None:
    """Two processes' ledgers, one an hour behind: stamps still rise with every commit,
    and an instant a reader settled binds the lagging writer as well."""
    ahead = make_platform(store_url)
    behind = make_platform(store_url, clock=lambda: utc_now() - timedelta(hours=1))
    _enrol(ahead, CODE)
    for index in range(8):
        writer = ahead if index % 2 else behind
        writer.ledger.execute(CODE, c.CorrectData("1.1", "2023", Decimal(55 + index), "更正"), c.Context("t", "w"))
    stamps = [event.timestamp for _, event in ahead.ledger.read(0, 1000)]
    assert all(earlier < later for earlier, later in itertools.pairwise(stamps)), stamps
    settled = utc_now()
    ahead.settle(settled)
    outcome = behind.ledger.execute(CODE, c.CorrectData("1.1", "2023", Decimal(60), "更正"), c.Context("t", "late"))
    assert outcome.position is not None
    [(_, last)] = ahead.ledger.read(outcome.position - 1, 1)
    assert last.timestamp > settled, "a write after the barrier must be stamped after the settled instant"


def test_a_settled_instant_is_final_in_memory(memory_platform: Platform) -> None:
    """The barrier on the in-memory store: a clock behind the reader's cannot stamp into the past."""
    _enrol(memory_platform, CODE)
    moment = utc_now() + timedelta(seconds=5)  # as if the reader's clock ran 5 s ahead of the writer's
    memory_platform.settle(moment)
    command = c.CorrectData("1.1", "2023", Decimal(57), "更正")
    outcome = memory_platform.ledger.execute(CODE, command, c.Context("t", "x"))
    assert outcome.position is not None
    [(_, event)] = memory_platform.ledger.read(outcome.position - 1, 1)
    assert event.timestamp > moment


# ------------------------------------------------ two writer processes, one reader, on PostgreSQL

WRITERS = {0: ["130001", "130002", "130009"], 1: ["130003", "130004", "130009"]}  # 130009 is shared
SKEW_MS = {0: -20, 1: 3}  # one writer's clock lags the reader's, the other's leads a little
WRITE_SECONDS = 4.0


def _write_for_a_while(url: str, writer: int, seconds: float) -> None:
    """A writer process: a ledger of its own with a skewed clock, three threads correcting values."""
    os.environ["CREATE_TABLE"] = "false"  # the reader created the schema: two processes creating it at once can clash
    skew = timedelta(milliseconds=SKEW_MS[writer])
    ledger = Ledger(parse_database_url(url), clock=lambda: utc_now() + skew)
    deadline = time.monotonic() + seconds

    def work(thread: int) -> int:
        rng, done = random.Random(writer * 100 + thread), 0
        while time.monotonic() < deadline:
            code = rng.choice(WRITERS[writer])
            indicator = rng.choice(["1.1", "2.2"])
            value = Decimal(rng.randint(550, 630)) / 10 if indicator == "1.1" else Decimal(rng.randint(60, 100))
            try:
                ledger.execute(code, c.CorrectData(indicator, "2023", value, "更正"), c.Context(f"w{writer}", "c"))
                done += 1
            except DomainError:
                pass  # an unchanged value or a 409: nothing was recorded
        return done

    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            assert sum(pool.map(work, range(3))) > 0
    finally:
        ledger.close()


def _ranking_by_replay(platform: Platform, codes: list[str], instants: list[datetime]) -> Iterator[list[Any]]:
    """For each instant in order: the rankings a replay of every county up to it gives."""
    streams = {code: list(platform.ledger.app.events.get(county_id(code))) for code in codes}
    folded: dict[str, Any] = dict.fromkeys(codes)
    used = dict.fromkeys(codes, 0)
    for moment in instants:
        rows = []
        for code in codes:
            events = streams[code]
            while used[code] < len(events) and events[used[code]].timestamp <= moment:
                folded[code] = events[used[code]].mutate(folded[code])
                used[code] += 1
            if folded[code] is None:
                continue
            card = score_year(folded[code].years["2023"])
            rows.append({"county": code, "name": f"县{code}", "region": "east", "province": province_of(code),
                         "total": str(card.total), "grade": card.grade})  # fmt: skip
        yield [_shown(entry) for entry in ranking_queries.rank(rows)]


def _shown(entry: dict[str, Any]) -> tuple[Any, ...]:
    return (entry["county"], float(round2(Decimal(str(entry["total"])))), entry["grade"], entry["rank"])


def test_answers_as_of_a_few_ms_ago_never_change_while_two_processes_write(postgres_url: str) -> None:
    """Two writer processes on one PostgreSQL database; a reader (the API) asks for rankings as
    of "now minus a few ms" again and again. Asked again at the end, every instant gets the
    same answer, and it is what a replay of the log up to that instant gives."""
    with client_for(postgres_url) as client:
        platform: Platform = client.app.state.platform  # type: ignore[attr-defined]
        codes = sorted({code for owned in WRITERS.values() for code in owned})
        _enrol(platform, *codes)
        spawn = multiprocessing.get_context("spawn")
        writers = [spawn.Process(target=_write_for_a_while, args=(postgres_url, w, WRITE_SECONDS)) for w in WRITERS]
        for process in writers:
            process.start()
        rng = random.Random(7)
        answers: list[tuple[datetime, list[Any]]] = []
        while any(process.is_alive() for process in writers) or not answers:
            moment = utc_now() - timedelta(microseconds=rng.randint(0, 5000))
            response = client.get("/api/v1/rankings", params={"year": 2023, "as_of": moment.isoformat()})
            assert response.status_code == 200, response.text
            assert response.json()["as_of"] == moment.isoformat()
            answers.append((moment, response.json()["counties"]))
        for process in writers:
            process.join(timeout=60)
            assert process.exitcode == 0, "a writer process failed"
        assert platform.ledger.head() > 200, "the writers must have written while the reader read"
        assert len({repr(counties) for _, counties in answers}) > 5, "the answers must have moved"
        for moment, first in answers:
            again = client.get("/api/v1/rankings", params={"year": 2023, "as_of": moment.isoformat()})
            assert again.json()["counties"] == first, f"the answer as of {moment.isoformat()} changed"
        ordered = sorted(answers, key=lambda answer: answer[0])
        replayed = _ranking_by_replay(platform, codes, [moment for moment, _ in ordered])
        for (moment, given), expected in zip(ordered, replayed, strict=True):
            assert [_shown(entry) for entry in given] == expected, f"as of {moment.isoformat()}"
