"""Every table of a page, downloadable as an Excel workbook (下载 Excel).

A page builds each of its tables once as a ``Table`` (title, Chinese column headers, rows
of plain values: text, numbers, dates) and renders it as HTML; asked for the same URL with
``format=xlsx`` (and ``table=<name>`` when it has several), it answers ``xlsx(table)``
instead. The workbook is written by ``ruraleval.workbooks.table_workbook``: numbers stay
numbers, text stays text (a cell starting with ``=``, ``+``, ``-`` or ``@`` is never a
formula). The file is named after the table, in Chinese (RFC 5987 ``filename*``).

    table = Table("2023年度得分排名", ["排名", "县", "总分（分）"], [[1, "靖远县", Decimal("92.88")]])
    if wants_xlsx(request, "ranking"):
        return xlsx(table)
    ... {"table": table, "download": download_url(request, "ranking")}
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response

from domain.errors import InvalidCommand
from ruraleval.workbooks import XLSX_MEDIA_TYPE, table_workbook

FORMAT = "format"
TABLE = "table"
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


@dataclass(frozen=True)
class Table:
    """One table of a page: its caption, its column headers and its rows, as plain values."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]


def wants_xlsx(request: Request, name: str | None = None) -> bool:
    """Whether this request asks for the workbook of table ``name`` rather than the page.

    Any other ``format`` than ``xlsx`` (or none, or ``html``) is the page; ``xlsx`` with an
    unknown ``table`` is refused by ``check_table``, not answered with the wrong table."""
    if request.query_params.get(FORMAT) != "xlsx":
        return False
    return name is None or request.query_params.get(TABLE, "") == name


def check_table(request: Request, titles: Mapping[str, str]) -> None:
    """422 naming the field, when ``format`` or ``table`` asks for something the page has not.

    ``titles``: each table's name in the URL → its caption, which the message names (people
    know a table by its caption, not by ``scores``)."""
    asked = request.query_params.get(FORMAT)
    if asked not in (None, "", "html", "xlsx"):
        raise InvalidCommand.of(FORMAT, "known_format", "下载格式只能是 xlsx（Excel 工作簿）")
    table = request.query_params.get(TABLE)
    if asked == "xlsx" and len(titles) > 1 and table not in titles:
        named = "、".join(f"“{title}”" for title in titles.values())
        raise InvalidCommand.of(TABLE, "known_table", f"没有要下载的这张表格；本页可下载的表格为：{named}")


def download_url(request: Request, name: str | None = None) -> str:
    """This page's URL, its filters kept, asking for table ``name`` as a workbook."""
    params = [(key, value) for key, value in request.query_params.multi_items() if key not in (FORMAT, TABLE)]
    params.append((FORMAT, "xlsx"))
    if name is not None:
        params.append((TABLE, name))
    query = "&".join(f"{quote(key)}={quote(value)}" for key, value in params)
    return f"{request.url.path}?{query}"


def xlsx(table: Table, filename: str | None = None, *, key: str = "table") -> Response:
    """The table as an .xlsx download named ``filename`` (default: its title) in Chinese; for
    clients that ignore RFC 5987, an ASCII name made of ``key`` (ruraleval-ranking-2023.xlsx)."""
    body = table_workbook(table.title, table.headers, table.rows)
    name = _UNSAFE_NAME.sub("_", filename or table.title).strip(" ._") or "数据"
    name = name[:100] + ".xlsx"
    disposition = f"attachment; filename=\"{_ascii_fallback(name, key)}\"; filename*=UTF-8''{quote(name, safe='')}"
    return Response(
        body,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


def _ascii_fallback(name: str, key: str) -> str:
    """For clients that ignore ``filename*``: the name itself if it is plain ASCII, else
    ``ruraleval-<key>.xlsx`` (the ASCII left of a Chinese name is noise: "2023 2023630.xlsx")."""
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 ._()-]*\.xlsx", name):
        return name
    return f"ruraleval-{re.sub(r'[^A-Za-z0-9.]+', '-', key).strip('-.') or 'table'}.xlsx"
