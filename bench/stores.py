"""A fresh database per store for one run: a temp SQLite file, or a new PostgreSQL database."""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

ADMIN_USERS = ("postgres", "root")


@dataclass(frozen=True)
class Target:
    """Where one store's run writes: the service URL and how to reach it raw."""

    kind: str  # "sqlite" or "postgres"
    url: str  # RURALEVAL_DATABASE_URL
    workdir: Path  # temp files of the run (server log, SQLite file)
    sqlite_path: str = ""
    conninfo: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@contextmanager
def provision(kind: str, pg_host: str, pg_port: int) -> Iterator[Target]:
    with tempfile.TemporaryDirectory(prefix=f"ruraleval-bench-{kind}-") as directory:
        workdir = Path(directory)
        if kind == "sqlite":
            yield _sqlite_target(workdir)
        else:
            with _postgres_target(workdir, pg_host, pg_port) as target:
                yield target


def _sqlite_target(workdir: Path) -> Target:
    path = workdir / "bench.db"
    details = {"path": str(path), "sqlite_version": sqlite3.sqlite_version}
    return Target("sqlite", f"sqlite:///{path}", workdir, sqlite_path=str(path), details=details)


def sqlite_store_pragmas(path: str) -> dict[str, Any]:
    """What a fresh connection of the store sees (the library sets WAL, not synchronous)."""
    connection = sqlite3.connect(path)
    try:
        journal = connection.execute("PRAGMA journal_mode").fetchone()[0]
        synchronous = connection.execute("PRAGMA synchronous").fetchone()[0]
    finally:
        connection.close()
    names = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
    return {"journal_mode": journal, "synchronous": names.get(int(synchronous), str(synchronous))}


def admin_connection(host: str, port: int) -> psycopg.Connection[Any]:
    last: Exception | None = None
    for user in ADMIN_USERS:
        try:
            return psycopg.connect(
                host=host, port=port, user=user, dbname="postgres", autocommit=True, connect_timeout=5
            )
        except psycopg.OperationalError as error:
            last = error
    raise RuntimeError(f"PostgreSQL is not reachable at {host}:{port} as {'/'.join(ADMIN_USERS)}: {last}")


@contextmanager
def _postgres_target(workdir: Path, host: str, port: int) -> Iterator[Target]:
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise RuntimeError("the bench only talks to a local PostgreSQL (127.0.0.1)")
    admin = admin_connection(host, port)
    user = admin.info.user
    dbname = f"{os.environ.get('BENCH_DB_PREFIX', 'ruraleval')}_bench_{os.getpid()}_{int(time.time())}"
    try:
        admin.execute(f'CREATE DATABASE "{dbname}"')
        settings = {
            name: admin.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
            for name in ("server_version", "fsync", "synchronous_commit", "wal_sync_method", "max_connections")
        }
        details = {"database": dbname, "user": user, **settings}
        conninfo = f"host={host} port={port} user={user} dbname={dbname}"
        yield Target(
            "postgres", f"postgresql://{user}@{host}:{port}/{dbname}", workdir, conninfo=conninfo, details=details
        )
    finally:
        try:
            admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        finally:
            admin.close()
