"""The centre's forms: the values typed, and each refusal's message beside its field."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from starlette.datastructures import FormData

from domain.errors import DomainError, InvalidCommand
from domain.inputs import NUL_WORDS


@dataclass
class Form:
    """What the user typed (shown again after a refusal) and the messages by field."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def value(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def error(self, name: str) -> str:
        return "；".join(self.errors.get(name, []))

    @property
    def failed(self) -> bool:
        return bool(self.errors)


def text(form: FormData, name: str) -> str:
    """A text field as typed, surrounding spaces trimmed ('' when absent or a file); one holding
    U+0000 is refused (ADR 17: no store can hold it), with a 422 page naming the field."""
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    if "\x00" in value:
        raise InvalidCommand.of(name, "no_nul", f"{name} {NUL_WORDS}")
    return value.strip()


def field_errors(error: DomainError, fields: Iterable[str], fallback: str) -> dict[str, list[str]]:
    """The refusal's messages by form field: ``roles[0].county`` is the field ``county``; a
    problem about no field of the form is shown beside ``fallback``."""
    known = set(fields)
    found: dict[str, list[str]] = {}
    for problem in error.problems:
        name = problem.field.rsplit(".", 1)[-1].split("[", 1)[0]
        found.setdefault(name if name in known else fallback, []).append(problem.message)
    return found
