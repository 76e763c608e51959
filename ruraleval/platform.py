"""Wiring: the ledger, the read-model store and the projection runner over one store."""

from __future__ import annotations

import threading
from datetime import datetime

from projections.catalog import all_projections
from projections.progress import Progress
from projections.runner import ProjectionRunner
from projections.scorecards import ScorecardsProjection
from projections.store import PostgresReadStore, ReadStore, SQLiteReadStore
from ruraleval.access import OrganisationView
from ruraleval.files import FileStore
from ruraleval.ledger import Clock, Ledger, utc_now
from ruraleval.security import TokenIssuer, secret_key, token_minutes
from ruraleval.settings import ConfigurationError, Store, database_url, parse_database_url, production
from ruraleval.throttle import LoginThrottle


def open_read_store(store: Store) -> ReadStore:
    if store.kind == "memory":
        return SQLiteReadStore(":memory:")
    if store.kind == "sqlite":
        return SQLiteReadStore(store.path)
    return PostgresReadStore(store.conninfo())


class Platform:
    """Everything one process needs; ``close()`` releases it."""

    def __init__(self, store: Store | None = None, *, clock: Clock = utc_now) -> None:
        self.store = store or parse_database_url(database_url())
        self.ledger = Ledger(self.store, clock=clock)
        self.reads = open_read_store(self.store)
        projections = all_projections()
        self.cards = next(p.cache for p in projections if isinstance(p, ScorecardsProjection))
        self.progress = Progress(projection.name for projection in projections)
        self.projections = ProjectionRunner(self.ledger, self.reads, projections, progress=self.progress)
        self.projections.setup()
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
        self._wake.set()

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
        if self._background is None:
            self._background = threading.Thread(
                target=self.projections.run,
                args=(self._stop, self._wake, interval),
                name="ruraleval-projections",
                daemon=True,
            )
            self._background.start()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._background is not None:
            self._background.join(timeout=10)
        self.ledger.close()
        self.reads.close()
