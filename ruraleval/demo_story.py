"""The demo's story: county-scale indicators, twelve counties' year, and the work around the data.

The indicators are the national plan's main indicators (``data/``) brought down to a
county: its grain output in 万吨 against the county's own task, visitors in 万人次, rural
income in 元/人, and the plan's rates with a county's 2022 baseline and 2023 target. Each
indicator of a county is on track (at or a little past its target by December), a little
behind (80–94 % of the way from baseline to target) or well behind (15–70 %); each county
has its share of indicators well behind, so most counties are mostly on track and two lag.
Everything is drawn from fixed seeds, so every load gives the same store content.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from domain import commands as c

YEAR = 2023
SEED = 20230520
CENT = Decimal("0.01")
Step = tuple[datetime, str, c.CountyCommand, c.Context]  # (recorded, county, command, context)


@dataclass(frozen=True)
class Indicator:
    """A county-scale indicator: its national name (or the county's form of it), unit and path."""

    code: str
    name: str
    unit: str
    frequency: str  # monthly, quarterly, annual
    aggregate: str  # sum, mean, latest
    baseline: str | None  # the county's 2022 level; None: scored against the target alone
    target: str  # the 2023 target (the scheme's; per-county ones are in TARGETS)
    high: str  # the top of the accepted range


# fmt: off
INDICATORS = [
    Indicator("1.1", "粮食总产量", "万吨", "annual", "latest", None, "30", "300"),
    Indicator("1.2", "农业科技进步贡献率", "%", "annual", "latest", "58", "63", "100"),
    Indicator("1.3", "农业劳动生产率", "万元/人", "quarterly", "latest", "4.2", "5", "20"),
    Indicator("1.4", "农产品加工业产值与农业总产值比", "倍", "annual", "latest", "2", "2.4", "10"),
    Indicator("1.5", "休闲农业和乡村旅游接待人次", "万人次", "monthly", "sum", None, "600", "1500"),
    Indicator("2.1", "畜禽粪污综合利用率", "%", "monthly", "latest", "76", "82", "100"),
    Indicator("2.2", "村庄绿化覆盖率", "%", "annual", "latest", "28", "32", "100"),
    Indicator("2.3", "对生活垃圾进行处理的村占比", "%", "monthly", "latest", "90", "98", "100"),
    Indicator("2.4", "农村卫生厕所普及率", "%", "monthly", "latest", "75", "85", "100"),
    Indicator("3.1", "村综合性文化服务中心覆盖率", "%", "annual", "latest", None, "98", "100"),
    Indicator("3.2", "县级及以上文明村和乡镇占比", "%", "annual", "latest", "45", "55", "100"),
    Indicator("3.3", "农村义务教育学校专任教师本科以上学历比例", "%", "annual", "latest", "62", "70", "100"),
    Indicator("3.4", "农村居民教育文化娱乐支出占比", "%", "quarterly", "mean", "10.5", "12", "100"),
    Indicator("4.1", "村庄规划管理覆盖率", "%", "annual", "latest", "70", "90", "100"),
    Indicator("4.2", "建有综合服务站的村占比", "%", "monthly", "latest", "55", "70", "100"),
    Indicator("4.3", "村党组织书记兼任村委会主任的村占比", "%", "annual", "latest", "88", "95", "100"),
    Indicator("4.4", "有村规民约的村占比", "%", "annual", "latest", None, "100", "100"),
    Indicator("4.5", "集体经济强村比重", "%", "annual", "latest", "8", "12", "100"),
    Indicator("5.1", "农村居民恩格尔系数", "%", "quarterly", "mean", "31", "29", "100"),
    Indicator("5.2", "城乡居民收入比", "倍", "quarterly", "latest", "2.3", "2.1", "10"),
    Indicator("5.3", "农村自来水普及率", "%", "monthly", "latest", "85", "92", "100"),
    Indicator("5.4", "具备条件的建制村通硬化路比例", "%", "annual", "latest", None, "100", "100"),
    Indicator("5.5", "农村居民人均可支配收入", "元/人", "annual", "latest", None, "20000", "100000"),
]
# fmt: on
# Who answers for which indicators in 大名县 (the department user is 县农业农村局's).
RESPONSIBLE = {
    ("县农业农村局", "王强"): "1.1 1.2 1.3 1.4 1.5 2.1 2.4",
    ("县自然资源和规划局", "赵磊"): "2.2 4.1",
    ("县住房和城乡建设局", "李娜"): "2.3",
    ("县文化广电和旅游局", "张伟"): "3.1",
    ("县委宣传部", "刘洋"): "3.2",
    ("县教育体育局", "陈静"): "3.3",
    ("县统计局", "杨帆"): "3.4 5.1 5.2 5.5",
    ("县民政局", "周敏"): "4.2 4.4",
    ("县委组织部", "吴刚"): "4.3 4.5",
    ("县水利局", "孙丽"): "5.3",
    ("县交通运输局", "郑浩"): "5.4",
}
LOWER_BETTER = {"5.1", "5.2"}
THRESHOLDS = {
    "5.4": [{"min": 100, "f": 1}, {"min": 98, "f": 0.8}, {"min": 95, "f": 0.5}, {"min": 0, "f": 0}],
    "4.4": [{"min": 100, "f": 1}, {"min": 95, "f": 0.8}, {"min": 90, "f": 0.6}, {"min": 0, "f": 0}],
}


@dataclass(frozen=True)
class County:
    code: str
    name: str
    province: str
    region: str
    behind: str  # share of its indicators well behind their path to the target
    grain: str  # the county's grain task, 万吨
    visitors: str  # the county's target of rural visitors, 万人次
    income: str  # the county's target of rural per-capita disposable income, 元
    late: str  # share of periods sent after their deadline


# Real county-level codes across the three regions; the figures are the demo's, of a
# plausible size for each county (a grain county, a city's rural belt, a mountain county).
# fmt: off
PROFILES = [
    County("130425", "大名县", "河北省", "east", "0.32", "62", "160", "16800", "0.15"),
    County("320583", "昆山市", "江苏省", "east", "0.1", "6.5", "950", "46500", "0.02"),
    County("330782", "义乌市", "浙江省", "east", "0.12", "7.2", "1300", "52000", "0.03"),
    County("370783", "寿光市", "山东省", "east", "0.1", "48", "620", "27500", "0.05"),
    County("360781", "瑞金市", "江西省", "central", "0.22", "26", "1600", "17200", "0.05"),
    County("411523", "新县", "河南省", "central", "0.35", "11", "1050", "17500", "0.06"),
    County("420626", "保康县", "湖北省", "central", "0.38", "8.5", "520", "15600", "0.08"),
    County("430124", "宁乡市", "湖南省", "central", "0.15", "68", "1400", "37800", "0.04"),
    County("510129", "大邑县", "四川省", "west", "0.25", "21", "1250", "30500", "0.04"),
    County("522325", "贞丰县", "贵州省", "west", "0.8", "12.5", "640", "13900", "0.25"),
    County("610431", "武功县", "陕西省", "west", "0.4", "26.5", "310", "15200", "0.08"),
    County("620421", "靖远县", "甘肃省", "west", "0.9", "31", "210", "14100", "0.3"),
]
# fmt: on
SLIGHTLY_BEHIND = 0.12  # share of every county's indicators a little behind
PER_COUNTY = {"1.1": "grain", "1.5": "visitors", "5.5": "income"}
# Periods a county has not sent at all (the clerk's "owed" list, overdue warnings).
MISSING = {
    ("130425", "1.3", "2023-Q4"),
    ("130425", "4.2", "2023-12"),
    ("522325", "4.2", "2023-12"),
    ("620421", "1.5", "2023-11"),
    ("620421", "1.5", "2023-12"),
    ("620421", "2.3", "2023-12"),
}
# Values far from their history (flagged at entry): explained at once, or left to confirm.
JUMPS = {
    ("130425", "1.5", "2023-10"): (Decimal("2.6"), "国庆黄金周接待游客激增，已与景区台账核对"),
    ("130425", "2.4", "2023-11"): (Decimal("0.1"), ""),  # typed a tenth of its value (8.40): waiting for the clerk
    ("620421", "1.5", "2023-08"): (Decimal(4), ""),
}
# Visitors by month (a year's share in 120ths): spring outings, May Day, summer, the October holiday.
SEASON = [7, 8, 10, 11, 12, 10, 11, 11, 10, 12, 9, 9]
# Action plans never filed, by county (others late twice as often as the county's data).
PLANS_MISSING = {"130425": {"4.1", "5.5"}, "620421": {"2.2", "3.3", "4.1", "4.5", "5.2"}, "522325": {"1.4", "3.2"}}
PLAN_MEASURES = {
    "1": "落实耕地保护和粮食生产责任，推进高标准农田建设和农业社会化服务",
    "2": "实施农村人居环境整治提升行动，分解到乡镇、明确到村，每月调度",
    "3": "推进新时代文明实践站所和村级文化阵地建设，开展移风易俗专项行动",
    "4": "完善村级综合服务设施，健全自治法治德治相结合的乡村治理体系",
    "5": "稳岗就业、发展特色产业，巩固农村供水和农村公路建设成果",
}


def rng_for(*parts: object) -> random.Random:
    return random.Random("-".join(str(part) for part in (SEED, *parts)))


def at(month: int, day: int, hour: int = 2, year: int = YEAR) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def periods(frequency: str) -> list[str]:
    if frequency == "monthly":
        return [f"{YEAR}-{month:02d}" for month in range(1, 13)]
    if frequency == "quarterly":
        return [f"{YEAR}-Q{quarter}" for quarter in range(1, 5)]
    return [str(YEAR)]


def due(period: str) -> datetime:
    """The last day the period's data is on time (10:00 Beijing): the 10th of the next month,
    the 15th after a quarter, 31 January after the year."""
    if len(period) == 4:
        return datetime(int(period) + 1, 1, 31, 2, tzinfo=UTC)
    year, rest = int(period[:4]), period[5:]
    month = int(rest[1]) * 3 if rest.startswith("Q") else int(rest)
    day = 15 if rest.startswith("Q") else 10
    return datetime(year + month // 12, month % 12 + 1, day, 2, tzinfo=UTC)


def county_target(county: County, indicator: Indicator) -> Decimal:
    field = PER_COUNTY.get(indicator.code)
    return Decimal(getattr(county, field)) if field else Decimal(indicator.target)


def target_revisions(county: County, team: str) -> list[Step]:
    """The county's own targets for grain, visitors and income, agreed on 20 May (一级指标确定)."""
    found: list[Step] = []
    for index, code in enumerate(PER_COUNTY):
        target = getattr(county, PER_COUNTY[code])
        when = at(5, 20, 6) + timedelta(minutes=index)
        command = c.ReviseIndicator(
            code, {"method": {"type": "attainment", "target": target}},
            f"按{county.name}签署的示范创建目标确认书确定本县目标值",
        )  # fmt: skip
        found.append((when, county.code, command, c.Context(team, f"demo-target-{county.code}-{code}", when)))
    return found


def _share(county: County, indicator: Indicator) -> Decimal:
    """How far along the way from baseline to target this county gets with this indicator by December."""
    rng = rng_for(county.code, indicator.code, "share")
    draw = rng.random()
    if draw < float(county.behind):
        return Decimal(rng.randint(15, 70)) / 100
    if draw < float(county.behind) + SLIGHTLY_BEHIND:  # a yellow or orange warning
        return Decimal(rng.randint(80, 94)) / 100
    return Decimal(rng.randint(97, 112)) / 100


def values(county: County, indicator: Indicator) -> dict[str, Decimal]:
    """Every period's value of one indicator of one county."""
    rng = rng_for(county.code, indicator.code, "values")
    share = _share(county, indicator)
    target = county_target(county, indicator)
    keys = periods(indicator.frequency)
    found: dict[str, Decimal] = {}
    for index, period in enumerate(keys, start=1):
        jitter = Decimal(rng.randint(-8, 8)) / 1000
        if indicator.code in THRESHOLDS:
            value = Decimal(100) if share >= Decimal("0.85") else Decimal("98.6" if share >= Decimal("0.6") else "96.2")
        elif indicator.aggregate == "sum":  # visitors: the year's total spread by season
            value = target * (Decimal("0.6") + Decimal("0.4") * share) * SEASON[index - 1] / 120 * (1 + jitter)
        elif indicator.baseline is None:  # a level against the county's target
            value = target * (Decimal("0.6") + Decimal("0.4") * share) * (1 + jitter / 4)
        else:
            base, goal = Decimal(indicator.baseline), target
            step = share if indicator.aggregate == "mean" else share * index / len(keys)
            value = base + (goal - base) * step + abs(goal - base) * jitter
        value = min(max(value, Decimal(0)), Decimal(indicator.high))
        found[period] = value.quantize(Decimal(1) if indicator.unit == "元/人" else CENT)
    return found


def recorded(county: County, code: str, period: str) -> datetime:
    """When the county sent it: a few days before the deadline, or (its ``late`` share) after it."""
    rng = rng_for(county.code, code, period, "recorded")
    deadline = due(period)
    minutes = timedelta(minutes=rng.randint(0, 480))
    if rng.random() < float(county.late):
        return deadline + timedelta(days=rng.randint(2, 14)) + minutes
    return deadline - timedelta(days=rng.randint(1, 6)) + minutes


def action_plans(county: County) -> list[Step]:
    """Each indicator's action plan (行动计划), due 30 June: most on time, some late, a few never."""
    found: list[Step] = []
    missing = PLANS_MISSING.get(county.code, set())
    for indicator in INDICATORS:
        if indicator.code in missing:
            continue
        rng = rng_for(county.code, indicator.code, "plan")
        late = rng.random() < float(county.late) * 2
        first, days = (at(7, 3, 1), 25) if late else (at(6, 12, 1), 17)
        when = first + timedelta(days=rng.randint(0, days), minutes=rng.randint(0, 300))
        text = (f"{county.name}{YEAR}年“{indicator.name}”行动计划：{PLAN_MEASURES[indicator.code[0]]}；"
                f"责任单位按月报送进展，力争年底达到目标值。")  # fmt: skip
        context = c.Context(f"coordinator.{county.code}", f"demo-plan-{county.code}-{indicator.code}", when)
        found.append((when, county.code, c.RecordActionPlan(indicator.code, text), context))
    return found


def scheme_indicator(indicator: Indicator, weight: Decimal) -> dict[str, Any]:
    """The indicator as a node of the scheme document, under its dimension."""
    if indicator.code in THRESHOLDS:
        method: dict[str, Any] = {"type": "threshold", "bands": THRESHOLDS[indicator.code]}
    elif indicator.baseline is None:
        method = {"type": "attainment", "target": indicator.target}
    else:
        method = {"type": "attainment", "target": indicator.target, "baseline": indicator.baseline}
    return {
        "code": indicator.code,
        "parent": indicator.code.split(".")[0],
        "name": indicator.name,
        "kind": "common",
        "unit": indicator.unit,
        "direction": "lower_better" if indicator.code in LOWER_BETTER else "higher_better",
        "method": method,
        "weight": str(weight),
        "frequency": indicator.frequency,
        "aggregate": indicator.aggregate,
        "range": ["0", indicator.high],
    }
