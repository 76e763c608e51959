"""Review and feedback (在线反馈), flagged jumps and action plans, through the HTTP API on both stores.

The scheme is tests/example_scheme.json: 1.2 is monthly (range 0–1000), 1.1 annual. The
client is signed in as an administrator, who reviews as the evaluator side; the county's
side is a coordinator and a department user of county 130425.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from domain.anomaly import check_jump
from domain.monitoring_rules import Checks
from domain.organisation import Grant
from tests.conftest import add_user, enrol_over_http, login

COUNTY = "130425"
STEADY = [10, 11, 10, 12, 11]  # months 1–5 of 1.2: a history with a spread


@pytest.fixture
def county(client: TestClient, scheme_document: dict[str, Any]) -> TestClient:
    assert client.post("/api/v1/schemes", json=scheme_document).status_code == 201
    enrol_over_http(client, COUNTY)
    for month, value in enumerate(STEADY, start=1):
        submitted = post(client, "/submissions", {"indicator": "1.2", "period": f"2023-{month:02d}", "value": value})
        assert submitted["flag"] is None
    platform = client.app.state.platform  # type: ignore[attr-defined]
    add_user(platform, "coordinator", Grant("g-coordinator", "county_coordinator", county=COUNTY))
    add_user(platform, "dept", Grant("g-dept", "department_user", county=COUNTY, department="县农业农村局"))
    client.put(f"/api/v1/counties/{COUNTY}/indicators/1.2/responsibility", json={"department": "县农业农村局"})
    return client


def post(client: TestClient, path: str, body: dict[str, Any], status: int = 201, **kwargs: Any) -> dict[str, Any]:
    response = client.post(f"/api/v1/counties/{COUNTY}{path}", json=body, **kwargs)
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


def version(client: TestClient) -> int:
    events = client.get(f"/api/v1/counties/{COUNTY}/events", params={"limit": 1000}).json()
    return int(events["events"][-1]["version"])


def threads(client: TestClient, status: str = "open", **headers: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/counties/{COUNTY}/feedback", params={"status": status}, headers=headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["threads"]
    return found


def errors(response: Any) -> set[tuple[str, str]]:
    return {(item["field"], item["rule"]) for item in response.json()["errors"]}


# ---------------------------------------------------------------------------- flagged jumps


def test_a_jump_is_accepted_flagged_and_confirmed_with_a_comment(county: TestClient) -> None:
    jumped = post(county, "/submissions", {"indicator": "1.2", "period": "2023-06", "value": 50})
    assert jumped["events"] == ["DataSubmitted", "AnomalyFlagged"]
    assert "较上期 11.00 变化 +39.00" in jumped["flag"] and "稳健 z 值 26.31" in jumped["flag"]  # 0.6745 × 39 / 1
    scores = county.get(f"/api/v1/counties/{COUNTY}/scores", params={"year": 2023}).json()
    assert next(n for n in scores["nodes"] if n["code"] == "1.2")["value"] == 104.0  # counted, though flagged

    missing = county.post(
        f"/api/v1/counties/{COUNTY}/confirmations", json={"indicator": "1.2", "period": "2023-06", "comment": "  "}
    )
    assert missing.status_code == 422 and errors(missing) == {("comment", "required")}
    confirmed = post(county, "/confirmations", {"indicator": "1.2", "period": "2023-06", "comment": "新项目投产"}, 200)
    assert confirmed["events"] == ["AnomalyConfirmed"]
    again = county.post(
        f"/api/v1/counties/{COUNTY}/confirmations",
        json={"indicator": "1.2", "period": "2023-06", "comment": "再次确认"},
    )
    assert again.status_code == 409 and errors(again) == {("period", "flagged_value")}


def test_a_comment_sent_with_a_jump_confirms_it_at_once(county: TestClient) -> None:
    body = {"indicator": "1.2", "period": "2023-06", "value": 50, "comment": "新项目投产"}
    assert post(county, "/submissions", body)["events"] == ["DataSubmitted", "AnomalyFlagged", "AnomalyConfirmed"]


@pytest.mark.parametrize(
    ("value", "comment", "follow_up"),
    [(50, "", ["AnomalyFlagged"]), (50, "新项目投产", ["AnomalyFlagged", "AnomalyConfirmed"]),
     (11, "含新增合作社", ["FeedbackPosted"]), (11, "", [])],
)  # fmt: skip
def test_a_keyed_submission_sent_again_answers_as_it_was_first_answered(
    county: TestClient, value: int, comment: str, follow_up: list[str]
) -> None:
    """A client that retries after losing the first answer learns the same: the jump flag and
    the county's version after the command, though nothing is recorded again."""
    body = {"indicator": "1.2", "period": "2023-06", "value": value, "comment": comment, "idempotency_key": "k-6"}
    first = post(county, "/submissions", body)
    assert first["events"] == ["DataSubmitted", *follow_up] and bool(first["flag"]) == (value == 50)
    again = post(county, "/submissions", body)
    assert (again["replayed"], again["events"]) == (True, [])
    assert (again["flag"], again["version"]) == (first["flag"], first["version"])


def test_a_steady_value_with_a_comment_starts_a_thread_for_the_evaluator(county: TestClient) -> None:
    body = {"indicator": "1.2", "period": "2023-06", "value": 11, "comment": "含新增合作社"}
    assert post(county, "/submissions", body)["events"] == ["DataSubmitted", "FeedbackPosted"]
    [thread] = threads(county)
    assert (thread["period"], thread["status"], thread["waiting_on"]) == ("2023-06", "open", "evaluator")
    assert thread["comments"][0]["text"] == "含新增合作社"


def test_absurd_numbers_are_refused_on_every_channel_and_nothing_is_stored(county: TestClient) -> None:
    before = version(county)
    for value in ("1e30", "0.0000001", "-1e15"):
        single = county.post(f"/api/v1/counties/{COUNTY}/submissions",
                             json={"indicator": "1.2", "period": "2023-06", "value": value})  # fmt: skip
        assert single.status_code == 422 and errors(single) == {("value", "number_size")}, single.text
    batch = {"idempotency_key": "absurd", "submissions": [
        {"indicator": "1.2", "period": "2023-06", "value": 12},
        {"indicator": "1.2", "period": "2023-07", "value": "1E+26"},
    ]}  # fmt: skip
    refused = county.post(f"/api/v1/counties/{COUNTY}/batches", json=batch)
    assert refused.status_code == 422 and "number_size" in {e["rule"] for e in refused.json()["errors"]}
    assert version(county) == before


def test_correcting_a_flagged_value_to_a_steady_one_clears_the_flag(county: TestClient) -> None:
    post(county, "/submissions", {"indicator": "1.2", "period": "2023-06", "value": 50})
    corrected = post(
        county, "/corrections", {"indicator": "1.2", "period": "2023-06", "value": 11, "reason": "多录一位"}, 200
    )
    assert corrected["events"] == ["DataCorrected"]
    refused = county.post(
        f"/api/v1/counties/{COUNTY}/confirmations", json={"indicator": "1.2", "period": "2023-06", "comment": "确认"}
    )
    assert refused.status_code == 409


# ---------------------------------------------------------------------------- review and answers


def test_a_returned_submission_is_answered_by_the_county_and_then_accepted(county: TestClient) -> None:
    coordinator = login(county, "coordinator")
    no_comment = county.post(
        f"/api/v1/counties/{COUNTY}/reviews", json={"indicator": "1.2", "period": "2023-05", "decision": "return"}
    )
    assert no_comment.status_code == 422 and errors(no_comment) == {("comment", "required")}
    before = version(county)
    body = {"indicator": "1.2", "period": "2023-05", "decision": "return", "comment": "请附统计报表"}
    assert post(county, "/reviews", body, 200)["events"] == ["SubmissionReturned"]
    assert version(county) == before + 1
    [thread] = threads(county)
    assert (thread["status"], thread["waiting_on"]) == ("returned", "county")
    assert thread["status_label"] == "已退回，待县里答复"
    again = county.post(f"/api/v1/counties/{COUNTY}/reviews", json=body)
    assert again.status_code == 409 and errors(again) == {("decision", "awaiting_county")}

    answer = {"indicator": "1.2", "period": "2023-05", "comment": "报表已补充"}
    post(county, "/feedback", answer, headers=coordinator)
    [thread] = threads(county, **coordinator)
    assert (thread["status"], thread["waiting_on"]) == ("answered", "evaluator")
    assert [(c["side"], c["action"]) for c in thread["comments"]] == [("evaluator", "returned"), ("county", "answered")]

    post(county, "/reviews", {"indicator": "1.2", "period": "2023-05", "decision": "accept"}, 200)
    assert threads(county) == []
    [accepted] = threads(county, "accepted")
    assert accepted["status_label"] == "审核通过"


def test_a_correction_answers_a_return(county: TestClient) -> None:
    post(county, "/reviews", {"indicator": "1.2", "period": "2023-04", "decision": "return", "comment": "偏低"}, 200)
    post(county, "/corrections", {"indicator": "1.2", "period": "2023-04", "value": 12.5, "reason": "补录"}, 200)
    [thread] = threads(county)
    assert thread["status"] == "answered"
    assert thread["comments"][-1]["action"] == "corrected" and thread["comments"][-1]["text"] == "补录"


def test_a_value_changed_after_acceptance_waits_for_review_again(county: TestClient) -> None:
    post(county, "/reviews", {"indicator": "1.2", "period": "2023-05", "decision": "accept"}, 200)
    post(county, "/corrections", {"indicator": "1.2", "period": "2023-05", "value": 11.5, "reason": "补录"}, 200)
    [thread] = threads(county)
    assert (thread["status"], thread["waiting_on"]) == ("open", "evaluator")
    assert thread["comments"][-1]["action"] == "corrected"
    post(county, "/reviews", {"indicator": "1.2", "period": "2023-05", "decision": "accept"}, 200)
    assert threads(county) == []


def test_an_evaluators_question_waits_on_the_county(county: TestClient) -> None:
    post(county, "/feedback", {"indicator": "1.2", "period": "2023-05", "comment": "数据来源是什么？"})
    [thread] = threads(county)
    assert (thread["status"], thread["waiting_on"]) == ("open", "county")


def test_reviews_need_a_standing_submission_and_a_known_decision(county: TestClient) -> None:
    before = version(county)
    none = county.post(
        f"/api/v1/counties/{COUNTY}/reviews", json={"indicator": "1.2", "period": "2023-09", "decision": "accept"}
    )
    assert none.status_code == 404 and errors(none) == {("period", "existing_submission")}
    odd = county.post(
        f"/api/v1/counties/{COUNTY}/reviews", json={"indicator": "1.2", "period": "2023-05", "decision": "maybe"}
    )
    assert odd.status_code == 422 and "decision" in odd.text
    assert version(county) == before


def test_indicator_threads_open_and_close(county: TestClient) -> None:
    coordinator = login(county, "coordinator")
    post(county, "/feedback", {"indicator": "1.1", "comment": "基期数据口径如何确定？"}, headers=coordinator)
    [thread] = threads(county)
    assert (thread["indicator"], thread["period"], thread["waiting_on"]) == ("1.1", "", "evaluator")
    denied = county.post(f"/api/v1/counties/{COUNTY}/feedback/close", json={"indicator": "1.1"}, headers=coordinator)
    assert denied.status_code == 403
    post(county, "/feedback/close", {"indicator": "1.1", "comment": "按统计年鉴口径"}, 200)
    assert threads(county) == [] and threads(county, "closed")[0]["comments"][-1]["action"] == "closed"
    twice = county.post(f"/api/v1/counties/{COUNTY}/feedback/close", json={"indicator": "1.1"})
    assert twice.status_code == 409


def test_a_department_discusses_only_its_own_indicators(county: TestClient) -> None:
    dept = login(county, "dept")
    post(county, "/feedback", {"indicator": "1.2", "period": "2023-05", "comment": "已核实"}, headers=dept)
    other = county.post(
        f"/api/v1/counties/{COUNTY}/feedback", json={"indicator": "1.1", "comment": "问一下"}, headers=dept
    )
    assert other.status_code == 403 and errors(other) == {("indicator", "indicator_in_scope")}
    review = county.post(
        f"/api/v1/counties/{COUNTY}/reviews",
        json={"indicator": "1.2", "period": "2023-05", "decision": "accept"},
        headers=dept,
    )
    assert review.status_code == 403


def test_bad_feedback_is_refused_and_nothing_is_stored(county: TestClient) -> None:
    before = version(county)
    cases = [
        ({"indicator": "9.9", "comment": "x"}, ("indicator", "known_indicator")),
        ({"indicator": "1.2", "period": "2023-Q1", "comment": "x"}, ("period", "indicator_frequency")),
        ({"indicator": "1.2", "period": "2023-5", "comment": "x"}, ("period", "period_format")),
        ({"indicator": "1.2", "comment": "   "}, ("comment", "required")),
    ]
    for body, problem in cases:
        response = county.post(f"/api/v1/counties/{COUNTY}/feedback", json=body)
        assert response.status_code == 422 and problem in errors(response), (body, response.text)
    assert version(county) == before


# ---------------------------------------------------------------------------- action plans


def test_an_action_plan_keeps_its_files_by_content_hash(county: TestClient) -> None:
    files = [
        ("files", ("方案.txt", "提高粮食产能的措施".encode(), "text/plain")),
        ("files", ("附表.csv", b"a,b\n1,2\n", "text/csv")),
    ]
    response = county.put(
        f"/api/v1/counties/{COUNTY}/indicators/1.2/action-plan", data={"text": "分三步推进"}, files=files
    )
    assert response.status_code == 200, response.text
    assert response.json()["events"] == ["ActionPlanRecorded"]
    plan = county.get(f"/api/v1/counties/{COUNTY}/indicators/1.2/action-plan").json()
    assert plan["text"] == "分三步推进" and plan["actor"] == "admin.test"
    assert [(f["name"], f["size"]) for f in plan["files"]] == [("方案.txt", 27), ("附表.csv", 8)]
    downloaded = county.get(plan["files"][0]["url"])
    assert downloaded.status_code == 200 and downloaded.content == "提高粮食产能的措施".encode()
    assert "filename*=UTF-8''%E6%96%B9%E6%A1%88.txt" in downloaded.headers["content-disposition"]

    same = [("files", ("copy.txt", "提高粮食产能的措施".encode(), "text/plain"))]
    county.put(f"/api/v1/counties/{COUNTY}/indicators/1.2/action-plan", data={"text": "修订"}, files=same)
    platform = county.app.state.platform  # type: ignore[attr-defined]
    stored = platform.reads.query("SELECT COUNT(*) AS n FROM attached_files")
    assert stored[0]["n"] == 2  # the same bytes are kept once
    assert county.get(f"/api/v1/counties/{COUNTY}/files/{'0' * 64}").status_code == 404


def test_a_refused_action_plan_leaves_no_file_behind(county: TestClient) -> None:
    files = [("files", ("方案.txt", "未知指标的方案".encode(), "text/plain"))]
    refused = county.put(f"/api/v1/counties/{COUNTY}/indicators/7.7/action-plan", data={"text": "方案"}, files=files)
    assert refused.status_code == 422
    platform = county.app.state.platform  # type: ignore[attr-defined]
    assert platform.reads.query("SELECT COUNT(*) AS n FROM attached_files")[0]["n"] == 0


def test_the_template_sent_back_with_a_comment_confirms_a_flagged_value(county: TestClient) -> None:
    post(county, "/submissions", {"indicator": "1.2", "period": "2023-06", "value": 50})
    unchanged = {"indicator": "1.2", "period": "2023-06", "value": "50.00", "comment": "新景区开业"}
    answer = post(county, "/batches", {"idempotency_key": "confirm-1", "submissions": [unchanged]})
    assert answer["summary"]["confirmed"] == 1 and answer["rows"][0]["outcome"] == "confirmed"
    again = county.post(f"/api/v1/counties/{COUNTY}/confirmations",
                        json={"indicator": "1.2", "period": "2023-06", "comment": "再次确认"})  # fmt: skip
    assert again.status_code == 409  # nothing left to confirm
    silent = {"idempotency_key": "confirm-2", "submissions": [{**unchanged, "comment": ""}]}
    assert county.post(f"/api/v1/counties/{COUNTY}/batches", json=silent).status_code == 200  # changes nothing


def test_an_action_plan_without_text_is_refused(county: TestClient) -> None:
    before = version(county)
    empty = county.put(f"/api/v1/counties/{COUNTY}/indicators/1.2/action-plan", data={"text": "  "})
    assert empty.status_code == 422 and errors(empty) == {("text", "required")}
    unknown = county.put(f"/api/v1/counties/{COUNTY}/indicators/7.7/action-plan", data={"text": "方案"})
    assert unknown.status_code == 422 and errors(unknown) == {("indicator", "known_indicator")}
    assert version(county) == before
    assert county.get(f"/api/v1/counties/{COUNTY}/indicators/1.2/action-plan").status_code == 404


# ---------------------------------------------------------------------------- the jump rule itself


def test_the_change_rule_applies_while_the_history_is_short() -> None:
    checks = Checks()
    assert check_jump(Decimal(16), [Decimal(10)], checks) is not None  # +60 %
    assert check_jump(Decimal(15), [Decimal(10)], checks) is None  # +50 % is the limit
    assert check_jump(Decimal(5), [Decimal(10)], checks) is None  # −50 %
    assert check_jump(Decimal("4.9"), [Decimal(10)], checks) is not None
    assert check_jump(Decimal(100), [], checks) is None  # nothing to compare with
    assert check_jump(Decimal(100), [Decimal(10)], Checks(change_pct=None)) is None


def test_a_steady_climb_and_the_month_after_a_spike_are_not_flagged() -> None:
    checks = Checks()
    climb = [Decimal(60) + Decimal(month) / 2 + Decimal(month % 3) / 10 for month in range(12)]
    assert check_jump(climb[-1] + Decimal("0.6"), climb, checks) is None  # on its path, far above its median
    spike = [Decimal(10), Decimal(11), Decimal(10), Decimal(12), Decimal(11), Decimal(40)]
    assert check_jump(Decimal(11), spike, checks) is None  # back to the usual level
    assert check_jump(Decimal(80), spike[:-1], checks) is not None


@given(
    history=st.lists(st.integers(0, 1000).map(Decimal), min_size=2, max_size=30),
    value=st.integers(0, 5000).map(Decimal),
    scale=st.integers(1, 10**6).map(Decimal),
)
def test_flags_do_not_depend_on_the_unit(history: list[Decimal], value: Decimal, scale: Decimal) -> None:
    """The same series in 万元 or in 元 (every value times a constant) gets the same verdict and measure."""
    checks = Checks()
    plain = check_jump(value, history, checks)
    scaled = check_jump(value * scale, [item * scale for item in history], checks)
    assert (plain is None) == (scaled is None)
    if plain is not None and scaled is not None:
        assert (plain.method, plain.measure) == (scaled.method, scaled.measure)


@pytest.mark.parametrize(
    ("value", "later"),
    [(50, ("/confirmations", {"indicator": "1.2", "period": "2023-06", "comment": "新项目投产"}, 200)),
     (50, ("/submissions", {"indicator": "1.2", "period": "2023-06", "value": 50, "comment": "确认"}, 201)),
     (11, ("/feedback", {"indicator": "1.2", "period": "2023-06", "comment": "数据来源是什么？"}, 201))],
)  # fmt: skip
def test_a_keyed_submission_replays_its_own_answer_whatever_was_recorded_after_it(
    county: TestClient, value: int, later: tuple[str, dict[str, Any], int]
) -> None:
    """Another command on the same value (confirming the jump, the value sent again with a
    comment, an evaluator's question) is not part of the keyed one's answer."""
    body = {"indicator": "1.2", "period": "2023-06", "value": value, "idempotency_key": "k-6"}
    traced = {"X-Request-ID": "client-trace-1"}  # a client may send one request id with all it sends
    first = post(county, "/submissions", body, headers=traced)
    path, later_body, status = later
    assert post(county, path, later_body, status, headers=traced)["events"]
    again = post(county, "/submissions", body, headers=traced)
    assert (again["replayed"], again["flag"], again["version"]) == (True, first["flag"], first["version"])
