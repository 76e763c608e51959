"""Secrets: password hashing (Argon2), signed access tokens (JWT), API keys (throttling: ``throttle``)."""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import secrets
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
MAX_REMEMBERED_TOKENS = 10_000
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    dummy_hash()  # the first check of any password pays for it, known user or not: no tell
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A real Argon2 hash of a random string, so that unknown users cost as much as known ones.
# Made at the first password check rather than at import: every process importing this module
# (a rebuild's partitions, the projection process, each CLI command) paid ~0.15 s and 64 MiB.
_dummy_hash: str | None = None


def dummy_hash() -> str:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_hex(16))
    return _dummy_hash


def verify_unknown_user(password: str) -> bool:
    verify_password(dummy_hash(), password)
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
class Claims:
    username: str
    issued_at: float  # seconds since the epoch, to the millisecond (rounded down)
    expires_at: float = math.inf  # seconds since the epoch


@dataclass(frozen=True)
class TokenIssuer:
    key: str
    minutes: int = 30
    _read: dict[str, Claims] = field(default_factory=dict, compare=False, repr=False)

    def issue(self, username: str, now: datetime | None = None) -> tuple[str, int]:
        issued = now or datetime.now(UTC)
        claims = {
            "sub": username,
            # Milliseconds (RFC 7519 allows a fraction): a token signed in the second of a
            # password change must still be told apart from one signed before it.
            "iat": math.floor(issued.timestamp() * 1000) / 1000,
            "exp": int((issued + timedelta(minutes=self.minutes)).timestamp()),
            "jti": secrets.token_hex(8),
        }
        return jwt.encode(claims, self.key, algorithm=TOKEN_ALGORITHM), self.minutes * 60

    def read(self, token: str) -> Claims:
        """The token's claims; a token read before is not decoded again while it lasts."""
        known = self._read.get(token)
        if known is not None:
            if time.time() < known.expires_at:
                return known
            self._read.pop(token, None)
        claims = self._decode(token)
        if len(self._read) >= MAX_REMEMBERED_TOKENS:
            self._read.clear()  # junk tokens are refused before they get here; this only bounds memory
        self._read[token] = claims
        return claims

    def _decode(self, token: str) -> Claims:
        try:
            claims = jwt.decode(
                token, self.key, algorithms=[TOKEN_ALGORITHM], options={"require": ["sub", "exp", "iat"]}
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(type(error).__name__) from error
        subject, issued_at = claims.get("sub"), claims.get("iat")
        if not isinstance(subject, str):
            raise InvalidToken("sub")
        if not isinstance(issued_at, int | float) or isinstance(issued_at, bool):
            raise InvalidToken("iat")
        return Claims(subject, float(issued_at), float(claims["exp"]))


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
