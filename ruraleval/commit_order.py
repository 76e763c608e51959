"""What one held write transaction carries: the floor, the batch's stamp and its commands.

Shared by the recorders of ``ruraleval.sequencing`` (one per store) and the batch writer.
The floor and the stamp keep recorded time in commit order (ADR 16); the command rows
give each accepted command an identity the store refuses to record twice, so a commit
whose outcome is unknown can be settled by looking the batch's commands up (ADR 22).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import StoredEvent

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)


def micros(moment: datetime) -> int:
    return (moment - EPOCH) // ONE_MICROSECOND


def instant(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


@dataclass(frozen=True)
class Floor:
    """Every event stamped at or before ``us`` is committed at log position ``head`` or earlier,
    and no event will ever be stamped at or before ``us``."""

    us: int
    head: int


@dataclass(frozen=True)
class CommandRow:
    """One accepted command of a batch, as the writer hands it to the store with its events.

    Its events are the stream's versions ``first_version`` to ``last_version``; the store
    adds their log positions. ``result`` is the caller's answer, as JSON.
    """

    command_id: UUID
    stream: UUID
    first_version: int
    last_version: int
    result: bytes


@dataclass(frozen=True)
class RecordedCommand:
    """A command the store has recorded: what its caller is owed."""

    command_id: UUID
    stream: UUID
    first_position: int
    last_position: int
    version: int
    result: bytes
    recorded_us: int


class CommitOutcomeUnknown(Exception):
    """The batch's statements reached the store but its answer did not: it may or may not have committed.

    Raised instead of the store's error only once the batch's inserts were sent; the
    writer settles it by looking the batch's command ids up on a fresh connection.
    """

    def __init__(self, command_ids: Sequence[UUID], cause: BaseException) -> None:
        super().__init__(f"{len(command_ids)} command(s), commit outcome unknown: {cause!r}")
        self.command_ids = list(command_ids)
        self.cause = cause


class Hold:
    """The store's write lock, held from before a batch is stamped until it is committed."""

    def __init__(self, floor_us: int) -> None:
        self.floor_us = floor_us
        self.stamped_us: int | None = None
        self.recorded = False
        self.commands: list[CommandRow] = []

    def stamp(self, clock: Callable[[], datetime]) -> datetime:
        """The batch's recorded time: the clock, but always after everything committed before."""
        if self.stamped_us is None:
            self.stamped_us = max(micros(clock()), self.floor_us + 1)
        return instant(self.stamped_us)

    @property
    def new_floor(self) -> int | None:
        """What the floor becomes when the batch commits (None: it stays)."""
        return self.stamped_us if self.recorded else None

    @property
    def next_floor(self) -> int | None:
        """What the floor becomes if the events being inserted commit (None: it stays)."""
        return self.stamped_us

    def command_ids(self) -> list[UUID]:
        return [row.command_id for row in self.commands]


def positions_of(rows: Iterable[CommandRow], ids: dict[tuple[Any, int], int]) -> list[tuple[int, int]]:
    """Each row's first and last log position, from the ids given to its events (SQLite, memory)."""
    spans = []
    for row in rows:
        first = ids[(row.stream, row.first_version)]
        last = ids[(row.stream, row.last_version)]
        spans.append((first, last))
    return spans


class SequencedRecorder(Protocol):
    """An application recorder that stamps in commit order, answers barriers and knows its commands."""

    def hold(self) -> Any:
        """A context manager: one write transaction holding the lock; yields a ``Hold``.

        Commands put in ``Hold.commands`` before the events are inserted are recorded with
        them. Raises ``CommitOutcomeUnknown`` when the commit may have happened.
        """
        ...

    def floor(self) -> Floor:
        """The floor as last committed, read without the lock."""
        ...

    def fence(self, at_us: int) -> Floor:
        """Takes the lock once and raises the floor to at least ``at_us``."""
        ...

    def recorded_commands(self, command_ids: Sequence[UUID]) -> list[RecordedCommand]:
        """Those of ``command_ids`` the store has recorded, read once no write is in flight."""
        ...

    def position_of(self, stream: UUID, version: int) -> int | None:
        """The log position of the committed event ``version`` of ``stream`` (None: no such event)."""
        ...

    def streams_until(self, until: int) -> list[tuple[UUID, int]]:
        """Every stream with events at log positions up to ``until``, and how many it has there."""
        ...

    def stream_events(self, stream: UUID, until: int, after_version: int, limit: int) -> list[tuple[int, StoredEvent]]:
        """Up to ``limit`` events of ``stream`` after ``after_version`` at positions up to ``until``,
        in version order (which is their positions' order), each with its position."""
        ...
