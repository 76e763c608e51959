"""The scheme is the centre's (ADR 20), through the HTTP API, on SQLite and PostgreSQL.

The issue's bug first: a county coordinator changed the weights of common indicators,
retired a common indicator and lowered a common target, and the total moved with no
evaluator involved. Each is now refused, stores nothing and leaves the total. Then the
way a county does change what the scheme leaves to it: a proposal, approved by an
evaluator of its team, visible in the score history and the raw event stream.

The scheme is tests/example_scheme.json with dimension 1 (1.1 = 20, 1.2 = 30 of 50)
county-adjustable within 30 %–70 % (15 to 35 points); dimension 2 is the scheme's. County
130425 has data: 1.1 = 59.1 (10 of 20), 1.2 = 60 (15 of 30), 2.1 = 29 (25), 2.2 = 90 (20):
total 70, 一般.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from domain.organisation import Grant
from ruraleval.platform import Platform
from tests.conftest import ADMIN, add_user, client_for, enrol_over_http, login

COUNTY = "130425"
ELSEWHERE = "510129"
COORDINATOR = "coordinator.130425"
DEPARTMENT = "dept.130425"
EVALUATOR = "evaluator.east"
STRANGER = "evaluator.west"  # an evaluator, of another team
AUDITOR = "auditor"
DATA = [("1.1", "2023", 59.1), ("1.2", "2023-01", 60), ("2.1", "2023-Q1", 29), ("2.2", "2023", 90)]


@dataclass
class Api:
    client: TestClient
    platform: Platform
    as_user: dict[str, dict[str, str]]

    def call(self, user: str, method: str, tail: str, body: Any = None, county: str = COUNTY) -> httpx.Response:
        headers = self.client.headers if user == "admin" else self.as_user[user]
        return self.client.request(method, f"/api/v1/counties/{county}{tail}", json=body, headers=dict(headers))

    def ok(self, user: str, method: str, tail: str, body: Any = None, status: int = 200) -> dict[str, Any]:
        response = self.call(user, method, tail, body)
        assert response.status_code == status, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def scores(self) -> dict[str, Any]:
        body = self.ok(COORDINATOR, "GET", "/scores?year=2023")
        return {"total": body["total"], "grade": body["grade"]} | {n["code"]: n["score"] for n in body["nodes"]}

    def version(self) -> int:
        return self.platform.ledger.county(COUNTY).version

    def history(self, node: str) -> list[dict[str, Any]]:
        changes: list[dict[str, Any]] = self.ok(AUDITOR, "GET", f"/scores/{node}/history?year=2023")["changes"]
        return changes


def adjustable_document(document: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(document)
    document["indicators"][0]["county_adjustable"] = {"min_share": 0.3, "max_share": 0.7}
    return document


def setup(client: TestClient, document: dict[str, Any]) -> Api:
    service: Platform = client.app.state.platform  # type: ignore[attr-defined]
    assert client.post("/api/v1/schemes", json=adjustable_document(document)).status_code == 201
    enrol_over_http(client, COUNTY)
    enrol_over_http(client, ELSEWHERE, "大邑县", "四川省", "west")
    for team, region, county in (("east-1", "east", COUNTY), ("west-1", "west", ELSEWHERE)):
        assert client.post("/api/v1/teams", json={"code": team, "name": team, "region": region}).status_code == 201
        assigned = client.put(f"/api/v1/teams/{team}/counties", json={"counties": [county], "reason": "分组"})
        assert assigned.status_code == 200, assigned.text
    add_user(service, COORDINATOR, Grant("g-co", "county_coordinator", county=COUNTY))
    add_user(service, DEPARTMENT, Grant("g-dept", "department_user", county=COUNTY, department="县农业农村局"))
    add_user(service, EVALUATOR, Grant("g-east", "evaluator", team="east-1"))
    add_user(service, STRANGER, Grant("g-west", "evaluator", team="west-1"))
    add_user(service, AUDITOR, Grant("g-aud", "auditor"))
    api = Api(client, service, {user: login(client, user) for user in (COORDINATOR, DEPARTMENT, EVALUATOR,
                                                                        STRANGER, AUDITOR)})  # fmt: skip
    for indicator, period, value in DATA:
        api.ok(COORDINATOR, "POST", "/submissions", {"indicator": indicator, "period": period, "value": value}, 201)
    assert api.scores()["total"] == 70.0
    return api


@pytest.fixture
def api(client: TestClient, scheme_document: dict[str, Any]) -> Api:
    return setup(client, scheme_document)


def refused(api: Api, response: httpx.Response, status: int, rule: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert rule in [error["rule"] for error in body["errors"]], body
    return body


# ------------------------------------------------------------------- the issue, reproduced


BUG = [
    ("PUT", "/weights", {"parent": "2", "weights": {"2.1": 40, "2.2": 10}, "reason": "县里调整共性指标权重"},
     "“2 生活富裕”下各指标的权重由评估方案确定"),
    ("POST", "/indicators/2.2/retire", {"sibling_weights": {"2.1": 50}, "reason": "停用共性指标"},
     "“2.2 农村自来水普及率”是评估方案中的共性指标"),
    ("PATCH", "/indicators/1.2", {"changes": {"method": {"type": "attainment", "target": 10}}, "reason": "目标太高"},
     "“1.2 休闲农业和乡村旅游接待人次”是评估方案中的共性指标"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "tail", "body", "words"), BUG, ids=["common weights", "retire", "target"])
def test_a_coordinator_cannot_change_what_is_the_centres(
    api: Api, method: str, tail: str, body: dict[str, Any], words: str
) -> None:
    before, version = api.scores(), api.version()
    answer = refused(api, api.call(COORDINATOR, method, tail, body), 403, "permission:manage_indicators")
    assert words in answer["detail"]
    assert "只能由中心专班或本县评估组修改" in answer["detail"]
    assert f"POST /api/v1/counties/{COUNTY}/proposals" in answer["detail"]  # where the county may propose
    assert (api.version(), api.scores()) == (version, before)
    # Proposed instead, it is the centre's all the same.
    kind = {"PUT": "adjust_weights", "POST": "retire_indicator", "PATCH": "revise_indicator"}[method]
    change = {key: value for key, value in body.items() if key != "reason"}
    if kind != "adjust_weights":
        change["code"] = tail.split("/")[2]
    proposal = {"kind": kind, "change": change, "reason": body["reason"]}
    answer = refused(api, api.call(COORDINATOR, "POST", "/proposals", proposal), 403, "centre_decides")
    assert words in answer["detail"]
    assert (api.version(), api.scores()) == (version, before)


def test_a_coordinator_on_the_direct_route_for_what_it_may_decide_is_pointed_to_a_proposal(api: Api) -> None:
    body = {"parent": "1", "weights": {"1.1": 30, "1.2": 20}, "reason": "县里调整"}
    answer = refused(api, api.call(COORDINATOR, "PUT", "/weights", body), 403, "permission:manage_indicators")
    assert "方案允许县在各占 30%–70% 之间调整，但须经本县评估组批准" in answer["detail"]
    assert "kind 为 adjust_weights" in answer["detail"]
    definition = {"code": "1.3", "parent": "1", "name": "特色产业产值", "kind": "specific", "weight": 0,
                  "method": {"type": "attainment", "target": 8}}  # fmt: skip
    answer = refused(api, api.call(COORDINATOR, "POST", "/indicators", {"indicator": definition, "reason": "增设"}),
                     403, "permission:manage_indicators")  # fmt: skip
    assert "新增本县个性指标须经本县评估组批准" in answer["detail"]


def test_the_department_user_is_refused_as_before(api: Api) -> None:
    body = {"parent": "1", "weights": {"1.1": 30, "1.2": 20}, "reason": "调整"}
    answer = refused(api, api.call(DEPARTMENT, "PUT", "/weights", body), 403, "permission:manage_indicators")
    assert "中心专班管理员、评估组成员" in answer["detail"]
    proposal = {"kind": "adjust_weights", "change": body, "reason": "x"}
    refused(api, api.call(DEPARTMENT, "POST", "/proposals", proposal), 403, "permission:propose_changes")


def test_the_responsibility_stays_the_countys_own_business(api: Api) -> None:
    body = {"department": "县水利局", "person": "张三"}
    assigned = api.ok(COORDINATOR, "PUT", "/indicators/2.2/responsibility", body)
    assert assigned["events"] == ["ResponsibilityAssigned"]


def test_the_indicator_list_says_what_came_from_the_scheme_and_what_may_be_adjusted(api: Api) -> None:
    proposal_id = api.ok(COORDINATOR, "POST", "/proposals", {"kind": "define_indicator", "change": {
        "indicator": {"code": "1.3", "parent": "1", "name": "特色产业产值", "kind": "specific", "weight": 15,
                      "method": {"type": "attainment", "target": 8}},
        "sibling_weights": {"1.1": 15, "1.2": 20}}, "reason": "增设个性指标"}, 201)["proposal_id"]  # fmt: skip
    api.ok(EVALUATOR, "POST", f"/proposals/{proposal_id}/approve", {"reason": "同意"})
    listed = {item["code"]: item for item in api.ok(COORDINATOR, "GET", "/indicators?year=2023")["indicators"]}
    assert {code: item["origin"] for code, item in listed.items()} == {
        "1": "scheme", "1.1": "scheme", "1.2": "scheme", "2": "scheme", "2.1": "scheme", "2.2": "scheme",
        "1.3": "county",
    }  # fmt: skip
    assert listed["1"]["county_adjustable"] == {"min_share": 0.3, "max_share": 0.7}
    assert "county_adjustable" not in listed["2"]


# ------------------------------------------------------------------ proposing and deciding


def proposal(weights: dict[str, Any], reason: str = "本县以农业科技为重点") -> dict[str, Any]:
    return {"kind": "adjust_weights", "change": {"parent": "1", "weights": weights}, "reason": reason}


def test_an_approved_proposal_changes_the_score_and_the_history_tells_how(api: Api) -> None:
    proposed = api.ok(COORDINATOR, "POST", "/proposals", proposal({"1.1": 35, "1.2": 15}), 201)
    proposal_id = proposed["proposal_id"]
    assert proposed["events"] == ["ChangeProposed"]
    assert api.scores()["total"] == 70.0  # a proposal counts for nothing yet

    listed = api.ok(COORDINATOR, "GET", "/proposals?status=pending")["proposals"]
    assert [(p["id"], p["status_label"], p["proposed_by"]) for p in listed] == [(proposal_id, "待审核", COORDINATOR)]
    assert listed[0]["change"] == {"parent": "1", "weights": {"1.1": 35, "1.2": 15}}

    approved = api.ok(EVALUATOR, "POST", f"/proposals/{proposal_id}/approve", {"reason": "与评估组协商一致"})
    assert approved["events"] == ["ProposalApproved", "WeightsAdjusted"]
    # 1.1 half way to its target: 17.5 of 35; 1.2 half: 7.5 of 15 → dimension 1 = 25, total 70.
    after = api.scores()
    assert (after["1.1"], after["1.2"], after["1"], after["total"]) == (17.5, 7.5, 25.0, 70.0)
    listed = api.ok(COORDINATOR, "GET", "/proposals?status=approved")["proposals"]
    assert [(p["id"], p["status_label"], p["decided_by"], p["decision_reason"]) for p in listed] == [
        (proposal_id, "已批准", EVALUATOR, "与评估组协商一致")
    ]

    steps = [(step["cause"]["event"], step["cause"]["actor"], step["before"], step["after"]) for step in
             api.history("1.1")]  # fmt: skip
    assert steps[-3:] == [
        ("ChangeProposed", COORDINATOR, 10.0, 10.0),
        ("ProposalApproved", EVALUATOR, 10.0, 10.0),
        ("WeightsAdjusted", EVALUATOR, 10.0, 17.5),
    ]
    proposed_step, approval, change = api.history("1.1")[-3:]
    assert proposed_step["cause"]["reason"] == "本县以农业科技为重点"
    assert approval["cause"]["reason"] == "与评估组协商一致"
    assert change["cause"]["reason"] == f"批准变更申请 {proposal_id}：与评估组协商一致"
    assert (
        change["cause"]["proposal"].items()
        >= {
            "id": proposal_id,
            "proposed_by": COORDINATOR,
            "proposal_reason": "本县以农业科技为重点",
            "decided_by": EVALUATOR,
            "decision_reason": "与评估组协商一致",
            "status_label": "已批准",
        }.items()
    )
    assert change["cause"]["weights"] == {"1.1": "35", "1.2": "15"}
    # The dimension's history shows the proposal's steps too; the total did not move.
    assert [s["cause"]["event"] for s in api.history("1")][-2:] == ["ChangeProposed", "ProposalApproved"]

    # The raw event stream (auditors) has all three, with actors and reasons.
    events = api.ok(AUDITOR, "GET", "/events?type=ChangeProposed&type=ProposalApproved&type=WeightsAdjusted")
    assert [(e["type"], e["actor"]) for e in events["events"]] == [
        ("ChangeProposed", COORDINATOR),
        ("ProposalApproved", EVALUATOR),
        ("WeightsAdjusted", EVALUATOR),
    ]
    assert events["events"][0]["payload"]["change"] == {"parent": "1", "weights": {"1.1": "35", "1.2": "15"}}


def test_a_proposal_outside_the_bounds_is_refused_with_the_numbers(api: Api) -> None:
    version = api.version()
    answer = refused(api, api.call(COORDINATOR, "POST", "/proposals", proposal({"1.1": 40, "1.2": 10})), 422,
                     "county_weight_bounds")  # fmt: skip
    errors = {error["field"]: error["message"] for error in answer["errors"]}
    assert "权重 40 占“1 产业兴旺”权重 50 的 80%，方案允许县在 30%–70%（15–35）之间调整" in errors["change.weights.1.1"]
    assert "权重 10 占“1 产业兴旺”权重 50 的 20%" in errors["change.weights.1.2"]
    assert api.version() == version


def test_a_rejected_proposal_leaves_the_score(api: Api) -> None:
    before = api.scores()
    proposal_id = api.ok(COORDINATOR, "POST", "/proposals", proposal({"1.1": 30, "1.2": 20}), 201)["proposal_id"]
    rejected = api.ok(EVALUATOR, "POST", f"/proposals/{proposal_id}/reject", {"reason": "与全县工作重点不符"})
    assert rejected["events"] == ["ProposalRejected"]
    assert api.scores() == before
    listed = api.ok(COORDINATOR, "GET", "/proposals?status=rejected")["proposals"]
    assert [(p["status_label"], p["decision_reason"]) for p in listed] == [("已驳回", "与全县工作重点不符")]
    refused(api, api.call(EVALUATOR, "POST", f"/proposals/{proposal_id}/approve", {"reason": "改为同意"}), 409,
            "proposal_pending")  # fmt: skip
    rejection = api.history("1.1")[-1]
    assert (rejection["cause"]["event"], rejection["cause"]["actor"]) == ("ProposalRejected", EVALUATOR)
    assert rejection["cause"]["reason"] == "与全县工作重点不符"


def test_a_proposal_is_withdrawn_by_the_county(api: Api) -> None:
    proposal_id = api.ok(COORDINATOR, "POST", "/proposals", proposal({"1.1": 30, "1.2": 20}), 201)["proposal_id"]
    api.ok(COORDINATOR, "POST", f"/proposals/{proposal_id}/withdraw", {"reason": "重新研究后再申请"})
    listed = api.ok(COORDINATOR, "GET", "/proposals")["proposals"]
    assert [(p["id"], p["status_label"]) for p in listed] == [(proposal_id, "已撤回")]
    refused(api, api.call(EVALUATOR, "POST", f"/proposals/{proposal_id}/approve", {"reason": "同意"}), 409,
            "proposal_pending")  # fmt: skip


def test_an_approval_that_no_longer_fits_is_refused_with_the_reasons(api: Api) -> None:
    proposal_id = api.ok(COORDINATOR, "POST", "/proposals", proposal({"1.1": 30, "1.2": 20}), 201)["proposal_id"]
    centre = {"parent": None, "weights": {"1": 40, "1.1": 16, "1.2": 24, "2": 60, "2.1": 30, "2.2": 30},
              "reason": "中心调整一级指标权重"}  # fmt: skip
    api.ok("admin", "PUT", "/weights", centre)
    before, version = api.scores(), api.version()
    answer = refused(api, api.call(EVALUATOR, "POST", f"/proposals/{proposal_id}/approve", {"reason": "同意"}), 409,
                     "proposal_still_fits")  # fmt: skip
    assert "已不符合当前的指标体系" in answer["detail"]
    assert "“1”的下级指标权重合计为 50，应等于 40" in answer["detail"]
    assert (api.version(), api.scores()) == (version, before)


@pytest.mark.parametrize(("user", "permission"), [(COORDINATOR, "decide_proposals"), (STRANGER, "decide_proposals")])
def test_only_an_evaluator_of_the_countys_team_or_the_centre_approves(api: Api, user: str, permission: str) -> None:
    proposal_id = api.ok(COORDINATOR, "POST", "/proposals", proposal({"1.1": 30, "1.2": 20}), 201)["proposal_id"]
    version = api.version()
    for verb in ("approve", "reject"):
        refused(api, api.call(user, "POST", f"/proposals/{proposal_id}/{verb}", {"reason": "同意"}), 403,
                f"permission:{permission}")  # fmt: skip
    assert api.version() == version
    api.ok("admin", "POST", f"/proposals/{proposal_id}/approve", {"reason": "中心批准"})


def test_the_centre_changes_a_common_target_directly_with_a_reason(api: Api) -> None:
    change = {"changes": {"method": {"type": "attainment", "target": 60}}, "reason": "中心统一下调 2023 年度目标值"}
    refused(api, api.call("admin", "PATCH", "/indicators/1.2", change | {"reason": " "}), 422, "reason_required")
    assert api.scores()["total"] == 70.0
    api.ok("admin", "PATCH", "/indicators/1.2", change)
    assert api.scores()["total"] == 85.0  # 1.2: 60 of 60 → 30 instead of 15
    api.ok(EVALUATOR, "PATCH", "/indicators/1.2", {"changes": {"name": "乡村旅游接待人次"}, "reason": "评估组统一名称"})
    last = api.history("1.2")[-1]["cause"]
    assert (last["event"], last["actor"], last["reason"]) == ("IndicatorRevised", ADMIN, change["reason"])


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({"kind": "rename", "change": {}, "reason": "x"}, "kind", "literal_error"),
        ({"kind": "adjust_weights", "reason": "x"}, "change", "missing"),
        ({"kind": "adjust_weights", "change": {"parent": "1", "weights": {"1.1": "三十"}}, "reason": "x"},
         "change.weights.1.1", "number"),
        ({"kind": "adjust_weights", "change": {"parent": "1"}, "reason": "x"}, "change.weights", "required"),
        ({"kind": "revise_indicator", "change": {"code": "1.2", "changes": {"weight": 1}}, "reason": "x"},
         "change.code", "centre_decides"),
        ({"kind": "adjust_weights", "change": {"parent": "1", "weights": {"1.1": 30, "1.2": 20}}, "reason": ""},
         "reason", "reason_required"),
        ({"kind": "adjust_weights", "change": {"parent": "1", "weights": {"1.1": 30}}, "reason": "x"},
         "change.weights.1", "sibling_sum"),
    ],
)  # fmt: skip
def test_bad_input_names_the_field_and_rule_in_chinese_and_stores_nothing(
    api: Api, body: dict[str, Any], field: str, rule: str
) -> None:
    version = api.version()
    response = api.call(COORDINATOR, "POST", "/proposals", body)
    assert 400 <= response.status_code < 500, response.text
    errors = response.json()["errors"]
    assert (field, rule) in [(error["field"], error["rule"]) for error in errors], errors
    assert all(any("\u4e00" <= char <= "\u9fff" for char in error["message"]) for error in errors)
    assert api.version() == version
    assert api.ok(COORDINATOR, "GET", "/proposals")["proposals"] == []


def test_unknown_proposals_are_404(api: Api) -> None:
    refused(api, api.call(EVALUATOR, "POST", "/proposals/P2023-404/approve", {"reason": "同意"}), 404, "known_proposal")


# ------------------------------------------------------------------- the property, over HTTP


COUNTY_SIDE_REQUESTS = st.one_of(
    st.builds(lambda parent, weights: ("PUT", "/weights", {"parent": parent, "weights": weights, "reason": "县"}),
              st.sampled_from([None, "1", "2"]),
              st.dictionaries(st.sampled_from(["1", "2", "1.1", "1.2", "2.1", "2.2"]),
                              st.integers(0, 60), min_size=1)),
    st.builds(lambda code, target: ("PATCH", f"/indicators/{code}",
                                    {"changes": {"method": {"type": "attainment", "target": target}}, "reason": "县"}),
              st.sampled_from(["1.1", "1.2", "2.1", "2.2", "1.3"]), st.integers(1, 200)),
    st.builds(lambda code: ("POST", f"/indicators/{code}/retire", {"reason": "县"}),
              st.sampled_from(["1.1", "1.2", "2.2", "1.3"])),
    st.builds(lambda weight: ("POST", "/indicators", {"indicator": {"code": "1.3", "parent": "1", "name": "特色",
                                                                    "kind": "specific", "weight": weight,
                                                                    "method": {"type": "manual"}}, "reason": "县"}),
              st.integers(0, 20)),
    st.builds(lambda parent, weights: ("POST", "/proposals", {"kind": "adjust_weights", "change": {
                  "parent": parent, "weights": weights}, "reason": "县"}),
              st.sampled_from([None, "1", "2"]),
              st.dictionaries(st.sampled_from(["1.1", "1.2", "2.1", "2.2"]), st.integers(0, 50), min_size=1)),
    st.builds(lambda weight: ("POST", "/proposals", {"kind": "adjust_weights", "change": {  # within the bounds
                  "parent": "1", "weights": {"1.1": weight, "1.2": 50 - weight}}, "reason": "县"}),
              st.integers(15, 35)),
    st.builds(lambda code: ("POST", "/proposals", {"kind": "define_indicator", "change": {  # within the bounds
                  "indicator": {"code": code, "parent": "1", "name": "特色", "kind": "specific", "weight": 15,
                                "method": {"type": "attainment", "target": 5}},
                  "sibling_weights": {"1.1": 15, "1.2": 20}}, "reason": "县"}),
              st.sampled_from(["1.3", "1.4"])),
    st.builds(lambda weight, code: ("POST", "/proposals", {"kind": "define_indicator", "change": {
                  "indicator": {"code": code, "parent": "1", "name": "特色", "kind": "specific", "weight": weight,
                                "method": {"type": "attainment", "target": 5}},
                  "sibling_weights": {"1.1": 20 - weight, "1.2": 30}}, "reason": "县"}),
              st.integers(0, 10), st.sampled_from(["1.3", "1.4"])),
    st.builds(lambda code: ("POST", "/proposals", {"kind": "revise_indicator", "change": {
                  "code": code, "changes": {"method": {"type": "attainment", "target": 1}}}, "reason": "县"}),
              st.sampled_from(["1.1", "1.2", "1.3"])),
    st.builds(lambda number, verb: ("POST", f"/proposals/P2023-{number:03d}/{verb}", {"reason": "县"}),
              st.integers(1, 6), st.sampled_from(["withdraw", "approve", "reject"])),
    st.builds(lambda code: ("PUT", f"/indicators/{code}/responsibility", {"department": "县农业农村局"}),
              st.sampled_from(["1.1", "2.2"])),
)  # fmt: skip


@pytest.fixture(scope="module")
def memory_api(request: pytest.FixtureRequest) -> Iterator[Api]:
    from tests.conftest import example_document

    with client_for("memory://") as client:
        yield setup(client, example_document())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from([COORDINATOR, DEPARTMENT]), COUNTY_SIDE_REQUESTS), max_size=8))
def test_nothing_the_county_side_does_moves_a_score(memory_api: Api, steps: list[tuple[str, Any]]) -> None:
    """Direct changes, proposals, withdrawals, attempts to decide: whatever the county side
    sends, in any order, the scores stay as they were (only an evaluator's approval moves them)."""
    before = memory_api.scores()
    for user, (method, tail, body) in steps:
        response = memory_api.call(user, method, tail, body)
        assert response.status_code < 500, response.text
        event(f"{method} {tail.split('/')[1]} {'…/' + tail.split('/')[-1] if tail.count('/') > 1 else ''}"
              f" → {response.status_code}")  # fmt: skip
        if tail in ("/weights", "/indicators") or (tail.startswith("/indicators/") and "responsibility" not in tail):
            assert response.status_code == 403, response.text  # the tree's direct routes are the centre's
        if tail.endswith(("/approve", "/reject")):
            assert response.status_code == 403, response.text
    assert memory_api.scores() == before
