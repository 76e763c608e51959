"""Refusals the domain gives, each naming the field and the rule it broke."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Self, TypeVar

from domain.decimals import to_decimal


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


class Collector:
    """Gathers problems while reading a raw document, so all are reported at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, field_path: str, rule: str, message: str) -> None:
        self.problems.append(Problem(field_path, rule, message))

    def number(self, raw: Any, path: str, *, required: bool = True) -> Decimal | None:
        if raw is None:
            if required:
                self.add(path, "required", f"{path} 必须填写")
            return None
        try:
            return to_decimal(raw)
        except ValueError:
            self.add(path, "number", f"{path} 必须是数字，收到 {raw!r}")
            return None

    def text(self, raw: Any, path: str, *, required: bool = True) -> str:
        if raw is None or raw == "":
            if required:
                self.add(path, "required", f"{path} 必须填写")
            return ""
        if not isinstance(raw, str):
            self.add(path, "string", f"{path} 必须是文本")
            return ""
        return raw.strip()

    def choice(self, raw: Any, path: str, allowed: tuple[str, ...], default: str) -> str:
        if raw is None:
            return default
        if raw not in allowed:
            self.add(path, "one_of", f"{path} 只能是 {'、'.join(allowed)} 之一，收到 {raw!r}")
            return default
        return str(raw)


T = TypeVar("T")


def read_list(
    check: Collector,
    raw: Any,
    path: str,
    read_item: Callable[[Collector, dict[str, Any], str], T | None],
    *,
    refusal: tuple[str, str],
    optional: bool = False,
    non_empty: bool = False,
    shape: str = "",
) -> list[T]:
    """A list of objects in a document, each read by ``read_item(check, item, item_path)`` at ``path[index]``.

    ``raw`` that is not a list is refused at ``path`` with ``refusal`` (rule, message), and so is
    an empty one when ``non_empty``; an absent one (None) is no items when ``optional``. An item
    that is not an object is refused at its own path ("必须是对象" followed by ``shape``, words
    on what it holds) and skipped, as is one ``read_item`` returns None for: every bad item is
    reported, the good ones are read.
    """
    if raw is None and optional:
        return []
    if not isinstance(raw, list) or (non_empty and not raw):
        check.add(path, *refusal)
        return []
    items: list[T] = []
    for index, item in enumerate(raw):
        item_path = f"{path}[{index}]"
        if not isinstance(item, dict):
            check.add(item_path, "object", f"{item_path} 必须是对象{shape}")
            continue
        read = read_item(check, item, item_path)
        if read is not None:
            items.append(read)
    return items


def require_reason(reason: str, field: str = "reason") -> str:
    """A change to the record says why: a reason that is not blank."""
    if not reason or not reason.strip():
        raise InvalidCommand.of(field, "reason_required", "必须填写理由（reason），不能为空")
    return reason.strip()
