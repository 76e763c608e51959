"""The reports section: the annual report per county (content, charts, four files) and all
of the bench's counties; goal ≤ 1 s per county and the 100 in ≤ 60 s on 2 cores (ADR 25).

A fresh store with the time-travel timeline (``tt_timeline``: 12 months of data,
corrections, overrides) for ``--counties`` counties; each county's report, notice, table
and ledger rendered as of the end of the timeline's year, one after another.
"""

from __future__ import annotations

import time
from typing import Any

from bench import scheme, tt_rebuild, tt_timeline
from bench.config import BenchConfig
from bench.progress import progress
from bench.stats import Summary
from bench.stores import provision
from reports.issue import rendered_at

GOAL_PER_COUNTY_S = 1.0
GOAL_ALL_S = 60.0


def run(config: BenchConfig, kind: str) -> dict[str, Any]:
    codes = scheme.county_codes(config.counties)
    timeline = tt_timeline.build(codes, 12, config.seed, config.tt_correction_rate, config.tt_overrides_per_year)
    with provision(kind, config.pg_host, config.pg_port) as target, tt_rebuild.open_platform(target.url) as service:
        progress(f"{kind}: reports: {len(timeline.steps):,} commands for {len(codes)} counties")
        tt_timeline.load(service.ledger, timeline)
        at = service.ledger.clock()
        service.settle(at)
        samples, sizes = [], {}
        began = time.perf_counter()
        for index, code in enumerate(codes):
            start = time.perf_counter()
            rendered = rendered_at(service, code, tt_timeline.FIRST_YEAR, at)
            samples.append(time.perf_counter() - start)
            sizes = {name: len(content) for name, content in rendered.files.items()}
            if index % 10 == 9:
                progress(f"{kind}: reports: {index + 1}/{len(codes)}")
        total = time.perf_counter() - began
    per_county = Summary.of(samples)
    return {
        "counties": len(codes),
        "per_county_s": per_county.to_json(),
        "all_s": round(total, 2),
        "last_sizes_bytes": sizes,
        "goal": {
            "per_county_p95_s": GOAL_PER_COUNTY_S,
            "all_s": GOAL_ALL_S,
            "met": per_county.p95 <= GOAL_PER_COUNTY_S and total <= GOAL_ALL_S,
        },
    }
