"""Jinja2 templates: one base layout, page templates, Chinese formatting filters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup

from domain.errors import InvalidCommand
from pages.assets import PREFIX, vendor_url
from pages.downloads import FORMAT, TABLE, check_table, download_url, xlsx
from pages.formats import FILTERS
from pages.navigation import navigation
from pages.page_tables import download_link, page_tables

TEMPLATES = Path(__file__).parent / "templates"

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,  # a missing key is a bug, not an empty cell
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters.update(FILTERS)


@pass_context
def table_download(context: Context, name: str, title: str) -> Markup:
    """The 下载 Excel link of the page's table marked ``data-table="<name>"``, filters kept."""
    return download_link(download_url(context["request"], name), title)


environment.globals.update(vendor=vendor_url, static=lambda path: f"{PREFIX}/{path}", table_download=table_download)


def page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """A whole page, its layout given who is signed in (``request.state.viewer``, if anyone);
    asked for ``format=xlsx``, the workbook of the table it names (``pages.page_tables``)."""
    viewer = getattr(request.state, "viewer", None)
    links = navigation(viewer) if viewer is not None else []
    body = environment.get_template(template).render(
        request=request, viewer=viewer, navigation=links, path=request.url.path, **context
    )
    if request.query_params.get(FORMAT) not in (None, "", "html") and status == 200:
        return _workbook(request, body)
    response = HTMLResponse(body, status_code=status, headers=headers)
    response.headers["Cache-Control"] = "no-store"  # pages show data of the signed-in user
    return response


def _workbook(request: Request, body: str) -> Response:
    tables = page_tables(body)
    if not tables:
        raise InvalidCommand.of(FORMAT, "known_format", "本页没有可下载的表格")
    check_table(request, {name: tables[name].title for name in sorted(tables)})
    name = request.query_params.get(TABLE) or next(iter(tables))
    return xlsx(tables[name], key=name)
