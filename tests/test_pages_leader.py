"""The leader's pages over HTTP (领导小组): ranking, replay, 网格化预警, a county's scores, Excel.

Every expected figure is read from the platform's own API in the same test (the demo's
data may change): the pages must show what the API answers, now and as of any day.
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from domain.recorded_time import CHINA
from pages.downloads import Table, xlsx
from pages.reads_leader import steps
from tests.test_pages import PASSWORDS, Site, site  # noqa: F401

YEAR = 2023


def api(on: Site, username: str, path: str, **params: Any) -> Any:
    """An answer of the bearer API, as ``username`` (the pages' figures are checked against it)."""
    token = on.client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORDS[username]})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    answer = on.client.get(path, params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def text_of(page: str) -> str:
    """The visible words of a page's main element, tags dropped, spaces collapsed."""
    main = page[page.find("<main") : page.find("</main>")]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", main)))


def ranking_rows(page: str) -> dict[str, str]:
    """County code → the words of its row in the ranking table."""
    rows = re.findall(r"<tr>(.*?)</tr>", page[page.find("<tbody>") :], flags=re.S)
    found = {}
    for row in rows:
        code = re.search(r"/counties/(\d{6})", row)
        if code:
            found[code.group(1)] = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", row))).strip()
    return found


@pytest.fixture
def leader(site: Site) -> Iterator[Site]:  # noqa: F811
    site.sign_in("leader")
    yield site


def a_correction(on: Site) -> tuple[str, datetime]:
    """A county whose data was corrected in the year, and when (from its events, as the auditor sees them)."""
    for county in api(on, "auditor", "/api/v1/counties"):
        events = api(on, "auditor", f"/api/v1/counties/{county['code']}/events", type="DataCorrected")["events"]
        for event in events:
            if str(event["payload"].get("period", "")).startswith(str(YEAR)):
                return county["code"], datetime.fromisoformat(event["recorded_at"])
    raise AssertionError("the demo records no correction of the year")


def test_filters_stay_in_the_url_and_in_the_form(leader: Site) -> None:
    counties = api(leader, "leader", "/api/v1/counties")
    west = {row["code"] for row in counties if row["region"] == "west"}
    page = leader.client.get(f"/rankings?year={YEAR}&region=west&as_of={YEAR}-12-31&unit=day").text
    assert f'<option value="{YEAR}" selected>' in page and '<option value="west" selected>' in page
    assert f'name="as_of" value="{YEAR}-12-31"' in page and '<option value="day" selected>' in page
    assert set(ranking_rows(page)) == west
    assert f"/rankings?year={YEAR}&amp;region=west&amp;as_of={YEAR}-12-31&amp;unit=day&amp;format=xlsx" in page
    assert "截至 2023年12月31日日终" in page  # the caption says which day the figures are of


def test_the_api_ranking_lists_one_region_as_the_page_does(leader: Site) -> None:
    every = api(leader, "leader", "/api/v1/rankings", year=YEAR)
    east = api(leader, "leader", "/api/v1/rankings", year=YEAR, region="east")
    expected = [entry for entry in every["counties"] if entry["region"] == "east"]
    assert east["region"] == "east" and east["counties"] == expected and 0 < len(expected) < len(every["counties"])
    assert set(east["regions"]) == {"east"}  # ranks stay those among all counties
    assert set(ranking_rows(leader.client.get(f"/rankings?year={YEAR}&region=east").text)) == {
        entry["county"] for entry in expected
    }
    token = leader.client.post("/api/v1/auth/token", data={"username": "leader", "password": PASSWORDS["leader"]})
    refused = leader.client.get("/api/v1/rankings", params={"year": YEAR, "region": "north"},
                                headers={"Authorization": f"Bearer {token.json()['access_token']}"})  # fmt: skip
    assert refused.status_code == 422 and "region" in refused.text


def test_the_ranking_shows_totals_grades_and_both_ranks_as_the_api(leader: Site) -> None:
    expected = api(leader, "leader", "/api/v1/rankings", year=YEAR)["counties"]
    rows = ranking_rows(leader.client.get(f"/rankings?year={YEAR}").text)
    assert set(rows) == {entry["county"] for entry in expected}
    for entry in expected:
        words = rows[entry["county"]].split(" ")
        assert words[0] == str(entry["rank"]) and f"{entry['total']:.2f}" in words and entry["grade"] in words
        assert str(entry["region_rank"]) in words


def overridden_node(on: Site) -> tuple[str, dict[str, Any]]:
    """A county and a node of it whose figure is an override with another result beneath it."""
    for county in api(on, "leader", "/api/v1/counties"):
        card = api(on, "leader", f"/api/v1/counties/{county['code']}/scores", year=YEAR)
        for node in card["nodes"]:
            if node["override"] and node["superseded"]:
                return county["code"], node
    raise AssertionError("the demo has no override standing over another")


def test_an_overridden_figure_says_whose_result_stands_and_what_it_superseded(leader: Site) -> None:
    code, node = overridden_node(leader)
    standing, beneath = node["override"], node["superseded"][0]
    row = ranking_rows(leader.client.get(f"/rankings?year={YEAR}").text)[code]
    assert f"以{standing['authority_label']}结果 {Decimal(str(standing['score'])):.2f} 分为准" in row
    assert f"{beneath['authority_label']}结果 {Decimal(str(beneath['score'])):.2f} 分被取代" in row
    county = text_of(leader.client.get(f"/counties/{code}?year={YEAR}").text)
    assert f"{node['code']} {node['name']}" in county and standing["actor"] in county and standing["reason"] in county
    assert f"以{standing['authority_label']}结果" in county and "被取代" in county
    others = ranking_rows(leader.client.get(f"/rankings?year={YEAR}").text)
    assert sum("已调整" in words for words in others.values()) >= 1
    before = min(datetime.fromisoformat(standing["recorded_at"]), datetime.fromisoformat(beneath["recorded_at"]))
    earlier = (before.astimezone(CHINA).date() - timedelta(days=1)).isoformat()
    assert "已调整" not in ranking_rows(leader.client.get(f"/rankings?year={YEAR}&as_of={earlier}").text)[code]


def cells_of_api(grid: dict[str, Any]) -> dict[tuple[str, str], int]:
    return {(county["county_name"], cell["dimension"]): cell["total"]
            for region in grid["regions"] for county in region["counties"] for cell in county["cells"]}  # fmt: skip


def test_the_heat_map_and_its_table_count_what_the_api_grid_counts(leader: Site) -> None:
    for query in ({"year": YEAR}, {"year": YEAR, "as_of": f"{YEAR}-09-30"}):
        expected = cells_of_api(api(leader, "leader", "/api/v1/warnings/grid", **query))
        page = leader.client.get("/warnings/grid", params=query).text
        option = json.loads(html.unescape(re.search(r"data-chart='([^']+)'", page).group(1)))  # type: ignore[union-attr]
        columns = [label.split(" ")[0] for label in option["xAxis"]["data"]]
        rows = [label.split(" · ")[1] for label in option["yAxis"]["data"]]
        shown = {(rows[y], columns[x]): count for x, y, count in option["series"][0]["data"]}
        assert shown == expected and sum(expected.values()) > 0
        table = text_of(page)
        for (name, _), _count in expected.items():
            assert name in table
        assert "预警数量表" in table and "下载 Excel" in table
        workbook = leader.client.get("/warnings/grid", params=query | {"format": "xlsx"}).content
        rows = list(load_workbook(io.BytesIO(workbook)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
        headers = [str(header).split(" ")[0] for header in rows[1]]
        from_sheet = {(row[1], code): row[index] for row in rows[2:] for index, code in enumerate(headers)
                      if index >= 3 and index < len(headers) - 2}  # fmt: skip
        assert from_sheet == expected


def test_the_api_grid_judges_deadlines_on_the_day_of_as_of_unless_told_otherwise(leader: Site) -> None:
    day = f"{YEAR}-09-30"
    by_default = api(leader, "leader", "/api/v1/warnings/grid", year=YEAR, as_of=day)
    assert by_default["at"] == day  # as the page: the warnings standing on that day
    named = api(leader, "leader", "/api/v1/warnings/grid", year=YEAR, as_of=day, at=day)
    assert named["levels"] == by_default["levels"]
    today = api(leader, "leader", "/api/v1/warnings/grid", year=YEAR)["at"]
    later = api(leader, "leader", "/api/v1/warnings/grid", year=YEAR, as_of=day, at=today)
    assert later["at"] == today and later["levels"] != by_default["levels"]  # an explicit at still counts
    listed = api(leader, "leader", "/api/v1/warnings", year=YEAR, as_of=day)
    assert listed["at"] == day and listed["levels"] == by_default["levels"]
    page = text_of(leader.client.get("/warnings/grid", params={"year": YEAR, "as_of": day}).text)
    assert f"{by_default['levels']['red']} 红色预警" in page


def test_as_of_before_a_correction_shows_the_earlier_total_and_rank(leader: Site) -> None:
    code, corrected_at = a_correction(leader)
    before = (corrected_at.astimezone(CHINA).date() - timedelta(days=1)).isoformat()
    then = next(e for e in api(leader, "leader", "/api/v1/rankings", year=YEAR, as_of=before)["counties"]
                if e["county"] == code)  # fmt: skip
    now = next(e for e in api(leader, "leader", "/api/v1/rankings", year=YEAR)["counties"] if e["county"] == code)
    assert then["total"] != now["total"]  # the correction moved the total
    earlier = ranking_rows(leader.client.get(f"/rankings?year={YEAR}&as_of={before}").text)[code].split(" ")
    assert earlier[0] == str(then["rank"]) and f"{then['total']:.2f}" in earlier
    current = ranking_rows(leader.client.get(f"/rankings?year={YEAR}").text)[code].split(" ")
    assert current[0] == str(now["rank"]) and f"{now['total']:.2f}" in current
    county = leader.client.get(f"/counties/{code}?year={YEAR}&as_of={before}").text
    assert f'id="county-total">{then["total"]:.2f}<' in county
    assert f'id="county-total">{now["total"]:.2f}<' in leader.client.get(f"/counties/{code}?year={YEAR}").text


def test_each_replay_step_is_the_ranking_as_of_that_day(leader: Site) -> None:
    page = leader.client.get(f"/rankings?year={YEAR}").text
    labels = json.loads(html.unescape(re.search(r"data-labels='([^']+)'", page).group(1)))  # type: ignore[union-attr]
    assert f"{YEAR}年12月" in labels and labels.index(f"{YEAR}年12月") >= 2  # month by month, through the year
    assert labels[-1] in page and 'type="range"' in page and 'for="replay-step"' in page
    step = 2
    answer = leader.client.get(f"/rankings/replay?year={YEAR}&unit=month&step={step}", headers={"HX-Request": "true"})
    assert answer.status_code == 200 and "<html" not in answer.text and 'id="ranking"' in answer.text
    pushed = answer.headers["HX-Push-Url"]
    day = re.search(r"as_of=(\d{4}-\d{2}-\d{2})", pushed).group(1)  # type: ignore[union-attr]
    assert labels[step] == f"{int(day[:4])}年{int(day[5:7])}月"
    expected = api(leader, "leader", "/api/v1/rankings", year=YEAR, as_of=day)["counties"]
    rows = ranking_rows(answer.text)
    assert set(rows) == {entry["county"] for entry in expected}
    for entry in expected:
        assert f"{entry['total']:.2f}" in rows[entry["county"]].split(" ")
    assert "变化" in answer.text  # the ranks' moves from the step before
    plain = leader.client.get(f"/rankings/replay?year={YEAR}&step={step}", follow_redirects=False)
    assert plain.status_code == 303 and plain.headers["location"] == pushed  # without htmx: the page of that day
    days = leader.client.get(f"/rankings?year={YEAR}&unit=day").text
    assert len(json.loads(html.unescape(re.search(r"data-labels='([^']+)'", days).group(1)))) > 200  # type: ignore[union-attr]


@pytest.mark.parametrize("day", [date(2020, 1, 1), date(YEAR, 6, 15), date(YEAR, 6, 30)])
def test_the_replay_slider_names_the_day_the_table_shows(leader: Site, day: date) -> None:
    page = leader.client.get(f"/rankings?year={YEAR}&as_of={day.isoformat()}").text
    labels = json.loads(html.unescape(re.search(r"data-labels='([^']+)'", page).group(1)))  # type: ignore[union-attr]
    shown = re.search(r'<output id="replay-label"[^>]*>([^<]*)</output>', page).group(1)  # type: ignore[union-attr]
    assert f"截至 {day.year}年{day.month}月{day.day}日日终" in page
    month_end = f"{day.year}年{day.month}月"
    expected = month_end if month_end in labels and (day + timedelta(days=1)).day == 1 else f"{month_end}{day.day}日"
    assert shown == expected and f'aria-valuetext="{expected}"' in page


def test_a_countys_values_show_the_units_of_its_scheme(leader: Site) -> None:
    units = {item["code"]: item["unit"] for item in
             api(leader, "leader", "/api/v1/counties/130425/indicators", year=YEAR)["indicators"]}  # fmt: skip
    card = api(leader, "leader", "/api/v1/counties/130425/scores", year=YEAR)
    valued = [node for node in card["nodes"] if node["value"] is not None and units.get(node["code"])]
    assert valued, "the demo's county has values with units"
    page = text_of(leader.client.get(f"/counties/130425?year={YEAR}").text)
    for node in valued:
        assert f"{node['code']} {node['name']} {Decimal(str(node['value'])):,.2f} {units[node['code']]}" in page
    workbook = leader.client.get(f"/counties/130425?year={YEAR}&format=xlsx&table=scores").content
    rows = list(load_workbook(io.BytesIO(workbook)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    unit_at = rows[1].index("单位")
    assert rows[1][unit_at - 1] == "数值"
    assert {row[0]: row[unit_at] for row in rows[2:] if row[0] in units and row[unit_at - 1] is not None} == {
        node["code"]: units[node["code"]] for node in card["nodes"] if node["value"] is not None
    }


def test_an_instant_is_shown_to_the_second_asked(leader: Site) -> None:
    instant = f"{YEAR}-06-30T10:59:59+08:00"
    page = leader.client.get("/counties/130425", params={"year": YEAR, "as_of": instant}).text
    assert f"截至 {YEAR}年6月30日 10:59:59（记录时间）" in page
    ranking = leader.client.get("/rankings", params={"year": YEAR, "as_of": instant}).text
    assert f"截至 {YEAR}年6月30日 10:59:59（记录时间）" in ranking


def test_a_ranking_downloads_as_a_workbook_with_chinese_headers_and_name(leader: Site) -> None:
    expected = api(leader, "leader", "/api/v1/rankings", year=YEAR)["counties"]
    answer = leader.client.get(f"/rankings?year={YEAR}&format=xlsx")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    disposition = answer.headers["content-disposition"]
    name = unquote(disposition.split("filename*=UTF-8''")[1])
    assert disposition.startswith("attachment;") and name == f"{YEAR}年度得分排名（当前）.xlsx"
    assert f'filename="ruraleval-ranking-{YEAR}.xlsx";' in disposition  # for clients ignoring filename*
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == f"{YEAR}年度得分排名（当前）"
    assert rows[1][:3] == ("排名", "县", "行政区划代码") and "调整情况" in rows[1]
    assert {(row[2], float(row[6])) for row in rows[2:]} == {(e["county"], e["total"]) for e in expected}  # type: ignore[arg-type]


@pytest.mark.parametrize("table", ["scores", "months", "compare"])
def test_each_table_of_a_county_downloads(leader: Site, table: str) -> None:
    page = leader.client.get(f"/counties/130425?year={YEAR}").text
    link = f"/counties/130425?year={YEAR}&amp;format=xlsx&amp;table={table}"
    assert link in page
    answer = leader.client.get(html.unescape(link))
    rows = list(load_workbook(io.BytesIO(answer.content)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert "大名县" in str(rows[0][0]) and len(rows) > 2
    refused = leader.client.get(f"/counties/130425?year={YEAR}&format=xlsx&table=nope")
    assert refused.status_code == 422 and "本页可下载的表格为：“大名县" in refused.text  # by caption
    assert not re.search(r"scores|months|compare", text_of(refused.text))


def test_a_long_title_names_its_sheet_without_an_open_bracket(leader: Site) -> None:
    answer = leader.client.get(f"/rankings?year={YEAR}&as_of={YEAR}-06-30&region=east&format=xlsx")
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None and len(sheet.title) <= 31
    assert sheet.title.count("（") == sheet.title.count("）") and sheet.title == f"{YEAR}年度得分排名"
    assert str(sheet["A1"].value).endswith("，东部）")  # the whole title stays in the first row
    county = leader.client.get(f"/counties/130425?year={YEAR}&as_of={YEAR}-06-30&format=xlsx&table=months")
    assert f'filename="ruraleval-130425-months-{YEAR}.xlsx"' in county.headers["content-disposition"]


def test_formula_like_text_is_written_as_text() -> None:
    hostile = ["=1+2", "+8613800000000", "-3", "@SUM(A1:A2)", '=HYPERLINK("http://x")']
    rows = [hostile, [Decimal("1.5"), 2, None, "x", ""]]
    answer = xlsx(Table("测试：公式/注入?", ["文字", "数", "数", "数", "链接"], rows))
    book = load_workbook(io.BytesIO(answer.body))
    sheet = book.active
    assert sheet is not None and sheet.title == "测试：公式注入"  # Excel forbids ASCII / and ?, not a full-width colon
    assert [cell.value for cell in sheet[3]] == hostile and all(cell.data_type == "s" for cell in sheet[3])
    assert sheet["A4"].value == 1.5 and sheet["A4"].data_type == "n"
    with zipfile.ZipFile(io.BytesIO(answer.body)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()
    name = unquote(answer.headers["content-disposition"].split("filename*=UTF-8''")[1])
    assert name == "测试：公式_注入.xlsx"  # no path or shell characters in a file name


def test_replay_steps_are_month_ends_or_days_up_to_the_last_change() -> None:
    months = steps(date(2023, 5, 20), date(2024, 2, 9), "month")
    assert months[0] == date(2023, 5, 31) and months[-1] == date(2024, 2, 9) and date(2023, 12, 31) in months
    assert len(months) == 10 and len(steps(date(2023, 5, 20), date(2023, 6, 2), "day")) == 14


def test_a_county_user_sees_only_its_own_county(site: Site) -> None:  # noqa: F811
    site.sign_in("coordinator.130425")
    assert set(ranking_rows(site.client.get(f"/rankings?year={YEAR}").text)) == {"130425"}
    grid = text_of(site.client.get(f"/warnings/grid?year={YEAR}").text)
    assert "大名县" in grid and "昆山市" not in grid and "义乌市" not in grid
    workbook = site.client.get(f"/rankings?year={YEAR}&format=xlsx").content
    rows = list(load_workbook(io.BytesIO(workbook)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert [row[2] for row in rows[2:]] == ["130425"]
    for url in ("/counties/320583", "/counties/320583?format=xlsx&table=scores", "/counties/320583?as_of=2023-06-30"):
        refused = site.client.get(url)
        assert refused.status_code == 403 and "昆山市" not in refused.text and "<table" not in refused.text


@pytest.mark.parametrize(
    ("url", "field", "words"),
    [
        ("/rankings?as_of=2023-02-30", "as_of", "查询日期 2023-02-30 不是实际存在的日期：2023年2月只有 28 天"),
        ("/rankings?as_of=hello", "as_of", "查询日期应为日期"),
        ("/rankings?as_of=2999-01-01", "as_of", "查询日期不能晚于今天"),
        ("/rankings?year=abc", "year", "年度应为 2000 至 2100 之间的年份"),
        ("/rankings?region=north", "region", "分区只能是东部、中部或西部"),
        ("/rankings?unit=week", "unit", "回放步长只能是按月或按日"),
        ("/warnings/grid?region=north", "region", "分区只能是东部、中部或西部"),
        ("/warnings/grid?as_of=2023-02-30", "as_of", "2023年2月只有 28 天"),
        ("/counties/130425?as_of=yesterday", "as_of", "查询日期应为日期"),
        ("/counties/130425?year=abc", "year", "年度应为"),
        (f"/rankings?year={YEAR - 1}", "year", f"没有 {YEAR - 1} 年度的评估方案可查；可选年度："),
        (f"/warnings/grid?year={YEAR + 8}", "year", f"没有 {YEAR + 8} 年度的评估方案可查"),
        (f"/counties/130425?year={YEAR - 1}", "year", "可选年度："),
    ],
)
def test_a_bad_filter_shows_the_page_again_with_the_message_beside_its_field(
    leader: Site, url: str, field: str, words: str
) -> None:
    answer = leader.client.get(url)
    page = answer.text
    assert answer.status_code == 422 and '<form method="get"' in page and 'role="alert"' in page
    beside = re.search(rf'<p class="field__error" id="{field}-error">([^<]*)</p>', page)
    assert beside is not None and words in html.unescape(beside.group(1)), page
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', page) or re.search(
        rf'aria-invalid="true"[^>]*id="{field}"', page
    )
    assert "<table" not in page  # no figures shown for filters other than those asked


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("/rankings?format=pdf", "下载格式只能是 xlsx"),
        ("/rankings/replay?unit=week", "回放步长只能是按月或按日"),
        (f"/rankings/replay?year={YEAR - 1}", f"没有 {YEAR - 1} 年度的评估方案可查"),
        ("/rankings/replay?step=abc", "回放步：须为 0 至 100000 之间的整数，收到“abc”"),
        ("/rankings/replay?step=-1", "回放步：须为 0 至 100000 之间的整数，收到“-1”"),
        ("/audit/counties/130425/history?order=up", "排列顺序只能是“从早到晚”或“最新的在前”"),
    ],
)
def test_bad_parameters_without_a_field_answer_a_page_naming_them(site: Site, url: str, words: str) -> None:  # noqa: F811
    site.sign_in("auditor" if url.startswith("/audit") else "leader")
    answer = site.client.get(url)
    assert answer.status_code == 422 and words in answer.text and "<html" in answer.text
    assert not re.search(r"\b(unit|step|order|table)\b", text_of(answer.text))  # no name of the URL's


def test_a_year_in_full_width_digits_is_read_as_the_api_reads_it(leader: Site) -> None:
    wide = "".join(chr(ord(digit) + 0xFEE0) for digit in str(YEAR))  # ２０２３
    expected = api(leader, "leader", "/api/v1/rankings", year=wide)["counties"]
    for url in (f"/rankings?year={wide}", f"/warnings/grid?year={wide}", f"/counties/130425?year={wide}"):
        answer = leader.client.get(url)
        assert answer.status_code == 200 and f'<option value="{YEAR}" selected>' in answer.text, url
    assert set(ranking_rows(leader.client.get(f"/rankings?year={wide}").text)) == {e["county"] for e in expected}
    arabic = "".join(chr(ord(digit) - ord("0") + 0x0660) for digit in str(YEAR))  # ٢٠٢٣
    refused = leader.client.get(f"/rankings?year={arabic}")
    assert refused.status_code == 422 and "含有 0–9 以外的数字字符" in refused.text


def test_an_empty_filter_means_all(leader: Site) -> None:
    every = ranking_rows(leader.client.get(f"/rankings?year={YEAR}&region=&as_of=").text)
    assert len(every) == len(api(leader, "leader", "/api/v1/counties"))


def test_a_year_a_county_alone_adopted_shows_that_years_months_and_no_comparison_with_itself(
    leader: Site,
) -> None:
    # the demo's 大名县 alone adopted 2024's scheme: its region has no other county that year
    page = leader.client.get("/counties/130425?year=2024").text
    months = page[page.find('id="months-title"') : page.find('id="compare-title"')]
    labels = re.findall(r'<th scope="row">(\d{4})年(\d{1,2})月</th>', months)
    assert labels and {year for year, _ in labels} == {"2024"}
    assert [int(month) for _, month in labels] == sorted(int(month) for _, month in labels)
    words = text_of(page)
    assert "东部1个县的一级指标得分对比" not in words and "无可对比的县" in words
    assert "个县的一级指标得分对比" in text_of(leader.client.get(f"/counties/130425?year={YEAR}").text)


def test_the_months_of_a_county_are_those_of_the_evaluation_year(memory_platform: Any) -> None:
    from pages.reads_leader import _months
    from projections.temporal import micros

    def version(day: datetime, score: str, until: datetime | None = None) -> dict[str, Any]:
        return {"code": "total", "score": score, "from_us": micros(day),
                "to_us": None if until is None else micros(until)}  # fmt: skip

    adopted, late = datetime(2024, 4, 10, tzinfo=CHINA), datetime(2026, 11, 5, tzinfo=CHINA)
    history = [version(adopted, "10", late), version(late, "8")]  # points deducted in 2026
    months = _months(memory_platform, history, [], None, 2024)
    assert [point["label"] for point in months] == [f"2024年{month}月" for month in range(4, 13)]
