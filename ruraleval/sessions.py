"""Browser sessions of the pages (ADR 23): a signed cookie naming a row of the store.

- The cookie holds a random session id (256 bits) and an HMAC-SHA256 of it under
  ``RURALEVAL_SECRET_KEY``: a forged or altered cookie is refused before any lookup, and
  rotating the key signs everyone out (as it does for bearer tokens).
- The store keeps only the SHA-256 of the id (a stolen copy of the table opens no
  session), the user, when it began, when it was last used and its CSRF token, in a
  ``page_sessions`` table beside ``login_failures`` (every process sees every sign-out).
- A session ends on sign-out (its row is deleted), after ``IDLE`` seconds without a
  request, ``ABSOLUTE`` seconds after sign-in whatever the activity, and when the user's
  password changes (the organisation's rule for tokens, ``signed_in_principal``).
- ``last_seen`` is written at most once per ``TOUCH_EVERY`` seconds: reading pages does
  not turn into one write per request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from projections.store import ReadStore

IDLE = 30 * 60  # seconds without a request before a session ends
ABSOLUTE = 8 * 60 * 60  # seconds after sign-in before a session ends, however active (a working day)
TOUCH_EVERY = 60.0


@dataclass(frozen=True)
class Session:
    key: str  # SHA-256 of the session id
    username: str
    created: float  # epoch seconds
    last_seen: float
    csrf: str

    def csrf_matches(self, offered: str | None) -> bool:
        return bool(offered) and hmac.compare_digest(self.csrf.encode(), (offered or "").encode())


def _mac(secret: str, purpose: str, value: str) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore:
    def __init__(self, store: ReadStore, secret: str, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.secret = secret
        self.clock = clock  # wall-clock time: the rows are shared by processes
        store.create(
            [
                "CREATE TABLE IF NOT EXISTS page_sessions (session_key TEXT PRIMARY KEY, username TEXT NOT NULL,"
                " created DOUBLE PRECISION NOT NULL, last_seen DOUBLE PRECISION NOT NULL, csrf TEXT NOT NULL)"
            ]
        )

    def begin(self, username: str) -> tuple[str, Session]:
        """A new session for ``username``: (the cookie's value, the session)."""
        session_id = secrets.token_urlsafe(32)
        now = self.clock()
        session = Session(_key(session_id), username, now, now, secrets.token_urlsafe(32))
        with self.store.transaction() as sql:
            sql.execute(
                "INSERT INTO page_sessions (session_key, username, created, last_seen, csrf)"
                " VALUES (%s, %s, %s, %s, %s)",
                [session.key, username, now, now, session.csrf],
            )
            # Sessions that ended by themselves leave rows behind: cleared at each sign-in.
            sql.execute("DELETE FROM page_sessions WHERE last_seen < %s OR created < %s", [now - IDLE, now - ABSOLUTE])
        return f"{session_id}.{_mac(self.secret, 'session', session_id)}", session

    def _verified_key(self, cookie: str | None) -> str | None:
        session_id, _, mac = (cookie or "").partition(".")
        if not session_id or not hmac.compare_digest(mac.encode(), _mac(self.secret, "session", session_id).encode()):
            return None
        return _key(session_id)

    def find(self, cookie: str | None) -> Session | None:
        """The live session the cookie names, its use recorded; None if forged, ended or expired."""
        key = self._verified_key(cookie)
        if key is None:
            return None
        rows = self.store.query(
            "SELECT session_key, username, created, last_seen, csrf FROM page_sessions WHERE session_key = %s", [key]
        )
        if not rows:
            return None
        row = rows[0]
        session = Session(
            row["session_key"], row["username"], float(row["created"]), float(row["last_seen"]), row["csrf"]
        )
        now = self.clock()
        if now - session.last_seen > IDLE or now - session.created > ABSOLUTE:
            self._delete(key)
            return None
        if now - session.last_seen > TOUCH_EVERY:
            with self.store.transaction() as sql:
                sql.execute("UPDATE page_sessions SET last_seen = %s WHERE session_key = %s", [now, key])
        return session

    def end(self, cookie: str | None) -> None:
        """Signs out: the session's row goes, so the cookie opens nothing anywhere."""
        key = self._verified_key(cookie)
        if key is not None:
            self._delete(key)

    def _delete(self, key: str) -> None:
        with self.store.transaction() as sql:
            sql.execute("DELETE FROM page_sessions WHERE session_key = %s", [key])

    # The sign-in form has no session yet: its CSRF token is a nonce in a cookie and the
    # nonce's MAC in the form (a signed double submit), so another site cannot sign a
    # browser in to an account of its choosing.
    def signin_nonce(self) -> tuple[str, str]:
        """(the nonce for the cookie, the token for the form)."""
        nonce = secrets.token_urlsafe(24)
        return nonce, _mac(self.secret, "signin", nonce)

    def signin_token_matches(self, nonce: str | None, token: str | None) -> bool:
        if not nonce or not token:
            return False
        return hmac.compare_digest(token.encode(), _mac(self.secret, "signin", nonce).encode())
