"""Every table a page shows downloads as an Excel workbook holding what the page showed.

The pages are opened as the demo users whose work they are; each table marked on the page
is downloaded from its own 下载 Excel link and read back with openpyxl: the same caption,
the same column headers (action columns left out), as many rows as the page, numbers as
numbers and text — formula-like text included — as text.
"""

from __future__ import annotations

import html
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from pages.page_tables import page_tables
from tests.test_pages import Site
from tests.test_pages import site as demo_site  # noqa: F401 - the demo, once for this module

# (user, page): every page with tables that are not the leader's own (which have their own tests).
PAGES = [
    ("dept.130425", "/counties/130425/tasks"),
    ("coordinator.130425", "/counties/130425/indicators"),
    ("coordinator.130425", "/counties/130425/feedback"),
    ("evaluator.east", "/evaluation"),
    ("evaluator.east", "/counties/130425/evaluation"),
    ("auditor", "/audit"),
    ("auditor", "/audit/organisation"),
    ("auditor", "/audit/counties/130425/history?year=2023"),
    ("auditor", "/audit/counties/130425/changes?year=2023&from=2023-03-01&to=2024-03-01"),
    ("admin", "/centre/schemes"),
    ("admin", "/centre/counties"),
    ("admin", "/centre/users"),
    ("admin", "/centre/users/dept.130425"),
]
LINK = re.compile(r'<a class="download" href="([^"]+)">')


@pytest.fixture
def site(demo_site: Site) -> Site:  # noqa: F811 - this module's name for the shared demo site
    return demo_site


def _links(page_html: str) -> list[str]:
    return [html.unescape(found) for found in LINK.findall(page_html)]


@pytest.mark.parametrize(("username", "path"), PAGES)
def test_each_table_downloads_as_the_workbook_of_what_the_page_shows(site: Site, username: str, path: str) -> None:
    site.sign_in(username)
    shown = site.client.get(path)
    assert shown.status_code == 200, shown.text[:500]
    tables = page_tables(shown.text)
    links = _links(shown.text)
    assert tables and len(links) == len(tables), "every marked table has its download link"
    for link in links:
        name = re.search(r"[?&]table=([^&]+)", link)
        assert name is not None
        table = tables[name.group(1)]
        answer = site.client.get(link)
        assert answer.status_code == 200, answer.text[:300]
        assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert "filename*=UTF-8''" in answer.headers["content-disposition"]
        sheet = load_workbook(io.BytesIO(answer.content)).active
        assert sheet is not None
        cells = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert cells[0][0] == table.title
        assert [header for header in cells[1] if header is not None] == list(table.headers)
        assert len(cells) - 2 == len(table.rows), f"{link}: every row the page showed"
        for row, expected in zip(cells[2:], table.rows, strict=True):
            for value, wanted in zip(row, expected, strict=False):
                if isinstance(wanted, Decimal):
                    assert isinstance(value, (int, float)) and Decimal(str(value)) == wanted
                elif wanted is not None:
                    assert value == wanted and isinstance(value, str)


def test_a_download_keeps_the_pages_filters_and_scope(site: Site) -> None:
    site.sign_in("evaluator.east")
    page_html = site.client.get("/evaluation?county=130425").text
    assert all("county=130425" in link for link in _links(page_html))
    site.sign_in("dept.130425")
    refused = site.client.get("/counties/320583/tasks?format=xlsx&table=owed")
    assert refused.status_code == 403 and b"PK" not in refused.content[:2]


def test_an_unknown_table_or_format_is_refused_naming_the_field(site: Site) -> None:
    site.sign_in("dept.130425")
    unknown = site.client.get("/counties/130425/tasks?format=xlsx&table=nothing")
    assert unknown.status_code == 422 and "本页可下载的表格为" in unknown.text
    odd = site.client.get("/counties/130425/tasks?format=pdf")
    assert odd.status_code == 422 and "xlsx" in odd.text


def test_formula_like_text_and_action_columns_are_not_data() -> None:
    page_html = """<table data-table="t"><caption>表（共 2 条）</caption>
    <thead><tr><th>指标</th><th>数值</th><th data-xlsx="skip">办理</th></tr></thead>
    <tbody><tr><th>=HYPERLINK("x")</th><td>1,234.50</td><td><form><button>通过</button></form></td></tr>
    <tr><td>@SUM(A1)</td><td>-3.25 万吨</td><td><a href="#">去填报</a></td></tr></tbody></table>"""
    table = page_tables(page_html)["t"]
    assert table.headers == ["指标", "数值"]
    assert table.rows == [['=HYPERLINK("x")', Decimal("1234.50")], ["@SUM(A1)", "-3.25 万吨"]]
