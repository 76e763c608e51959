"""The write path without HTTP: concurrent callers of the ledger in this process.

The same submissions as the API rounds, sent by ``clients`` threads straight to
``Ledger.execute`` (group commit included, no web framework, no read models). The
gap between this rate and the API rate is what the HTTP layer costs.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from decimal import Decimal

from bench.http_load import Work
from domain import commands as c
from domain.errors import DomainError
from ruraleval.ledger import Ledger
from ruraleval.settings import parse_database_url

ACTOR = "bench.ledger"


def run_rounds(url: str, rounds: list[tuple[Work, ...]]) -> list[tuple[int, float, Counter[str]]]:
    """Each round is a tuple of disjoint shares; returns (ok, seconds, outcomes) per round."""
    ledger = Ledger(parse_database_url(url))
    try:
        return [_round(ledger, shares) for shares in rounds]
    finally:
        ledger.close()


def _round(ledger: Ledger, shares: tuple[Work, ...]) -> tuple[int, float, Counter[str]]:
    start = threading.Barrier(len(shares) + 1)
    outcomes: list[Counter[str]] = [Counter() for _ in shares]

    def run(index: int) -> None:
        start.wait()
        for number, (code, body) in enumerate(shares[index]):
            command = c.SubmitData(body["indicator"], body["period"], Decimal(body["value"]))
            try:
                ledger.execute(code, command, c.Context(ACTOR, f"bench-ledger-{index}-{number}"))
                outcomes[index]["ok"] += 1
            except DomainError as error:
                outcomes[index][type(error).__name__] += 1

    threads = [threading.Thread(target=run, args=(i,), name=f"bench-ledger-{i}") for i in range(len(shares))]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    merged: Counter[str] = Counter()
    for counts in outcomes:
        merged.update(counts)
    return merged["ok"], seconds, merged
