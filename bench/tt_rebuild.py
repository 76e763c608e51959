"""Rebuild throughput: every read model replayed from the whole log, as an operator would.

Each timed rebuild opens a fresh in-process platform (new connections), as
``ruraleval projections rebuild`` does. The first fills read models that were never
filled (as a first start over a loaded log does); the later ones empty full ones first.
Then the same rebuild in ``PARTITIONS`` processes (``--partitions``), a few rounds too.
Besides events/s (wall), each round reports the CPU of the rebuilding processes per event
(this process and the partitions it started): a figure that other work on the machine
depresses less than the wall one.
"""

from __future__ import annotations

import os
import resource
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench import cpu
from bench.progress import progress
from bench.stats import Summary
from ruraleval.platform import Platform
from ruraleval.rebuild import rebuild_in_partitions
from ruraleval.settings import parse_database_url

GOAL_PER_S = 5_000.0  # PostgreSQL (issue 14)
GOALS_PER_S = {"sqlite": 10_000.0, "postgres": GOAL_PER_S}
PARTITIONS = 2  # the machine's cores
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


def _own_cpu() -> float:
    """CPU seconds of this process and of the children it waited for (the partitions)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _partitioned_once(url: str) -> tuple[int, float, float]:
    """(events, seconds, CPU seconds of the rebuilding processes) of one partitioned rebuild."""
    saved = os.environ.get(SECRET)
    os.environ[SECRET] = saved or secrets.token_urlsafe(48)
    try:
        cpu_before, began = _own_cpu(), time.perf_counter()
        events = rebuild_in_partitions(parse_database_url(url), PARTITIONS)
        return events, time.perf_counter() - began, _own_cpu() - cpu_before
    finally:
        if saved is None:
            del os.environ[SECRET]


def measure_partitioned(url: str, repeats: int, budget: float, kind: str) -> dict[str, Any]:
    """Up to ``repeats`` partitioned rebuilds while they are expected to fit ``budget`` seconds."""
    seconds: list[float] = []
    cpu_us: list[float] = []
    events = 0
    while len(seconds) < repeats:
        if seconds and sum(seconds) + seconds[-1] > budget:
            progress(f"{kind}: no further partitioned rebuild: {sum(seconds):.0f} s spent of {budget:.0f} s")
            break
        events, elapsed, used = _partitioned_once(url)
        seconds.append(elapsed)
        cpu_us.append(used / max(events, 1) * 1e6)
        progress(
            f"{kind}: rebuild in {PARTITIONS} partitions {len(seconds)}: {events:,} events in {elapsed:.1f} s "
            f"({events / elapsed:,.0f}/s, {cpu_us[-1]:.0f} µs CPU per event)"
        )
    return {
        "partitions": PARTITIONS,
        "events": events,
        "seconds": Summary.of(seconds).to_json(),
        "events_per_s": Summary.of([events / value for value in seconds]).to_json(),
        "cpu_us_per_event": Summary.of(cpu_us).to_json(),
    }


def measure(url: str, repeats: int, budget: float, kind: str) -> dict[str, Any]:
    """The first rebuild, then up to ``repeats`` more while they are expected to fit ``budget`` seconds."""
    events, first, rows, first_cpu = _once(url)
    progress(f"{kind}: first rebuild (empty read models): {events:,} events in {first:.1f} s ({events / first:,.0f}/s)")
    seconds: list[float] = []
    usages: list[dict[str, float]] = []
    cpu_us: list[float] = []
    while len(seconds) < repeats:
        if seconds and sum(seconds) + seconds[-1] > budget:
            progress(f"{kind}: no further rebuild: {sum(seconds):.0f} s spent of a {budget:.0f} s budget")
            break
        cpu_before = _own_cpu()
        events, elapsed, rows, usage = _once(url)
        cpu_us.append((_own_cpu() - cpu_before) / max(events, 1) * 1e6)
        seconds.append(elapsed)
        usages.append(usage)
        progress(f"{kind}: rebuild {len(seconds)}: {events:,} events in {elapsed:.1f} s ({events / elapsed:,.0f}/s)")
    return {
        "events": events,
        "first": {"seconds": round(first, 2), "events_per_s": round(events / first, 1), "cpu_cores": first_cpu},
        "seconds": Summary.of(seconds).to_json(),
        "events_per_s": Summary.of([events / value for value in seconds]).to_json(),
        "cpu_us_per_event": Summary.of(cpu_us).to_json(),
        "cpu_cores": _mean(usages),
        "score_history_rows": rows,
        "budget_seconds": budget,
        "goal": GOALS_PER_S.get(kind, GOAL_PER_S),
        "partitioned": measure_partitioned(url, repeats, budget, kind),
    }


def _mean(usages: list[dict[str, float]]) -> dict[str, float] | None:
    """Cores of each kind, averaged over the rebuilds weighted equally."""
    if not usages:
        return None
    return {key: round(sum(usage[key] for usage in usages) / len(usages), 3) for key in usages[0]}
