"""Digits, periods and county codes: NFKC, then ASCII digits only (ADR 17), on every channel.

Full-width ２０２３-05 is 2023-05 and is accepted, stored as 2023-05. Arabic-Indic ٢٠٢٣-05 is
left as it is by NFKC and refused: 422, the field, the rule ``ascii_digits``, words in
Chinese, nothing stored. Numbers too large for the arithmetic behind them (1e1000000, which
used to overflow into a 500) are refused with ``number_size``. An error nobody foresaw is
answered with a 500 problem on a connection that stays open.
"""

from __future__ import annotations

import http.client
import io
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import Workbook

from api.app import create_app
from domain.decimals import NotANumber, read_number, to_decimal, within_reach
from domain.errors import InvalidCommand
from domain.organisation import Grant
from domain.periods import Period, parse_period, period_text
from ruraleval.platform import Platform
from ruraleval.settings import parse_database_url
from tests.conftest import ADMIN, add_user, client_for, enrol_over_http, login
from tests.test_cli import free_port

COUNTY = "130425"
ARABIC = "٢٠٢٣-05"  # Arabic-Indic digits: NFKC leaves them, the platform refuses them
FULL_WIDTH = "２０２３－０５"  # full-width digits and hyphen: NFKC makes them 2023-05
BASE = f"/api/v1/counties/{COUNTY}"


def full_width(text: str) -> str:
    return "".join(chr(ord(char) + 0xFEE0) if "0" <= char <= "9" else char for char in text)


def arabic_indic(text: str) -> str:
    return "".join(chr(ord(char) - ord("0") + 0x0660) if "0" <= char <= "9" else char for char in text)


# ------------------------------------------------------------------------------ the domain


def test_the_domain_reads_only_the_platforms_own_ascii_periods() -> None:
    assert parse_period("2023-05") == Period(2023, 5, 1)
    for text, rule in [(ARABIC, "ascii_digits"), ("२०२३", "ascii_digits"), (full_width("2023-05"), "ascii_digits"),
                       ("2023-05\n", "period_format"), (" 2023", "period_format")]:  # fmt: skip
        with pytest.raises(InvalidCommand) as refused:
            parse_period(text)
        assert [(p.field, p.rule) for p in refused.value.problems] == [("period", rule)], text
        if rule == "ascii_digits":
            assert "请用阿拉伯数字 0–9 填写" in refused.value.problems[0].message


def test_edges_normalise_a_period_before_the_domain_reads_it() -> None:
    assert period_text(FULL_WIDTH) == "2023-05"
    assert period_text(" ２０２３－Ｑ２\u3000") == "2023-Q2"  # full-width Q, ideographic space
    assert period_text(ARABIC) == ARABIC  # NFKC keeps other scripts' digits: parse_period refuses them


def test_numbers_written_as_text() -> None:
    assert read_number("１２．５") == Decimal("12.5")
    assert read_number(" -61.50 ") == Decimal("-61.50")
    for text, rule in [("٣", "ascii_digits"), ("١٢.٥", "ascii_digits"), ("1_000", "number"), ("1,5", "number"),
                       ("1e3", "number"), ("1e1000000", "number"), ("NaN", "number"), ("", "number")]:  # fmt: skip
        with pytest.raises(NotANumber) as refused:
            read_number(text)
        assert refused.value.rule == rule, text
    with pytest.raises(ValueError):
        to_decimal("٢")  # a scheme's weight of ٢ is not 2
    reach = [within_reach(Decimal(text)) for text in ("1e999", "-1e-999", "0E-5000", "1e1000", "1e-1000", "NaN")]
    assert reach == [True, True, True, False, False, False]


# ------------------------------------------------------------------------------- over HTTP


@pytest.fixture
def county(memory_client: TestClient, scheme_document: dict[str, Any]) -> TestClient:
    assert memory_client.post("/api/v1/schemes", json=scheme_document).status_code == 201
    enrol_over_http(memory_client, COUNTY)
    for month in range(1, 6):
        posted = memory_client.post(f"{BASE}/submissions", json={"indicator": "1.2", "period": f"2023-{month:02d}",
                                                                 "value": 10 + month % 2})  # fmt: skip
        assert posted.status_code == 201, posted.text
    return memory_client


def head(client: TestClient) -> int:
    value: int = client.get("/readyz").json()["head"]
    return value


def refused(client: TestClient, method: str, path: str, **kwargs: Any) -> set[tuple[str, str]]:
    """The (field, rule) pairs of a 422 that stored nothing, each with words in Chinese."""
    before = head(client)
    response = client.request(method, path, **kwargs)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert all(error["field"] and error["message"] for error in errors), errors
    assert head(client) == before, "a refused request stored an event"
    return {(error["field"], error["rule"]) for error in errors}


def events(client: TestClient, *types: str) -> list[dict[str, Any]]:
    found = client.get(f"{BASE}/events", params={"type": list(types), "limit": 1000})
    assert found.status_code == 200, found.text
    page: list[dict[str, Any]] = found.json()["events"]
    return page


def csv_file(period: str, value: str = "12") -> dict[str, Any]:
    return {"files": {"file": ("数据.csv", f"指标编号,期间,数值\n1.2,{period},{value}\n".encode(), "text/csv")}}


def xlsx_file(period: str, value: Any = 12) -> dict[str, Any]:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["指标编号", "期间", "数值"])
    sheet.append(["1.2", period, value])
    buffer = io.BytesIO()
    book.save(buffer)
    return {"files": {"file": ("数据.xlsx", buffer.getvalue(), "application/octet-stream")}}


# (method, path, request arguments for a period, the field a refusal names, the period: new data
# goes to June, the other channels act on May's value)
PERIOD_CHANNELS = {
    "submission": ("POST", "/submissions", lambda p: {"json": {"indicator": "1.2", "period": p, "value": 12}},
                   "period", "2023-06"),
    "batch": ("POST", "/batches", lambda p: {"json": {"idempotency_key": f"k-{p}", "submissions": [
        {"indicator": "1.2", "period": p, "value": 12}]}}, "submissions[0].period", "2023-06"),
    "csv import": ("POST", "/imports", csv_file, "rows[2].period", "2023-06"),
    "xlsx import": ("POST", "/imports", xlsx_file, "rows[2].period", "2023-06"),
    "correction": ("POST", "/corrections", lambda p: {"json": {"indicator": "1.2", "period": p, "value": 9,
                                                              "reason": "核对"}}, "period", "2023-05"),
    "withdrawal": ("POST", "/withdrawals", lambda p: {"json": {"indicator": "1.2", "period": p, "reason": "重复"}},
                   "period", "2023-05"),
    "feedback": ("POST", "/feedback", lambda p: {"json": {"indicator": "1.2", "period": p, "comment": "请核实"}},
                 "period", "2023-05"),
    "review": ("POST", "/reviews", lambda p: {"json": {"indicator": "1.2", "period": p, "decision": "accept"}},
               "period", "2023-05"),
}  # fmt: skip


@pytest.mark.parametrize("channel", list(PERIOD_CHANNELS))
def test_a_period_in_other_digits_is_refused_and_in_full_width_digits_is_taken(
    county: TestClient, channel: str
) -> None:
    method, path, arguments, field, period = PERIOD_CHANNELS[channel]
    assert (field, "ascii_digits") in refused(county, method, BASE + path, **arguments(arabic_indic(period)))
    taken = county.request(method, BASE + path, **arguments(full_width(period)))
    assert taken.status_code in (200, 201), taken.text
    recorded = events(county)[-1]["payload"]
    if recorded.get("channel"):  # a batch's receipt comes after its values
        recorded = events(county, "DataSubmitted")[-1]["payload"]
    assert recorded["period"] == period, recorded  # stored in the platform's own form


def test_no_feedback_thread_under_a_period_in_other_digits(county: TestClient) -> None:
    refused(county, "POST", f"{BASE}/feedback", json={"indicator": "1.2", "period": ARABIC, "comment": "请核实"})
    threads = county.get(f"{BASE}/feedback", params={"status": "all"}).json()["threads"]
    assert [thread["period"] for thread in threads] == []


def test_a_flagged_value_is_confirmed_with_its_period_in_full_width(county: TestClient) -> None:
    flagged = county.post(f"{BASE}/submissions", json={"indicator": "1.2", "period": "2023-06", "value": 90})
    assert flagged.json()["flag"], flagged.text
    body = {"indicator": "1.2", "comment": "新项目投产"}
    assert ("period", "ascii_digits") in refused(county, "POST", f"{BASE}/confirmations",
                                                 json=body | {"period": arabic_indic("2023-06")})  # fmt: skip
    confirmed = county.post(f"{BASE}/confirmations", json=body | {"period": full_width("2023-06")})
    assert confirmed.status_code == 200 and confirmed.json()["events"] == ["AnomalyConfirmed"], confirmed.text


def test_periods_in_the_path_and_the_query(county: TestClient) -> None:
    assert ("period", "ascii_digits") in refused(county, "POST", f"{BASE}/periods/{ARABIC}/close", json={})
    closed = county.post(f"{BASE}/periods/{full_width('2023-05')}/close", json={"reason": "月末关账"})
    assert closed.status_code == 200, closed.text
    assert events(county, "PeriodClosed")[-1]["payload"]["period"] == "2023-05"
    reopened = county.post(f"{BASE}/periods/{full_width('2023-05')}/reopen", json={"reason": "补报"})
    assert reopened.status_code == 200, reopened.text
    assert ("period", "ascii_digits") in refused(county, "GET", f"{BASE}/template.xlsx", params={"period": ARABIC})
    assert county.get(f"{BASE}/template.xlsx", params={"period": FULL_WIDTH}).status_code == 200
    for path in (f"{BASE}/schedule", "/api/v1/warnings/grid"):
        day = "2023-06-11"
        assert ("at", "date") in refused(county, "GET", path, params={"year": 2023, "at": arabic_indic(day)})
        answer = county.get(path, params={"year": full_width("2023"), "at": full_width(day)})
        assert answer.status_code == 200 and answer.json()["at"] == day, answer.text
        assert ("year", "ascii_digits") in refused(county, "GET", path, params={"year": arabic_indic("2023")})
    assert ("as_of", "iso_instant") in refused(county, "GET", f"{BASE}/scores",
                                               params={"year": 2023, "as_of": arabic_indic("2023-06-11")})  # fmt: skip


def test_county_codes_in_bodies_paths_and_queries(county: TestClient, scheme_document: dict[str, Any]) -> None:
    body = {"name": "新县", "province": "河南省", "region": "central", "scheme": "example-2023"}
    assert ("code", "ascii_digits") in refused(county, "POST", "/api/v1/counties",
                                               json=body | {"code": arabic_indic("411523")})  # fmt: skip
    enrolled = county.post("/api/v1/counties", json=body | {"code": full_width("411523")})
    assert enrolled.status_code == 201 and enrolled.json()["county"] == "411523", enrolled.text
    assert "411523" in [row["code"] for row in county.get("/api/v1/counties").json()]

    submission = {"indicator": "1.2", "period": "2023-06", "value": 12}
    wide = f"/api/v1/counties/{full_width(COUNTY)}"
    assert county.post(f"{wide}/submissions", json=submission).status_code == 201
    assert events(county, "DataSubmitted")[-1]["payload"]["period"] == "2023-06"  # on 130425's stream
    other = f"/api/v1/counties/{arabic_indic(COUNTY)}"
    assert ("code", "ascii_digits") in refused(county, "POST", f"{other}/submissions", json=submission)
    assert ("code", "ascii_digits") in refused(county, "GET", f"{other}/scores", params={"year": 2023})
    assert ("code", "admin_code") in refused(county, "POST", "/api/v1/counties/13042/submissions", json=submission)
    assert ("county", "ascii_digits") in refused(county, "GET", "/api/v1/warnings",
                                                 params={"county": arabic_indic(COUNTY)})  # fmt: skip
    assert county.get("/api/v1/warnings", params={"county": full_width(COUNTY)}).status_code == 200


def test_a_coordinator_may_write_to_its_county_named_in_full_width(county: TestClient) -> None:
    """The permission check reads the path's code normalised, like the route."""
    service: Platform = county.app.state.platform  # type: ignore[attr-defined]
    add_user(service, "coordinator", Grant("g-c", "county_coordinator", county=COUNTY))
    headers = login(county, "coordinator")
    wide = f"/api/v1/counties/{full_width(COUNTY)}/submissions"
    answer = county.post(wide, json={"indicator": "1.2", "period": "2023-07", "value": 9}, headers=headers)
    assert answer.status_code == 201, answer.text


# (path, body, field, the domain's rule for 10^15)
NUMBERS = [
    ("/submissions", {"indicator": "1.2", "period": "2023-06"}, "value", "number_size"),
    ("/overrides", {"year": 2023, "node": "1.1", "authority": "province", "reason": "核查"}, "score",
     "within_node_maximum"),
    ("/adjustments", {"year": 2023, "category": "bonus", "reason": "推广"}, "points", "within_cap"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "body", "field", "too_large"), NUMBERS, ids=[n[2] for n in NUMBERS])
def test_numbers_sent_as_text(county: TestClient, path: str, body: dict[str, Any], field: str, too_large: str) -> None:
    assert (field, "ascii_digits") in refused(county, "POST", BASE + path, json=body | {field: "٣"})
    for absurd in ("1e1000000", "-1e1000000", "1e-1000000"):  # beyond what the arithmetic can carry
        assert (field, "number_size") in refused(county, "POST", BASE + path, json=body | {field: absurd})
    assert (field, too_large) in refused(county, "POST", BASE + path, json=body | {field: "1e15"})
    taken = county.post(BASE + path, json=body | {field: "３．５"})
    assert taken.status_code == 201, taken.text
    assert events(county)[-1]["payload"][field] == "3.5"


def test_weights_and_years_sent_as_text(county: TestClient) -> None:
    body = {"parent": "1", "reason": "调整"}
    assert ("weights.1.1", "ascii_digits") in refused(
        county, "PUT", f"{BASE}/weights", json=body | {"weights": {"1.1": "٢٠", "1.2": "30"}}
    )
    for absurd in ("1e1000000", "1e-1000000"):  # Decimal("1e1000000") overflowed the weights' sum: a 500
        assert ("weights.1.1", "number_size") in refused(
            county, "PUT", f"{BASE}/weights", json=body | {"weights": {"1.1": absurd, "1.2": "30"}}
        )
    adjusted = county.put(f"{BASE}/weights", json=body | {"weights": {"1.1": "３０", "1.2": "２０"}})
    assert adjusted.status_code == 200, adjusted.text
    points = {"points": 1, "category": "bonus", "reason": "推广"}
    assert ("year", "ascii_digits") in refused(county, "POST", f"{BASE}/adjustments",
                                               json=points | {"year": "٢٠٢٣"})  # fmt: skip
    assert county.post(f"{BASE}/adjustments", json=points | {"year": "２０２３"}).status_code == 201


def test_a_scheme_number_in_other_digits_is_not_a_number(memory_client: TestClient, scheme_document: Any) -> None:
    document = json.loads(json.dumps(scheme_document))
    document["indicators"][0]["weight"] = "٥٠"
    found = refused(memory_client, "POST", "/api/v1/schemes", json=document)
    assert any(rule == "number" and "weight" in field for field, rule in found), found


def test_spreadsheet_values_in_other_digits(county: TestClient) -> None:
    assert ("rows[2].value", "ascii_digits") in refused(county, "POST", f"{BASE}/imports", **csv_file("2023-06", "١٢"))
    assert ("rows[2].value", "ascii_digits") in refused(county, "POST", f"{BASE}/imports", **xlsx_file("2023-06", "١٢"))
    taken = county.post(f"{BASE}/imports", **csv_file("２０２３年６月", "１２．５"))
    assert taken.status_code == 201, taken.text
    submitted = events(county, "DataSubmitted")[-1]["payload"]
    assert (submitted["period"], submitted["value"], submitted["source"]) == ("2023-06", "12.5", "import")


# ------------------------------------------------------------------------ the connection


@contextmanager
def served(app: FastAPI) -> Iterator[int]:
    """The application behind a real uvicorn server, in a thread, on a free port."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def test_refusals_and_unexpected_errors_keep_the_connection_open(scheme_document: dict[str, Any]) -> None:
    app = create_app(lambda: Platform(parse_database_url("memory://")), background=False)

    @app.get("/api/v1/broken", include_in_schema=False)
    def broken() -> None:
        raise RuntimeError("an error nobody foresaw")

    with served(app) as port:
        service: Platform = app.state.platform
        add_user(service, ADMIN, Grant("g-admin", "admin"))
        token, _ = service.tokens.issue(ADMIN)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

        def call(method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
            connection.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
            response = connection.getresponse()
            return response.status, json.loads(response.read())

        assert call("POST", "/api/v1/schemes", scheme_document)[0] == 201
        assert call("POST", "/api/v1/counties", {"code": COUNTY, "name": "大名县", "province": "河北省",
                                                 "region": "east", "scheme": "example-2023"})[0] == 201  # fmt: skip
        status, body = call("POST", f"{BASE}/submissions", {"indicator": "1.2", "period": ARABIC, "value": 1})
        assert (status, body["errors"][0]["rule"]) == (422, "ascii_digits")
        status, body = call("GET", "/api/v1/broken")
        assert status == 500 and body["errors"] == [
            {"field": "server", "rule": "internal", "message": "服务器内部错误，已记录，请联系管理员"}
        ]
        # The same connection serves on: before, uvicorn closed it after the 500 (connection reset).
        assert call("POST", f"{BASE}/submissions", {"indicator": "1.2", "period": FULL_WIDTH, "value": 1})[0] == 201
        connection.close()


def test_text_with_a_nul_character_is_refused_wherever_it_could_be_stored(
    county: TestClient, scheme_document: dict[str, Any]
) -> None:
    """PostgreSQL cannot hold U+0000 in a text column: one stored in an event stopped every read model there."""
    nul = "a\x00b"
    data = {"indicator": "1.2", "period": "2023-06", "value": 1}
    assert ("comment", "no_nul") in refused(county, "POST", f"{BASE}/submissions", json=data | {"comment": nul})
    correction = {"indicator": "1.2", "period": "2023-05", "value": 9, "reason": nul}
    assert ("reason", "no_nul") in refused(county, "POST", f"{BASE}/corrections", json=correction)
    batch = {"idempotency_key": "k", "submissions": [data | {"comment": nul}]}
    assert ("submissions", "no_nul") in refused(county, "POST", f"{BASE}/batches", json=batch)  # says 0.comment
    document = json.loads(json.dumps(scheme_document)) | {"id": "example-2025", "year": 2025}
    document["indicators"][1]["name"] = nul
    assert ("indicators.1.name", "no_nul") in refused(county, "POST", "/api/v1/schemes", json=document)
    assert ("text", "no_nul") in refused(county, "PUT", f"{BASE}/indicators/1.2/action-plan", data={"text": nul})
    rows = "".join(f"1.2,2023-{month:02d},1{month},{'x' * 500}\n" for month in range(6, 13))  # past the first 4 KB
    content = f"指标编号,期间,数值,说明\n{rows}1.2,2023-12,1,{nul}\n".encode()
    assert ("file", "file_format") in refused(county, "POST", f"{BASE}/imports", files={"file": ("数据.csv", content)})


def test_a_proposed_weight_far_too_large_is_refused_with_the_bounds(scheme_document: dict[str, Any]) -> None:
    """1e30 of a weight of 50 was quantized to 0.0001 while wording the refusal: beyond 28 digits, a 500."""
    document = json.loads(json.dumps(scheme_document))
    document["indicators"][0]["county_adjustable"] = {"min_share": 0.3, "max_share": 0.7}
    with client_for("memory://") as client:
        assert client.post("/api/v1/schemes", json=document).status_code == 201
        enrol_over_http(client, COUNTY)
        service: Platform = client.app.state.platform  # type: ignore[attr-defined]
        add_user(service, "coordinator", Grant("g-c", "county_coordinator", county=COUNTY))
        headers = login(client, "coordinator")
        for weight in (1e30, "1e30", "-1e30"):
            change = {"parent": "1", "weights": {"1.1": weight, "1.2": 20}}
            body = {"kind": "adjust_weights", "change": change, "reason": "调整", "year": 2023}
            answer = client.post(f"{BASE}/proposals", json=body, headers=headers)
            assert answer.status_code == 422, answer.text
            assert "county_weight_bounds" in {error["rule"] for error in answer.json()["errors"]}, answer.text
