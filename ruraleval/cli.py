"""The ``ruraleval`` command: serve, load the demo, manage users, maintain read models."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import structlog

from domain.errors import DomainError
from ruraleval.cli_users import add_user_commands
from ruraleval.logs import configure_logging
from ruraleval.platform import Platform
from ruraleval.settings import ConfigurationError, Store, database_url, parse_database_url

log = structlog.get_logger("ruraleval.cli")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # The server logs every request; one-off commands speak only when something is wrong.
    running = args.command == "serve" or (args.command, getattr(args, "action", "")) == ("projections", "run")
    level = None if running else os.environ.get("RURALEVAL_LOG_LEVEL", "WARNING")
    configure_logging(level, worker="projections" if args.command == "projections" and running else args.command)
    try:
        store = parse_database_url(database_url())
        result: int = args.handler(args, store)
    except ConfigurationError as error:
        print(f"配置错误 / configuration error: {error}", file=sys.stderr)
        return 2
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ruraleval", description="乡村振兴百县示范创建监测评估平台")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the API over whatever the store holds")
    serve.add_argument("--host", default=os.environ.get("RURALEVAL_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("RURALEVAL_PORT", "8000")))
    serve.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("RURALEVAL_WORKERS", "1")),
        help="API processes (PostgreSQL; with RURALEVAL_PROJECTIONS=external and a projection process)",
    )
    serve.set_defaults(handler=_serve)
    demo = commands.add_parser("demo", help="load the demo scheme, counties and users into the store")
    demo.set_defaults(handler=_demo)

    add_user_commands(commands)

    history = commands.add_parser("history", help="every change of a node's score, and why")
    history.add_argument("county", help="6-digit county code")
    history.add_argument("node", help="indicator code, dimension code or total")
    history.add_argument("--year", type=int, required=True)
    history.add_argument("--as-of", help="date (end of day, Beijing) or ISO instant with offset")
    history.set_defaults(handler=_history)
    verify = commands.add_parser("verify", help="recompute every county's hash chain (exit 1 if broken)")
    verify.add_argument("--digest", help="a digest written down earlier: prove the history behind it intact")
    verify.set_defaults(handler=_verify)
    commands.add_parser("digest", help="one digest over all stream heads, to write down").set_defaults(handler=_digest)

    report_parser = commands.add_parser("reports", help="annual reports (评估报告)")
    reports = report_parser.add_subparsers(dest="action", required=True)
    build = reports.add_parser("build", help="write each county's report.pdf, notice.pdf, table.xlsx and ledger.xlsx")
    build.add_argument("--year", type=int, required=True)
    build.add_argument("--as-of", help="date (end of day, Beijing) or ISO instant with offset; default now")
    build.add_argument("--county", help="one county's 6-digit code; default every enrolled county")
    build.add_argument("--out", default=".", help="directory to write into (created if missing); default here")
    build.set_defaults(handler=_build_reports)

    projections = commands.add_parser("projections", help="read models").add_subparsers(dest="action", required=True)
    rebuild = projections.add_parser("rebuild", help="rebuild every read model from the log")
    rebuild.add_argument("--partitions", type=int, default=1, help="counties replayed in N parallel processes")
    rebuild.set_defaults(handler=_rebuild)
    projections.add_parser("status", help="each read model's position and lag").set_defaults(handler=_status)
    projections.add_parser(
        "run", help="the projection process: keep the read models up to date (one at a time holds the lease)"
    ).set_defaults(handler=_run)
    backup = commands.add_parser("backup", help="a consistent copy of the store (pg_dump -Fc, or SQLite's backup)")
    backup.add_argument("--out", required=True, help="the file to write")
    backup.set_defaults(handler=_backup)
    restore = commands.add_parser("restore", help="restore a backup into an empty store (the restore drill)")
    restore.add_argument("file", help="a file written by ruraleval backup")
    restore.set_defaults(handler=_restore)
    return parser


@contextmanager
def opened(store: Store) -> Iterator[Platform]:
    platform = Platform(store)
    try:
        yield platform
    finally:
        platform.close()


def _serve(args: argparse.Namespace, store: Store) -> int:
    from ruraleval.operations import serve

    try:  # refuse a production start with demo users or without a secret key, before binding
        return serve(store, args.host, args.port, args.workers)
    except ConfigurationError as error:
        print(f"拒绝启动 / refusing to start: {error}", file=sys.stderr)
        return 2


def _demo(args: argparse.Namespace, store: Store) -> int:
    from ruraleval.demo import demo_credentials, load_demo

    with opened(store) as platform:
        started = time.perf_counter()
        if load_demo(platform):
            print(f"演示数据已载入（{time.perf_counter() - started:.1f} 秒，事件 {platform.ledger.head()} 条）")
        else:
            print("演示数据已存在，未重复载入")
        print(demo_credentials())
    return 0


def _history(args: argparse.Namespace, store: Store) -> int:
    from domain.recorded_time import parse_as_of
    from projections.queries import county, node_history
    from projections.temporal import micros

    with opened(store) as platform:
        try:
            moment = parse_as_of(args.as_of, platform.ledger.clock()) if args.as_of else None
        except DomainError as error:
            print(error, file=sys.stderr)
            return 2
        if moment is None:
            platform.projections.ensure_fresh()
        else:
            platform.settle(moment)
        until = None if moment is None else micros(moment)
        with platform.reads.snapshot() as view:
            changes = node_history(view, args.county, args.year, args.node, until)
            meta = county(view, args.county)
    if not changes:
        print(f"县 {args.county} {args.year} 年度没有节点“{args.node}”的得分记录", file=sys.stderr)
        return 1
    name = f"{meta['name']}（{args.county}）" if meta else args.county
    print(f"{name} {args.year} 年度 · 节点 {args.node} · 得分变化 {len(changes)} 次（时间为北京时间）")
    for line in history_lines(changes):
        print(line)
    return 0


def history_lines(changes: list[dict[str, Any]]) -> list[str]:
    """Each change in words: when, the score before and after, what happened and who did it, why, and the data."""
    from domain.recorded_time import CHINA
    from projections.causes import describe

    lines = []
    for change in changes:
        cause = change["cause"]
        when = datetime.fromisoformat(change["recorded_at"]).astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")
        before = "—" if change["before"] is None else _score(change["before"])
        after = "—" if change["after"] is None else _score(change["after"])
        what = f"{cause.get('label', cause['event'])}（第 {cause['version']} 个事件）"
        lines.append(f"{when}  {before} → {after}  {what}  操作人 {cause['actor']}")
        if cause.get("reason"):
            lines.append(f"    理由：{cause['reason']}")
        details = describe(cause)
        if details:
            lines.append(f"    {details}")
        restored = _restored(change.get("restored"))
        if restored:
            lines.append(f"    {restored}")
    return lines


def _score(value: float) -> str:
    return f"{value:.2f}"


def _restored(restored: dict[str, Any] | None) -> str:
    """What a revocation brought back for the node (ADR 19)."""
    if restored is None:
        return ""
    if restored["source"] == "computed":
        return "恢复：计算得分"
    return f"恢复：{restored['authority_label']}结果 {restored['override_id']}（{restored['actor']}）"


def _verify(args: argparse.Namespace, store: Store) -> int:
    from ruraleval.audit import InvalidDigest, verify

    with opened(store) as platform:
        try:
            result = verify(platform.ledger, args.digest)
        except InvalidDigest as error:
            print(error, file=sys.stderr)
            return 2
    for problem in result.problems:
        print(f"县 {problem.county} 第 {problem.version} 号事件：{problem.what}")
    if result.digest_matches is not None:
        print("摘要一致" if result.digest_matches else "摘要不一致")
    print(f"{'完整' if result.ok else '发现问题'}：检查事件 {result.events_checked} 条")
    return 0 if result.ok else 1


def _digest(args: argparse.Namespace, store: Store) -> int:
    from ruraleval.audit import digest

    with opened(store) as platform:
        print(digest(platform.ledger))
    return 0


def _build_reports(args: argparse.Namespace, store: Store) -> int:
    """Writes the reports as of one instant, each file's path on stdout, a progress bar on stderr."""
    from pathlib import Path

    from domain.recorded_time import parse_as_of
    from projections.queries import list_counties
    from reports.batch import build_all
    from reports.issue import file_name

    out = Path(args.out)
    with opened(store) as platform:
        now = platform.ledger.clock()
        try:
            moment = parse_as_of(args.as_of, now) if args.as_of else now
        except DomainError as error:
            print(error, file=sys.stderr)
            return 2
        platform.settle(moment)  # the read models hold everything recorded up to the instant
        with platform.reads.snapshot() as view:
            codes = [row["code"] for row in list_counties(view) if args.county in (None, row["code"])]
        if not codes:
            print(f"没有代码为 {args.county} 的县" if args.county else "平台上还没有县", file=sys.stderr)
            return 1
        out.mkdir(parents=True, exist_ok=True)
        failed = 0
        _progress(0, len(codes), codes[0])
        # More than a few counties are built in a process per core, in the order of ``codes``.
        for done, built in enumerate(build_all(platform, codes, args.year, moment), start=1):
            _progress(done, len(codes), codes[done] if done < len(codes) else "")
            if built.rendered is None:
                failed += 1
                print(f"\r{built.code}：{built.error}", file=sys.stderr)
                continue
            for name, content in built.rendered.files.items():
                path = out / file_name(built.rendered.report, name)
                path.write_bytes(content)
                print(path)
        print(file=sys.stderr)
    return 1 if failed else 0


def _progress(done: int, total: int, label: str, width: int = 30) -> None:
    """A one-line progress bar on stderr (stdout holds only the paths written)."""
    filled = width * done // total if total else width
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label:<8}", end="", file=sys.stderr, flush=True)


def _rebuild(args: argparse.Namespace, store: Store) -> int:
    started = time.perf_counter()
    if args.partitions > 1:
        from ruraleval.rebuild import rebuild_in_partitions

        count = rebuild_in_partitions(store, args.partitions, _rebuild_progress(started))
        print(file=sys.stderr)
        print(f"投影已重建：{count} 个事件，{args.partitions} 个分区，用时 {time.perf_counter() - started:.2f} 秒")
        return 0
    with opened(store) as platform:
        count = platform.projections.rebuild(report=_rebuild_progress(started))
        print(file=sys.stderr)
        print(f"投影已重建：{count} 个事件，用时 {time.perf_counter() - started:.2f} 秒")
    return 0


def _rebuild_progress(started: float) -> Callable[[int, int], None]:
    """A progress bar with events/s and the time left, on stderr."""

    def report(done: int, total: int) -> None:
        elapsed = time.perf_counter() - started
        rate = done / elapsed if elapsed > 0 else 0.0
        left = (total - done) / rate if rate > 0 else 0.0
        _progress(done, total, f"{rate:,.0f}/s ETA {left:,.0f}s", width=30)

    return report


def _status(args: argparse.Namespace, store: Store) -> int:
    with opened(store) as platform:
        head = platform.ledger.head()
        for name, position in platform.projections.positions().items():
            print(f"{name}: position {position}, lag {head - position}")
    return 0


def _run(args: argparse.Namespace, store: Store) -> int:
    from ruraleval.operations import run_projections

    return run_projections(store)


def _backup(args: argparse.Namespace, store: Store) -> int:
    from pathlib import Path

    from ruraleval.operations import backup

    written = backup(store, Path(args.out))
    print(f"备份已写入 {written}（{written.stat().st_size} 字节）")
    return 0


def _restore(args: argparse.Namespace, store: Store) -> int:
    from pathlib import Path

    from ruraleval.operations import restore

    restore(store, Path(args.file))
    print("已恢复；请运行 ruraleval verify --digest <备份前记下的摘要> 核对")
    return 0


if __name__ == "__main__":
    sys.exit(main())
