"""How far each read model has got, as this process knows it, and who is waiting for it.

The projection thread reports every committed batch here (``advanced``) and every
failure (``failed``); the log's writer reports the head (``wrote``). Reads then decide
without touching the database whether they can answer: a read that names a log position
waits, bounded, until the read models it needs are there (ADR 24); a read whose read
model failed or stalled is refused with the reason. Waiting costs no thread: an asyncio
waiter is woken from the projection thread with ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from domain.errors import DomainError, Problem

# A read model behind the head that has not moved for this long, while its runner is meant
# to be running, is stalled: its reads say so instead of answering from an old state.
STALL_SECONDS = 10.0


@dataclass(frozen=True)
class Unavailable:
    """Why a read cannot be answered now (a 503 with this reason)."""

    projection: str
    rule: str  # projection_failed / projection_stalled / projection_behind
    message: str
    position: int  # where the read model stands


@dataclass
class _Waiter:
    target: int
    names: frozenset[str]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None]


@dataclass
class _State:
    position: int = 0
    moved_at: float = field(default_factory=time.monotonic)
    failure: str | None = None


class Progress:
    """Thread-safe: written by the projection and writer threads, read by requests."""

    def __init__(self, names: Iterable[str], *, stall_seconds: float = STALL_SECONDS) -> None:
        self._states = {name: _State() for name in names}
        self._head = 0
        self._lock = threading.Lock()
        self._waiters: list[_Waiter] = []
        self.stall_seconds = stall_seconds
        self.running = False  # set while a projection thread of this process keeps the models
        self.someone_waits = threading.Event()  # a read waits for a position: project now, do not gather

    # ---------------------------------------------------------------- reports

    def wrote(self, head: int) -> None:
        """The log's head moved to ``head`` (a commit of this process).

        A read model that was caught up starts its stall clock now: it had nothing to do while
        the log stood still, and idling is not stalling (a write after a quiet spell would
        otherwise be answered "stalled" before the projection thread even woke).
        """
        now = time.monotonic()
        with self._lock:
            if head > self._head:
                for state in self._states.values():
                    if state.position >= self._head:
                        state.moved_at = now
                self._head = head

    def advanced(self, positions: dict[str, int]) -> None:
        """Read models committed up to these positions."""
        now = time.monotonic()
        with self._lock:
            for name, position in positions.items():
                state = self._states[name]
                if position > state.position:
                    state.position, state.moved_at, state.failure = position, now, None
                    self._head = max(self._head, position)
            ready = [w for w in self._waiters if self._reached(w.target, w.names)]
            self._waiters = [w for w in self._waiters if w not in ready]
        for waiter in ready:
            waiter.loop.call_soon_threadsafe(_wake, waiter.future)

    def failed(self, name: str, reason: str) -> None:
        with self._lock:
            self._states[name].failure = reason
            stuck = [w for w in self._waiters if name in w.names]
            self._waiters = [w for w in self._waiters if w not in stuck]
        for waiter in stuck:
            waiter.loop.call_soon_threadsafe(_wake, waiter.future)

    def recovered(self, name: str) -> None:
        with self._lock:
            self._states[name].failure = None

    # ---------------------------------------------------------------- questions

    def head(self) -> int:
        """The highest log position this process knows was committed."""
        with self._lock:
            return self._head

    def waiting(self) -> bool:
        with self._lock:
            return bool(self._waiters)

    def positions(self) -> dict[str, int]:
        with self._lock:
            return {name: state.position for name, state in self._states.items()}

    def failures(self) -> dict[str, str]:
        with self._lock:
            return {name: state.failure for name, state in self._states.items() if state.failure}

    def reached(self, target: int, names: Iterable[str]) -> bool:
        with self._lock:
            return self._reached(target, frozenset(names))

    def unavailable(self, names: Iterable[str]) -> Unavailable | None:
        """A reason the read models ``names`` cannot answer now, or None."""
        now = time.monotonic()
        with self._lock:
            for name in sorted(names):
                state = self._states[name]
                if state.failure is not None:
                    return Unavailable(
                        name, "projection_failed", f"读模型“{name}”更新失败：{state.failure}", state.position
                    )
                behind = self._head > state.position  # never a client's number: it could be anything
                if self.running and behind and now - state.moved_at > self.stall_seconds:
                    return Unavailable(
                        name,
                        "projection_stalled",
                        f"读模型“{name}”已 {now - state.moved_at:.0f} 秒未更新（停在位置 {state.position}）",
                        state.position,
                    )
        return None

    def require(self, names: Iterable[str]) -> None:
        """Refuses (``ReadModelUnavailable``, a 503) if the read models ``names`` cannot answer now."""
        reason = self.unavailable(names)
        if reason is not None:
            raise unavailable(reason)

    async def wait(self, target: int, names: Iterable[str], timeout: float) -> Unavailable | None:
        """Waits until every read model in ``names`` reached ``target``; the reason if it cannot."""
        wanted = frozenset(names)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if self._reached(target, wanted):
                return None
            self._waiters.append(_Waiter(target, wanted, loop, future))
            self.someone_waits.set()
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            pass
        finally:
            with self._lock:
                self._waiters = [w for w in self._waiters if w.future is not future]
        return self.unavailable(wanted) or self._behind(target, wanted)

    def wait_blocking(self, target: int, names: Iterable[str], timeout: float) -> Unavailable | None:
        """As ``wait``, from a worker thread (a read that settles an instant first)."""
        wanted = frozenset(names)
        deadline = time.monotonic() + timeout
        while not self.reached(target, wanted):
            reason = self.unavailable(wanted)
            if reason is not None:
                return reason
            if time.monotonic() >= deadline:
                return self._behind(target, wanted)
            time.sleep(0.002)
        return None

    # ---------------------------------------------------------------- internals

    def _reached(self, target: int, names: frozenset[str]) -> bool:
        return all(self._states[name].position >= target for name in names)

    def _behind(self, target: int, names: frozenset[str]) -> Unavailable | None:
        with self._lock:
            for name in sorted(names):
                state = self._states[name]
                if state.position < target:
                    return Unavailable(
                        name,
                        "projection_behind",
                        f"读模型“{name}”尚未更新到日志位置 {target}（当前 {state.position}），请稍后重试",
                        state.position,
                    )
        return None


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class ReadModelUnavailable(DomainError):
    """The read models this answer needs cannot answer now (503, with Retry-After)."""

    status = 503
    retry_after = 1


def unavailable(reason: Unavailable) -> ReadModelUnavailable:
    field = "x-log-position" if reason.rule == "projection_behind" else "projection"
    return ReadModelUnavailable(Problem(field, reason.rule, reason.message))
