"""The centre's forms: the values typed, and each refusal's message beside its field."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from starlette.datastructures import FormData

from domain.errors import DomainError, InvalidCommand, Problem
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


def read(form: FormData, labels: Mapping[str, str]) -> tuple[dict[str, str], list[Problem]]:
    """The text fields named in ``labels`` as typed, surrounding spaces trimmed ('' when absent
    or a file), and a problem for each holding U+0000 (ADR 17: no store can hold it), named by
    its label. The value kept for the form has the character removed, so what was typed stays."""
    values: dict[str, str] = {}
    problems: list[Problem] = []
    for name, label in labels.items():
        value = form.get(name)
        value = value if isinstance(value, str) else ""
        if "\x00" in value:
            problems.append(Problem(name, "no_nul", f"{label}{NUL_WORDS}"))
            value = value.replace("\x00", "")
        values[name] = value.strip()
    return values, problems


def refuse(problems: list[Problem]) -> None:
    """Raises the problems found while reading a form (or by the page's own rules), if any."""
    if problems:
        raise InvalidCommand(problems)


def field_errors(error: DomainError, fields: Iterable[str], fallback: str) -> dict[str, list[str]]:
    """The refusal's messages by form field: ``roles[0].county`` is the field ``county``; a
    problem about no field of the form is shown beside ``fallback``."""
    known = set(fields)
    found: dict[str, list[str]] = {}
    for problem in error.problems:
        name = problem.field.rsplit(".", 1)[-1].split("[", 1)[0]
        found.setdefault(name if name in known else fallback, []).append(problem.message)
    return found
