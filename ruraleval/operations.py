"""Running many processes, and keeping the data safe: serve, the projection process, backups (ADR 28)."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import structlog

from projections.lease import Lease
from ruraleval.platform import Platform
from ruraleval.settings import ConfigurationError, Store

log = structlog.get_logger("ruraleval.operations")

LEASE_RETRY_SECONDS = 1.0


def serve(store: Store, host: str, port: int, workers: int) -> int:
    """Uvicorn in factory mode: each of ``workers`` processes builds its own app and platform."""
    import uvicorn

    if workers > 1 and store.kind != "postgresql":
        raise ConfigurationError("--workers above 1 needs PostgreSQL (a SQLite file serves one process)")
    if workers > 1 and not os.environ.get("RURALEVAL_SECRET_KEY"):
        raise ConfigurationError("--workers above 1 needs RURALEVAL_SECRET_KEY (workers accept each other's tokens)")
    # Schema and tracking rows are created here, once, before any worker starts: two processes
    # creating them together can fail ("tuple concurrently updated").
    with _opened(store, projections="external") as platform:
        platform.check_production_ready()
    log.info("serving", host=host, port=port, workers=workers, store=store.redacted(),
             projections=os.environ.get("RURALEVAL_PROJECTIONS", "thread"))  # fmt: skip
    uvicorn.run(
        "api.app:serve_worker",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_level="warning",
    )
    return 0


def run_projections(store: Store, stop: threading.Event | None = None, interval: float = 0.05) -> int:
    """The projection process: waits for the lease, then keeps the read models until stopped.

    It polls the log every ``interval`` seconds (it hears of no other process's commits), so
    a write is projected at most that long plus one batch after it committed. Losing the
    lease's connection stops the loop and waits for the lease again.
    """
    stop = stop or threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    lease = _lease(store)
    with _opened(store, projections="thread") as platform:
        while not stop.is_set():
            if not lease.acquire():
                log.info("projection_lease_waiting")
                stop.wait(LEASE_RETRY_SECONDS)
                continue
            log.info("projection_lease_taken")
            lost = threading.Event()
            watch = threading.Thread(target=_watch_lease, args=(lease, stop, lost), daemon=True)
            watch.start()
            platform.projections.run(_either(stop, lost), interval=interval)
            lease.release()
            log.info("projection_lease_released", lost=lost.is_set())
    return 0


def _watch_lease(lease: Lease, stop: threading.Event, lost: threading.Event) -> None:
    while not stop.wait(2.0):
        if not lease.alive():
            lost.set()
            return


class _Either(threading.Event):
    """Set when either of two events is (the runner's loop only checks ``is_set``/``wait``)."""

    def __init__(self, first: threading.Event, second: threading.Event) -> None:
        super().__init__()
        self.first, self.second = first, second

    def is_set(self) -> bool:
        return self.first.is_set() or self.second.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.is_set():
            left = 0.05 if deadline is None else min(0.05, deadline - time.monotonic())
            if left <= 0:
                return False
            self.first.wait(left)
        return True


def _either(first: threading.Event, second: threading.Event) -> threading.Event:
    return _Either(first, second)


def _lease(store: Store) -> Lease:
    if store.kind == "postgresql":
        return Lease("postgresql", conninfo=store.conninfo())
    if store.kind == "sqlite":
        return Lease("sqlite", path=store.path)
    return Lease("memory")


@contextmanager
def _opened(store: Store, projections: str) -> Iterator[Platform]:
    platform = Platform(store, projections=projections)
    try:
        yield platform
    finally:
        platform.close()


# ------------------------------------------------------------------ backups


def backup(store: Store, out: Path) -> Path:
    """A consistent copy of the whole store in ``out``: ``pg_dump -Fc`` for PostgreSQL (one
    snapshot of the events and read models), SQLite's online backup API for a file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if store.kind == "postgresql":
        environment = dict(os.environ)
        if store.password:
            environment["PGPASSWORD"] = store.password  # never on the command line (ps shows it)
        command = [
            _tool("pg_dump"), "--format=custom", "--no-owner", f"--file={out}",
            f"--host={store.host}", f"--port={store.port}", f"--username={store.user}", store.dbname,
        ]  # fmt: skip
        subprocess.run(command, env=environment, check=True)
        return out
    if store.kind == "sqlite":
        source = sqlite3.connect(store.path)
        target = sqlite3.connect(out)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return out
    raise ConfigurationError("backup needs a SQLite file or PostgreSQL (memory:// keeps nothing)")


def restore(store: Store, source: Path) -> None:
    """The restore drill's second half, into an *empty* store (a new database or file path)."""
    if store.kind == "postgresql":
        environment = dict(os.environ)
        if store.password:
            environment["PGPASSWORD"] = store.password
        command = [
            _tool("pg_restore"), "--no-owner", "--exit-on-error", f"--host={store.host}", f"--port={store.port}",
            f"--username={store.user}", f"--dbname={store.dbname}", str(source),
        ]  # fmt: skip
        subprocess.run(command, env=environment, check=True)
        return
    if store.kind == "sqlite":
        if Path(store.path).exists():
            raise ConfigurationError(f"restore refuses to overwrite {store.path}: restore into a new path")
        shutil.copyfile(source, store.path)
        return
    raise ConfigurationError("restore needs a SQLite file or PostgreSQL")


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ConfigurationError(f"{name} is not installed (apt-get install postgresql-client)")
    return found
