"""Answers carry data, not code: every county event type, through the score history and the reads.

The fixture records one county's life through the HTTP API so that its stream holds every
type of ``County.Event`` (found by walking the subclasses, so a new event type fails
``test_the_fixture_records_every_county_event_type`` until the fixture produces it). Then
the score history of every node, the other reads and ``ruraleval history`` are searched
for anything that looks like Python rather than data: ``IndicatorDef(code=…``,
``Decimal(``, ``datetime.``, ``{'``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.county import PROPOSAL_EVENTS, SCORELESS_EVENTS, County
from domain.organisation import Grant
from projections.causes import EVENT_LABELS, cause_of
from ruraleval.platform import Platform
from tests.conftest import add_user, client_for, enrol_over_http, login
from tests.test_cli import ruraleval

COUNTY = "130425"
# What Python writes and data never holds: a dataclass or call repr, a Decimal, a datetime,
# a dict or list repr, an object's default repr.
PYTHON = re.compile(r"\w+\(\w+=|Decimal\(|datetime\.|\{'|\['|<\w[\w.]* object at |\bUUID\(")
DECIMAL_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")  # how a cause writes a number: 61.5, never 6.15E+1
NUMBER_FIELDS = ("value", "previous", "score", "points")
NUMBER_MAPS = ("weights", "sibling_weights", "previous")
# Events that change no score, so that no history row can name them.
# A composite input moves a composite (GET …/composites), which is no node of the score history.
MOVE_NO_SCORE = {*SCORELESS_EVENTS, County.ResponsibilityAssigned, County.PeriodClosed, County.PeriodReopened,
                 County.CompositeInputRecorded}  # fmt: skip


# eventsourcing gives every aggregate a ``Created`` event of its own; a county is created by Enrolled.
NEVER_RECORDED = {County.Created}


def county_event_types() -> set[type[County.Event]]:
    """Every event class of the county stream, however deeply nested in the hierarchy."""
    found: set[type[County.Event]] = set()
    waiting: list[type[Any]] = [County.Event]
    while waiting:
        for subclass in waiting.pop().__subclasses__():
            if subclass.__qualname__.startswith("County.") and subclass not in NEVER_RECORDED:
                found.add(subclass)
            waiting.append(subclass)
    return found


def assert_plain(value: Any, where: str) -> None:
    """JSON-ready data (objects, lists, text, numbers, booleans, null) with nothing Python-looking in it."""

    def walk(item: Any, path: str) -> None:
        if isinstance(item, dict):
            for key, entry in item.items():
                assert isinstance(key, str), f"{where}{path}: key {key!r}"
                walk(entry, f"{path}.{key}")
        elif isinstance(item, list):
            for index, entry in enumerate(item):
                walk(entry, f"{path}[{index}]")
        else:
            assert item is None or isinstance(item, str | int | float | bool), f"{where}{path}: {type(item)}"
            if isinstance(item, str):
                assert not PYTHON.search(item), f"{where}{path}: Python in {item[:200]!r}"

    walk(value, "")


def strict_json(text: str, where: str) -> Any:
    """Parses JSON as JSON is written: NaN and Infinity (Python's json.dumps extensions) refused."""

    def refuse(constant: str) -> None:
        raise AssertionError(f"{where}: {constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def assert_numbers_written_plainly(cause: dict[str, Any], where: str) -> None:
    for name in NUMBER_FIELDS:
        value = cause.get(name)
        if value is not None and not isinstance(value, dict):
            assert isinstance(value, str) and DECIMAL_TEXT.fullmatch(value), f"{where}: {name}={value!r}"
    for name in NUMBER_MAPS:
        if isinstance(cause.get(name), dict):
            for code, value in cause[name].items():
                assert DECIMAL_TEXT.fullmatch(value), f"{where}: {name}.{code}={value!r}"
    definition = cause.get("definition")
    if definition is not None:
        assert definition["code"] == cause["indicator"], where
        assert DECIMAL_TEXT.fullmatch(definition["weight"]), f"{where}: weight {definition['weight']!r}"


# ------------------------------------------------------------------------------------ fixture


@dataclass
class Life:
    client: TestClient
    url: str

    @property
    def platform(self) -> Platform:
        found: Platform = self.client.app.state.platform  # type: ignore[attr-defined]
        return found


def _call(client: TestClient, method: str, path: str, body: Any = None, **kwargs: Any) -> dict[str, Any]:
    response = client.request(method, f"/api/v1/counties/{COUNTY}{path}", json=body, **kwargs)
    assert response.status_code in (200, 201), f"{method} {path}: {response.text}"
    answer: dict[str, Any] = response.json()
    return answer


@pytest.fixture(scope="module")
def life(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Life]:
    """County 130425 through every kind of event, on a SQLite file (for the CLI to read too)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('life') / 'ruraleval.db'}"
    document = json.loads((Path(__file__).parent / "example_scheme.json").read_text("utf-8"))
    document["indicators"][0]["county_adjustable"] = {"min_share": 0.3, "max_share": 0.7}  # proposals
    document["composite_inputs"] = [{"code": "villages", "name": "抽查村得分", "many": True}]  # composite inputs
    with client_for(url) as client:
        assert client.post("/api/v1/schemes", json=document).status_code == 201
        next_year = {**document, "id": "example-2024", "year": 2024, "name": "示例方案（2024年度）"}
        assert client.post("/api/v1/schemes", json=next_year).status_code == 201
        enrol_over_http(client, COUNTY)
        post = lambda path, body, **kw: _call(client, "POST", path, body, **kw)  # noqa: E731
        post("/schemes", {"scheme": "example-2024"})
        _call(
            client,
            "PUT",
            "/indicators/1.2/responsibility",
            {"department": "县农业农村局", "person": "李四", "year": 2023},
        )
        for month, value in enumerate([10, 11, 10, 12, 11], start=1):
            post("/submissions", {"indicator": "1.2", "period": f"2023-{month:02d}", "value": value})
        post("/submissions", {"indicator": "1.1", "period": "2023", "value": "58.50"})
        assert post("/submissions", {"indicator": "1.2", "period": "2023-06", "value": 50})["flag"]
        post("/confirmations", {"indicator": "1.2", "period": "2023-06", "comment": "新项目投产"})
        post("/corrections", {"indicator": "1.2", "period": "2023-05", "value": 12.5, "reason": "核对台账"})
        post("/withdrawals", {"indicator": "1.2", "period": "2023-04", "reason": "重复报送"})
        batch = {"idempotency_key": "erp-1", "submissions": [{"indicator": "1.2", "period": "2023-07", "value": 13}]}
        post("/batches", batch)
        post("/reviews", {"indicator": "1.2", "period": "2023-01", "decision": "accept"})
        post("/reviews", {"indicator": "1.2", "period": "2023-02", "decision": "return", "comment": "请核实"})
        post("/feedback", {"indicator": "1.2", "period": "2023-02", "comment": "已核实，数据无误"})
        post("/feedback", {"indicator": "1.1", "comment": "目标值是否合理？"})
        post("/feedback/close", {"indicator": "1.1", "comment": "已答复"})
        _call(client, "PUT", "/indicators/1.2/action-plan", data={"text": "按月推进"})
        specific = {"code": "1.3", "parent": "1", "name": "特色产业产值", "kind": "specific", "unit": "亿元",
                    "direction": "higher_better", "method": {"type": "attainment", "target": 10}, "weight": 10,
                    "frequency": "quarterly", "aggregate": "sum", "range": [0, 100]}  # fmt: skip
        post("/indicators", {"indicator": specific, "sibling_weights": {"1.1": 10}, "reason": "县里新增", "year": 2023})
        target = {"type": "attainment", "target": 60, "baseline": 56.7}
        _call(client, "PATCH", "/indicators/1.1", {"changes": {"method": target}, "reason": "目标调整", "year": 2023})
        post("/indicators/1.3/retire", {"sibling_weights": {"1.1": 20}, "reason": "不再考核", "year": 2023})
        weights = {"parent": "1", "weights": {"1.1": 25, "1.2": 25}, "reason": "调整", "year": 2023}
        _call(client, "PUT", "/weights", weights)
        override = post("/overrides", {"year": 2023, "node": "1.1", "score": "10.5", "authority": "province",
                                       "reason": "省级核查"})["override_id"]  # fmt: skip
        post(f"/overrides/{override}/revoke", {"reason": "核查结果撤回"})
        service: Platform = client.app.state.platform  # type: ignore[attr-defined]
        add_user(service, "coordinator", Grant("g-co", "county_coordinator", county=COUNTY))
        county_side = login(client, "coordinator")
        # the county proposes, the centre (or the county) decides; each proposal a change of what stands
        for shift, decision in enumerate(("approve", "reject", "withdraw")):
            change = {"parent": "1", "weights": {"1.1": 30 - shift, "1.2": 20 + shift}}
            proposal = post("/proposals", {"kind": "adjust_weights", "change": change, "reason": "本县以科技为重点",
                                           "year": 2023}, headers=county_side)["proposal_id"]  # fmt: skip
            decider = county_side if decision == "withdraw" else {}
            post(f"/proposals/{proposal}/{decision}", {"reason": f"{decision} 的理由"}, headers=decider)
        post("/adjustments", {"year": 2023, "points": 2, "category": "bonus", "reason": "经验推广"})
        points = post("/adjustments", {"year": 2023, "points": 1, "category": "bonus", "reason": "重复记录"})
        post(f"/adjustments/{points['adjustment_id']}/revoke", {"reason": "重复，撤销"})
        post("/periods/2023-03/close", {"reason": "一季度关账"})
        post("/periods/2023-03/reopen", {"reason": "补报"})
        post("/reports", {"year": 2023})  # ReportIssued (the evaluator's, as admin here)
        # rectification: the evaluators raise and inspect, the county plans, reports and declares done
        deadline = (date.today() + timedelta(days=60)).isoformat()
        item = post("/rectification", {"year": 2023, "problem": "台账不全", "requirement": "补齐台账",
                                       "deadline": deadline, "answerer": "县农业农村局"})["item_id"]  # fmt: skip
        for step, text in (("plan", "逐村核对"), ("progress", "已核对一半"), ("done", "已补齐")):
            post(f"/rectification/{item}/{step}", None, data={"text": text}, headers=county_side)
        post(f"/rectification/{item}/reject", {"reason": "仍缺两个村"})
        post(f"/rectification/{item}/done", None, data={"text": "两个村已补"}, headers=county_side)
        post(f"/rectification/{item}/verify", {"comment": "材料齐全"})
        post("/consequences", {"year": 2023})  # ConsequenceDecided: the report's grade decides one
        post("/composite-inputs", {"year": 2023, "input": "villages", "values": [88.5, 91], "reason": "抽查"})
        yield Life(client, url)


def stored_events(life: Life) -> list[Any]:
    return [event for _, event in life.platform.ledger.read(0, 100_000) if isinstance(event, County.Event)]


def histories(life: Life) -> dict[tuple[int, str], dict[str, Any]]:
    """The score history of every node of every year, as answered over HTTP."""
    found = {}
    for year in (2023, 2024):
        scores = life.client.get(f"/api/v1/counties/{COUNTY}/scores", params={"year": year})
        assert scores.status_code == 200, scores.text
        for node in [n["code"] for n in scores.json()["nodes"]] + ["total"]:
            response = life.client.get(f"/api/v1/counties/{COUNTY}/scores/{node}/history", params={"year": year})
            assert response.status_code == 200, response.text
            assert response.headers["content-type"] == "application/json"
            found[(year, node)] = strict_json(response.text, f"history of {node} in {year}")
    return found


# -------------------------------------------------------------------------------------- tests


def test_the_fixture_records_every_county_event_type(life: Life) -> None:
    recorded = {type(event) for event in stored_events(life)}
    missing = sorted(kind.__qualname__ for kind in county_event_types() - recorded)
    assert not missing, f"add these events to the fixture of tests/test_plain_answers.py: {missing}"


def test_every_county_event_type_has_a_chinese_label() -> None:
    missing = sorted(kind.__name__ for kind in county_event_types() if kind.__name__ not in EVENT_LABELS)
    assert not missing, f"add labels to projections.causes.EVENT_LABELS: {missing}"


def test_every_score_history_holds_plain_data_and_names_every_event_that_moved_a_score(life: Life) -> None:
    causes: set[str] = set()
    for (year, node), history in histories(life).items():
        where = f"history of {node} in {year}"
        assert_plain(history, where)
        for change in history["changes"]:
            cause = change["cause"]
            causes.add(cause["event"])
            assert cause["label"] == EVENT_LABELS[cause["event"]], where
            assert_numbers_written_plainly(cause, f"{where}, {cause['event']}")
            assert change["before"] is None or isinstance(change["before"], int | float), where
    expected = {kind.__name__ for kind in (county_event_types() - MOVE_NO_SCORE) | set(PROPOSAL_EVENTS)}
    assert causes == expected


def test_an_indicator_definition_is_its_document(life: Life) -> None:
    history = life.client.get(f"/api/v1/counties/{COUNTY}/scores/1/history", params={"year": 2023}).json()
    [defined] = [c["cause"] for c in history["changes"] if c["cause"]["event"] == "IndicatorDefined"]
    assert defined["indicator"] == "1.3" and defined["sibling_weights"] == {"1.1": "10"}
    assert defined["definition"] | {"method": None} == {
        "code": "1.3", "name": "特色产业产值", "parent": "1", "kind": "specific", "unit": "亿元",
        "direction": "higher_better", "weight": "10", "frequency": "quarterly", "aggregate": "sum",
        "range": ["0", "100"], "method": None, "retired": False,
    }  # fmt: skip
    assert defined["definition"]["method"] == {"type": "attainment", "target": "10", "baseline": None, "bands": None}
    [revised] = [c["cause"] for c in history["changes"] if c["cause"]["event"] == "IndicatorRevised"]
    assert revised["definition"]["method"]["baseline"] == "56.7"


def test_every_stored_event_renders_as_a_plain_cause(life: Life) -> None:
    """Also the events that move no score: were one to start moving scores, its cause is ready."""
    for event in stored_events(life):
        cause = cause_of(event)
        assert_plain(strict_json(json.dumps(cause, ensure_ascii=False), type(event).__name__), type(event).__name__)
        assert_numbers_written_plainly(cause, type(event).__name__)


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/counties/{COUNTY}/scores?year=2023",
        f"/api/v1/counties/{COUNTY}/indicators?year=2023",
        f"/api/v1/counties/{COUNTY}/events?limit=1000",
        f"/api/v1/counties/{COUNTY}/feedback?status=all",
        f"/api/v1/counties/{COUNTY}/schedule?year=2023&at=2024-02-01",
        f"/api/v1/counties/{COUNTY}/indicators/1.2/action-plan",
        f"/api/v1/counties/{COUNTY}/rectification?year=2023",
        "/api/v1/rectification/queue",
        "/api/v1/counties",
        "/api/v1/rankings?year=2023",
        "/api/v1/warnings?at=2024-02-01",
        "/api/v1/warnings/history",
        "/api/v1/warnings/grid?year=2023&at=2024-02-01",
        "/api/v1/schemes/example-2023",
        "/api/v1/audit/organisation",
        f"/api/v1/counties/{COUNTY}/consequences?year=2023",
        f"/api/v1/counties/{COUNTY}/findings?year=2023",
        "/api/v1/consequences?year=2023",
    ],
)
def test_reads_answer_plain_json(life: Life, path: str) -> None:
    response = life.client.get(path)
    assert response.status_code == 200, response.text
    assert_plain(strict_json(response.text, path), path)


def test_ruraleval_history_prints_chinese_lines(life: Life) -> None:
    printed = ruraleval(life.url, "history", COUNTY, "1", "--year", "2023")
    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.splitlines()
    assert lines[0].startswith("大名县（130425） 2023 年度 · 节点 1 · 得分变化")
    assert not PYTHON.search(printed.stdout), printed.stdout
    changes = [line for line in lines[1:] if not line.startswith("    ")]
    assert changes and all(re.match(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}  (—|\d+\.\d{2}) → \d+\.\d{2}  ", line)
                           for line in changes), changes  # fmt: skip
    text = printed.stdout
    for words in ("县入选评估", "报送数据", "新增指标", "修订指标", "停用指标", "调整权重", "调整得分", "撤销得分调整",
                  "理由：县里新增", "指标定义 1.3 特色产业产值，单位 亿元，权重 10，评分 达成率法 目标 10，季度报送",
                  "同级权重 1.1 为 10", "指标 1.2；期间 2023-05；数值 12.50；原值 11.00", "调整权限 省级"):  # fmt: skip
        assert words in text, words
