"""A small world for the analysis tests, every figure worked out by hand.

Scheme 2023 (weights): 1 经济 60 = 1.1 (annual, higher, attainment target 100, w 40)
+ 1.2 (monthly sum, higher, target 120, w 20); 2 生活 40 = 2.1 (annual, lower, target 20, w 40).
Attainment: higher → w·value/target (at most w); lower → w when value ≤ target, else w·target/value.

Counties: east A 130102, B 130103, C 130104; west D 630102, E 630103.

        1.1 value→score   1.2 months→sum→score   2.1 value→score   total
    A   90 → 36           36,42,42 → 120 → 20     25 → 32           88
    B   80 → 32           60 → 60 → 10            20 → 40           82
    C   100 → 40          120 → 120 → 20          40 → 20           80
    D   70 → 28           30 → 30 → 5             50 → 16           49
    E   100 → 40          90 → 90 → 15            16 → 40           95

All data is recorded by the end of June 2023 (A's January value on 5 Feb, February's on
5 Mar, March's on 5 Apr; March's is returned for checking on 25 June and stays
unanswered). ``T`` is the end of 30 June 2023 (Beijing). On 10 July 2023 B's
1.1 is corrected from 80 to 95 (score 38, total 88). Scheme 2024 keeps 1.1 (w 40) and 1.2
(w 20), and splits 2 into 2.1 (w 20) and a new 2.2 (annual, higher, target 10, w 20); A and
B adopt it; 1.1 of 2024: A 50 → 20, B 60 → 24.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from domain import commands as c
from domain.provinces import province_of
from domain.recorded_time import CHINA
from domain.scheme_reading import parse_scheme
from ruraleval.platform import Platform

A, B, C, D, E = "130102", "130103", "130104", "630102", "630103"
NAMES = {A: "甲县", B: "乙县", C: "丙县", D: "丁县", E: "戊县"}
REGIONS = {A: "east", B: "east", C: "east", D: "west", E: "west"}
T = datetime(2023, 6, 30, 23, 59, 59, 999999, tzinfo=CHINA)
CORRECTED = datetime(2023, 7, 10, 2, tzinfo=UTC)
LATEST = datetime(2024, 6, 1, 2, tzinfo=UTC)  # after everything the world records

SCHEME_2023: dict[str, Any] = {
    "id": "analysis-2023",
    "name": "分析测试方案（2023年度）",
    "year": 2023,
    "grades": [{"label": "好", "min": 90}, {"label": "较好", "min": 80}, {"label": "一般", "min": 60},
               {"label": "较差", "min": 0}],
    "bonus_cap": 5,
    "penalty_cap": 10,
    "deadlines": {"monthly_due_day": 10, "quarterly_due_day": 15, "annual_due": "01-31"},
    "indicators": [
        {"code": "1", "name": "经济", "weight": 60},
        {"code": "1.1", "parent": "1", "name": "科技贡献率", "unit": "%", "direction": "higher_better",
         "method": {"type": "attainment", "target": 100}, "weight": 40, "frequency": "annual",
         "aggregate": "latest", "range": [0, 1000]},
        {"code": "1.2", "parent": "1", "name": "接待人次", "unit": "万人次", "direction": "higher_better",
         "method": {"type": "attainment", "target": 120}, "weight": 20, "frequency": "monthly",
         "aggregate": "sum", "range": [0, 1000]},
        {"code": "2", "name": "生活", "weight": 40},
        {"code": "2.1", "parent": "2", "name": "恩格尔系数", "unit": "%", "direction": "lower_better",
         "method": {"type": "attainment", "target": 20}, "weight": 40, "frequency": "annual",
         "aggregate": "latest", "range": [0, 100]},
    ],
}  # fmt: skip


def scheme_2024() -> dict[str, Any]:
    document = copy.deepcopy(SCHEME_2023)
    document.update({"id": "analysis-2024", "name": "分析测试方案（2024年度）", "year": 2024})
    indicators = document["indicators"]
    indicators[4]["weight"] = 20
    indicators.append({"code": "2.2", "parent": "2", "name": "自来水普及率", "unit": "%",
                       "direction": "higher_better", "method": {"type": "attainment", "target": 10}, "weight": 20,
                       "frequency": "annual", "aggregate": "latest", "range": [0, 100]})  # fmt: skip
    return document


def at(text: str) -> datetime:
    """A Beijing instant written as 2023-02-05 10:00."""
    return datetime.fromisoformat(text).replace(tzinfo=CHINA)


def record(platform: Platform, code: str, when: str, command: Any) -> None:
    platform.ledger.execute(code, command, c.Context("tester", f"t-{code}-{when}", at(when)))


def build(platform: Platform, catch_up: bool = True) -> None:
    """Records the world (every instant in the past), then brings the read models up to date
    (unless a background thread keeps them, as in the API's tests)."""
    ledger = platform.ledger
    scheme = parse_scheme(SCHEME_2023)
    ledger.publish_scheme(scheme, c.Context("centre", "publish-2023", at("2023-01-05 09:00")))
    for code, name in NAMES.items():
        command = c.EnrolCounty(code, name, province_of(code) or "", REGIONS[code], scheme)
        ledger.enrol(command, c.Context("centre", f"enrol-{code}", at("2023-01-10 09:00")))
    months = {A: {"2023-01": 36, "2023-02": 42, "2023-03": 42}, B: {"2023-01": 60}, C: {"2023-01": 120},
              D: {"2023-01": 30}, E: {"2023-01": 90}}  # fmt: skip
    submitted = {"2023-01": "2023-02-05", "2023-02": "2023-03-05", "2023-03": "2023-04-05"}
    for code in sorted(NAMES, key=lambda county: 0 if county == A else 1):
        for period, value in months[code].items():
            record(platform, code, f"{submitted[period]} 10:{code[-2:]}", c.SubmitData("1.2", period, Decimal(value)))
    annual = {A: (90, 25), B: (80, 20), C: (100, 40), D: (70, 50), E: (100, 16)}
    for code, (first, second) in annual.items():
        record(platform, code, f"2023-06-20 10:{code[-2:]}", c.SubmitData("1.1", "2023", Decimal(first)))
        record(platform, code, f"2023-06-20 11:{code[-2:]}", c.SubmitData("2.1", "2023", Decimal(second)))
    record(platform, A, "2023-06-25 10:00", c.ReviewSubmission("1.2", "2023-03", "return", "请核实三月接待人次"))
    record(platform, B, "2023-07-10 10:00", c.CorrectData("1.1", "2023", Decimal(95), "更正：统计口径"))
    next_year = parse_scheme(scheme_2024())
    ledger.publish_scheme(next_year, c.Context("centre", "publish-2024", at("2024-01-05 09:00")))
    for code, value in ((A, 50), (B, 60)):
        record(platform, code, "2024-01-10 09:00", c.AdoptScheme(next_year))
        record(platform, code, "2024-05-20 10:00", c.SubmitData("1.1", "2024", Decimal(value)))
    if catch_up:
        platform.projections.catch_up()
