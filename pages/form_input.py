"""A posted form's text fields, read by the API's input rules (ADR 17): one way for every page form.

The API reads its bodies with these rules (api/models.py, domain/inputs.py):
- no text holds U+0000 (``Body``): PostgreSQL cannot keep it, and one stored stopped the read models;
- a field that stands for a number or a year is NFKC-normalised and trimmed, then holds only the
  ASCII digits 0–9 (``Number``, ``Year``: rule ``ascii_digits``), so ٣ is never read as 3;
- a period is NFKC-normalised and trimmed (``Period``): ２０２３-11 is 2023-11; ``parse_period``
  then judges it, foreign digits included.

How to use it in a handler (the refusal beside its field, nothing stored)::

    values = form_values(await request.form(), digits=("score",))   # "year", "period" are known
    try:
        values.check()                  # InvalidCommand: each field with NUL or a foreign digit
        ...build the command from values, write it...
    except DomainError as error:
        ...render the form again with error.problems beside their fields, echoing values.shown()...

Numbers are then read with ``domain.decimals.read_number`` (the API's ``Number`` rule).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from domain.errors import InvalidCommand, Problem
from domain.inputs import NUL_WORDS, ascii_digits_words, normalise

# Field names every page form uses for a year or a period; a form names its number fields itself.
# A name ending in ":" or "." stands for every field that starts with it (``weight:1.1``).
YEAR_FIELDS = ("year",)
PERIOD_FIELDS = ("period",)
SKIPPED = ("csrf_token",)  # checked by the session, never part of a command


class FormValues(dict[str, str]):
    """The text fields of a form (trimmed; numbers, years and periods normalised) and what the
    API's input rules refuse in them, each problem named by its field."""

    def __init__(self, values: dict[str, str], problems: list[Problem]) -> None:
        super().__init__(values)
        self.problems = problems

    def check(self) -> None:
        """Refuses the form (422, every bad field named) when any field breaks the rules."""
        if self.problems:
            raise InvalidCommand(self.problems)

    def shown(self) -> dict[str, str]:
        """The values to put back in the form after a refusal: no NUL is ever echoed into a page."""
        return {key: value.replace("\x00", "") for key, value in self.items()}


def _matches(name: str, names: Iterable[str]) -> bool:
    return any(name == known or (known.endswith((":", ".")) and name.startswith(known)) for known in names)


def form_values(
    form: Mapping[str, object], *, digits: Iterable[str] = (), periods: Iterable[str] = (),
    labels: Mapping[str, str] | None = None,
) -> FormValues:  # fmt: skip
    """Reads the text fields of ``form`` (files are left to the handler) by the API's rules.

    ``digits``: the names of the fields holding a number (besides ``year``); ``periods``: of the
    fields holding a period (besides ``period``); ``labels``: a field's Chinese label for the message.
    """
    digit_names = (*YEAR_FIELDS, *digits)
    period_names = (*PERIOD_FIELDS, *periods)
    values: dict[str, str] = {}
    problems: list[Problem] = []
    for name, raw in form.items():
        if not isinstance(raw, str) or name in SKIPPED:
            continue
        label = (labels or {}).get(name, "")
        if "\x00" in raw or "\x00" in name:
            problems.append(Problem(name, "no_nul", f"{label}{NUL_WORDS}"))
            values[name] = raw.strip()
            continue
        numeric = _matches(name, digit_names)
        text = normalise(raw) if numeric or _matches(name, period_names) else raw.strip()
        foreign = ascii_digits_words(text, label or "数值") if numeric else None
        if foreign is not None:
            problems.append(Problem(name, "ascii_digits", foreign))
        values[name] = text
    return FormValues(values, problems)
