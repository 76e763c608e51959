"""Wiring: the ledger, the read-model store and the projection runner over one store."""

from __future__ import annotations

import threading
from datetime import datetime

from projections.card_cache import CardCache
from projections.catalog import all_projections
from projections.follower import Follower
from projections.progress import Progress
from projections.replica import ReplicaRoutedStore
from projections.runner import ProjectionRunner
from projections.scorecards import ScorecardsProjection
from projections.store import PostgresReadStore, ReadStore, SQLiteReadStore
from ruraleval.access import OrganisationView
from ruraleval.files import FileStore
from ruraleval.ledger import Clock, Ledger, utc_now
from ruraleval.security import TokenIssuer, secret_key, token_minutes
from ruraleval.settings import (
    ConfigurationError,
    Store,
    database_url,
    parse_database_url,
    production,
    projections_mode,
    read_database_url,
)
from ruraleval.throttle import LoginThrottle


def open_read_store(store: Store) -> ReadStore:
    if store.kind == "memory":
        return SQLiteReadStore(":memory:")
    if store.kind == "sqlite":
        return SQLiteReadStore(store.path)
    return PostgresReadStore(store.conninfo())


class Platform:
    """Everything one process needs; ``close()`` releases it."""

    def __init__(
        self,
        store: Store | None = None,
        *,
        clock: Clock = utc_now,
        read_store: Store | None = None,
        projections: str | None = None,
    ) -> None:
        self.store = store or parse_database_url(database_url())
        self.ledger = Ledger(self.store, clock=clock)
        primary = open_read_store(self.store)
        replica = read_store if read_store is not None else _replica_from_environment(self.store)
        self.routed = ReplicaRoutedStore(primary, _replica_store(replica)) if replica else None
        self.reads: ReadStore = self.routed or primary
        # "thread": this process keeps the read models; "external": a projection process does
        # and this one follows their positions (ADR 28). With a replica, reads are told only
        # the positions the replica replayed, whoever projects.
        self.mode = projections or projections_mode()
        all_of_them = all_projections()
        names = [projection.name for projection in all_of_them]
        self.progress = Progress(names)
        following = self.mode == "external" or self.routed is not None
        # The card cache is kept in step with what this process's reads see by whoever reports
        # their positions: the projection thread's scorecards projection, or the follower.
        self.cards = (
            CardCache() if following else next(p.cache for p in all_of_them if isinstance(p, ScorecardsProjection))
        )
        runner_progress = Progress(names) if following else self.progress
        self.projections = ProjectionRunner(self.ledger, primary, all_of_them, progress=runner_progress)
        self.projections.setup()
        self.follower = (
            Follower(self.progress, primary, self.ledger.head, routed=self.routed, cards=self.cards)
            if following
            else None
        )
        self.files = FileStore(self.reads)
        self.organisation = OrganisationView(self.ledger)
        self.tokens = TokenIssuer(secret_key(), token_minutes())
        self.throttle = LoginThrottle(self.reads)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self.ledger.on_commit.append(self._committed)
        self._background: threading.Thread | None = None

    def _committed(self, position: int) -> None:
        self.progress.wrote(position)
        self.projections.progress.wrote(position)
        self._wake.set()

    @property
    def card_cache(self) -> CardCache | None:
        """The cache of current cards, while it is kept in step with what this process's reads
        see: while this process's projection thread or its follower runs (ADR 24, 28). Without
        them (the CLI, tests that project by hand) another process may rewrite the cards unseen."""
        return self.cards if self.progress.running else None

    def settle(self, instant: datetime) -> None:
        """For the CLI and tests, which keep no projection thread: nothing stamped at or before
        ``instant`` can still commit, and the read models hold everything that was (ADR 16).
        The API instead waits for the position ``ledger.settle`` gives (ADR 24)."""
        self.projections.ensure_fresh(self.ledger.settle(instant))

    def check_production_ready(self) -> None:
        """A production start refuses demo users (the secret key is checked on construction)."""
        if production() and self.organisation.has_demo_users():
            raise ConfigurationError("RURALEVAL_ENV=production refuses to start while demo users exist")

    def start_background_projections(self, interval: float = 0.2) -> None:
        """Keeps the read models fresh: woken by each commit of this process, and every
        ``interval`` seconds for other processes' writes (reads never catch up inline, ADR 24)."""
        if self.follower is not None:
            self.follower.start()
        if self.mode == "external":
            return
        if self._background is None:
            self._background = threading.Thread(
                target=self.projections.run,
                args=(self._stop, self._wake, interval),
                name="ruraleval-projections",
                daemon=True,
            )
            self._background.start()

    def close(self) -> None:
        if self.follower is not None:
            self.follower.stop()
        self._stop.set()
        self._wake.set()
        if self._background is not None:
            self._background.join(timeout=10)
        self.ledger.close()
        self.reads.close()


def _replica_store(replica: Store) -> PostgresReadStore:
    """The replica's pool: a caller waits at most 2 s for a connection, and a connection attempt
    gives up after 2 s, so a replica that is down costs a read that long once, then the
    follower has switched the reads to the primary (ADR 28)."""
    return PostgresReadStore(f"{replica.conninfo()} connect_timeout=2", timeout=2.0)


def _replica_from_environment(store: Store) -> Store | None:
    url = read_database_url()
    if url is None:
        return None
    replica = parse_database_url(url)
    if store.kind != "postgresql" or replica.kind != "postgresql":
        raise ConfigurationError("RURALEVAL_READ_DATABASE_URL needs PostgreSQL for both the store and the replica")
    return replica
