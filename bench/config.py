"""The run's configuration, from the command line."""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.scheme import INDICATOR_COUNT
from domain.provinces import PROVINCES

STORES = ("sqlite", "postgres")
SECTIONS = ("main", "time_travel", "collection", "request_path", "pages", "reports")
MAX_TT_MONTHS = 36  # three scheme years, 2023-2025
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
    sections: tuple[str, ...] = SECTIONS
    tt_counties: int = 100
    tt_months: int = MAX_TT_MONTHS
    tt_rebuilds: int = 3
    tt_rebuild_budget: float = 240.0
    tt_queries: int = 100
    tt_correction_rate: float = 0.05
    tt_overrides_per_year: int = 10
    collection_months: int = 2
    collection_clients: int = 4
    grid_samples: int = 50
    server_profile: bool = True
    profile_submissions: int = 2000
    rp_counties: int = 9
    rp_readers: int = 4
    rp_writers: int = 4
    rp_seconds: float = 5.0
    rp_warmup: float = 0.5
    page_requests: int = 50
    page_warmup: int = 5
    slider_counties: int = 100
    slider_reads: int = 20
    projections: str = "external"

    def projections_for(self, kind: str) -> str:
        """How the main and request-path sections deploy the server on ``kind``: on PostgreSQL the
        production pair of ADR 28 (an API process that does not project, a projection process beside
        it) unless ``--projections thread``; a SQLite file is served by one process with its thread."""
        return self.projections if kind == "postgres" else "thread"

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
    parser.add_argument(
        "--only",
        choices=SECTIONS,
        help="run one section: main (load, queries), time_travel, collection (imports), request_path "
        "(reads alone, beside writers and against /healthz) or pages (server time per page, the slider's step)",
    )
    parser.add_argument("--tt-counties", type=int, default=defaults.tt_counties, help="time travel: counties")
    parser.add_argument(
        "--tt-months",
        type=int,
        default=defaults.tt_months,
        help=f"time travel: months from 2023-01 (1-{MAX_TT_MONTHS})",
    )
    parser.add_argument(
        "--tt-rebuilds", type=int, default=defaults.tt_rebuilds, help="time travel: rebuilds after the first"
    )
    parser.add_argument(
        "--tt-rebuild-budget",
        type=float,
        default=defaults.tt_rebuild_budget,
        help="time travel: seconds for the rebuilds after the first; another starts only if it should fit",
    )
    parser.add_argument(
        "--tt-queries", type=int, default=defaults.tt_queries, help="time travel: requests of each kind"
    )
    parser.add_argument(
        "--tt-correction-rate", type=float, default=defaults.tt_correction_rate, help="share of submissions corrected"
    )
    parser.add_argument("--tt-overrides-per-year", type=int, default=defaults.tt_overrides_per_year)
    parser.add_argument(
        "--collection-months", type=int, default=defaults.collection_months, help="collection: months imported (1-12)"
    )
    parser.add_argument(
        "--collection-clients", type=int, default=defaults.collection_clients, help="collection: concurrent uploaders"
    )
    parser.add_argument("--grid-samples", type=int, default=defaults.grid_samples, help="warnings grid requests")
    parser.add_argument(
        "--no-server-profile",
        dest="server_profile",
        action="store_false",
        help="main: skip the profiled load after the measured rounds (where the server's CPU goes, bench/profiler.py)",
    )
    parser.add_argument(
        "--profile-submissions",
        type=int,
        default=defaults.profile_submissions,
        help="main: submissions of the profiled load (on a server of its own, under cProfile)",
    )
    parser.add_argument(
        "--rp-counties",
        type=int,
        default=defaults.rp_counties,
        help="request path: counties, at most --counties, at least writers + 1 (the first one is read)",
    )
    parser.add_argument("--rp-readers", type=int, default=defaults.rp_readers, help="request path: reading clients")
    parser.add_argument("--rp-writers", type=int, default=defaults.rp_writers, help="request path: writing clients")
    parser.add_argument(
        "--rp-seconds", type=float, default=defaults.rp_seconds, help="request path: seconds counted per phase"
    )
    parser.add_argument(
        "--rp-warmup", type=float, default=defaults.rp_warmup, help="request path: seconds not counted per phase"
    )
    parser.add_argument(
        "--page-requests", type=int, default=defaults.page_requests, help="pages: timed requests per page"
    )
    parser.add_argument("--page-warmup", type=int, default=defaults.page_warmup, help="pages: untimed requests first")
    parser.add_argument(
        "--slider-counties", type=int, default=defaults.slider_counties, help="pages: counties of the slider's ranking"
    )
    parser.add_argument(
        "--slider-reads", type=int, default=defaults.slider_reads, help="pages: reads of each of the 12 slider steps"
    )
    parser.add_argument(
        "--projections",
        choices=("external", "thread"),
        default=defaults.projections,
        help="main and request path on PostgreSQL: external = the API process beside a `ruraleval projections run` "
        "process (ADR 28, the production layout); thread = one process projecting in a thread of its own",
    )
    args = parser.parse_args(argv)
    stores = tuple(name.strip() for name in args.stores.split(",") if name.strip())
    unknown = [name for name in stores if name not in STORES]
    if unknown or not stores:
        parser.error(f"--stores: unknown store(s) {unknown}; choose from {', '.join(STORES)}")
    if not 1 <= args.months <= 12:
        parser.error("--months must be between 1 and 12")
    if not 1 <= args.counties <= 9_999 * len(PROVINCES):
        parser.error(f"--counties must be between 1 and {9_999 * len(PROVINCES)} (a province's digits + 4)")
    if args.clients < 1 or args.rounds < 1:
        parser.error("--clients and --rounds must be at least 1")
    if not 1 <= args.tt_months <= MAX_TT_MONTHS:
        parser.error(f"--tt-months must be between 1 and {MAX_TT_MONTHS}")
    if not 1 <= args.tt_counties <= 899_999:
        parser.error("--tt-counties must be between 1 and 899999")
    if args.tt_rebuilds < 0 or args.tt_queries < 1 or args.tt_overrides_per_year < 0:
        parser.error("--tt-queries must be at least 1, --tt-rebuilds and --tt-overrides-per-year at least 0")
    if not 1 <= args.collection_months <= 12 or args.collection_clients < 1 or args.grid_samples < 1:
        parser.error("--collection-months must be 1-12, --collection-clients and --grid-samples at least 1")
    if args.rp_readers < 1 or args.rp_writers < 1 or args.rp_seconds <= 0 or args.rp_warmup < 0:
        parser.error("--rp-readers and --rp-writers must be at least 1, --rp-seconds above 0, --rp-warmup 0 or more")
    if not 0 <= args.tt_correction_rate <= 1:
        parser.error("--tt-correction-rate must be between 0 and 1")
    if args.page_requests < 1 or args.page_warmup < 0 or args.slider_counties < 1 or args.slider_reads < 1:
        parser.error(
            "--page-requests, --slider-counties and --slider-reads must be at least 1, --page-warmup 0 or more"
        )
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
        sections=(args.only,) if args.only else SECTIONS,
        tt_counties=args.tt_counties,
        tt_months=args.tt_months,
        tt_rebuilds=args.tt_rebuilds,
        tt_rebuild_budget=args.tt_rebuild_budget,
        tt_queries=args.tt_queries,
        tt_correction_rate=args.tt_correction_rate,
        tt_overrides_per_year=args.tt_overrides_per_year,
        collection_months=args.collection_months,
        collection_clients=args.collection_clients,
        grid_samples=args.grid_samples,
        server_profile=args.server_profile,
        profile_submissions=max(args.profile_submissions, 1),
        rp_counties=args.rp_counties,
        rp_readers=args.rp_readers,
        rp_writers=args.rp_writers,
        rp_seconds=args.rp_seconds,
        rp_warmup=args.rp_warmup,
        page_requests=args.page_requests,
        page_warmup=args.page_warmup,
        slider_counties=args.slider_counties,
        slider_reads=args.slider_reads,
        projections=args.projections,
    )
