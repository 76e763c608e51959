"""The password policy: one rule for every way a password is set (API, command line).

The domain never sees a password, only its hash: these checks run before hashing.
"""

from __future__ import annotations

from domain.errors import Problem

MIN_LENGTH = 10
MAX_LENGTH = 256  # bounds the work of hashing what a client sends


def password_problems(password: str, field: str = "password") -> list[Problem]:
    """What is wrong with ``password`` as a new password (empty when it may be used)."""
    if len(password) < MIN_LENGTH:
        return [Problem(field, "min_length", f"{field}：密码至少 {MIN_LENGTH} 个字符")]
    if len(password) > MAX_LENGTH:
        return [Problem(field, "max_length", f"{field}：密码最多 {MAX_LENGTH} 个字符")]
    return []
