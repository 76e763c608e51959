"""The report's content (``reports.content.build_report``), worked out by hand.

The example scheme; 130425 (east) has 1.1 = 59.1: (59.1 − 56.7) / (61.5 − 56.7) = 0.5 of 20 =
10; 1.2 = 60 in January, summed over the year, 60 / 120 = 0.5 of 30 = 15; 2.1 = 29 ≤ 29.2
(lower is better) = 25 of 25; 2.2 = 90 in the 85 band, 0.8 of 25 = 20. Dimensions 25 of 50
and 45 of 50, total 70, 一般. 510129 (west) has no data: neither ranked nor counted. So 130425
is 1st of 1 and 1st of 1 in the east; all counties' mean total is 70, the east's 70. The losses: 1.2 15,
1.1 10, 2.2 5, 2.1 0.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.recorded_time import CHINA
from reports.content import build_report, content_sha256
from tests.test_reports_issue import COORDINATOR, COUNTY, Api, setup


@pytest.fixture
def api(memory_client: TestClient, scheme_document: dict[str, Any]) -> Api:
    found = setup(memory_client, scheme_document)
    found.ok("admin", "PUT", f"/api/v1/counties/{COUNTY}/indicators/1.2/responsibility",
             {"department": "县文化和旅游局", "person": "王五", "year": 2023})  # fmt: skip
    return found


def report_now(api: Api) -> Any:
    at = api.platform.ledger.clock()
    api.platform.settle(at)
    return build_report(api.platform, COUNTY, 2023, at)


def test_the_summary_dimensions_and_comparison_are_the_hand_worked_figures(api: Api) -> None:
    report = report_now(api)
    s = report.summary
    assert (s.total, s.grade, s.rank, s.count, s.region_rank, s.region_count) == (70, "一般", 1, 1, 1, 1)
    assert report.county.name == "大名县" and report.county.region_label == "东部"
    assert [(d.code, d.score, d.max) for d in report.dimensions] == [("1", 25, 50), ("2", 45, 50)]
    total = report.horizontal[0]
    assert (total.node, total.score, total.all_mean, total.all_best, total.region_mean) == ("total", 70, 70, 70, 70)
    assert [c.node for c in report.horizontal] == ["total", "1", "2"]


def test_the_gap_table_is_sorted_by_loss(api: Api) -> None:
    report = report_now(api)
    assert [(g.code, g.lost) for g in report.gap] == [("1.2", 15), ("1.1", 10), ("2.2", 5), ("2.1", 0)]
    assert report.summary.indicators == 4


def test_problems_are_numbered_with_a_deadline_and_who_answers(api: Api) -> None:
    report = report_now(api)
    assert [p.id for p in report.problems] == [f"P{n}" for n in range(1, len(report.problems) + 1)]
    deadline = (report.as_of.astimezone(CHINA).date() + timedelta(days=90)).isoformat()
    for problem in report.problems:
        assert problem.deadline == deadline and problem.requirement
        expected = "县文化和旅游局（王五）" if problem.finding.indicator == "1.2" else "大名县人民政府"
        assert problem.answerer == expected
    assert report.ledger == []
    assert any("约谈主要负责同志" in line for line in report.consequence_rules)


def test_a_correction_after_the_instant_leaves_the_content_as_of_it(api: Api) -> None:
    before = report_now(api)
    api.ok(COORDINATOR, "POST", f"/api/v1/counties/{COUNTY}/corrections",
           {"indicator": "1.2", "period": "2023-01", "value": 90, "reason": "更正录入错误"})  # fmt: skip
    again = build_report(api.platform, COUNTY, 2023, before.as_of)
    assert content_sha256(again) == content_sha256(before)
    after = report_now(api)
    assert after.summary.total == Decimal("77.5") and content_sha256(after) != content_sha256(before)
