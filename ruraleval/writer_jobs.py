"""What the batch writer passes around: a queued command (``Job``), what a committed batch owes
its callers (``Settled``), the answer a caller gets (``Outcome``), and the row the store keeps
of each accepted command (``command_row``, ADR 22)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from domain import commands as c
from domain.errors import DomainError
from ruraleval.commit_order import CommandRow
from ruraleval.transcoder import dumps


@dataclass
class Outcome:
    """What a command did: its result and the log position of its last event."""

    result: dict[str, Any]
    position: int | None
    version: int | None
    events: list[str] = field(default_factory=list)


Apply = Callable[[Aggregate | None, c.Context], tuple[Aggregate, dict[str, Any]]]


@dataclass
class Job:
    stream: UUID
    apply: Apply
    context: c.Context
    future: Future[Outcome] = field(default_factory=Future)
    label: str = ""
    subject: str = ""
    command_id: UUID = field(default_factory=uuid4)  # made at enqueue; recorded with the command's events


@dataclass
class Settled:
    """What a committed batch owes its callers."""

    accepted: list[tuple[Job, Aggregate, int, dict[str, Any], list[str]]] = field(default_factory=list)
    refused: list[tuple[Job, DomainError]] = field(default_factory=list)
    recheck: list[tuple[Job, DomainError]] = field(default_factory=list)
    positions: dict[tuple[Any, int], int] = field(default_factory=dict)
    recordings: list[Any] = field(default_factory=list)


def succeed(job: Job, outcome: Outcome) -> None:
    """Answers a caller; one who stopped waiting (a cancelled request) is simply not answered."""
    with contextlib.suppress(InvalidStateError):
        job.future.set_result(outcome)


def fail(job: Job, error: BaseException) -> None:
    with contextlib.suppress(InvalidStateError):
        job.future.set_exception(error)


class Tainted(Exception):
    """A command failed after changing its aggregate: the batch must be redone."""


def command_row(job: Job, stream: UUID, version: int, result: dict[str, Any], events: list[str]) -> CommandRow:
    """What the store keeps of an accepted command: enough to answer its caller again."""
    return CommandRow(job.command_id, stream, version - len(events) + 1, version,
                      dumps({"result": result, "events": events}))  # fmt: skip
