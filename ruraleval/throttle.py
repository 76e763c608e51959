"""Sign-in throttling, shared by every process through the store (ADR 15).

Failed password checks are counted under three keys, in one table of the store that
``RURALEVAL_DATABASE_URL`` chooses (beside the read models and the attached files), so
that every API process sees every failure:

- the **account** (whatever the address): stops one account being guessed from many
  addresses; generous, so that strangers need many failures to delay its owner;
- the **account at one address**: the tight limit for someone guessing one account;
- the **address**, counting only failures on *unknown* accounts (spraying names). It
  only ever holds an attempt (at most ``HOLD_AT_MOST`` seconds), never refuses one: a
  shared address (a proxy, an office's NAT) must not lock out the right password of
  anyone behind it.

A failure on an unknown account also counts under its (made-up) account keys, so that
throttling answers the same whether an account exists or not. A success clears the
account-at-address key; the account key ages out, so a distributed guesser cannot
reset it by waiting for its owner to sign in.

Each key allows ``free`` failures within ``WINDOW`` seconds of the last one; after
that, the next attempt must wait 1, 2, 4 … up to ``max_delay`` seconds after the last
failure. A wait up to ``HOLD_AT_MOST`` seconds is served by holding the request; a
longer one is refused (429 with Retry-After) without checking the password.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from projections.store import ReadStore

log = structlog.get_logger("ruraleval.throttle")
WINDOW = 900.0  # seconds after the last failure during which failures still count
HOLD_AT_MOST = 5.0  # seconds an attempt may be held before it is refused instead
PRUNE_EVERY = 256  # failures recorded by a process between clean-ups of old rows

ACCOUNT, PAIR, ADDRESS = "account", "account_address", "address"


@dataclass(frozen=True)
class Limit:
    free: int  # failures within the window that cost nothing
    max_delay: float  # the longest wait, in seconds

    def wait(self, failures: int, last: float, now: float) -> float:
        """Seconds the next attempt must still wait."""
        if failures < self.free or now - last > WINDOW:
            return 0.0
        delay = min(self.max_delay, 2.0 ** min(failures - self.free, 32))
        return max(0.0, last + delay - now)


@dataclass(frozen=True)
class Limits:
    account: Limit = Limit(free=10, max_delay=30.0)
    pair: Limit = Limit(free=3, max_delay=30.0)
    address: Limit = Limit(free=10, max_delay=HOLD_AT_MOST)

    @classmethod
    def never(cls) -> Limits:
        """No throttling at all (tests that sign in wrongly on purpose, many times)."""
        off = Limit(free=2**62, max_delay=0.0)
        return cls(off, off, off)


@dataclass(frozen=True)
class Verdict:
    """What to do with an attempt before its password is checked."""

    hold: float = 0.0  # seconds to wait, then check the password
    refuse_for: float = 0.0  # > 0: refuse now (429); the client may retry after this many seconds

    @property
    def refused(self) -> bool:
        return self.refuse_for > 0


def _keys(account: str, address: str) -> dict[str, tuple[str, str, str]]:
    return {ACCOUNT: (ACCOUNT, account, ""), PAIR: (PAIR, account, address), ADDRESS: (ADDRESS, "", address)}


class LoginThrottle:
    """Failed sign-ins per account, per account and address, and per address (unknown accounts)."""

    def __init__(
        self, store: ReadStore, limits: Limits | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.limits = limits or Limits()
        # Wall-clock time: the rows are shared by processes, whose monotonic clocks differ.
        self.clock = clock
        self._recorded = itertools.count(1)
        store.create(
            [
                "CREATE TABLE IF NOT EXISTS login_failures (kind TEXT NOT NULL, account TEXT NOT NULL,"
                " address TEXT NOT NULL, failures INTEGER NOT NULL, last_failed DOUBLE PRECISION NOT NULL,"
                " PRIMARY KEY (kind, account, address))"
            ]
        )

    def check(self, account: str, address: str) -> Verdict:
        """Whether an attempt on ``account`` from ``address`` may go ahead, after how long."""
        keys = _keys(account, address)
        rows = self.store.query(
            "SELECT kind, failures, last_failed FROM login_failures"
            " WHERE (kind, account, address) IN ((%s, %s, %s), (%s, %s, %s), (%s, %s, %s))",
            [part for key in keys.values() for part in key],
        )
        now = self.clock()
        limits = {ACCOUNT: self.limits.account, PAIR: self.limits.pair, ADDRESS: self.limits.address}
        waits = {row["kind"]: limits[row["kind"]].wait(row["failures"], row["last_failed"], now) for row in rows}
        strict = max(waits.get(ACCOUNT, 0.0), waits.get(PAIR, 0.0))
        if strict > HOLD_AT_MOST:
            verdict = Verdict(refuse_for=strict)
        else:  # the address only ever holds, never refuses
            verdict = Verdict(hold=max(strict, min(waits.get(ADDRESS, 0.0), HOLD_AT_MOST)))
        if verdict.refused or verdict.hold:
            log.warning(
                "login_throttled",
                username=account,
                client=address,
                action="refused" if verdict.refused else "held",
                seconds=round(verdict.refuse_for or verdict.hold, 1),
                by=sorted(kind for kind, wait in waits.items() if wait > 0),
            )
        return verdict

    def failed(self, account: str, address: str, *, known: bool) -> int:
        """Counts a wrong password (``known``: the account exists); the account's failures so far."""
        now = self.clock()
        keys = _keys(account, address)
        counted = [keys[ACCOUNT], keys[PAIR]] + ([] if known else [keys[ADDRESS]])
        with self.store.transaction() as sql:
            counts = [
                sql.execute(
                    "INSERT INTO login_failures (kind, account, address, failures, last_failed)"
                    " VALUES (%s, %s, %s, 1, %s) ON CONFLICT (kind, account, address) DO UPDATE SET"
                    " failures = CASE WHEN login_failures.last_failed < %s THEN 1"
                    " ELSE login_failures.failures + 1 END, last_failed = excluded.last_failed"
                    " RETURNING failures",
                    [*key, now, now - WINDOW],
                )[0]["failures"]
                for key in counted
            ]
            if next(self._recorded) % PRUNE_EVERY == 0:  # a spray of names leaves many rows behind
                sql.execute("DELETE FROM login_failures WHERE last_failed < %s", [now - WINDOW])
        throttled = counts[0] >= self.limits.account.free or counts[1] >= self.limits.pair.free
        (log.warning if throttled else log.info)(
            "login_failed", username=account, client=address, known=known, failures=counts[0], at_address=counts[1]
        )
        return int(counts[0])

    def succeeded(self, account: str, address: str) -> None:
        """The right password: this address's failures on the account are forgiven."""
        with self.store.transaction() as sql:
            sql.execute(
                "DELETE FROM login_failures WHERE kind = %s AND account = %s AND address = %s",
                list(_keys(account, address)[PAIR]),
            )
