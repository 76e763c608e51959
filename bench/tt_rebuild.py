"""Rebuild throughput: every read model replayed from the whole log, as an operator would.

Each timed rebuild opens a fresh in-process platform (new connections), as
``ruraleval projections rebuild`` does. The first fills read models that were never
filled (as a first start over a loaded log does); the later ones empty full ones first.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench import cpu
from bench.progress import progress
from bench.stats import Summary
from ruraleval.platform import Platform
from ruraleval.settings import parse_database_url

GOAL_PER_S = 5_000.0
SECRET = "RURALEVAL_SECRET_KEY"


@contextmanager
def open_platform(url: str) -> Iterator[Platform]:
    """The in-process platform, with a throwaway signing key (it issues no tokens here)."""
    saved = os.environ.get(SECRET)
    os.environ[SECRET] = saved or secrets.token_urlsafe(48)
    try:
        platform = Platform(parse_database_url(url))
    finally:
        if saved is None:
            del os.environ[SECRET]
    try:
        yield platform
    finally:
        platform.close()


def _once(url: str) -> tuple[int, float, int, dict[str, float]]:
    """(events, seconds, score_history rows, CPU cores) of one rebuild by a fresh platform.

    CPU is sampled while the platform is open: its database connections end when it closes.
    """
    with open_platform(url) as platform:
        before = cpu.sample(None)
        began = time.perf_counter()
        events = platform.projections.rebuild()
        seconds = time.perf_counter() - began
        usage = cpu.usage(before, cpu.sample(None))
        rows = int(platform.reads.query("SELECT COUNT(*) AS n FROM score_history")[0]["n"])
    return events, seconds, rows, usage


def measure(url: str, repeats: int, budget: float, kind: str) -> dict[str, Any]:
    """The first rebuild, then up to ``repeats`` more while they are expected to fit ``budget`` seconds."""
    events, first, rows, first_cpu = _once(url)
    progress(f"{kind}: first rebuild (empty read models): {events:,} events in {first:.1f} s ({events / first:,.0f}/s)")
    seconds: list[float] = []
    usages: list[dict[str, float]] = []
    while len(seconds) < repeats:
        if seconds and sum(seconds) + seconds[-1] > budget:
            progress(f"{kind}: no further rebuild: {sum(seconds):.0f} s spent of a {budget:.0f} s budget")
            break
        events, elapsed, rows, usage = _once(url)
        seconds.append(elapsed)
        usages.append(usage)
        progress(f"{kind}: rebuild {len(seconds)}: {events:,} events in {elapsed:.1f} s ({events / elapsed:,.0f}/s)")
    return {
        "events": events,
        "first": {"seconds": round(first, 2), "events_per_s": round(events / first, 1), "cpu_cores": first_cpu},
        "seconds": Summary.of(seconds).to_json(),
        "events_per_s": Summary.of([events / value for value in seconds]).to_json(),
        "cpu_cores": _mean(usages),
        "score_history_rows": rows,
        "budget_seconds": budget,
        "goal": GOAL_PER_S,
    }


def _mean(usages: list[dict[str, float]]) -> dict[str, float] | None:
    """Cores of each kind, averaged over the rebuilds weighted equally."""
    if not usages:
        return None
    return {key: round(sum(usage[key] for usage in usages) / len(usages), 3) for key in usages[0]}
