"""One snapshot per answer: an answer that combines rows reads them all in one transaction.

The scores projection replaces a county's ``county_totals`` row and its ``node_scores``
rows in one transaction; a scorecard read in two transactions could show the total of
one commit beside the nodes of the next. The stress tests keep a writer and a
projection committing while a reader checks each answer against the scheme's own
arithmetic (``domain.scoring._scorecard``): with no override and no points,

    total = computed_total = clamp(sum of the top-level nodes' scores, 0, 100)

and each node that has children scores the sum of its children's scores.

Over HTTP the reader's store pauses after each statement (``Paused``, a test double), so
that a commit between two statements of one answer is likely; the store itself is as in
production.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, cast

from fastapi.testclient import TestClient

from domain import commands as c
from projections import queries, ranking_queries
from projections.store import ReadStore, Row, View
from ruraleval.platform import Platform
from tests.conftest import enrol_over_http

CODE = "130425"
OTHER = "411523"
SECONDS = 2.0
CENT = Decimal("0.01")
PAUSE = 0.002  # seconds after each statement a route reads


class _PausedView(View):
    def __init__(self, view: View) -> None:
        self.view = view

    def execute(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        rows = self.view.execute(statement, params)
        time.sleep(PAUSE)
        return rows


class Paused:
    """The routes' read store, pausing after every statement it answers."""

    def __init__(self, store: ReadStore) -> None:
        self.store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        rows = self.store.query(statement, params)
        time.sleep(PAUSE)
        return rows

    @contextmanager
    def snapshot(self) -> Iterator[View]:
        with self.store.snapshot() as view:
            yield _PausedView(view)


def publish_and_enrol(client: TestClient, document: dict[str, Any]) -> None:
    assert client.post("/api/v1/schemes", json=document).status_code == 201
    enrol_over_http(client, CODE)
    enrol_over_http(client, OTHER, name="光山县", province="河南省", region="central")
    client.app.state.platform.projections.catch_up()  # type: ignore[attr-defined]


@contextmanager
def churning(platform: Platform) -> Iterator[None]:
    """A writer resubmitting 1.2 (each time moving its score by several points) and a
    projection catching up in a loop, until the block ends."""
    stop = threading.Event()
    failures: list[BaseException] = []

    def guarded(work: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            try:
                while not stop.is_set():
                    work()
            except BaseException as error:  # reported by the test, not lost in a thread
                failures.append(error)

        return run

    counter = iter(range(10**9))

    def write() -> None:
        index = next(counter)
        value = Decimal(10 + (index % 2) * 80 + index % 7)  # 1.2 swings between ~2.5 and ~25 points
        command = c.SubmitData("1.2", "2023-01", value, reason="重报", may_correct=True)
        platform.ledger.execute(CODE, command, c.Context("writer", f"w{index}"))

    threads = [
        threading.Thread(target=guarded(write), name="writer"),
        threading.Thread(target=guarded(lambda: platform.projections.catch_up()), name="projection"),
    ]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert not failures, failures


def inconsistencies(card: dict[str, Any]) -> list[str]:
    """Where the answer's total and nodes do not add up as the scheme computes them."""
    found = []
    nodes = card["nodes"]
    top = [Decimal(str(node["score"])) for node in nodes if node["parent"] is None]
    expected = min(max(sum(top, Decimal(0)), Decimal(0)), Decimal(100))
    total = Decimal(str(card["total"]))
    if abs(total - expected) > CENT * len(top):  # each shown score is rounded to two places
        found.append(f"total {total} but its top-level nodes add up to {expected}")
    for parent in nodes:
        children = [Decimal(str(node["score"])) for node in nodes if node["parent"] == parent["code"]]
        if children and abs(Decimal(str(parent["score"])) - sum(children, Decimal(0))) > CENT * len(children):
            found.append(f"node {parent['code']} scores {parent['score']} but its children add up to {sum(children)}")
    return found


def test_a_scorecard_over_http_adds_up_while_the_projection_commits(
    client: TestClient, scheme_document: dict[str, Any]
) -> None:
    publish_and_enrol(client, scheme_document)
    platform: Platform = client.app.state.platform  # type: ignore[attr-defined]
    platform.reads = cast(ReadStore, Paused(platform.reads))  # the projection keeps its own reference
    reads = broken = 0
    totals = set()
    with churning(platform):
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline:
            response = client.get(f"/api/v1/counties/{CODE}/scores", params={"year": 2023})
            assert response.status_code == 200, response.text
            card = response.json()
            totals.add(card["total"])
            reads += 1
            if inconsistencies(card):
                broken += 1
    assert len(totals) > 1, "the writer and the projection did not move the total while reading"
    assert broken == 0, f"{broken} of {reads} scorecards did not add up"


def test_a_scorecard_and_the_rankings_read_in_one_snapshot_agree_while_the_projection_commits(
    client: TestClient, scheme_document: dict[str, Any]
) -> None:
    """The scorecard adds up, and the rankings read beside it rank the same total."""
    publish_and_enrol(client, scheme_document)
    platform: Platform = client.app.state.platform  # type: ignore[attr-defined]
    reads = 0
    unsound: list[str] = []  # scorecards whose total and nodes do not add up
    misranked: list[str] = []  # rankings that do not rank the scorecard's total
    totals = set()
    with churning(platform):
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline:
            with platform.reads.snapshot() as view:
                card = queries.scorecard(view, CODE, 2023)
                ranked = ranking_queries.rankings(view, 2023)
            assert card is not None
            reads += 1
            totals.add(card["total"])
            unsound += inconsistencies(card)[:1]
            ranked_total = {entry["county"]: entry["total"] for entry in ranked}[CODE]
            if ranked_total != card["total"]:
                misranked.append(f"ranked at {ranked_total} beside a scorecard total of {card['total']}")
    assert len(totals) > 1, "the writer and the projection did not move the total while reading"
    assert not unsound and not misranked, (
        f"of {reads} answers, {len(unsound)} scorecards did not add up ({unsound[:1]}) and {len(misranked)}"
        f" rankings disagreed with the scorecard ({misranked[:1]})"
    )


def test_a_snapshot_tells_the_log_position_its_answer_reflects(
    client: TestClient, scheme_document: dict[str, Any]
) -> None:
    publish_and_enrol(client, scheme_document)
    platform: Platform = client.app.state.platform  # type: ignore[attr-defined]
    platform.projections.catch_up()
    with platform.reads.snapshot() as view:
        positions = queries.positions(view)
    assert positions == platform.projections.positions()
    assert set(positions.values()) == {platform.ledger.head()}
