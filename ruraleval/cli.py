"""The ``ruraleval`` command: serve, load the demo, rebuild projections."""

from __future__ import annotations

import argparse
import os
import sys
import time

import structlog

from ruraleval.logs import configure_logging
from ruraleval.settings import ConfigurationError, database_url, parse_database_url

log = structlog.get_logger("ruraleval.cli")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    configure_logging()
    try:
        store = parse_database_url(database_url())
    except ConfigurationError as error:
        print(f"配置错误 / configuration error: {error}", file=sys.stderr)
        return 2
    handler = args.handler
    result: int = handler(args, store)
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ruraleval", description="乡村振兴百县示范创建监测评估平台")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the API over whatever the store holds")
    serve.add_argument("--host", default=os.environ.get("RURALEVAL_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("RURALEVAL_PORT", "8000")))
    serve.set_defaults(handler=_serve)
    demo = commands.add_parser("demo", help="load the demo scheme and counties into the store")
    demo.set_defaults(handler=_demo)
    projections = commands.add_parser("projections", help="read models")
    actions = projections.add_subparsers(dest="action", required=True)
    actions.add_parser("rebuild", help="rebuild every read model from the start of the log").set_defaults(
        handler=_rebuild
    )
    actions.add_parser("status", help="each read model's position and lag").set_defaults(handler=_status)
    actions.add_parser("run", help="keep the read models up to date (a projection worker)").set_defaults(handler=_run)
    return parser


def _serve(args: argparse.Namespace, store: object) -> int:
    import uvicorn

    from api.app import create_app

    log.info("serving", host=args.host, port=args.port, store=parse_database_url(database_url()).redacted())
    uvicorn.run(create_app(), host=args.host, port=args.port, access_log=False, log_level="warning")
    return 0


def _demo(args: argparse.Namespace, store: object) -> int:
    from ruraleval.demo import load_demo
    from ruraleval.platform import Platform

    platform = Platform(parse_database_url(database_url()))
    try:
        started = time.perf_counter()
        loaded = load_demo(platform)
        if loaded:
            print(f"演示数据已载入（{time.perf_counter() - started:.1f} 秒，事件 {platform.ledger.head()} 条）")
        else:
            print("演示数据已存在，未重复载入")
    finally:
        platform.close()
    return 0


def _rebuild(args: argparse.Namespace, store: object) -> int:
    from ruraleval.platform import Platform

    platform = Platform(parse_database_url(database_url()))
    try:
        started = time.perf_counter()
        count = platform.projections.rebuild()
        seconds = time.perf_counter() - started
        print(f"投影已重建：{count} 个事件，用时 {seconds:.2f} 秒")
    finally:
        platform.close()
    return 0


def _status(args: argparse.Namespace, store: object) -> int:
    from ruraleval.platform import Platform

    platform = Platform(parse_database_url(database_url()))
    try:
        head = platform.ledger.head()
        for name, position in platform.projections.positions().items():
            print(f"{name}: position {position}, lag {head - position}")
    finally:
        platform.close()
    return 0


def _run(args: argparse.Namespace, store: object) -> int:
    import signal
    import threading

    from ruraleval.platform import Platform

    platform = Platform(parse_database_url(database_url()))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        platform.projections.run(stop)
    except KeyboardInterrupt:
        pass
    finally:
        platform.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
