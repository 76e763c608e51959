"""Form handling shared by the review pages: read a posted form, run a write, show refusals beside fields.

A refused write stores nothing (the domain raises before recording); the page is rendered
again with the message beside the field it names, the values typed kept, and the refusal's
HTTP status (422, 409, 404). A success redirects (303) to the page's address with a notice
key: the page shows only our own words for it, never text taken from the URL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import UploadFile

from domain.decimals import ZERO, NotANumber, read_number, within_reach
from domain.errors import DomainError, InvalidCommand
from pages.form_input import FormValues, form_values
from pages.render import environment

FORM_LEVEL = "form"
PAGE = "page"  # a refusal whose form is not on the page is shown at its top
# Field names the API speaks of, which the page's labels already say in Chinese.
_ASCII_ASIDE = re.compile(r"（[A-Za-z_ .]+）")


@dataclass
class Failed:
    """The form that was refused, the message for each of its fields, what had been typed."""

    form: str
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    status: int = 422

    def __call__(self, form: str, name: str) -> str:
        """The message beside ``name`` of ``form``, or ""."""
        return self.errors.get(name, "") if form == self.form else ""

    def value(self, form: str, name: str, default: str = "") -> str:
        return self.values.get(name, default) if form == self.form else default

    def placed(self, shown: Callable[[str], bool]) -> Failed:
        """This refusal, or, when the page does not show its form (a reopen of an open period, a
        proposal for a branch the county may not adjust), the same words above the page (``PAGE``)."""
        if not self.form or shown(self.form):
            return self
        words = "；".join(dict.fromkeys(self.errors.values()))
        return Failed(PAGE, {FORM_LEVEL: words}, {}, self.status)


NOTHING_FAILED = Failed("")


async def posted(request: Request, digits: tuple[str, ...] = ()) -> FormValues:
    """The text fields of the posted form by the API's input rules (``pages.form_input``; files are
    read by the handler that takes them). The handler calls ``values.check()`` in its ``try``."""
    return form_values(await request.form(), digits=digits)


async def uploads(request: Request, name: str) -> list[UploadFile]:
    """The files chosen in ``name``; an empty file input (no file chosen) gives none."""
    form = await request.form()
    return [item for item in form.getlist(name) if isinstance(item, UploadFile) and item.filename]


def refused(
    form: str, fields: tuple[str, ...], error: DomainError, values: dict[str, str], *, strip: str = ""
) -> Failed:
    """Each problem beside the field it names (the first field its path starts with), else above the form;
    ``strip``: a prefix of the command's paths that the form's names leave out (``change.``)."""
    shown = values.shown() if isinstance(values, FormValues) else values
    failed = Failed(form, values=shown, status=error.status)
    for problem in error.problems:
        path = problem.field.removeprefix(strip) if strip else problem.field
        target = next((name for name in fields if _about(path, name)), FORM_LEVEL)
        message = _ASCII_ASIDE.sub("", problem.message)
        failed.errors[target] = f"{failed.errors[target]}；{message}" if target in failed.errors else message
    return failed


def _about(path: str, name: str) -> bool:
    return path == name or path.startswith((name + ".", name + ":"))


def number(values: dict[str, str], name: str, label: str) -> Decimal:
    """A number typed in a field, read by the API's rule (``read_number``: ASCII digits after NFKC),
    or a refusal naming the field (nothing is sent to the ledger)."""
    text = values.get(name, "")
    if not text:
        raise InvalidCommand.of(name, "required", f"请填写{label}")
    try:
        found = read_number(text)
    except NotANumber as error:
        raise InvalidCommand.of(name, error.rule, f"{label}：{error.words}") from None
    if not within_reach(found):
        raise InvalidCommand.of(name, "number_size", f"{label}过大或过小，无法计算（指数须在 ±999 以内）")
    return ZERO if found.is_zero() else found


def year_field(values: dict[str, str], default: int | None = None) -> int | None:
    """The form's ``year`` (already normalised; ``isdigit()`` alone would take ٢٠٢٣ for a year)."""
    text = values.get("year", "")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 4 else default


def done(path: str, notice: str, **query: str | int | None) -> RedirectResponse:
    """Back to ``path`` (with its filters) after a stored change, saying which one."""
    kept = {key: value for key, value in query.items() if value not in (None, "")}
    return RedirectResponse(f"{path}?{urlencode(kept | {'done': notice})}", status_code=303)


def fragment(request: Request, template: str, context: dict[str, Any], *, status: int = 200) -> HTMLResponse:
    """A part of a page (no layout) for htmx to swap in, rendered for the signed-in viewer."""
    body = environment.get_template(template).render(request=request, viewer=request.state.viewer, **context)
    response = HTMLResponse(body, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response
