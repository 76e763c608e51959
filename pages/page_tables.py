"""Any table a page shows, as the workbook of what the user sees (下载 Excel).

Pages whose tables are built as data (``pages.downloads.Table``: the leader's ranking, grid
and county tables) answer ``format=xlsx`` themselves, numbers as numbers. Every other
table is marked in its template with ``data-table="<name>"`` and a download link from
``table_download``; asked for ``format=xlsx&table=<name>``, ``pages.render.page`` renders
the page as usual and this module reads that table back out of the HTML: the caption is
the title, the header row the columns, each body row's cell text a value (a plain number
becomes a number). So the workbook holds exactly the rows the page showed the user, with
the same permissions, filters and formatting, and no page repeats its query for Excel.

Form controls (buttons, inputs, the forms of an action column) are not data: their text
is left out, and a column whose header carries ``data-xlsx="skip"`` is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from typing import Any

from markupsafe import Markup

from pages.downloads import Table

NOT_DATA = frozenset({"button", "select", "textarea", "form", "script", "style", "template", "option"})
VOID = frozenset({"input", "br", "img", "hr", "meta", "link", "wbr", "col"})
_PLAIN_NUMBER = re.compile(r"-?\d{1,15}(\.\d{1,6})?")
_SPACES = re.compile(r"\s+")


@dataclass
class _Found:
    name: str
    caption: str = ""
    headers: list[str] = field(default_factory=list)
    skipped: set[int] = field(default_factory=set)
    rows: list[list[str]] = field(default_factory=list)


class _TableReader(HTMLParser):
    """Collects every ``<table data-table=…>``: caption, header cells and body rows as text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, _Found] = {}
        self._table: _Found | None = None
        self._depth = 0  # nesting of tables inside the one being read
        self._hidden = 0  # inside a form control: not data
        self._section = ""
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_caption = False
        self._skip_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        found = dict(attrs)
        if tag == "table":
            if self._table is None and found.get("data-table"):
                self._table = _Found(str(found["data-table"]))
            elif self._table is not None:
                self._depth += 1
            return
        if self._table is None or self._depth:
            return
        if tag in NOT_DATA:
            self._hidden += 1
        elif tag == "caption":
            self._in_caption = True
        elif tag in ("thead", "tbody", "tfoot"):
            self._section = tag
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            self._skip_cell = self._section == "thead" and found.get("data-xlsx") == "skip"

    def handle_endtag(self, tag: str) -> None:
        if self._table is None:
            return
        if tag == "table":
            if self._depth:
                self._depth -= 1
            else:
                self.tables.setdefault(self._table.name, self._table)
                self._table = None
            return
        if self._depth:
            return
        if tag in NOT_DATA:
            self._hidden = max(0, self._hidden - 1)
        elif tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._row is not None and self._cell is not None:
            if self._skip_cell:
                self._table.skipped.add(len(self._row))
            self._row.append(_SPACES.sub(" ", "".join(self._cell)).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._section == "thead" and not self._table.headers:
                self._table.headers = self._row
            elif self._section != "thead":
                self._table.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._table is None or self._depth or self._hidden:
            return
        if self._in_caption:
            self._table.caption += data
        elif self._cell is not None:
            self._cell.append(data)


def page_tables(html: str) -> dict[str, Table]:
    """The marked tables of a rendered page, by name, as plain tables."""
    reader = _TableReader()
    reader.feed(html)
    reader.close()
    return {name: _as_table(found) for name, found in reader.tables.items()}


def _as_table(found: _Found) -> Table:
    kept = [index for index in range(len(found.headers)) if index not in found.skipped]
    headers = [found.headers[index] for index in kept]
    rows = [[_value(row[index]) if index < len(row) else None for index in kept] for row in found.rows]
    title = _SPACES.sub(" ", found.caption).strip() or found.name
    return Table(title, headers, rows)


def _value(text: str) -> Any:
    """A plain decimal number as a number (so Excel can sum it); anything else as its text."""
    compact = text.replace(",", "")
    if _PLAIN_NUMBER.fullmatch(compact):
        try:
            return Decimal(compact)
        except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
            return text
    return text or None


def download_link(url: str, title: str) -> Markup:
    """The 下载 Excel link of one table (its title read out to screen readers)."""
    return Markup('<a class="download" href="{}">下载 Excel<span class="visually-hidden">：{}</span></a>').format(
        url, title
    )
