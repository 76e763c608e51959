"""Refusals the domain gives, each naming the field and the rule it broke."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self


@dataclass(frozen=True)
class Problem:
    """One broken rule: where (``field``), which rule (``rule``), and words for people."""

    field: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "rule": self.rule, "message": self.message}


class DomainError(Exception):
    """A command was refused; nothing was recorded."""

    status = 422

    def __init__(self, problems: list[Problem] | Problem) -> None:
        self.problems = problems if isinstance(problems, list) else [problems]
        super().__init__("; ".join(p.message for p in self.problems))

    @classmethod
    def of(cls, field: str, rule: str, message: str) -> Self:
        return cls(Problem(field, rule, message))


class InvalidCommand(DomainError):
    """The command breaks a rule of the scheme or of the county's state (422)."""


class ConflictError(DomainError):
    """The command conflicts with what is already recorded (409)."""

    status = 409


class NotFound(DomainError):
    """The county, scheme, indicator or override does not exist (404)."""

    status = 404


class Unauthenticated(DomainError):
    """No valid credentials (401)."""

    status = 401


class Forbidden(DomainError):
    """Authenticated, but outside the principal's scope (403)."""

    status = 403
