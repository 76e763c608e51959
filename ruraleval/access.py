"""The organisation as this process sees it: the stored state, read cheaply.

A refresh asks the store only for organisation events after the version it holds. A
change made through this process (a revoked grant or API key, a new user) is seen by
the next request; a change made elsewhere within a second, and at once by sign-in.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain.access import Principal, principal_for_key, principal_for_user
from domain.organisation import ORGANISATION_ID, Organisation
from ruraleval.ledger import Ledger
from ruraleval.security import api_secret_matches, split_api_key

MAX_REMEMBERED = 10_000  # principals kept per organisation state (bounds memory against junk keys)


class OrganisationView:
    """Changes made through this process are seen at once; changes made by other
    processes (another API worker, the CLI) within ``max_age`` seconds, or at once by
    calls that ask for ``fresh`` state (sign-in does).
    """

    def __init__(self, ledger: Ledger, max_age: float = 1.0) -> None:
        self.ledger = ledger
        self.max_age = max_age
        self._organisation: Organisation | None = None
        self._checked_at = -math.inf
        self._seen_writes = -1
        self._password_changed: dict[str, float] = {}  # username → when (epoch seconds)
        self._lock = threading.Lock()
        # Principals of the organisation held now (a new organisation object starts them afresh,
        # so a revoked grant or key is never answered from here).
        self._principals: dict[tuple[str, str], Principal | None] = {}
        self._principals_of: tuple[int, int] = (0, -1)  # (id, version) of the organisation they belong to

    def current(self, *, fresh: bool = False) -> Organisation:
        """The stored organisation, fast-forwarded by the events recorded since it was read.

        The object is shared: callers read it and never change it.
        """
        with self._lock:
            now = time.monotonic()
            writes = self.ledger.organisation_writes
            if not fresh and writes == self._seen_writes and now - self._checked_at < self.max_age:
                return self._organisation if self._organisation is not None else self._empty()
            self._checked_at, self._seen_writes = now, writes
            organisation: Any = self._organisation
            version = organisation.version if organisation is not None else 0
            event: Any
            for event in self.ledger.app.events.get(ORGANISATION_ID, gt=version):
                organisation = event.mutate(organisation)
                if isinstance(event, Organisation.PasswordChanged):
                    self._password_changed[event.username] = event.timestamp.timestamp()
            self._organisation = organisation
            return organisation if organisation is not None else self._empty()

    def cached(self) -> Organisation | None:
        """The organisation held, if no refresh is due (no query: safe on the event loop); else None."""
        with self._lock:
            if (
                self._organisation is not None
                and self.ledger.organisation_writes == self._seen_writes
                and time.monotonic() - self._checked_at < self.max_age
            ):
                return self._organisation
        return None

    def as_of(self, instant: datetime) -> Organisation:
        """The organisation as recorded at ``instant`` (who could do what then), for good (ADR 16)."""
        self.ledger.settle(instant)
        organisation: Any = None
        event: Any
        for event in self.ledger.app.events.get(ORGANISATION_ID):
            if event.timestamp > instant:
                break
            organisation = event.mutate(organisation)
        return organisation if organisation is not None else self._empty()

    def events(self) -> list[Any]:
        return list(self.ledger.app.events.get(ORGANISATION_ID))

    @staticmethod
    def _empty() -> Organisation:
        organisation = Organisation.__new__(Organisation)
        organisation.users, organisation.teams, organisation.api_keys = {}, {}, {}
        return organisation

    def user_principal(self, username: str, organisation: Organisation | None = None) -> Principal | None:
        """The principal of an active user of ``organisation`` (default: the current one)."""
        organisation = organisation if organisation is not None else self.current()
        return self._remembered(organisation, ("user", username), lambda: _user_principal(organisation, username))

    def signed_in_before_password_change(self, username: str, issued_at: float) -> bool:
        """Whether a token issued at ``issued_at`` predates the user's last password change,
        as of the organisation last read (call after ``current`` or ``cached``).

        Such a token is no longer honoured: a change of password ends every earlier sign-in.
        """
        changed = self._password_changed.get(username)
        return changed is not None and issued_at < changed

    def key_principal(self, token: str, organisation: Organisation | None = None) -> Principal | None:
        organisation = organisation if organisation is not None else self.current()
        return self._remembered(organisation, ("key", token), lambda: _key_principal(organisation, token))

    def _remembered(
        self, organisation: Organisation, key: tuple[str, str], make: Callable[[], Principal | None]
    ) -> Principal | None:
        # The organisation is fast-forwarded in place: its version, not only its identity, says which state it is.
        state = (id(organisation), getattr(organisation, "version", 0))
        with self._lock:
            if self._principals_of != state:
                self._principals_of, self._principals = state, {}
            if key in self._principals:
                return self._principals[key]
        principal = make()
        with self._lock:
            if self._principals_of == state and len(self._principals) < MAX_REMEMBERED:
                self._principals[key] = principal
        return principal

    def has_demo_users(self) -> bool:
        return any(user.demo and user.active for user in self.current().users.values())


def _user_principal(organisation: Organisation, username: str) -> Principal | None:
    user = organisation.users.get(username)
    if user is None or not user.active:
        return None
    return principal_for_user(organisation, user)


def _key_principal(organisation: Organisation, token: str) -> Principal | None:
    parts = split_api_key(token)
    if parts is None:
        return None
    key = organisation.api_keys.get(parts[0])
    if key is None or key.revoked or not api_secret_matches(key.secret_hash, parts[1]):
        return None
    return principal_for_key(key)
