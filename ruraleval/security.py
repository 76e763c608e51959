"""Secrets: password hashing (Argon2), signed access tokens (JWT), API keys, login throttling."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import jwt
import structlog
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ruraleval.settings import ConfigurationError, production

log = structlog.get_logger("ruraleval.security")
API_KEY_PREFIX = "rek_"
TOKEN_ALGORITHM = "HS256"
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A real Argon2 hash of a random string: unknown users cost as much as known ones.
_DUMMY_HASH = hash_password(secrets.token_hex(16))


def verify_unknown_user(password: str) -> bool:
    verify_password(_DUMMY_HASH, password)
    return False


def secret_key() -> str:
    """The token signing key from RURALEVAL_SECRET_KEY; a random one outside production."""
    key = os.environ.get("RURALEVAL_SECRET_KEY", "")
    if key:
        if len(key) < 32:
            raise ConfigurationError("RURALEVAL_SECRET_KEY must be at least 32 characters")
        return key
    if production():
        raise ConfigurationError("RURALEVAL_ENV=production requires RURALEVAL_SECRET_KEY")
    log.warning(
        "secret_key_generated", detail="RURALEVAL_SECRET_KEY is not set: tokens last only as long as this process"
    )
    return secrets.token_urlsafe(48)


def token_minutes() -> int:
    return int(os.environ.get("RURALEVAL_TOKEN_MINUTES", "30"))


class InvalidToken(Exception):
    """Missing, malformed, tampered with or expired."""


@dataclass(frozen=True)
class TokenIssuer:
    key: str
    minutes: int = 30

    def issue(self, username: str, now: datetime | None = None) -> tuple[str, int]:
        issued = now or datetime.now(UTC)
        claims = {
            "sub": username,
            "iat": int(issued.timestamp()),
            "exp": int((issued + timedelta(minutes=self.minutes)).timestamp()),
            "jti": secrets.token_hex(8),
        }
        return jwt.encode(claims, self.key, algorithm=TOKEN_ALGORITHM), self.minutes * 60

    def read(self, token: str) -> str:
        try:
            claims = jwt.decode(token, self.key, algorithms=[TOKEN_ALGORITHM], options={"require": ["sub", "exp"]})
        except jwt.PyJWTError as error:
            raise InvalidToken(type(error).__name__) from error
        subject = claims.get("sub")
        if not isinstance(subject, str):
            raise InvalidToken("sub")
        return subject


@dataclass(frozen=True)
class NewApiKey:
    key_id: str
    secret: str

    @property
    def token(self) -> str:
        """What the county's system sends; shown once, never stored."""
        return f"{API_KEY_PREFIX}{self.key_id}_{self.secret}"


def new_api_key() -> NewApiKey:
    return NewApiKey(secrets.token_hex(6), secrets.token_urlsafe(32))


def hash_api_secret(secret: str) -> str:
    # API secrets are 256 random bits: a fast hash is enough, unlike a password.
    return hashlib.sha256(secret.encode()).hexdigest()


def split_api_key(token: str) -> tuple[str, str] | None:
    if not token.startswith(API_KEY_PREFIX):
        return None
    key_id, _, secret = token[len(API_KEY_PREFIX) :].partition("_")
    return (key_id, secret) if key_id and secret else None


def api_secret_matches(secret_hash: str, secret: str) -> bool:
    return hmac.compare_digest(secret_hash, hash_api_secret(secret))


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0


@dataclass
class LoginThrottle:
    """Slows repeated failed logins per user name and per client, and reports them."""

    free_attempts: int = 3
    window_seconds: float = 900.0
    max_delay: float = 30.0
    _failures: dict[str, _Failures] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_seconds(self, *keys: str) -> float:
        """How long the next attempt must wait (0 when it may go ahead)."""
        now = time.monotonic()
        with self._lock:
            waits = [self._wait(self._failures.get(key), now) for key in keys]
        return max(waits, default=0.0)

    def _wait(self, failures: _Failures | None, now: float) -> float:
        if failures is None or now - failures.last > self.window_seconds:
            return 0.0
        excess = failures.count - self.free_attempts
        if excess < 0:
            return 0.0
        delay = min(self.max_delay, 2.0**excess)
        return max(0.0, failures.last + delay - now)

    def failed(self, username: str, client: str) -> int:
        now = time.monotonic()
        with self._lock:
            self._forget_old(now)
            for key in (f"user:{username}", f"client:{client}"):
                failures = self._failures.setdefault(key, _Failures())
                if now - failures.last > self.window_seconds:
                    failures.count = 0
                failures.count += 1
                failures.last = now
            count = self._failures[f"user:{username}"].count
        level = log.warning if count > self.free_attempts else log.info
        level("login_failed", username=username, client=client, failures=count)
        return count

    def _forget_old(self, now: float) -> None:
        """Keeps the table small under a spray of user names: old failures no longer count."""
        if len(self._failures) > 10_000:
            for key in [k for k, f in self._failures.items() if now - f.last > self.window_seconds]:
                del self._failures[key]

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(f"user:{username}", None)
