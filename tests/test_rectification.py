"""Rectification (整改) as events in the county stream: an item walked from a report's problem to
verified; one rejected and then past its deadline, with its warning raised the day after the
deadline, its levels changing on the right days and cleared only by verification; the
refusals; the ledger as of an instant; the inspection queue; rebuild = incremental."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from domain import commands as c
from domain import report_commands as rc
from domain.chain import canonical
from domain.county import County
from domain.errors import Collector, ConflictError, DomainError, InvalidCommand, NotFound
from domain.monitoring_rules import WarningRules, read_warning_rules
from domain.reports import FILE_NAMES
from domain.state import AttachedFile, RectificationItem
from domain.warnings import facts, judge
from projections import rectification_queries
from projections.temporal import micros
from tests.test_warnings import CODE, SCHEME, Walk, bj, forget, walking

EVALUATOR = "evaluator.east"
COORDINATOR = "coordinator.130425"
PROBLEMS = [
    {"id": "P1", "rule": "below_target", "indicator": "1.2", "title": "乡村旅游接待人次未达到年度目标",
     "serious": False, "advice": "加大乡村旅游推介", "numbers": {"value": "80", "target": "120"}},
    {"id": "P2", "rule": "late_data", "indicator": "2.1", "title": "数据多次逾期报送", "serious": True,
     "advice": "建立按月报送台账", "numbers": {}},
]  # fmt: skip


def report_command(problems: list[dict[str, Any]] = PROBLEMS) -> rc.IssueReport:
    """The report's command as ``reports.issue`` gives it once its four files are stored."""
    files = {name: "b" * 64 for name in FILE_NAMES}
    return rc.IssueReport(2023, bj("2024-01-09 18:00"), "a" * 64, files, Decimal("78.5"), "一般", 3, 1, [], problems)


@dataclass
class Desk:
    """The walk, with each command recorded by a named person at a chosen Beijing instant."""

    walk: Walk

    def do(self, when: str, command: c.CountyCommand, actor: str = EVALUATOR) -> dict[str, Any]:
        moment = bj(when)
        self.walk.clock.now = max(self.walk.clock.now, moment + timedelta(minutes=1))
        outcome = self.walk.platform.ledger.execute(CODE, command, c.Context(actor, f"{actor}-{when}", moment))
        self.walk.platform.projections.catch_up()
        return dict(outcome.result or {})

    def refused(self, when: str, command: c.CountyCommand, actor: str = EVALUATOR) -> DomainError:
        version = self.walk.platform.ledger.county(CODE).version
        with pytest.raises(DomainError) as refusal:
            self.do(when, command, actor)
        assert self.walk.platform.ledger.county(CODE).version == version  # nothing stored
        return refusal.value

    def item(self, item_id: str) -> Any:
        return self.walk.platform.ledger.county(CODE).book(2023).rectification[item_id]

    def rectification_warnings(self, at: str, **params: str) -> list[dict[str, Any]]:
        return [w for w in self.walk.warnings(at=at, kind="rectification_overdue", **params)]

    def ledger(self, at: datetime | None = None) -> list[dict[str, Any]]:
        with self.walk.platform.reads.snapshot() as view:
            return rectification_queries.ledger(view, CODE, 2023, None if at is None else micros(at))


@pytest.fixture
def desk(store_url: str) -> Iterator[Desk]:
    with walking(store_url, bj("2023-01-05 09:00")) as walk:
        found = Desk(walk)
        found.do("2024-01-10 09:00", report_command())
        yield found


def raise_from_report(desk: Desk, when: str = "2024-01-15 10:00", deadline: str = "2024-03-31") -> str:
    command = rc.RaiseRectification(2023, "三个月内制定并落实旅游推介方案", deadline, "县文旅局", "2023-R1", "P1")
    item_id: str = desk.do(when, command)["item_id"]
    return item_id


EVIDENCE = AttachedFile("方案.pdf", "c" * 64, 10, "application/pdf")
PLAN = rc.FileRectificationPlan(2023, "2023-Z1", "召开推介会三场", [EVIDENCE])


def test_an_item_raised_from_a_report_problem_is_walked_to_verified(desk: Desk) -> None:
    item_id = raise_from_report(desk)
    assert item_id == "2023-Z1"
    item = desk.item(item_id)
    assert (item.source, item.indicator, item.problem, item.status) == (
        "report",
        "1.2",
        "乡村旅游接待人次未达到年度目标",
        "raised",
    )  # taken from the report
    desk.do("2024-01-20 10:00", PLAN, COORDINATOR)
    assert desk.item(item_id).status == "in_progress"
    desk.do("2024-02-10 10:00", rc.ReportRectificationProgress(2023, item_id, "已召开两场"), COORDINATOR)
    desk.do("2024-03-01 10:00", rc.DeclareRectificationDone(2023, item_id, "三场均已召开"), COORDINATOR)
    assert desk.item(item_id).status == "awaiting_inspection"
    desk.do("2024-03-05 23:30", rc.VerifyRectification(2023, item_id, "材料齐全"))
    item = desk.item(item_id)
    assert item.status == "verified" and item.verified_on == "2024-03-05"  # the Beijing day
    assert [(s.kind, s.actor) for s in item.steps] == [
        ("raised", EVALUATOR), ("plan", COORDINATOR), ("progress", COORDINATOR), ("done", COORDINATOR),
        ("verified", EVALUATOR)]  # fmt: skip
    assert item.steps[1].files[0].name == "方案.pdf"
    [row] = desk.ledger()
    assert (row["status"], row["last_step"], row["verified_on"], len(row["steps"])) == (
        "verified",
        "verified",
        "2024-03-05",
        5,
    )
    assert row["steps"][1]["files"] == [{"name": "方案.pdf", "sha256": "c" * 64, "size": 10}]
    assert desk.rectification_warnings("2024-04-30") == []  # verified before its deadline: never overdue


def test_a_rejected_item_past_its_deadline_warns_from_the_next_day_until_it_is_verified(desk: Desk) -> None:
    free = rc.RaiseRectification(2023, "完善村级组织台账", "2024-02-29", "县委组织部", problem="村级组织台账不全")
    item_id = desk.do("2024-01-15 10:00", free)["item_id"]
    desk.do("2024-01-20 10:00", rc.FileRectificationPlan(2023, item_id, "逐村核对"), COORDINATOR)
    desk.do("2024-02-20 10:00", rc.DeclareRectificationDone(2023, item_id, "已核对"), COORDINATOR)
    desk.do("2024-02-25 10:00", rc.RejectRectification(2023, item_id, "仍有三个村台账缺页"))
    assert desk.item(item_id).status == "in_progress"  # back to the county
    assert desk.rectification_warnings("2024-02-29") == []  # the deadline day itself is on time
    [yellow] = desk.rectification_warnings("2024-03-01")
    assert (yellow["level"], yellow["period"], yellow["indicator"], yellow["kind_label"]) == (
        "yellow",
        item_id,
        "",
        "整改逾期",
    )
    assert datetime.fromisoformat(yellow["raised_at"]) == bj("2024-03-01 00:00")
    assert "已逾期 1 天" in yellow["reason"] and "县委组织部" in yellow["reason"]
    assert (yellow["department"], yellow["person"]) == ("县委组织部", None)  # the item's 责任单位
    # Orange after 8 days past the deadline (2 March is day 2 … 8 March day 8), red after 31 (31 March).
    levels = {day: desk.rectification_warnings(day)[0]["level"]
              for day in ("2024-03-07", "2024-03-08", "2024-03-30", "2024-03-31")}  # fmt: skip
    assert levels == {"2024-03-07": "yellow", "2024-03-08": "orange", "2024-03-30": "orange", "2024-03-31": "red"}
    # Declared done again: still a warning while it awaits inspection.
    desk.do("2024-04-02 10:00", rc.DeclareRectificationDone(2023, item_id, "已补齐"), COORDINATOR)
    [still] = desk.rectification_warnings("2024-04-03")
    assert still["level"] == "red" and "待核验" in still["reason"]
    desk.do("2024-04-05 10:00", rc.VerifyRectification(2023, item_id, ""))
    assert desk.rectification_warnings("2024-04-05") == []
    before = desk.walk.warnings(at="2024-04-05", kind="rectification_overdue", as_of="2024-04-05T09:59:00+08:00")
    assert [w["level"] for w in before] == ["red"]  # as it then stood
    history = desk.walk.client.get("/api/v1/warnings/history", params={"kind": "rectification_overdue"}).json()
    [entry] = history["warnings"]
    assert datetime.fromisoformat(entry["raised_at"]) == bj("2024-03-01 00:00")
    assert datetime.fromisoformat(entry["cleared_at"]) == bj("2024-04-05 10:00")
    assert entry["worst_level"] == "red"
    grid = desk.walk.client.get("/api/v1/warnings/grid", params={"year": 2023, "at": "2024-04-03",
                                                                 "as_of": "2024-04-04"}).json()  # fmt: skip
    cells = [cell for county in grid["regions"][0]["counties"] for cell in county["cells"]]
    [cell] = [cell for cell in cells if cell["dimension"] == "整改"]
    assert (cell["dimension_name"], cell["kinds"]["rectification_overdue"], cell["worst"]) == ("其他整改事项", 1, "red")


def test_an_item_of_an_indicator_counts_in_its_dimension_of_the_grid(desk: Desk) -> None:
    raise_from_report(desk, deadline="2024-01-31")
    grid = desk.walk.client.get("/api/v1/warnings/grid", params={"year": 2023, "at": "2024-02-01"}).json()
    [dimension] = [cell for county in grid["regions"][0]["counties"] for cell in county["cells"]
                   if cell["dimension"] == "1"]  # fmt: skip
    assert dimension["kinds"]["rectification_overdue"] == 1  # 1.2 lies in dimension 1


def test_a_problem_found_again_by_a_later_report_is_raised_once_a_year(desk: Desk) -> None:
    """Per year by (rule, indicator), not per report: a later report numbering the same
    problem differently does not give it a second item."""
    item_id = raise_from_report(desk)
    again = [{**PROBLEMS[1], "id": "P1"}, {**PROBLEMS[0], "id": "P2"}]  # the same problems, renumbered
    desk.do("2024-01-20 09:00", replace(report_command(again), content_sha256="c" * 64))
    twice = rc.RaiseRectification(2023, "再次下达", "2024-05-01", "县文旅局", "2023-R2", "P2")
    error = desk.refused("2024-01-21 10:00", twice)
    assert (type(error), error.problems[0].field, error.problems[0].rule) == (ConflictError, "problem_id",
                                                                               "raised_once")  # fmt: skip
    assert item_id in error.problems[0].message and "2023-R1 的问题 P1" in error.problems[0].message
    other = rc.RaiseRectification(2023, "按月报送", "2024-05-01", "县农业农村局", "2023-R2", "P1")
    assert desk.do("2024-01-21 10:00", other)["item_id"] == "2023-Z2"  # another problem is raised


def test_refusals_name_the_field_and_rule_and_store_nothing(desk: Desk) -> None:
    def rule(error: DomainError) -> tuple[type, str, str]:
        return type(error), error.problems[0].field, error.problems[0].rule

    past = rc.RaiseRectification(2023, "整改", "2024-01-14", "县文旅局", problem="问题")
    error = desk.refused("2024-01-15 10:00", past)
    assert rule(error) == (InvalidCommand, "deadline", "not_past") and "不能早于今天" in error.problems[0].message
    far = rc.RaiseRectification(2023, "整改", "2027-01-15", "县文旅局", problem="问题")
    assert rule(desk.refused("2024-01-15 10:00", far)) == (InvalidCommand, "deadline", "within_two_years")
    blank = rc.RaiseRectification(2023, " ", "2024-05-01", "", problem="")
    assert {(p.field, p.rule) for p in desk.refused("2024-01-15 10:00", blank).problems} == {
        ("requirement", "required"),
        ("answerer", "required"),
        ("problem", "required"),
    }
    unknown_problem = rc.RaiseRectification(2023, "整改", "2024-05-01", "县文旅局", "2023-R1", "P9")
    assert rule(desk.refused("2024-01-15 10:00", unknown_problem)) == (NotFound, "problem_id", "report_problem")
    unknown_report = rc.RaiseRectification(2023, "整改", "2024-05-01", "县文旅局", "2023-R7", "P1")
    assert rule(desk.refused("2024-01-15 10:00", unknown_report)) == (NotFound, "report_id", "issued_report")
    item_id = raise_from_report(desk)
    twice = rc.RaiseRectification(2023, "再次下达", "2024-05-01", "县文旅局", "2023-R1", "P1")
    error = desk.refused("2024-01-16 10:00", twice)
    assert rule(error) == (ConflictError, "problem_id", "raised_once") and item_id in error.problems[0].message
    unknown = rc.ReportRectificationProgress(2023, "2023-Z9", "进展")
    assert rule(desk.refused("2024-01-16 10:00", unknown, COORDINATOR)) == (NotFound, "item_id", "known_item")
    # Wrong status: progress before a plan, done before a plan, inspection before done.
    progress = rc.ReportRectificationProgress(2023, item_id, "进展")
    assert rule(desk.refused("2024-01-16 10:00", progress, COORDINATOR)) == (ConflictError, "item_id", "item_status")
    verify = rc.VerifyRectification(2023, item_id, "")
    assert rule(desk.refused("2024-01-16 10:00", verify)) == (ConflictError, "item_id", "item_status")
    desk.do("2024-01-17 10:00", rc.FileRectificationPlan(2023, item_id, "方案"), COORDINATOR)
    no_text = rc.DeclareRectificationDone(2023, item_id, "  ")
    assert rule(desk.refused("2024-01-18 10:00", no_text, COORDINATOR)) == (InvalidCommand, "text", "required")
    exe = rc.ReportRectificationProgress(2023, item_id, "进展", [AttachedFile("run.exe", "d" * 64, 1, "x")])
    assert rule(desk.refused("2024-01-18 10:00", exe, COORDINATOR)) == (InvalidCommand, "files", "file_type")
    desk.do("2024-01-19 10:00", rc.DeclareRectificationDone(2023, item_id, "完成"), COORDINATOR)
    plan_again = rc.FileRectificationPlan(2023, item_id, "新方案")
    assert rule(desk.refused("2024-01-20 10:00", plan_again, COORDINATOR)) == (ConflictError, "item_id", "item_status")
    no_reason = rc.RejectRectification(2023, item_id, "")
    error = desk.refused("2024-01-20 10:00", no_reason)
    assert rule(error) == (InvalidCommand, "reason", "required") and "理由" in error.problems[0].message
    # Whoever declared it done never inspects it (an administrator holds both rights).
    assert desk.refused("2024-01-20 10:00", rc.VerifyRectification(2023, item_id, ""), COORDINATOR).status == 403


def test_a_plan_before_done_is_required(desk: Desk) -> None:
    free = rc.RaiseRectification(2023, "整改", "2024-05-01", "县农业农村局", problem="问题")
    item_id = desk.do("2024-01-15 10:00", free)["item_id"]
    done = rc.DeclareRectificationDone(2023, item_id, "完成")
    error = desk.refused("2024-01-16 10:00", done, COORDINATOR)
    assert error.problems[0].rule == "item_status"  # raised: no plan, not in progress


def test_the_ledger_as_of_an_instant_before_and_after_a_step(desk: Desk) -> None:
    item_id = raise_from_report(desk)
    desk.do("2024-01-20 10:00", PLAN, COORDINATOR)
    desk.do("2024-02-01 10:00", rc.DeclareRectificationDone(2023, item_id, "完成"), COORDINATOR)
    assert desk.ledger(bj("2024-01-15 09:59")) == []
    [raised] = desk.ledger(bj("2024-01-20 09:59:59"))
    assert (raised["status"], raised["last_step"], len(raised["steps"])) == ("raised", "raised", 1)
    [planned] = desk.ledger(bj("2024-01-20 10:00"))
    assert (planned["status"], planned["last_actor"], len(planned["steps"])) == ("in_progress", COORDINATOR, 2)
    [now] = desk.ledger()
    assert now["status"] == "awaiting_inspection"
    answer = desk.walk.client.get(f"/api/v1/counties/{CODE}/rectification",
                                  params={"year": 2023, "as_of": "2024-01-20T09:00:00+08:00"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    [item] = answer.json()["items"]
    assert (item["status"], item["status_label"]) == ("raised", "待制定方案")
    assert [step["kind"] for step in item["steps"]] == ["raised"]


def test_the_queue_holds_items_awaiting_inspection_and_overdue_ones(desk: Desk) -> None:
    first = raise_from_report(desk, deadline="2024-02-15")
    second = desk.do("2024-01-15 11:00", rc.RaiseRectification(2023, "整改", "2024-06-30", "县统计局", "2023-R1", "P2"))
    desk.do("2024-01-20 10:00", rc.FileRectificationPlan(2023, second["item_id"], "方案"), COORDINATOR)
    desk.do("2024-01-21 10:00", rc.DeclareRectificationDone(2023, second["item_id"], "完成"), COORDINATOR)
    desk.walk.clock.now = bj("2024-02-20 12:00")
    queue = desk.walk.client.get("/api/v1/rectification/queue", params={"year": 2023}).json()
    assert [(i["item_id"], i["status"]) for i in queue["awaiting"]] == [(second["item_id"], "awaiting_inspection")]
    assert [(i["item_id"], i["overdue_days"], i["county_name"]) for i in queue["overdue"]] == [(first, 5, "大名县")]


def dump(desk: Desk) -> list[dict[str, Any]]:
    return desk.walk.platform.reads.query("SELECT * FROM rectification_items ORDER BY county, year, item_id, version")


def test_rebuild_equals_incremental(desk: Desk) -> None:
    item_id = raise_from_report(desk)
    desk.do("2024-01-20 10:00", PLAN, COORDINATOR)
    forget(desk.walk.platform)  # the next batch resumes from the table, as after a restart
    desk.do("2024-02-01 10:00", rc.DeclareRectificationDone(2023, item_id, "完成"), COORDINATOR)
    desk.do("2024-02-02 10:00", rc.RejectRectification(2023, item_id, "材料不全"))
    desk.do("2024-02-03 10:00", rc.DeclareRectificationDone(2023, item_id, "已补"), COORDINATOR)
    desk.do("2024-02-04 10:00", rc.VerifyRectification(2023, item_id, "通过"))
    incremental = dump(desk)
    facts = "SELECT * FROM warning_facts WHERE kind = 'rectification' ORDER BY version"
    warnings = desk.walk.platform.reads.query(facts)
    assert [row["version"] for row in incremental] == sorted(row["version"] for row in incremental)
    assert len(incremental) == 6 and len(warnings) == 6
    desk.walk.platform.projections.rebuild()
    assert dump(desk) == incremental
    assert desk.walk.platform.reads.query(facts) == warnings


def test_the_schemes_thresholds_set_the_levels_and_old_schemes_keep_their_hash() -> None:
    check = Collector()
    rules = read_warning_rules(check, {"rectification": {"orange_days": 3, "red_days": 10}})
    assert check.problems == [] and (rules.rectification_orange_days, rules.rectification_red_days) == (3, 10)
    read_warning_rules(check, {"rectification": {"orange_days": 10, "red_days": 3}})
    assert [(p.field, p.rule) for p in check.problems] == [("warnings.rectification", "ascending")]
    # A scheme without the section is encoded (and hashed) as before the section existed.
    assert b"rectification" not in canonical("k", uuid4(), 1, bj("2024-01-01 00:00"), {"warnings": WarningRules()})
    scheme = replace(SCHEME, warnings=rules)
    book = County.enrol(c.EnrolCounty(CODE, "大名县", "河北省", "east", scheme), c.Context("t", "t")).book(2023)
    book.rectification["2023-Z1"] = RectificationItem("2023-Z1", "evaluator", None, None, None, "问题", "要求",
                                                      "2024-02-29", "县委组织部", "in_progress")  # fmt: skip
    [fact] = [fact for key, fact in facts(book).items() if key[0] == "rectification"]
    days = ("2024-02-29", "2024-03-01", "2024-03-02", "2024-03-03", "2024-03-09", "2024-03-10")
    levels = {day: getattr(judge(CODE, fact, bj("2024-01-15 10:00"), date.fromisoformat(day)), "level", None)
              for day in days}  # fmt: skip
    assert levels == {"2024-02-29": None, "2024-03-01": "yellow", "2024-03-02": "yellow", "2024-03-03": "orange",
                      "2024-03-09": "orange", "2024-03-10": "red"}  # fmt: skip
