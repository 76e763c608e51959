"""Jinja2 templates: one base layout, page templates, Chinese formatting filters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from pages.assets import PREFIX, vendor_url
from pages.formats import FILTERS
from pages.navigation import navigation

TEMPLATES = Path(__file__).parent / "templates"

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,  # a missing key is a bug, not an empty cell
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters.update(FILTERS)
environment.globals.update(vendor=vendor_url, static=lambda path: f"{PREFIX}/{path}")


def page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """A whole page, its layout given who is signed in (``request.state.viewer``, if anyone)."""
    viewer = getattr(request.state, "viewer", None)
    links = navigation(viewer) if viewer is not None else []
    body = environment.get_template(template).render(
        request=request, viewer=viewer, navigation=links, path=request.url.path, **context
    )
    response = HTMLResponse(body, status_code=status, headers=headers)
    response.headers["Cache-Control"] = "no-store"  # pages show data of the signed-in user
    return response
