"""The demo's use of the year's results (一账一书一表一挂钩), on the simulated 2024 calendar.

After the review (corrections, points and overrides until 29 February 2024), each region's
evaluator issues the annual report of a few counties as of 1 March (the real report function:
its four files stored, ``ReportIssued`` recorded); 大名县's evaluator raises three items from
its report's problems: one verified on time, one declared done and rejected and now past its
deadline (a red 整改逾期 warning today), one in progress with a plan and progress with an
evidence file. The consequences follow by grade for each reported county, and, for 大名县's
overdue item, penalty points in its 2024 evaluation: the centre has 大名县 adopt a 2024 scheme
(the demo's, for that county only), so the points have a year to go to.

Fixed instants and ids: every load gives the same store content (the report bytes included).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain import commands as c
from domain import report_commands as rc
from domain.recorded_time import CHINA
from domain.scheme_reading import parse_scheme
from reports.issue import issue_report
from ruraleval import demo_story as story
from ruraleval.platform import Platform

YEAR = story.YEAR
NEXT_YEAR = YEAR + 1


def beijing(day: str, hour: int = 10) -> datetime:
    """An instant of the simulated calendar: ``hour`` o'clock of a Beijing day."""
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=CHINA)


# The reports: as of the start of 1 March 2024 (the review done), issued on 5 March by the
# county's team. 大名县 (east, the sign-in evaluator's team), 瑞金市 (central) and 靖远县
# (west, graded 较差).
REPORT_AS_OF = beijing("2024-03-01", 0)
ISSUED_AT = beijing("2024-03-05")
REPORTED = {"130425": "evaluator.east", "360781": "evaluator.central", "620421": "evaluator.west"}
COUNTY = "130425"
EVALUATOR = REPORTED[COUNTY]
COORDINATOR = f"coordinator.{COUNTY}"
REPORT_ID = f"{YEAR}-R1"
# 大名县's items, raised on 8 March from its report's first three problems (in the report's
# order), each with its deadline.
RAISED_AT = beijing("2024-03-08")
ITEMS = {  # item id -> (the report's problem, by position; deadline)
    f"{YEAR}-Z1": (0, "2024-04-30"),  # verified on 25 April: on time
    f"{YEAR}-Z2": (1, "2024-05-31"),  # declared done, rejected on 28 May: overdue from 1 June
    f"{YEAR}-Z3": (2, "2024-09-30"),  # in progress: a plan, progress with an evidence file
}
VERIFIED, OVERDUE, IN_PROGRESS = ITEMS
REJECTION = "佐证材料只有会议通知，缺少各乡镇整改台账和现场照片，请补充后重新申报"
EVIDENCE_NAME = "大名县2024年上半年整改进展台账.csv"
EVIDENCE = "乡镇,完成事项,完成时间\n大街镇,村级综合服务站补建,2024-06-10\n龙王庙镇,台账补录,2024-06-15\n".encode()
# The centre publishes a 2024 scheme (the demo's, as 2024's) on 25 March; 大名县 takes it on on 1 April.
NEXT_SCHEME_ID = f"demo-{NEXT_YEAR}-{COUNTY}"
PUBLISHED_AT = beijing("2024-03-25")
ADOPTED_AT = beijing("2024-04-01")
# Consequences: by grade on 12 March for each reported county; for 大名县 again on 5 June,
# when its item Z2 is past its deadline (points in 2024's book).
GRADES_DECIDED_ON = "2024-03-12"
OVERDUE_DECIDED_ON = "2024-06-05"


def load_results(platform: Platform, scheme_document: dict[str, Any]) -> None:
    """Records the year's reports, 大名县's rectification and the consequences (see above)."""
    platform.projections.catch_up()
    platform.settle(REPORT_AS_OF)
    for code, evaluator in REPORTED.items():
        context = c.Context(evaluator, f"demo-report-{code}", ISSUED_AT)
        issue_report(platform, context, code, YEAR, REPORT_AS_OF)
    _raise_items(platform)
    for code, evaluator in REPORTED.items():
        _decide(platform, code, evaluator, GRADES_DECIDED_ON)
    _rectify(platform, scheme_document)
    _decide(platform, COUNTY, EVALUATOR, OVERDUE_DECIDED_ON)
    _report_progress(platform)
    platform.projections.catch_up()


def _run(platform: Platform, actor: str, when: datetime, command: c.CountyCommand, code: str = COUNTY) -> Any:
    return platform.ledger.execute(code, command, c.Context(actor, f"demo-results-{when:%m%d%H}", when)).result


def _raise_items(platform: Platform) -> None:
    report = platform.ledger.county(COUNTY).book(YEAR).reports[REPORT_ID]
    for item_id, (index, deadline) in ITEMS.items():
        problem = report.problems[index]
        command = rc.RaiseRectification(YEAR, problem["requirement"], deadline, problem["answerer"], REPORT_ID,
                                       problem["id"])  # fmt: skip
        raised = _run(platform, EVALUATOR, RAISED_AT, command)
        assert raised["item_id"] == item_id, raised


def _rectify(platform: Platform, scheme_document: dict[str, Any]) -> None:
    """The county's steps and the team's inspections, in the order of the calendar."""
    plan = "成立专项整改小组，逐村逐户核对，补齐台账和佐证材料，每月向评估组报送进展"
    for item_id in ITEMS:
        _run(platform, COORDINATOR, beijing("2024-03-20"), rc.FileRectificationPlan(YEAR, item_id, plan))
    name = f"乡村振兴百县示范创建监测评估方案（{NEXT_YEAR}年度，演示）"
    adopt = parse_scheme(scheme_document | {"id": NEXT_SCHEME_ID, "year": NEXT_YEAR, "name": name})
    platform.ledger.publish_scheme(adopt, c.Context("admin", "demo-results-scheme", PUBLISHED_AT))
    _run(platform, "admin", ADOPTED_AT, c.AdoptScheme(adopt))
    _run(platform, COORDINATOR, beijing("2024-04-20"),
         rc.DeclareRectificationDone(YEAR, VERIFIED, "已按要求全部整改到位，附整改台账"))  # fmt: skip
    _run(platform, EVALUATOR, beijing("2024-04-25"), rc.VerifyRectification(YEAR, VERIFIED, "现场核查属实，予以销号"))
    _run(platform, COORDINATOR, beijing("2024-05-20"),
         rc.DeclareRectificationDone(YEAR, OVERDUE, "已召开专题会议部署整改，申请销号"))  # fmt: skip
    _run(platform, EVALUATOR, beijing("2024-05-28"), rc.RejectRectification(YEAR, OVERDUE, REJECTION))


def _report_progress(platform: Platform) -> None:
    """The item still in progress: the county reports progress with an evidence file (20 June)."""
    evidence = platform.files.put(EVIDENCE_NAME, "text/csv", EVIDENCE)
    progress = rc.ReportRectificationProgress(YEAR, IN_PROGRESS, "已完成两个乡镇的整改，其余乡镇正在推进",
                                             [evidence])  # fmt: skip
    _run(platform, COORDINATOR, beijing("2024-06-20"), progress)


def _decide(platform: Platform, code: str, evaluator: str, on: str) -> None:
    _run(platform, evaluator, beijing(on, 16), rc.DecideConsequences(YEAR, on), code)
