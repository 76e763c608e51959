"""The projection lease (ADR 28): one projection process at a time keeps the read models;
another waits and takes over when the first ends, however it ends."""

from __future__ import annotations

from pathlib import Path

from projections.lease import Lease
from ruraleval.settings import parse_database_url


def leases(store_url: str) -> tuple[Lease, Lease]:
    store = parse_database_url(store_url)
    if store.kind == "postgresql":
        return Lease("postgresql", conninfo=store.conninfo()), Lease("postgresql", conninfo=store.conninfo())
    return Lease("sqlite", path=store.path), Lease("sqlite", path=store.path)


def test_one_holder_at_a_time_and_the_next_takes_over(store_url: str) -> None:
    first, second = leases(store_url)
    try:
        assert first.acquire()
        assert not second.acquire(), "two projection processes must never both hold the lease"
        assert first.alive()
        first.release()
        assert second.acquire()
        assert not first.acquire()
    finally:
        first.release()
        second.release()


def test_a_holder_whose_session_dies_frees_the_lease(postgres_url: str) -> None:
    import psycopg

    first, second = leases(postgres_url)
    try:
        assert first.acquire()
        with psycopg.connect(parse_database_url(postgres_url).conninfo(), autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s AND pid <> "
                "pg_backend_pid() AND datname = current_database()",
                ["ruraleval-projections"],
            )
        assert not first.alive(), "the holder learns it lost the lease"
        assert second.acquire()
    finally:
        first.release()
        second.release()


def test_the_sqlite_lease_is_a_lock_file_beside_the_database(sqlite_url: str, tmp_path: Path) -> None:
    first, _ = leases(sqlite_url)
    try:
        assert first.acquire()
        assert (tmp_path / "ruraleval.db.projections.lock").exists()
    finally:
        first.release()
