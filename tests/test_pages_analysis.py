"""The analysis pages (数据分析) over HTTP, on the hand-worked world of ``tests.analysis_world``:
the figures, the charts' data, the filters, the scope and the Excel downloads."""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.app import create_app
from domain.organisation import Grant
from ruraleval.platform import Platform
from ruraleval.settings import parse_database_url
from tests.analysis_world import A, C, build
from tests.conftest import PASSWORD, add_user


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    app = create_app(lambda: Platform(parse_database_url("memory://")), background=False)
    with TestClient(app) as test_client:
        platform = app.state.platform
        add_user(platform, "leader.test", Grant("g-leader", "leader"))
        add_user(platform, "coordinator.c", Grant("g-c", "county_coordinator", county=C))
        build(platform)
        yield test_client


def sign_in(client: TestClient, username: str) -> None:
    client.cookies.clear()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/signin").text)
    assert token
    answer = client.post("/signin", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
                         follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303, answer.text


def rows_of(page: str, table: str) -> list[list[str]]:
    """The body rows of the ``data-table`` named ``table``, each cell's visible words."""
    start = page.index(f'data-table="{table}"')
    body = page[page.index("<tbody>", start) : page.index("</tbody>", start)]
    found = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        found.append([re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", cell))).strip() for cell in cells])
    return found


def chart(page: str, index: int = 0) -> dict[str, object]:
    options = re.findall(r"data-chart='([^']*)'", page)
    parsed: dict[str, object] = json.loads(html.unescape(options[index]))
    return parsed


def test_the_horizontal_page_ranks_counties_with_values_and_statistics(client: TestClient) -> None:
    sign_in(client, "leader.test")
    page = client.get("/analysis?year=2023&node=1.1&as_of=2023-06-30")
    assert page.status_code == 200, page.text
    # as of 30 June: C 100 → 40, E 100 → 40, A 90 → 36, B 80 → 32, D 70 → 28
    assert [row[:7] for row in rows_of(page.text, "counties")] == [
        ["1", "丙县", "东部", "1", "100.00", "40.00", "40.00"],
        ["1", "戊县", "西部", "1", "100.00", "40.00", "40.00"],
        ["3", "甲县", "东部", "2", "90.00", "36.00", "40.00"],
        ["4", "乙县", "东部", "3", "80.00", "32.00", "40.00"],
        ["5", "丁县", "西部", "2", "70.00", "28.00", "40.00"],
    ]
    statistics = {(row[0], row[1]): row[2:] for row in rows_of(page.text, "statistics")}
    # values 70, 80, 90, 100, 100: mean 88, median 90, best 100, q1 80, q3 100
    assert statistics[("全部县", "数值（%）")] == ["5", "88.00", "90.00", "100.00", "80.00", "100.00"]
    # west values 70, 100: q1 77.5, q3 92.5
    assert statistics[("西部", "数值（%）")] == ["2", "85.00", "85.00", "100.00", "77.50", "92.50"]
    assert "截至 2023年6月30日日终" in page.text
    bars = chart(page.text)
    series = bars["series"][0]  # type: ignore[index]
    assert series["data"] == [40.0, 40.0, 36.0, 32.0, 28.0]
    # scores 28, 32, 36, 40, 40: mean 176/5 = 35.2, median 36
    assert [line["yAxis"] for line in series["markLine"]["data"]] == [35.2, 36.0]


def test_the_horizontal_page_with_a_region_draws_its_mean_and_median_too(client: TestClient) -> None:
    sign_in(client, "leader.test")
    page = client.get("/analysis?year=2023&node=total&region=west").text
    assert [row[1] for row in rows_of(page, "counties")] == ["戊县", "丁县"]
    lines = chart(page)["series"][0]["markLine"]["data"]  # type: ignore[index]
    # all: 49, 80, 88, 88, 95 → mean 80, median 88; west: 49, 95 → mean and median 72
    assert [(line["name"], line["yAxis"]) for line in lines] == [
        ("全部县平均", 80.0), ("全部县中位数", 88.0), ("西部平均", 72.0), ("西部中位数", 72.0),
    ]  # fmt: skip
    # the labels never meet: means at the left end, medians at the right; all above, region below
    assert [line["label"]["position"] for line in lines] == [
        "insideStartTop", "insideEndTop", "insideStartBottom", "insideEndBottom",
    ]  # fmt: skip


def test_the_mean_and_median_labels_sit_at_opposite_ends_of_their_lines(client: TestClient) -> None:
    sign_in(client, "leader.test")
    lines = chart(client.get("/analysis?year=2023&node=total").text)["series"][0]["markLine"]["data"]  # type: ignore[index]
    mean, median = (line["label"]["position"] for line in lines)
    assert mean.startswith("insideStart") and median.startswith("insideEnd")


def test_a_county_user_sees_only_its_county_but_the_statistics_of_all(client: TestClient) -> None:
    sign_in(client, "coordinator.c")
    page = client.get("/analysis?year=2023&node=total").text
    assert [row[:2] for row in rows_of(page, "counties")] == [["4", "丙县"]]
    assert "甲县" not in page and rows_of(page, "statistics")[0][2:4] == ["5", "80.00"]
    assert client.get(f"/counties/{A}/analysis").status_code == 403
    home = client.get(f"/counties/{C}/analysis").text
    assert 'href="/counties/130104/analysis"' in home and 'href="/analysis"' in home  # in the navigation


def test_the_county_page_shows_years_months_and_gaps_sorted_by_loss(client: TestClient) -> None:
    sign_in(client, "leader.test")
    page = client.get(f"/counties/{A}/analysis?year=2023&node=1.2")
    assert page.status_code == 200, page.text
    assert rows_of(page.text, "years") == [
        ["2023年", "120.00", "20.00", "20.00", "1"], ["2024年", "—", "0.00", "20.00", "1"],
    ]  # fmt: skip
    months = rows_of(page.text, "months")
    # both columns as known at the month's end; the last line is the year as it stands now
    assert months[:4] == [["2023年1月", "0.00", "—"], ["2023年2月", "6.00", "36.00"],
                          ["2023年3月", "13.00", "78.00"], ["2023年4月", "20.00", "120.00"]]  # fmt: skip
    assert len(months) == 13 and months[-1] == ["全年（当前数据）", "20.00", "120.00"]
    assert "该月末所知的得分" in page.text and "该月末所知的年度值" in page.text
    lines = chart(page.text, 1)
    assert [s["name"] for s in lines["series"]] == ["该月末所知的得分", "该月末所知的年度值"]  # type: ignore[index]
    gap = rows_of(page.text, "gap")
    assert [(row[0], row[6], row[9], row[12]) for row in gap] == [
        ("2.1 恩格尔系数", "8.00", "5.00", "5.00"), ("1.1 科技贡献率", "4.00", "10.00", "10.00"),
        ("1.2 接待人次", "0.00", "0.00", "0.00"),
    ]  # fmt: skip
    assert gap[0][3] == "越低越好"


def test_the_tables_download_as_excel_with_the_rows_shown(client: TestClient) -> None:
    sign_in(client, "leader.test")
    answer = client.get(f"/counties/{A}/analysis?year=2023&node=1.1&format=xlsx&table=gap")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    values = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    codes = [row[0] for row in values if isinstance(row[0], str) and row[0][:1].isdigit()]
    assert codes == ["2.1 恩格尔系数", "1.1 科技贡献率", "1.2 接待人次"]
    across = client.get("/analysis?year=2023&node=total&format=xlsx&table=counties")
    assert across.status_code == 200


def test_bad_filters_are_shown_beside_their_fields_without_figures(client: TestClient) -> None:
    sign_in(client, "leader.test")
    unknown = client.get("/analysis?year=2023&node=9.9")
    assert unknown.status_code == 422 and 'id="node-error"' in unknown.text and "9.9" in unknown.text
    assert 'data-table="counties"' not in unknown.text
    bad_day = client.get(f"/counties/{A}/analysis?year=2023&as_of=2023-02-30")
    assert bad_day.status_code == 422 and 'id="as_of-error"' in bad_day.text
    no_year = client.get(f"/counties/{C}/analysis?year=2024")
    assert no_year.status_code == 422 and 'id="year-error"' in no_year.text
    default = client.get(f"/counties/{C}/analysis")
    assert default.status_code == 200 and "总分" in default.text  # the latest year, the total
