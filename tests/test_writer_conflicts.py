"""Writes that meet on one county from two processes (ADR 28): the conflict costs one retry of
that county's command, never a retry of the whole batch it was in."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

from domain import commands as c
from domain.county import county_id
from domain.errors import InvalidCommand
from domain.scheme import Scheme
from ruraleval.platform import Platform

FIRST, SECOND, THIRD = "130425", "130426", "130428"


def submit(platform: Platform, code: str, month: int, value: int) -> Any:
    command = c.SubmitData("1.2", f"2023-{month:02d}", Decimal(value))
    return platform.ledger.execute(code, command, c.Context("tester", f"{code}-{month}-{value}"))


def test_a_stale_county_in_a_batch_is_retried_alone_and_the_rest_commits_as_one_batch(
    store_url: str, make_platform: Callable[..., Platform], scheme: Scheme
) -> None:
    this = make_platform(store_url)
    context = c.Context("tester", "setup")
    this.ledger.publish_scheme(scheme, context)
    for code, name in ((FIRST, "大名县"), (SECOND, "魏县"), (THIRD, "肥乡县")):
        this.ledger.enrol(c.EnrolCounty(code, name, "河北省", "east", scheme), context)
        submit(this, code, 1, 10)  # both counties now sit in this process's cache
    other = make_platform(store_url)
    submit(other, FIRST, 2, 20)  # another process moves the first county on

    # Hold this process's writer on a job of its own while the two commands queue behind it,
    # so that they are taken as one batch.
    holding, release = threading.Event(), threading.Event()

    def blocking(_existing: Any, _context: c.Context) -> tuple[Any, dict[str, Any]]:
        holding.set()
        release.wait(10)
        raise InvalidCommand.of("test", "held", "held")

    holder = this.ledger._enqueue(county_id("130427"), blocking, context, "Hold", "county:130427")
    assert holding.wait(5), "the writer holds"
    commits: list[int] = []
    this.ledger.on_commit.append(commits.append)
    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = [pool.submit(submit, this, code, 3, 30) for code in (FIRST, SECOND, THIRD)]
        deadline = time.monotonic() + 5
        while this.ledger._queue.qsize() < 3 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert this.ledger._queue.qsize() == 3, "the three commands wait together"
        release.set()
        assert all(answer.result(timeout=10).version is not None for answer in answers)
    holder.exception(timeout=10)

    # The first county's command alone, the other two as one batch: two commits. Retrying the
    # whole batch command by command (the old way) took three.
    assert len(commits) == 2, commits
    stream = this.ledger.app.events.get(county_id(FIRST))
    recorded = [event for event in stream if type(event).__name__ == "DataSubmitted"]
    assert [event.period for event in recorded] == ["2023-01", "2023-02", "2023-03"], "nothing lost, nothing twice"
