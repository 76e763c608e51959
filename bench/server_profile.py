"""Where the server's CPU goes during submissions: a profiled load on a server of its own.

Part of the main section (``--no-server-profile`` skips it). cProfile slows the server, so
the measured rounds never run under it: after them, a fresh database, the server under
``bench.profiler`` and the same kind of load as a measured round (``clients`` threads,
each county's new monthly values with its own API key) for ``profile_submissions``
submissions, the window opened just before the load and closed just after it. The
rates of this load are reported but are not the figures to compare (the profiler's cost
is in them); the shares of the server's CPU are.
"""

from __future__ import annotations

import math
from typing import Any

from bench import auth, cpu, http_load, profiler, scheme
from bench.config import BenchConfig
from bench.progress import progress
from bench.server import serve
from bench.stores import provision


def run(config: BenchConfig, kind: str) -> dict[str, Any]:
    per_county = config.indicators * 12
    count = max(config.clients, math.ceil(config.profile_submissions / per_county))
    codes = scheme.county_codes(count)
    work = scheme.submissions(codes, list(range(1, 13)), config.seed + 500)[: config.profile_submissions]
    with provision(kind, config.pg_host, config.pg_port) as target:
        password = auth.bootstrap_admin(target.url)
        directory = target.workdir / "profile"
        projections = config.projections_for(kind)  # the API process is profiled, not the projection process
        with serve(target.url, target.workdir, config.server_log_level, directory, projections) as server:
            progress(f"{kind}: profiled server pid {server.pid}: {len(work)} submissions to {len(codes)} counties")
            credentials, _ = http_load.set_up(server.base_url, codes, password)
            shares = http_load.split(work, codes, config.clients)
            profiler.start_window(directory)
            before = cpu.sample(server.pid, server.projection_pid)
            load = http_load.submit_concurrently(server.base_url, shares, credentials.keys)
            usage = cpu.usage(before, cpu.sample(server.pid, server.projection_pid))
            document = profiler.stop_window(directory, 1)
    if document is None:
        return {"error": "the profiled server wrote no profile in time"}
    shown = ", ".join(f"{name.split(' (')[0]} {100 * b['share']:.0f}%" for name, b in document["buckets"].items())
    progress(f"{kind}: server CPU under the profiler: {shown}")
    return {
        **document,
        "submissions": load.requests,
        "ok": load.ok,
        "clients": len(shares),
        "rate_per_s_under_profiler": round(load.rate, 1),
        "cpu_cores": usage,
        "projections": projections,
    }
