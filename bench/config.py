"""The run's configuration, from the command line."""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.scheme import INDICATOR_COUNT

STORES = ("sqlite", "postgres")
DEFAULT_OUTPUT = str(Path(__file__).resolve().parent / "results" / "latest.json")


@dataclass(frozen=True)
class BenchConfig:
    stores: tuple[str, ...] = STORES
    counties: int = 100
    months: int = 12
    clients: int = 8
    rounds: int = 3
    raw_seconds: float = 3.0
    raw_max_rows: int = 20_000
    score_queries: int = 500
    ranking_queries: int = 100
    aggregate_events: int = 10_000
    aggregate_samples: int = 50
    replay_samples: int = 5
    pg_host: str = "127.0.0.1"
    pg_port: int = 5432
    server_log_level: str = "INFO"
    seed: int = 2023
    output: str = DEFAULT_OUTPUT

    @property
    def indicators(self) -> int:
        return INDICATOR_COUNT

    @property
    def submissions(self) -> int:
        return self.counties * self.indicators * self.months

    def to_json(self) -> dict[str, Any]:
        document = asdict(self)
        document["indicators"] = self.indicators
        document["submissions"] = self.submissions
        return document


def parse_args(argv: list[str] | None = None) -> BenchConfig:
    defaults = BenchConfig()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--stores", default=",".join(defaults.stores), help="comma-separated: sqlite,postgres")
    parser.add_argument("--counties", type=int, default=defaults.counties)
    parser.add_argument("--months", type=int, default=defaults.months, help="monthly periods per indicator (1-12)")
    parser.add_argument("--clients", type=int, default=defaults.clients, help="concurrent HTTP clients")
    parser.add_argument("--rounds", type=int, default=defaults.rounds, help="load rounds (months split among them)")
    parser.add_argument("--raw-seconds", type=float, default=defaults.raw_seconds, help="length of a raw-commit round")
    parser.add_argument("--raw-max-rows", type=int, default=defaults.raw_max_rows)
    parser.add_argument("--score-queries", type=int, default=defaults.score_queries)
    parser.add_argument("--ranking-queries", type=int, default=defaults.ranking_queries)
    parser.add_argument("--aggregate-events", type=int, default=defaults.aggregate_events)
    parser.add_argument("--aggregate-samples", type=int, default=defaults.aggregate_samples)
    parser.add_argument("--replay-samples", type=int, default=defaults.replay_samples)
    parser.add_argument("--pg-host", default=defaults.pg_host)
    parser.add_argument("--pg-port", type=int, default=defaults.pg_port)
    parser.add_argument("--server-log-level", default=defaults.server_log_level, help="the server's log level")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--output", default=defaults.output, help="where to write the JSON results")
    args = parser.parse_args(argv)
    stores = tuple(name.strip() for name in args.stores.split(",") if name.strip())
    unknown = [name for name in stores if name not in STORES]
    if unknown or not stores:
        parser.error(f"--stores: unknown store(s) {unknown}; choose from {', '.join(STORES)}")
    if not 1 <= args.months <= 12:
        parser.error("--months must be between 1 and 12")
    if not 1 <= args.counties <= 899_999:
        parser.error("--counties must be between 1 and 899999 (codes are 100000 + i)")
    if args.clients < 1 or args.rounds < 1:
        parser.error("--clients and --rounds must be at least 1")
    return BenchConfig(
        stores=stores,
        counties=args.counties,
        months=args.months,
        clients=args.clients,
        rounds=min(args.rounds, args.months),
        raw_seconds=args.raw_seconds,
        raw_max_rows=args.raw_max_rows,
        score_queries=args.score_queries,
        ranking_queries=args.ranking_queries,
        aggregate_events=args.aggregate_events,
        aggregate_samples=args.aggregate_samples,
        replay_samples=args.replay_samples,
        pg_host=args.pg_host,
        pg_port=args.pg_port,
        server_log_level=args.server_log_level,
        seed=args.seed,
        output=args.output,
    )
