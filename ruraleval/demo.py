"""The demo: a 2023 scheme from the national plan's main indicators and a dozen counties.

Everything is generated from fixed seeds, so every load gives the same store content
(apart from the instants of the commands, which are the simulated 2023–24 calendar).
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib.resources import files
from typing import Any

from domain import commands as c
from domain.errors import DomainError
from domain.organisation import Grant, Organisation
from domain.scheme import Scheme, usual_rules
from domain.scheme_reading import parse_scheme
from ruraleval.platform import Platform
from ruraleval.security import hash_password

SCHEME_ID = "demo-2023"
YEAR = 2023
ACTOR_CENTRE = "centre.admin"
SEED = 20230520

# (code, name, province, region): real county-level codes across the three regions.
COUNTIES = [
    ("130425", "大名县", "河北省", "east"),
    ("320583", "昆山市", "江苏省", "east"),
    ("330782", "义乌市", "浙江省", "east"),
    ("370783", "寿光市", "山东省", "east"),
    ("360781", "瑞金市", "江西省", "central"),
    ("411523", "新县", "河南省", "central"),
    ("420626", "保康县", "湖北省", "central"),
    ("430124", "宁乡市", "湖南省", "central"),
    ("510129", "大邑县", "四川省", "west"),
    ("522325", "贞丰县", "贵州省", "west"),
    ("610431", "武功县", "陕西省", "west"),
    ("620421", "靖远县", "甘肃省", "west"),
]

# Indicator code -> (frequency, aggregate); the rest are annual and take the latest value.
FREQUENCIES = {
    "1.5": ("monthly", "sum"),
    "2.1": ("monthly", "latest"),
    "2.3": ("monthly", "latest"),
    "2.4": ("monthly", "latest"),
    "4.2": ("monthly", "latest"),
    "5.3": ("monthly", "latest"),
    "1.3": ("quarterly", "latest"),
    "3.4": ("quarterly", "mean"),
    "5.1": ("quarterly", "mean"),
    "5.2": ("quarterly", "latest"),
}
# Branches whose children's weights a county may shift, by a proposal its evaluators approve:
# each child keeps 15–35 % of the dimension's 20 points (3 to 7).
COUNTY_ADJUSTABLE = {"3": {"min_share": "0.15", "max_share": "0.35"}}
THRESHOLDS = {
    "5.4": [{"min": 100, "f": 1}, {"min": 98, "f": 0.8}, {"min": 95, "f": 0.5}, {"min": 0, "f": 0}],
    "4.4": [{"min": 100, "f": 1}, {"min": 95, "f": 0.8}, {"min": 90, "f": 0.6}, {"min": 0, "f": 0}],
}


# One user per role. The passwords are public (README): a production start refuses them.
DEMO_USERS = [
    ("admin", "demo-admin-2023", "中心专班管理员", Grant("demo-admin", "admin")),
    ("evaluator.east", "demo-evaluator-2023", "东部评估组成员", Grant("demo-evaluator", "evaluator", team="east-1")),
    (
        "coordinator.130425",
        "demo-coordinator-2023",
        "大名县县级管理员",
        Grant("demo-coordinator", "county_coordinator", county="130425"),
    ),
    (
        "dept.130425",
        "demo-department-2023",
        "大名县农业农村局",
        Grant("demo-department", "department_user", county="130425", department="县农业农村局"),
    ),
    ("leader", "demo-leader-2023", "领导小组", Grant("demo-leader", "leader")),
    ("auditor", "demo-auditor-2023", "审计", Grant("demo-auditor", "auditor")),
]
# Values that jump from their history (flagged at entry): one explained at once, one not.
JUMPS = {
    ("130425", "1.5", "2023-10"): (Decimal(3), "国庆黄金周接待游客激增，已与景区台账核对"),
    ("620421", "1.5", "2023-08"): (Decimal(4), ""),
}
DEPARTMENT_INDICATORS = ["1.1", "1.2", "1.3", "1.4", "1.5", "2.1"]
# 130425's proposed county-specific indicator (pending in the demo) and the weights it asks beside it.
DEMO_SPECIFIC = {
    "code": "3.5",
    "parent": "3",
    "name": "县级非物质文化遗产传承活动场次",
    "kind": "specific",
    "unit": "场",
    "direction": "higher_better",
    "method": {"type": "attainment", "target": "24"},
    "weight": "3",
    "frequency": "quarterly",
    "aggregate": "sum",
    "range": ["0", "200"],
}
SPECIFIC_SIBLINGS = {"3.1": "5", "3.2": "4", "3.3": "4", "3.4": "4"}


def _number(text: str | None) -> Decimal | None:
    """'>6' in the plan means 'more than 6': the demo uses 6 as the target."""
    if text is None:
        return None
    return Decimal(text.lstrip("><≥≤ "))


def national_indicators() -> dict[str, Any]:
    raw = files("ruraleval").joinpath("data/national_indicators_2018_2022.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(raw)
    return data


def demo_scheme_document() -> dict[str, Any]:
    """Five dimensions of 20 points; each dimension's points shared by its indicators."""
    data = national_indicators()
    indicators: list[dict[str, Any]] = []
    for dimension in data["dimensions"]:
        children = [item for item in data["indicators"] if item["dimension"] == dimension["name"]]
        node: dict[str, Any] = {"code": dimension["code"], "name": dimension["name"], "weight": 20}
        if dimension["code"] in COUNTY_ADJUSTABLE:
            node["county_adjustable"] = COUNTY_ADJUSTABLE[dimension["code"]]
        indicators.append(node)
        for item in children:
            indicators.append(_demo_indicator(item, dimension["code"], Decimal(20) / len(children)))
    indicators.append({"code": "B1", "name": "创新做法和典型经验加分", "kind": "bonus_penalty", "sign": "bonus"})
    indicators.append({"code": "P1", "name": "负面事件和工作失误减分", "kind": "bonus_penalty", "sign": "penalty"})
    return {
        "id": SCHEME_ID,
        "name": "乡村振兴百县示范创建监测评估方案（2023年度，演示）",
        "year": YEAR,
        **usual_rules(),
        # Whose results prevail, highest first: the province's and the city's verification
        # results over the centre's own, and every one of them over the county's (ADR 19).
        "authorities": ["province", "city", "centre", "county"],
        "indicators": indicators,
    }


def _demo_indicator(item: dict[str, Any], parent: str, weight: Decimal) -> dict[str, Any]:
    code = item["code"]
    target = _number(item["target_2022"])
    baseline = _number(item["baseline_2016"])
    frequency, aggregate = FREQUENCIES.get(code, ("annual", "latest"))
    if code in THRESHOLDS:
        method: dict[str, Any] = {"type": "threshold", "bands": THRESHOLDS[code]}
    elif baseline is not None and baseline != target:
        method = {"type": "attainment", "target": str(target), "baseline": str(baseline)}
    else:
        method = {"type": "attainment", "target": str(target)}
    percent = item["unit"] == "%"
    upper = Decimal(100) if percent else (target or Decimal(1)) * 10
    return {
        "code": code,
        "parent": parent,
        "name": item["name"],
        "kind": "common",
        "unit": item["unit"],
        "direction": item["direction"],
        "method": method,
        "weight": str(weight),
        "frequency": frequency,
        "aggregate": aggregate,
        "range": [0, str(upper)],
    }


class _Calendar:
    """Recorded instants of the simulated year: data arrives before its deadline, or late."""

    @staticmethod
    def due(period: str) -> datetime:
        if len(period) == 4:
            return datetime(int(period) + 1, 1, 31, 9, tzinfo=UTC)
        year, rest = int(period[:4]), period[5:]
        month = int(rest[1]) * 3 if rest.startswith("Q") else int(rest)
        day = 15 if rest.startswith("Q") else 10
        if month == 12:
            return datetime(year + 1, 1, day, 2, tzinfo=UTC)
        return datetime(year, month + 1, day, 2, tzinfo=UTC)


def _periods(frequency: str) -> list[str]:
    if frequency == "monthly":
        return [f"{YEAR}-{month:02d}" for month in range(1, 13)]
    if frequency == "quarterly":
        return [f"{YEAR}-Q{quarter}" for quarter in range(1, 5)]
    return [str(YEAR)]


def _value(indicator: Any, progress: Decimal, share: Decimal, rng: random.Random) -> Decimal:
    """A value on the path from baseline to target, ``progress`` of the way at year end."""
    method = indicator.method
    target = method.target if method.type == "attainment" else Decimal(100)
    baseline = (
        method.baseline if method.type == "attainment" and method.baseline is not None else target * Decimal("0.8")
    )
    if indicator.aggregate == "sum":
        value = target * progress * share
    else:
        step = progress * (Decimal("0.6") + Decimal("0.4") * share)
        value = baseline + (target - baseline) * step
    noise = Decimal(rng.randint(-15, 15)) / 1000
    value = value * (1 + noise)
    low, high = indicator.range
    return min(max(value, low), high).quantize(Decimal("0.01"))


def load_demo(platform: Platform) -> bool:
    """Loads the demo into the store; False (and nothing written) if it is already there."""
    try:
        platform.ledger.scheme(SCHEME_ID)
        return False
    except DomainError:
        pass
    scheme = parse_scheme(demo_scheme_document())
    start = datetime(YEAR, 5, 20, 1, tzinfo=UTC)
    centre = c.Context(ACTOR_CENTRE, "demo-scheme", start)
    platform.ledger.publish_scheme(scheme, centre)
    for code, name, province, region in COUNTIES:
        platform.ledger.enrol(
            c.EnrolCounty(code, name, province, region, scheme), c.Context(ACTOR_CENTRE, f"demo-enrol-{code}", start)
        )
    _load_organisation(platform, start)
    _load_data(platform, scheme)
    _load_reviews(platform)
    platform.projections.catch_up()
    return True


def _load_organisation(platform: Platform, start: datetime) -> None:
    """Demo users, the east team and its counties, and one department's indicators."""
    hashes = {username: hash_password(password) for username, password, _, _ in DEMO_USERS}
    east = [code for code, *_, region in COUNTIES if region == "east"]

    def change(organisation: Organisation, context: c.Context) -> None:
        organisation.form_team("east-1", "东部第一评估组", "east", context)
        regions = {code: region for code, *_, region in COUNTIES}
        organisation.assign_counties("east-1", east, "演示：东部评估组负责东部各县", context, regions=regions)
        for username, _, display_name, grant in DEMO_USERS:
            organisation.register_user(username, display_name, hashes[username], [grant], context, demo=True)

    platform.ledger.organise(change, c.Context(ACTOR_CENTRE, "demo-organisation", start), "DemoOrganisation")
    context = c.Context("coordinator.130425", "demo-responsibility", start + timedelta(days=10))
    for indicator in DEPARTMENT_INDICATORS:
        platform.ledger.execute("130425", c.AssignResponsibility(indicator, "县农业农村局", "王强"), context)


def demo_credentials() -> str:
    lines = ["演示用户（仅供演示，生产环境会拒绝启动）：", "  用户名                 密码                   角色"]
    for username, password, display_name, _ in DEMO_USERS:
        lines.append(f"  {username:<22} {password:<22} {display_name}")
    return "\n".join(lines)


def _load_data(platform: Platform, scheme: Scheme) -> None:
    rng = random.Random(SEED)
    pending: list[tuple[datetime, str, c.CountyCommand, c.Context]] = []
    for code, *_ in COUNTIES:
        county_rng = random.Random(f"{SEED}-{code}")
        # Counties differ in how far they are along; indicators scatter around that.
        standing = county_rng.randint(55, 112)
        for indicator in scheme.indicators:
            if indicator.method is None:
                continue
            progress = Decimal(max(20, standing + county_rng.randint(-20, 25))) / 100
            periods = _periods(indicator.frequency)
            for index, period in enumerate(periods, start=1):
                share = Decimal(index) / len(periods) if indicator.aggregate != "sum" else Decimal(1) / len(periods)
                value = _value(indicator, progress, share, county_rng)
                factor, comment = JUMPS.get((code, indicator.code, period), (Decimal(1), ""))
                value = (value * factor).quantize(Decimal("0.01"))
                late_days = county_rng.choice([0, 0, 0, 0, 0, 0, 3, 12])
                recorded = (
                    _Calendar.due(period) - timedelta(days=3) + timedelta(days=late_days, minutes=rng.randint(0, 600))
                )
                context = c.Context(f"dept.{code}", f"demo-{code}-{indicator.code}-{period}", recorded)
                pending.append(
                    (recorded, code, c.SubmitData(indicator.code, period, value, "form", None, comment), context)
                )
    pending.extend(_conversation())
    pending.sort(key=lambda item: item[0])
    futures = [platform.ledger.submit(code, command, context) for _, code, command, context in pending]
    for future in futures:
        future.result()


def _conversation() -> list[tuple[datetime, str, c.CountyCommand, c.Context]]:
    """The monthly cycle around the data: an action plan, a question, returns and answers."""
    east, dept, coordinator = "evaluator.east", "dept.130425", "coordinator.130425"
    steps: list[tuple[datetime, str, str, c.CountyCommand]] = [
        (datetime(YEAR, 6, 25, 2, tzinfo=UTC), coordinator, "130425", c.RecordActionPlan(
            "1.5", "一、打造“大名小磨香油”等农文旅线路；二、每季度举办一次农民丰收节活动；三、与周边景区联票引流。")),
        (datetime(YEAR, 7, 5, 1, tzinfo=UTC), dept, "130425",
         c.PostFeedback("1.1", "", "county", "粮食综合生产能力按播种面积还是按产量口径填报？")),
        (datetime(YEAR, 7, 6, 3, tzinfo=UTC), east, "130425",
         c.PostFeedback("1.1", "", "evaluator", "按统计年鉴的粮食产量口径填报，单位万吨。")),
        (datetime(YEAR, 7, 6, 4, tzinfo=UTC), east, "130425", c.CloseThread("1.1", "", "口径已明确")),
        (datetime(YEAR, 10, 25, 2, tzinfo=UTC), east, "130425",
         c.ReviewSubmission("2.1", "2023-09", "return", "较上月下降明显，请核实并说明原因")),
        (datetime(YEAR, 10, 27, 6, tzinfo=UTC), dept, "130425",
         c.PostFeedback("2.1", "2023-09", "county", "经核实，9月两家规模养殖场停产检修，数据无误")),
        (datetime(YEAR, 10, 30, 2, tzinfo=UTC), east, "130425", c.ReviewSubmission("2.1", "2023-09", "accept")),
        (datetime(YEAR, 11, 25, 2, tzinfo=UTC), east, "320583",
         c.ReviewSubmission("2.3", "2023-10", "return", "请补充各乡镇明细表")),
        # Weights inside the branch the scheme leaves to counties (乡风文明): proposed, then
        # approved by the team on 05-30, the deadline for second-level weights.
        (datetime(YEAR, 5, 30, 2, tzinfo=UTC), coordinator, "130425", c.ProposeChange(
            "adjust_weights", {"parent": "3", "weights": {"3.1": "6", "3.4": "4"}},
            "本县将村综合性文化服务中心建设列为年度重点任务，申请提高其权重、相应降低教育文化娱乐支出占比的权重")),
        (datetime(YEAR, 5, 30, 7, tzinfo=UTC), east, "130425", c.ApproveProposal(
            "P2023-001", "经评估组与县里协商确认，见 2023 年 5 月 30 日二级指标权重确认会议纪要")),
        # A county-specific indicator, proposed late in the year and still waiting for the team.
        (datetime(YEAR, 11, 20, 2, tzinfo=UTC), coordinator, "130425", c.ProposeChange(
            "define_indicator", {"indicator": DEMO_SPECIFIC, "sibling_weights": SPECIFIC_SIBLINGS},
            "大名县将非物质文化遗产传承作为乡风文明建设的特色工作，申请增设个性指标")),
    ]  # fmt: skip
    return [(when, code, command, c.Context(actor, f"demo-cycle-{index}", when))
            for index, (when, actor, code, command) in enumerate(steps)]  # fmt: skip


def _load_reviews(platform: Platform) -> None:
    """A few corrections, bonus and penalty points, and a centre's override superseded by the province's."""
    when = datetime(YEAR + 1, 1, 12, 3, tzinfo=UTC)
    corrections = [("130425", "2.1", "2023-06", Decimal("71.40")), ("522325", "5.3", "2023-09", Decimal("80.10"))]
    for index, (code, indicator, period, value) in enumerate(corrections):
        context = c.Context(
            "evaluator.east" if code.startswith("13") else "evaluator.west", f"demo-correct-{index}", when
        )
        platform.ledger.execute(
            code, c.CorrectData(indicator, period, value, "核查发现报送数据录入错误，按台账更正"), context
        )
    points = [
        ("330782", Decimal(3), "B1", "数字乡村建设经验被农业农村部推广"),
        ("411523", Decimal(2), "B1", "红色旅游带动乡村振兴典型案例"),
        ("620421", Decimal(-2), "P1", "高标准农田建设项目进度滞后被通报"),
    ]
    for index, (code, amount, category, reason) in enumerate(points):
        context = c.Context(ACTOR_CENTRE, f"demo-points-{index}", when + timedelta(days=1))
        platform.ledger.execute(
            code, c.AdjustPoints(YEAR, amount, category, reason, f"demo-adjustment-{index}"), context
        )
    # The centre's result for 3.1, then the province's, which prevails (ADR 19): the scores
    # show the province's standing and the centre's beneath it.
    context = c.Context("evaluator.central", "demo-override-centre", when + timedelta(days=2))
    centre = c.OverrideScore(YEAR, "3.1", Decimal("3.5"), "centre", "中心评估组复核：台账不完整", "demo-override-0")
    platform.ledger.execute("360781", centre, context)
    context = c.Context("evaluator.central", "demo-override", when + timedelta(days=3))
    override = c.OverrideScore(YEAR, "3.1", Decimal(4), "province", "省级核查组实地核查结果为准", "demo-override-1")
    platform.ledger.execute("360781", override, context)
