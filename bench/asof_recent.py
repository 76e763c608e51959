"""As-of reads of recent and past instants over HTTP, idle and beside concurrent submissions.

``python -m bench.asof_recent --stores sqlite,postgres --counties 10 --samples 200``

For each store, on a fresh database with the real server: GET a county's scores as of
"now minus 5 ms" and as of a fixed past instant, one after another with nothing else
running (idle); then the same recent read in a loop while ``--clients`` threads submit
data (under load), with the submissions' rate beside it. Prints medians and spread (ms).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import auth, http_load, scheme
from bench.server import serve
from bench.stats import Summary
from bench.stores import provision


def _now_minus(ms: float) -> str:
    return (datetime.now(UTC) - timedelta(milliseconds=ms)).isoformat()


def _timed_gets(base_url: str, token: str, codes: list[str], as_of: Any, count: int, rng: random.Random) -> Any:
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    with http_load.client(base_url) as http:
        http.headers.update({"Authorization": f"Bearer {token}"})
        for _ in range(count):
            params = {"year": str(scheme.YEAR), "as_of": as_of() if callable(as_of) else as_of}
            began = time.perf_counter()
            response = http.get(f"/api/v1/counties/{rng.choice(codes)}/scores", params=params)
            latencies.append(time.perf_counter() - began)
            statuses[str(response.status_code)] += 1
    return {**Summary.of(latencies).scaled(1000).to_json(), "statuses": dict(statuses)}


def run_store(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    codes = scheme.county_codes(args.counties)
    result: dict[str, Any] = {"store": kind}
    with provision(kind, args.pg_host, args.pg_port) as target:
        password = auth.bootstrap_admin(target.url)
        with serve(target.url, target.workdir, args.log_level) as server:
            credentials, _ = http_load.set_up(server.base_url, codes, password)
            token = credentials.token
            # Before ADR 16, instants of the last 10 s were answered as of 10 s ago: to compare
            # with such a build, wait (--settle-wait 11) so that it, too, finds the counties.
            time.sleep(args.settle_wait)
            past = _now_minus(1000)
            _timed_gets(server.base_url, token, codes, past, 20, rng)  # warm up
            result["idle_recent_ms"] = _timed_gets(server.base_url, token, codes, lambda: _now_minus(5),
                                                   args.samples, rng)  # fmt: skip
            result["idle_past_ms"] = _timed_gets(server.base_url, token, codes, past, args.samples, rng)
            rounds: list[dict[str, Any]] = []
            for index in range(args.rounds):
                work = scheme.submissions(codes, [index + 1], args.seed + index)
                shares = http_load.split(work, codes, args.clients)
                reads: dict[str, Any] = {}
                stop = threading.Event()

                def reader(out: dict[str, Any] = reads, done: threading.Event = stop) -> None:
                    latencies: list[float] = []
                    statuses: Counter[str] = Counter()
                    with http_load.client(server.base_url) as http:
                        http.headers.update({"Authorization": f"Bearer {token}"})
                        while not done.is_set():
                            params = {"year": str(scheme.YEAR), "as_of": _now_minus(5)}
                            began = time.perf_counter()
                            response = http.get(f"/api/v1/counties/{rng.choice(codes)}/scores", params=params)
                            latencies.append(time.perf_counter() - began)
                            statuses[str(response.status_code)] += 1
                    out.update(latencies=latencies, statuses=statuses)

                thread = threading.Thread(target=reader) if args.with_reader else None
                if thread:
                    thread.start()
                load = http_load.submit_concurrently(server.base_url, shares, credentials.keys)
                stop.set()
                if thread:
                    thread.join()
                rounds.append(
                    {
                        "submissions_per_s": round(load.rate, 1),
                        "ok": load.ok,
                        "requests": load.requests,
                        "recent_reads_ms": Summary.of(reads.get("latencies", [])).scaled(1000).to_json(),
                        "recent_read_statuses": dict(reads.get("statuses", {})),
                    }
                )
            result["under_load"] = rounds
            result["submissions_per_s"] = Summary.of([r["submissions_per_s"] for r in rounds]).to_json()
            result["under_load_recent_ms"] = Summary.of(
                [m for r in rounds for m in [r["recent_reads_ms"]["median"]]]
            ).to_json()
        if args.keep_logs:
            shutil.copy(server.log_path, Path(args.keep_logs) / f"server-{kind}-{int(time.time())}.log")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.asof_recent", description=__doc__)
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--counties", type=int, default=10)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--settle-wait", type=float, default=0.0, help="seconds to wait after setup")
    parser.add_argument("--no-reader", dest="with_reader", action="store_false")
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--output", default="")
    parser.add_argument("--log-level", default="WARNING", help="the server's log level")
    parser.add_argument("--keep-logs", default="", help="a directory to copy the server's log into")
    args = parser.parse_args()
    results = [run_store(kind, args) for kind in args.stores.split(",")]
    text = json.dumps(results, indent=2, ensure_ascii=False)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(text)
    print(text)


if __name__ == "__main__":
    main()
