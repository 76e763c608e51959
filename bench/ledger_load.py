"""The write path without HTTP: concurrent callers of the ledger in this process.

The same submissions as the API rounds, sent by ``clients`` threads straight to
``Ledger.execute`` (group commit included, no web framework, no read models). The
gap between this rate and the API rate is what the HTTP layer costs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from decimal import Decimal

from bench.http_load import Work
from bench.together import run_together
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
    def run(index: int, ready: Callable[[], object], outcomes: Counter[str]) -> None:
        ready()
        for number, (code, body) in enumerate(shares[index]):
            # The HTTP load already filled these periods: another value is recorded as a correction.
            command = c.SubmitData(body["indicator"], body["period"], Decimal(body["value"]), reason="基准重报",
                                   may_correct=True)  # fmt: skip
            try:
                ledger.execute(code, command, c.Context(ACTOR, f"bench-ledger-{index}-{number}"))
                outcomes["ok"] += 1
            except DomainError as error:
                outcomes[type(error).__name__] += 1

    seconds, merged = run_together(len(shares), run, "bench-ledger")
    return merged["ok"], seconds, merged
