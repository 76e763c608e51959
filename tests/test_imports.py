"""Bulk data: the Excel template, file imports (xlsx and CSV) and JSON batches, on both stores.

The scheme is tests/example_scheme.json: 1.1 and 2.2 annual (range 0–100), 1.2 monthly
(0–1000), 2.1 quarterly (0–100). Every workbook the platform writes is read back with
openpyxl, as a spreadsheet program would open it.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import replace
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.collection import TemplateLine, template_lines
from domain.commands import DataScope
from domain.errors import InvalidCommand
from domain.organisation import Grant
from domain.periods import parse_period
from domain.scheme_reading import parse_scheme
from domain.state import CountyYear, Responsibility, Submission
from ruraleval import workbooks
from ruraleval.platform import Platform
from tests.conftest import add_user, enrol_over_http, example_document, login

COUNTY = "130425"
OTHER = "320583"
XLSX = workbooks.XLSX_MEDIA_TYPE
DEPARTMENT = "县农业农村局"
HEADERS = ["指标编号", "指标名称", "单位", "期间", "下限", "上限", "责任部门", "数值", "说明", "更正理由"]
VALUE = HEADERS.index("数值") + 1


# ------------------------------------------------------------------------------------ helpers


@pytest.fixture
def county(client: TestClient, scheme_document: dict[str, Any]) -> TestClient:
    """Two counties enrolled in the example scheme."""
    assert client.post("/api/v1/schemes", json=scheme_document).status_code == 201
    for code, name, province in ((COUNTY, "大名县", "河北省"), (OTHER, "张家港市", "江苏省")):
        enrol_over_http(client, code, name, province)
    return client


def service(client: TestClient) -> Platform:
    assert isinstance(client.app, FastAPI)
    found: Platform = client.app.state.platform
    return found


def version(client: TestClient, code: str = COUNTY) -> int:
    return service(client).ledger.county(code).version


def events_since(client: TestClient, code: str, after_version: int) -> list[Any]:
    """The county's events recorded after ``after_version``, straight from the log."""
    county = service(client).ledger.county(code)
    return [event for _, event in service(client).ledger.read(0, 100_000) if event.originator_id == county.id][
        after_version:
    ]


def template(client: TestClient, period: str, code: str = COUNTY, **headers: str) -> openpyxl.Workbook:
    response = client.get(f"/api/v1/counties/{code}/template.xlsx", params={"period": period}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    return openpyxl.load_workbook(io.BytesIO(response.content))


def data_rows(book: openpyxl.Workbook) -> list[dict[str, Any]]:
    rows = list(book[workbooks.DATA_SHEET].iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    return [dict(zip(HEADERS, row, strict=True)) for row in rows[1:]]


def fill(book: openpyxl.Workbook, values: dict[tuple[str, str], Any], **columns: dict[tuple[str, str], str]) -> bytes:
    """Writes values (and 说明 / 更正理由 cells) into the template's rows; returns the file."""
    sheet = book[workbooks.DATA_SHEET]
    for number in range(2, sheet.max_row + 1):
        key = (sheet.cell(number, 1).value, sheet.cell(number, 4).value)
        if key in values:
            sheet.cell(number, VALUE, values[key])
        for header, cells in columns.items():
            if key in cells:
                sheet.cell(number, HEADERS.index(header) + 1, cells[key])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(
    client: TestClient,
    content: bytes,
    filename: str = "数据.xlsx",
    code: str = COUNTY,
    dry_run: bool = False,
    **headers: str,
) -> Any:
    return client.post(
        f"/api/v1/counties/{code}/imports",
        params={"dry_run": str(dry_run).lower()},
        files={"file": (filename, content, "application/octet-stream")},
        headers=headers,
    )


def node_score(client: TestClient, code: str) -> float:
    body = client.get(f"/api/v1/counties/{COUNTY}/scores", params={"year": 2023}).json()
    score: float = next(item for item in body["nodes"] if item["code"] == code)["score"]
    return score


def problems(response: Any, status: int = 422) -> list[tuple[str, str, int | None, str | None]]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return [(e["field"], e["rule"], e.get("row"), e.get("column")) for e in response.json()["errors"]]


DECEMBER = {("1.1", "2023"): 59.1, ("1.2", "2023-12"): 60, ("2.1", "2023-Q4"): 29, ("2.2", "2023"): 90}


# ----------------------------------------------------------------------------------- template


def test_template_for_a_month_a_quarter_end_and_the_year_end(county: TestClient) -> None:
    response = county.get(f"/api/v1/counties/{COUNTY}/template.xlsx", params={"period": "2023-05"})
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert "%E5%A4%A7%E5%90%8D%E5%8E%BF" in disposition  # 大名县, percent-encoded (RFC 5987)

    may = template(county, "2023-05")
    assert may.sheetnames == [workbooks.DATA_SHEET, workbooks.HELP_SHEET, workbooks.META_SHEET]
    assert data_rows(may) == [
        {"指标编号": "1.2", "指标名称": "休闲农业和乡村旅游接待人次", "单位": "万人次", "期间": "2023-05",
         "下限": 0, "上限": 1000, "责任部门": None, "数值": None, "说明": None, "更正理由": None},
    ]  # fmt: skip
    sheet = may[workbooks.DATA_SHEET]
    assert sheet.freeze_panes == "A2"
    assert sheet.cell(2, 1).number_format == "@"  # indicator codes stay text
    validations = sheet.data_validations.dataValidation
    assert [(v.type, v.operator, v.formula1, v.formula2, str(v.sqref)) for v in validations] == [
        ("decimal", "between", "0", "1000", "H2")
    ]
    assert may[workbooks.META_SHEET].sheet_state == "hidden"
    meta = dict(may[workbooks.META_SHEET].iter_rows(values_only=True))
    assert meta["county"] == COUNTY and meta["period"] == "2023-05"
    assert "填写说明" in str(may[workbooks.HELP_SHEET]["A1"].value)

    june = [(row["指标编号"], row["期间"]) for row in data_rows(template(county, "2023-06"))]
    assert june == [("1.2", "2023-06"), ("2.1", "2023-Q2")]
    december = [(row["指标编号"], row["期间"]) for row in data_rows(template(county, "2023-12"))]
    assert december == [("1.1", "2023"), ("1.2", "2023-12"), ("2.1", "2023-Q4"), ("2.2", "2023")]
    quarter = [(row["指标编号"], row["期间"]) for row in data_rows(template(county, "2023-Q2"))]
    assert quarter == [("1.2", "2023-04"), ("1.2", "2023-05"), ("1.2", "2023-06"), ("2.1", "2023-Q2")]
    assert len(data_rows(template(county, "2023"))) == 12 + 4 + 2

    for bad in ("2023-13", "May", "2031-05"):
        response = county.get(f"/api/v1/counties/{COUNTY}/template.xlsx", params={"period": bad})
        assert response.status_code == 422, bad
        assert response.json()["errors"][0]["field"] == "period", bad


def test_template_carries_standing_values_and_a_department_sees_only_its_indicators(county: TestClient) -> None:
    for indicator in ("1.2", "2.1"):
        response = county.put(
            f"/api/v1/counties/{COUNTY}/indicators/{indicator}/responsibility", json={"department": DEPARTMENT}
        )
        assert response.status_code == 200, response.text
    submitted = county.post(
        f"/api/v1/counties/{COUNTY}/submissions", json={"indicator": "1.2", "period": "2023-06", "value": "12.5"}
    )
    assert submitted.status_code == 201, submitted.text

    rows = data_rows(template(county, "2023-06"))
    assert [(row["指标编号"], row["责任部门"], row["数值"]) for row in rows] == [
        ("1.2", DEPARTMENT, 12.5),
        ("2.1", DEPARTMENT, None),
    ]
    add_user(service(county), "dept.user", Grant("g-dept", "department_user", county=COUNTY, department=DEPARTMENT))
    as_department = login(county, "dept.user")
    december = data_rows(template(county, "2023-12", **as_department))
    assert [(row["指标编号"], row["期间"]) for row in december] == [("1.2", "2023-12"), ("2.1", "2023-Q4")]

    # a department's file naming an indicator it does not answer for is refused whole
    book = template(county, "2023-12")  # the administrator's template, with every indicator
    content = fill(book, {("1.1", "2023"): 59.1, ("1.2", "2023-12"): 10})
    before = version(county)
    found = problems(upload(county, content, **as_department))
    assert found == [("rows[2].indicator", "indicator_in_scope", 2, "指标编号")]
    assert version(county) == before
    own = fill(template(county, "2023-12", **as_department), {("1.2", "2023-12"): 10})
    response = upload(county, own, **as_department)
    assert response.status_code == 201, response.text
    assert response.json()["summary"]["submitted"] == 1


# ------------------------------------------------------------------------------------ imports


def test_a_filled_template_is_imported_once(county: TestClient) -> None:
    before = version(county)
    content = fill(template(county, "2023-12"), DECEMBER, 说明={("2.2", "2023"): "按水利部门年报"})
    response = upload(county, content)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["county"] == COUNTY and body["replayed"] is False and body["dry_run"] is False
    assert body["summary"] == {"rows": 4, "submitted": 4, "corrected": 0, "unchanged": 0, "flagged": 0, "confirmed": 0}
    assert [(row["row"], row["indicator"], row["outcome"]) for row in body["rows"]] == [
        (2, "1.1", "submitted"),
        (3, "1.2", "submitted"),
        (4, "2.1", "submitted"),
        (5, "2.2", "submitted"),
    ]
    assert body["version"] == version(county)
    # (59.1 - 56.7) / 4.8 = 0.5 of 20; 2.2 = 90 -> band 0.8 of 25
    assert node_score(county, "1.1") == 10.0
    assert node_score(county, "2.2") == 20.0

    recorded = events_since(county, COUNTY, before)
    submitted = [event for event in recorded if type(event).__name__ == "DataSubmitted"]
    assert sorted((e.indicator, e.period, e.value, e.source) for e in submitted) == [
        ("1.1", "2023", Decimal("59.1"), "import"),
        ("1.2", "2023-12", Decimal("60"), "import"),
        ("2.1", "2023-Q4", Decimal("29"), "import"),
        ("2.2", "2023", Decimal("90"), "import"),
    ]
    batches = [event for event in recorded if type(event).__name__ == "BatchReceived"]
    assert [(b.channel, b.filename, b.rows, b.submitted) for b in batches] == [("import", "数据.xlsx", 4, 4)]

    # the same file again: answered as before, nothing stored
    after = version(county)
    again = upload(county, content)
    assert again.status_code == 200, again.text
    assert again.json()["replayed"] is True
    assert version(county) == after

    # a fresh template now carries the standing values: sent back untouched, nothing changes
    untouched = upload(county, fill(template(county, "2023-12"), {}))
    assert untouched.status_code == 200, untouched.text
    assert untouched.json()["summary"]["unchanged"] == 4
    # its position is the county's, where the values it found standing can be read (ADR 24)
    assert untouched.json()["position"] == body["position"] == int(untouched.headers["x-log-position"])
    assert version(county) == after  # not even a receipt

    # changing a standing value is a correction: it needs a reason (a conflict, as on the form)
    changed = {("1.1", "2023"): 61.5}
    found = problems(upload(county, fill(template(county, "2023-12"), changed)), 409)
    assert found == [("rows[2].reason", "reason_required", 2, "更正理由")]
    corrected = upload(county, fill(template(county, "2023-12"), changed, 更正理由={("1.1", "2023"): "按统计年鉴更正"}))
    assert corrected.status_code == 201, corrected.text
    assert corrected.json()["summary"] == {
        "rows": 4,
        "submitted": 0,
        "corrected": 1,
        "unchanged": 3,
        "flagged": 0,
        "confirmed": 0,
    }
    assert node_score(county, "1.1") == 20.0


def test_one_bad_row_refuses_the_whole_file_with_a_report(county: TestClient) -> None:
    before = version(county)
    bad = DECEMBER | {("1.2", "2023-12"): "十二", ("2.1", "2023-Q4"): 130}
    content = fill(template(county, "2023-12"), bad)
    found = problems(upload(county, content))
    assert found == [
        ("rows[3].value", "number", 3, "数值"),
        ("rows[4].value", "within_range", 4, "数值"),
    ]
    assert version(county) == before
    assert events_since(county, COUNTY, before) == []

    report = upload(county, content, Accept=f"{XLSX}, application/problem+json;q=0.5")
    assert report.status_code == 422
    assert report.headers["content-type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(report.content))
    assert book.sheetnames == [workbooks.REPORT_SHEET, workbooks.REPORT_DATA_SHEET]
    listing = list(book[workbooks.REPORT_SHEET].iter_rows(values_only=True))
    assert listing[0] == ("行号", "列", "问题")
    assert [(row, column) for row, column, _ in listing[1:]] == [(3, "数值"), (4, "数值")]
    assert "十二" in listing[1][2] and "超出" in listing[2][2]
    sheet = book[workbooks.REPORT_DATA_SHEET]
    assert [cell.value for cell in sheet[1]] == [*HEADERS, "错误说明"]
    assert sheet.cell(3, VALUE).value == "十二"
    assert sheet.cell(3, VALUE).fill.fgColor.rgb.endswith("FFC7CE")  # the bad cell is marked
    assert sheet.cell(2, VALUE).fill.fgColor.rgb != sheet.cell(3, VALUE).fill.fgColor.rgb
    assert sheet.cell(2, len(HEADERS) + 1).value is None
    assert "不是数字" in sheet.cell(3, len(HEADERS) + 1).value
    assert version(county) == before

    # JSON stays the answer unless the workbook is preferred
    assert (
        upload(county, content, Accept=f"application/json, {XLSX};q=0.9")
        .headers["content-type"]
        .startswith("application/problem+json")
    )


def test_dry_run_checks_and_stores_nothing(county: TestClient) -> None:
    before = version(county)
    content = fill(template(county, "2023-12"), {("1.2", "2023-12"): 60, ("2.2", "2023"): 90})
    response = upload(county, content, dry_run=True)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["dry_run"] is True and body["replayed"] is False
    assert body["summary"]["submitted"] == 2
    assert body["skipped"] == 2  # rows left empty are not reported
    assert version(county) == before
    # the real import afterwards is not taken for a replay
    assert upload(county, content).status_code == 201


def test_csv_in_utf8_with_bom_and_in_gb18030(county: TestClient) -> None:
    lines = [
        "指标编号,指标名称,期间,数值,说明",
        "1.2,休闲农业和乡村旅游接待人次,2023-01,10,",
        '1.2,休闲农业和乡村旅游接待人次,2023-02,"1,000",春节',
        "2.1,农村居民恩格尔系数,2023-Q1,30.5,",
        "1.1,农业科技进步贡献率,2023,,",
    ]
    text = "\r\n".join(lines) + "\r\n"
    response = upload(county, text.encode("utf-8-sig"), filename="数据.csv")
    assert response.status_code == 201, response.text
    assert response.json()["summary"]["submitted"] == 3
    assert response.json()["skipped"] == 1

    gbk = text.replace("2023-01", "2023-03").replace("2023-02", "2023-04").replace("2023-Q1", "2023-Q2")
    response = upload(county, gbk.encode("gb18030"), filename="数据.csv")
    assert response.status_code == 201, response.text
    assert [(row["indicator"], row["period"]) for row in response.json()["rows"]] == [
        ("1.2", "2023-03"),
        ("1.2", "2023-04"),
        ("2.1", "2023-Q2"),
    ]
    events = events_since(county, COUNTY, 0)
    assert any(type(e).__name__ == "DataSubmitted" and e.period == "2023-04" and e.value == 1000 for e in events)


def test_files_that_cannot_be_taken(county: TestClient) -> None:
    before = version(county)
    elsewhere = fill(template(county, "2023-12", code=OTHER), DECEMBER)
    assert problems(upload(county, elsewhere)) == [("file", "same_county", None, None)]
    assert upload(county, elsewhere, code=OTHER).status_code == 201  # where it belongs

    not_a_workbook = upload(county, b"PK\x03\x04 not really a zip", filename="x.xlsx")
    assert [error["field"] for error in not_a_workbook.json()["errors"]] == ["file"]
    assert not_a_workbook.status_code == 422
    assert upload(county, b"\x00\x01\x02binary", filename="x.bin").status_code == 422
    assert problems(upload(county, "名称,数量\n甲,1\n".encode(), filename="x.csv"))[0][:2] == ("file", "column_layout")
    assert problems(upload(county, "指标编号,期间,数值\n".encode(), filename="x.csv"))[0][:2] == ("file", "required")

    too_big = upload(county, b"a" * (5 * 1024 * 1024 + 1), filename="big.csv")
    assert too_big.status_code == 413
    assert too_big.json()["errors"][0]["field"] == "file"
    many = "指标编号,期间,数值\n" + "1.2,2023-01,1\n" * 10_001
    assert problems(upload(county, many.encode(), filename="many.csv"))[0][:2] == ("file", "max_rows")
    blank_lines = "指标编号,期间,数值\n" + "\n" * 20_000 + "1.2,2023-01,1\n"
    assert problems(upload(county, blank_lines.encode(), filename="blank.csv")) == [("file", "max_rows", None, None)]
    vast = with_dimension(fill(template(county, "2023-12"), DECEMBER), "A1:XFD1048576")
    assert problems(upload(county, vast)) == [("file", "max_rows", None, None)]
    unclosed = upload(county, '指标编号,期间,数值\n1.2,2023-01,"1'.encode() + b"9" * 200_000, filename="q.csv")
    assert problems(unclosed) == [("file", "file_format", None, None)]
    missing_file = county.post(f"/api/v1/counties/{COUNTY}/imports", data={"other": "x"})
    assert missing_file.status_code == 422
    assert version(county) == before


# ------------------------------------------------------------------------------------ batches


def batch(key: str, *rows: dict[str, Any]) -> dict[str, Any]:
    return {"idempotency_key": key, "submissions": list(rows)}


def row(indicator: str, period: str, value: Any, **more: str) -> dict[str, Any]:
    return {"indicator": indicator, "period": period, "value": value, **more}


def post_batch(client: TestClient, body: dict[str, Any], dry_run: bool = False, **headers: str) -> Any:
    return client.post(
        f"/api/v1/counties/{COUNTY}/batches", json=body, params={"dry_run": str(dry_run).lower()}, headers=headers
    )


def test_json_batches_all_or_nothing_and_idempotent(county: TestClient) -> None:
    before = version(county)
    good = batch("erp-2023-01", row("1.2", "2023-01", 10), row("2.1", "2023-Q1", "30.50"), row("2.2", "2023", 96))
    checked = post_batch(county, good, dry_run=True)
    assert checked.status_code == 200, checked.text
    assert checked.json()["dry_run"] is True and version(county) == before

    first = post_batch(county, good)
    assert first.status_code == 201, first.text
    assert first.json()["summary"]["submitted"] == 3
    assert [r["row"] for r in first.json()["rows"]] == [1, 2, 3]
    stored = version(county)
    recorded = events_since(county, COUNTY, before)
    assert {e.source for e in recorded if type(e).__name__ == "DataSubmitted"} == {"api"}
    assert [(e.channel, e.key) for e in recorded if type(e).__name__ == "BatchReceived"] == [("api", "erp-2023-01")]

    # the same key and the same content (numbers written differently): answered as before
    same = batch("erp-2023-01", row("1.2", "2023-01", "10.0"), row("2.1", "2023-Q1", 30.5), row("2.2", "2023", 96))
    replay = post_batch(county, same)
    assert replay.status_code == 200, replay.text
    assert replay.json()["replayed"] is True
    other = post_batch(county, batch("erp-2023-01", row("1.2", "2023-01", 11)))
    assert other.status_code == 409, other.text
    assert other.json()["errors"][0]["rule"] == "same_content"
    assert version(county) == stored

    bad = batch("erp-2023-02", row("1.2", "2023-02", 10), row("1.2", "2023-03", 5000), row("9.9", "2023-03", 1))
    response = post_batch(county, bad)
    assert problems(response) == [
        ("submissions[1].value", "within_range", 2, "value"),
        ("submissions[2].indicator", "known_indicator", 3, "indicator"),
    ]
    assert "第 2 条" in response.json()["errors"][0]["message"]
    assert version(county) == stored
    # the refused key was not used up
    fixed = batch("erp-2023-02", row("1.2", "2023-02", 10), row("1.2", "2023-03", 50))
    assert post_batch(county, fixed).status_code == 201

    for wrong in ({}, batch("k"), batch("", row("1.2", "2023-04", 1)), batch("k", row("1.2", "2023-04", "x"))):
        assert post_batch(county, wrong).status_code == 422, wrong


def test_api_keys_and_departments_submit_only_their_indicators(county: TestClient) -> None:
    issued = county.post(f"/api/v1/counties/{COUNTY}/api-keys", json={"label": "县数据中台", "indicators": ["1.2"]})
    assert issued.status_code == 201, issued.text
    as_key = {"X-API-Key": issued.json()["key"]}
    before = version(county)
    refused = post_batch(county, batch("key-1", row("1.2", "2023-01", 10), row("2.1", "2023-Q1", 30)), **as_key)
    assert problems(refused) == [("submissions[1].indicator", "indicator_in_scope", 2, "indicator")]
    assert version(county) == before
    accepted = post_batch(county, batch("key-1", row("1.2", "2023-01", 10)), **as_key)
    assert accepted.status_code == 201, accepted.text
    recorded = events_since(county, COUNTY, before)
    assert {e.actor for e in recorded if type(e).__name__ == "DataSubmitted"} == {f"apikey:{issued.json()['id']}"}
    # an API key may submit, not correct
    changed = post_batch(county, batch("key-2", row("1.2", "2023-01", 12, reason="更正")), **as_key)
    assert problems(changed, 409) == [("submissions[0].value", "correction_allowed", 1, "value")]
    assert f"/api/v1/counties/{COUNTY}/corrections" in changed.json()["errors"][0]["message"]
    # and a key reads no template of another county
    other = county.get(f"/api/v1/counties/{OTHER}/template.xlsx", params={"period": "2023-05"}, headers=as_key)
    assert other.status_code == 403

    response = county.put(f"/api/v1/counties/{COUNTY}/indicators/2.1/responsibility", json={"department": DEPARTMENT})
    assert response.status_code == 200, response.text
    add_user(service(county), "dept.user", Grant("g-dept", "department_user", county=COUNTY, department=DEPARTMENT))
    as_department = login(county, "dept.user")
    refused = post_batch(county, batch("dept-1", row("2.1", "2023-Q2", 30), row("2.2", "2023", 90)), **as_department)
    assert problems(refused) == [("submissions[1].indicator", "indicator_in_scope", 2, "indicator")]
    accepted = post_batch(county, batch("dept-1", row("2.1", "2023-Q2", 30)), **as_department)
    assert accepted.status_code == 201, accepted.text


# ----------------------------------------------------------------------------- the parser alone

CODES = st.from_regex(r"[1-9]\.[1-9](\.[1-9])?", fullmatch=True)
PERIODS = st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(2000, 2100), st.integers(1, 12)) | st.builds(
    lambda y, q: f"{y}-Q{q}", st.integers(2000, 2100), st.integers(1, 4)
)
VALUES = st.decimals(min_value=-(10**9), max_value=10**9, places=4, allow_nan=False, allow_infinity=False)
TEXTS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30).map(str.strip)
ROWS = st.lists(st.tuples(CODES, PERIODS, VALUES, TEXTS), min_size=1, max_size=30)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ROWS)
def test_any_valid_rows_written_to_a_workbook_read_back_the_same(rows: list[tuple[str, str, Decimal, str]]) -> None:
    lines = [TemplateLine(code, "名称", "%", period, None, None, "", value) for code, period, value, _ in rows]
    content = workbooks.template_workbook(COUNTY, "大名县", "2023-05", lines)
    book = openpyxl.load_workbook(io.BytesIO(content))
    for number, (*_, comment) in enumerate(rows, start=2):
        cell = book[workbooks.DATA_SHEET].cell(number, HEADERS.index("说明") + 1, comment or None)
        cell.data_type = "s" if comment else cell.data_type  # typed as text, as a user's "=0" in a text cell
    buffer = io.BytesIO()
    book.save(buffer)
    upload = workbooks.read_upload(buffer.getvalue(), "t.xlsx")
    assert upload.problems == []
    assert (upload.county, upload.period) == (COUNTY, "2023-05")
    assert [(r.row, r.indicator, r.period, r.value, r.comment) for r in upload.rows] == [
        (number, code, period, value, comment) for number, (code, period, value, comment) in enumerate(rows, 2)
    ]


@settings(max_examples=40, deadline=None)
@given(ROWS, st.sampled_from(["utf-8-sig", "utf-8", "gb18030"]))
def test_any_valid_rows_in_a_csv_read_back_the_same(rows: list[tuple[str, str, Decimal, str]], encoding: str) -> None:
    rows = [(code, period, value, comment) for code, period, value, comment in rows if _encodable(comment, encoding)]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["指标编号", "期间", "数值", "说明"])
    writer.writerows([code, period, str(value), comment] for code, period, value, comment in rows)
    upload = workbooks.read_upload(buffer.getvalue().encode(encoding), "t.csv")
    assert upload.problems == []
    assert [(r.indicator, r.period, r.value, r.comment) for r in upload.rows] == rows


def _encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def test_cells_people_write_are_read_as_meant() -> None:
    lines = (
        '指标编号,期间,数值\n1.2,2023-5,１２.５\n1.2,2023年6月,"1,234"\n2.1,2023q2,3\n1.1,2023年,5\n1.2,2023-07,5%\n'
    )
    upload = workbooks.read_upload(lines.encode(), "t.csv")
    assert [(r.period, r.value) for r in upload.rows] == [
        ("2023-05", Decimal("12.5")),
        ("2023-06", Decimal(1234)),
        ("2023-Q2", Decimal(3)),
        ("2023", Decimal(5)),
    ]
    assert [(p.row, p.column, p.rule) for p in upload.problems] == [(6, "数值", "number")]


# ------------------------------------------------------------------------- files built to hurt


def with_sheet_xml(content: bytes, change: Any, sheet: str = "xl/worksheets/sheet1.xml") -> bytes:
    source, buffer = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(item, change(data) if item.filename == sheet else data)
    return buffer.getvalue()


def with_dimension(content: bytes, ref: str) -> bytes:
    """The workbook with its data sheet's declared dimension (<dimension ref=...>) replaced, nothing else."""

    def change(xml: bytes) -> bytes:
        changed, count = re.subn(rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>'.encode(), xml)
        assert count == 1
        return changed

    return with_sheet_xml(content, change)


def small_template(values: dict[str, Decimal]) -> bytes:
    lines = [TemplateLine(code, "名称", "%", "2023", None, None, "", value) for code, value in values.items()]
    return workbooks.template_workbook(COUNTY, "大名县", "2023", lines)


def test_a_workbook_declaring_the_whole_sheet_is_refused_before_its_rows_are_built() -> None:
    content = with_dimension(small_template({"1.1": Decimal(5)}), "A1:XFD1048576")
    with pytest.raises(InvalidCommand) as refused:
        workbooks.read_upload(content, "t.xlsx")
    assert [(p.field, p.rule) for p in refused.value.problems] == [("file", "max_rows")]

    # openpyxl itself declares the whole sheet once a cell is written at its far corner
    book = openpyxl.load_workbook(io.BytesIO(small_template({"1.1": Decimal(5)})))
    book[workbooks.DATA_SHEET].cell(1_048_576, 16_384, "远处的单元格")
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(InvalidCommand) as refused:
        workbooks.read_upload(buffer.getvalue(), "t.xlsx")
    assert [(p.field, p.rule) for p in refused.value.problems] == [("file", "max_rows")]


def test_a_wide_declared_dimension_is_read_at_the_template_width() -> None:
    """Within the row limit, a sheet claiming 16,384 columns is read as it is: no row longer than MAX_COLUMNS."""
    content = with_dimension(small_template({"1.1": Decimal(5), "2.2": Decimal(90)}), "A1:XFD12")
    upload = workbooks.read_upload(content, "t.xlsx")
    assert [(r.indicator, r.value) for r in upload.rows] == [("1.1", Decimal(5)), ("2.2", Decimal(90))]
    assert upload.table and all(len(cells) <= workbooks.MAX_COLUMNS for _, cells in upload.table)
    assert len(upload.table[0][1]) == len(HEADERS)

    # the row iterator itself: a row far below the data only brings padding up to the limit, then the refusal
    book = openpyxl.load_workbook(io.BytesIO(small_template({"1.1": Decimal(5)})))
    book[workbooks.DATA_SHEET].cell(50_000, 40, "远处的单元格")
    buffer = io.BytesIO()
    book.save(buffer)
    bounded = with_dimension(buffer.getvalue(), "A1:J3")  # hides the far row from the declared-size check
    read = openpyxl.load_workbook(io.BytesIO(bounded), read_only=True, data_only=True)
    widths, seen = set(), 0
    with pytest.raises(InvalidCommand) as refused:
        for _, cells in workbooks.upload._xlsx_rows(read, max_rows=100):
            widths.add(len(cells))
            seen += 1
    read.close()
    assert [p.rule for p in refused.value.problems] == ["max_rows"]
    assert seen == workbooks.HEADER_SEARCH_ROWS + 100
    assert max(widths) <= workbooks.MAX_COLUMNS


def test_blank_rows_count_towards_the_row_limit() -> None:
    blank_lines = "指标编号,期间,数值\n" + "\n" * 20_000 + "1.2,2023-01,1\n"
    with pytest.raises(InvalidCommand) as refused:
        workbooks.read_upload(blank_lines.encode(), "t.csv")
    assert [(p.field, p.rule) for p in refused.value.problems] == [("file", "max_rows")]
    assert "空行" in refused.value.problems[0].message
    # a few blank lines in the data are skipped as before
    few = "指标编号,期间,数值\n\n\n1.2,2023-01,1\n" + ",,\n" * 5
    assert [(r.row, r.value) for r in workbooks.read_upload(few.encode(), "t.csv").rows] == [(4, Decimal(1))]
    # and a sheet with blank rows up to the limit is still read
    book = openpyxl.load_workbook(io.BytesIO(small_template({"1.1": Decimal(5)})))
    book[workbooks.DATA_SHEET].cell(60, 8, 7)
    book[workbooks.DATA_SHEET].cell(60, 1, "2.2")
    book[workbooks.DATA_SHEET].cell(60, 4, "2023")
    buffer = io.BytesIO()
    book.save(buffer)
    upload = workbooks.read_upload(buffer.getvalue(), "t.xlsx", max_rows=50)
    assert [(r.row, r.indicator) for r in upload.rows] == [(2, "1.1"), (60, "2.2")]
    with pytest.raises(InvalidCommand):
        workbooks.read_upload(buffer.getvalue(), "t.xlsx", max_rows=49)


def test_a_malformed_csv_is_explained_in_chinese() -> None:
    for content in ('指标编号,期间,数值\n1.2,2023-01,"1' + "9" * 200_000, "指标编号,期间,数值\n" + "a" * 200_000):
        with pytest.raises(InvalidCommand) as refused:
            workbooks.read_upload(content.encode(), "t.csv")
        [problem] = refused.value.problems
        assert (problem.field, problem.rule) == ("file", "file_format")
        assert problem.message.startswith("CSV 格式有误") and not re.search(r"[a-z]{3,}", problem.message)  # no English


def test_a_row_of_too_many_cells_is_refused_before_openpyxl_builds_it() -> None:
    """openpyxl holds a whole <row> before trimming it to max_col: 500,000 cells would take some 300 MB."""
    wide = b'<row r="3">' + b'<c r="A3"/>' * (workbooks.MAX_ROW_ELEMENTS + 1) + b"</row></sheetData>"
    content = with_sheet_xml(small_template({"1.1": Decimal(5)}), lambda xml: xml.replace(b"</sheetData>", wide))
    with pytest.raises(InvalidCommand) as refused:
        workbooks.read_upload(content, "t.xlsx")
    assert [(p.field, p.rule) for p in refused.value.problems] == [("file", "max_columns")]

    clutter = b"<x/>" * (workbooks.MAX_OTHER_ELEMENTS + 1) + b"</sheetData>"
    content = with_sheet_xml(small_template({"1.1": Decimal(5)}), lambda xml: xml.replace(b"</sheetData>", clutter))
    with pytest.raises(InvalidCommand) as refused:
        workbooks.read_upload(content, "t.xlsx")
    assert [(p.field, p.rule) for p in refused.value.problems] == [("file", "file_format")]

    many = b"".join(b'<row r="%d"/>' % number for number in range(3, 200)) + b"</sheetData>"
    content = with_sheet_xml(small_template({"1.1": Decimal(5)}), lambda xml: xml.replace(b"</sheetData>", many))
    with pytest.raises(InvalidCommand) as refused:
        workbooks.read_upload(content, "t.xlsx", max_rows=100)
    assert [(p.field, p.rule) for p in refused.value.problems] == [("file", "max_rows")]
    assert [r.indicator for r in workbooks.read_upload(content, "t.xlsx", max_rows=200).rows] == ["1.1"]


def test_a_zip_that_unpacks_to_too_much_is_refused_unread() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (workbooks.MAX_UNPACKED_BYTES + 1))
    with pytest.raises(InvalidCommand) as refused:
        workbooks.read_upload(buffer.getvalue(), "t.xlsx")
    assert [(p.field, p.rule) for p in refused.value.problems] == [("file", "max_size")]


# ------------------------------------------------------------------------ the template's lines


def test_template_lines_follow_the_period_the_scope_and_the_code_order() -> None:
    scheme = parse_scheme(example_document())
    book = CountyYear(scheme=scheme, indicators={item.code: item for item in scheme.indicators})
    book.indicators["1.10"] = replace(book.indicators["1.2"], code="1.10", name="第十项", frequency="annual")
    book.responsibility["2.1"] = Responsibility(DEPARTMENT)
    book.data["1.2"] = {"2023-06": Submission(Decimal("12.5"), "form", 3)}

    def lines(period: str, scope: DataScope | None = None) -> list[tuple[str, str]]:
        return [(line.indicator, line.period) for line in template_lines(book, parse_period(period), scope)]

    assert lines("2023-05") == [("1.2", "2023-05")]
    assert lines("2023-06") == [("1.2", "2023-06"), ("2.1", "2023-Q2")]
    assert lines("2023-12") == [
        ("1.1", "2023"),
        ("1.2", "2023-12"),
        ("1.10", "2023"),
        ("2.1", "2023-Q4"),
        ("2.2", "2023"),
    ]
    assert lines("2023-Q2") == [("1.2", "2023-04"), ("1.2", "2023-05"), ("1.2", "2023-06"), ("2.1", "2023-Q2")]
    assert len(lines("2023")) == 12 + 4 + 3
    assert lines("2023-12", DataScope(departments=frozenset({DEPARTMENT}))) == [("2.1", "2023-Q4")]
    assert lines("2023-12", DataScope(indicators=frozenset({"1.2"}))) == [("1.2", "2023-12")]
    assert lines("2023-12", DataScope()) == []

    june = template_lines(book, parse_period("2023-06"))
    assert june == [
        TemplateLine(
            "1.2", "休闲农业和乡村旅游接待人次", "万人次", "2023-06", Decimal(0), Decimal(1000), "", Decimal("12.5")
        ),
        TemplateLine("2.1", "农村居民恩格尔系数", "%", "2023-Q2", Decimal(0), Decimal(100), DEPARTMENT, None),
    ]
