"""The reports section: the annual report per county (content, charts, four files) and all
of the bench's counties; goal ≤ 1 s per county and the 100 in ≤ 60 s on 2 cores (ADR 25).

A fresh store with the time-travel timeline (``tt_timeline``: 12 months of data,
corrections, overrides) for ``--counties`` counties; each county's report, notice, table
and ledger rendered as of the end of the timeline's year as ``ruraleval reports build`` does
(``reports.batch``: a process per core, the cross-county figures read once per process). A
county's time is measured in the process that built it; "all" is the wall clock of the batch.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench import scheme, tt_rebuild, tt_timeline
from bench.config import BenchConfig
from bench.progress import progress
from bench.stats import Summary
from bench.stores import provision
from reports.batch import build_all, workers_for

GOAL_PER_COUNTY_S = 1.0
GOAL_ALL_S = 60.0


@contextmanager
def _secret() -> Iterator[None]:
    """The workers open their own platform: a throwaway signing key (they issue no tokens)."""
    saved = os.environ.get(tt_rebuild.SECRET)
    os.environ[tt_rebuild.SECRET] = saved or secrets.token_urlsafe(48)
    try:
        yield
    finally:
        if saved is None:
            del os.environ[tt_rebuild.SECRET]


def run(config: BenchConfig, kind: str) -> dict[str, Any]:
    codes = scheme.county_codes(config.counties)
    timeline = tt_timeline.build(codes, 12, config.seed, config.tt_correction_rate, config.tt_overrides_per_year)
    with provision(kind, config.pg_host, config.pg_port) as target, tt_rebuild.open_platform(target.url) as service:
        progress(f"{kind}: reports: {len(timeline.steps):,} commands for {len(codes)} counties")
        tt_timeline.load(service.ledger, timeline)
        at = service.ledger.clock()
        service.settle(at)
        samples, sizes = [], {}
        workers = workers_for(len(codes), service.store)
        began = time.perf_counter()
        with _secret():
            for index, built in enumerate(build_all(service, codes, tt_timeline.FIRST_YEAR, at, workers)):
                if built.rendered is None:
                    raise RuntimeError(f"{built.code}: {built.error}")
                samples.append(built.seconds)
                sizes = {name: len(content) for name, content in built.rendered.files.items()}
                if index % 10 == 9:
                    progress(f"{kind}: reports: {index + 1}/{len(codes)}")
        total = time.perf_counter() - began
    per_county = Summary.of(samples)
    return {
        "counties": len(codes),
        "processes": workers,
        "per_county_s": per_county.to_json(),
        "all_s": round(total, 2),
        "last_sizes_bytes": sizes,
        "goal": {
            "per_county_p95_s": GOAL_PER_COUNTY_S,
            "all_s": GOAL_ALL_S,
            "met": per_county.p95 <= GOAL_PER_COUNTY_S and total <= GOAL_ALL_S,
        },
    }
