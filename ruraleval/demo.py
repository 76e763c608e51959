"""The demo: a 2023 scheme of county-scale indicators and a dozen counties' year of work.

The scheme's indicators are the national plan's main indicators brought down to a county
(``demo_story``); the counties, users and the year's work around the data are below.
Everything is generated from fixed seeds, so every load gives the same store content
(the commands' instants are the simulated 2023–24 calendar).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib.resources import files
from typing import Any

from domain import commands as c
from domain.errors import DomainError
from domain.organisation import Grant, Organisation
from domain.scheme import usual_rules
from domain.scheme_reading import parse_scheme
from ruraleval import demo_story as story
from ruraleval.demo_results import load_results
from ruraleval.demo_towns import load_town_verification
from ruraleval.platform import Platform

SCHEME_ID = "demo-2023"
YEAR = story.YEAR
ACTOR_CENTRE = "admin"  # the centre acts as its registered administrator, so its events name a user
SEED = story.SEED

# (code, name, province, region)
COUNTIES = [(p.code, p.name, p.province, p.region) for p in story.PROFILES]
TEAMS = {"east": "evaluator.east", "central": "evaluator.central", "west": "evaluator.west"}
# Each region's team (code, name) and its evaluator's name; east-1's evaluator is a sign-in user.
TEAM_OF = {"east": ("east-1", "东部第一评估组"), "central": ("central-1", "中部第一评估组"),
           "west": ("west-1", "西部第一评估组")}  # fmt: skip
EVALUATOR_NAMES = {"central": "中部评估组成员", "west": "西部评估组成员"}
# The demo's other actors (each county's coordinator and department, two more evaluators) are
# registered too, so every author of an event is a user with a name and a role; they cannot
# sign in (no password verifies against this hash), and, marked demo, a production start refuses them.
NO_SIGN_IN = "!demo-staff-no-sign-in"

# Branches whose children's weights a county may shift, by a proposal its evaluators approve:
# each child keeps 15–35 % of the dimension's 20 points (3 to 7).
COUNTY_ADJUSTABLE = {"3": {"min_share": "0.15", "max_share": "0.35"}}

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
# Argon2 hashes of the public passwords above, made once with ruraleval.security.hash_password:
# hashing six passwords took 0.9 s of every demo load (the browser and page tests load the
# demo once per module), and fixed hashes make every load's store content the same. The
# sign-in tests check each user's password against them.
DEMO_PASSWORD_HASHES = {
    "admin": ("$argon2id$v=19$m=65536,t=3,p=4$FIfZYhgC97W7ihltzmjzng$8G2d2SZIk8pH+Elb7ynvKWL33dfRXKwFW+YlSrrbz34"),
    "evaluator.east": (
        "$argon2id$v=19$m=65536,t=3,p=4$RClneL8cnpa5KBw1YAbDfg$pkUAZMFLC/uOFPQpkXWVWqBouE+yBoWtZ0O1jwtjVi4"
    ),
    "coordinator.130425": (
        "$argon2id$v=19$m=65536,t=3,p=4$PJ3y7rUwkAOCjLqA5bIjMw$abOu/iPnSlmKfkJWXFMuUflkpIjDuuYYboER3PKIp6s"
    ),
    "dept.130425": (
        "$argon2id$v=19$m=65536,t=3,p=4$D18Qu77yt7YkxUTfiF3MKQ$DvyhErAL+Ke6yFPlm9SMYa0ioCIlJPN047zZPlGhJV0"
    ),
    "leader": ("$argon2id$v=19$m=65536,t=3,p=4$dpjKtxIHl+/h/5o5VkUVgg$vkvltnRjx+h5LCv1ojPPpA2x3bBfmJrfKxay1j/XiOU"),
    "auditor": ("$argon2id$v=19$m=65536,t=3,p=4$fp0DxOu6M3xWXngrQwSq2Q$AgQztsk6Yxpuqe5fILm/yxD87a73jtJQiJgtL3UVWSI"),
}
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
# Values sent wrong and corrected after the year's review: 大名县 left out the city's civilised
# villages (sent 41.30); 贞丰县 counted villages not yet on the water supply (4 points too many).
SENT_AS = {("130425", "3.2", "2023"): Decimal("41.30")}
SENT_OVER = {("522325", "5.3", "2023-12"): Decimal(4)}
CORRECTED = [*SENT_AS, *SENT_OVER]
# The year's review: the corrections (in CORRECTED's order, a day apart), then points and overrides.
REVIEWED_AT = datetime(YEAR + 1, 2, 20, 3, tzinfo=UTC)
# Periods the year's conversation is about: sent on time, before the evaluator looks at them.
ON_TIME = {("130425", "2.1", "2023-09"), ("130425", "1.3", "2023-Q3"), ("320583", "2.3", "2023-10"),
           ("330782", "4.2", "2023-11"), ("130425", "3.2", "2023"), ("522325", "5.3", "2023-12")}  # fmt: skip

Step = story.Step


def national_indicators() -> dict[str, Any]:
    """The national plan's main indicators, whose names and rates the demo's scheme takes."""
    raw = files("ruraleval").joinpath("data/national_indicators_2018_2022.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(raw)
    return data


def demo_scheme_document() -> dict[str, Any]:
    """Five dimensions of 20 points; each dimension's points shared by its indicators."""
    indicators: list[dict[str, Any]] = []
    for dimension in national_indicators()["dimensions"]:
        children = [item for item in story.INDICATORS if item.code.split(".")[0] == dimension["code"]]
        node: dict[str, Any] = {"code": dimension["code"], "name": dimension["name"], "weight": 20}
        if dimension["code"] in COUNTY_ADJUSTABLE:
            node["county_adjustable"] = COUNTY_ADJUSTABLE[dimension["code"]]
        indicators.append(node)
        indicators += [story.scheme_indicator(item, Decimal(20) / len(children)) for item in children]
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
    # One log in recorded order: what was recorded earlier sits earlier in the log.
    steps = _targets() + _responsibility() + _data() + _plans() + _conversation() + _reviews()
    steps.sort(key=lambda step: step[0])
    futures = [platform.ledger.submit(code, command, context) for _, code, command, context in steps]
    for future in futures:
        future.result()
    load_town_verification(platform)
    platform.projections.catch_up()
    load_results(platform, demo_scheme_document())
    return True


def _load_organisation(platform: Platform, start: datetime) -> None:
    """Demo users, a team per region with its counties, and every other user the demo acts as."""
    regions = {code: region for code, *_, region in COUNTIES}

    def change(organisation: Organisation, context: c.Context) -> None:
        for region, (team, name) in TEAM_OF.items():
            organisation.form_team(team, name, region, context)
            held = [code for code, in_region in regions.items() if in_region == region]
            organisation.assign_counties(team, held, f"演示：{name}负责该区域各县", context, regions=regions)
        for username, _, display_name, grant in DEMO_USERS:
            organisation.register_user(
                username, display_name, DEMO_PASSWORD_HASHES[username], [grant], context, enrolled=regions, demo=True
            )
        for username, display_name, grant in _staff():
            organisation.register_user(
                username, display_name, NO_SIGN_IN, [grant], context, enrolled=regions, demo=True
            )

    platform.ledger.organise(change, c.Context(ACTOR_CENTRE, "demo-organisation", start), "DemoOrganisation")


def _staff() -> list[tuple[str, str, Grant]]:
    """The users the demo acts as beside the sign-in users: (username, display name, grant)."""
    signing_in = {username for username, *_ in DEMO_USERS}
    staff = [(TEAMS[region], words, Grant(f"demo-{TEAMS[region]}", "evaluator", team=TEAM_OF[region][0]))
             for region, words in EVALUATOR_NAMES.items()]  # fmt: skip
    for code, name, *_ in COUNTIES:
        staff.append((f"coordinator.{code}", f"{name}县级管理员",
                      Grant(f"demo-coordinator-{code}", "county_coordinator", county=code)))  # fmt: skip
        department = Grant(f"demo-department-{code}", "department_user", county=code, department="县农业农村局")
        staff.append((f"dept.{code}", f"{name}农业农村局", department))
    return [member for member in staff if member[0] not in signing_in]


def demo_credentials() -> str:
    lines = ["演示用户（仅供演示，生产环境会拒绝启动）：", "  用户名                 密码                   角色"]
    for username, password, display_name, _ in DEMO_USERS:
        lines.append(f"  {username:<22} {password:<22} {display_name}")
    return "\n".join(lines)


def _targets() -> list[Step]:
    return [step for county in story.PROFILES for step in story.target_revisions(county, TEAMS[county.region])]


def _responsibility() -> list[Step]:
    """大名县's departments and persons for every indicator, set by its coordinator on 30 May."""
    when = story.at(5, 30, 1)
    context = c.Context("coordinator.130425", "demo-responsibility", when)
    return [(when, "130425", c.AssignResponsibility(code, department, person), context)
            for (department, person), codes in story.RESPONSIBLE.items() for code in codes.split()]  # fmt: skip


def _data() -> list[Step]:
    steps: list[Step] = []
    for county in story.PROFILES:
        for indicator in story.INDICATORS:
            for period, value in story.values(county, indicator).items():
                key = (county.code, indicator.code, period)
                if key in story.MISSING:
                    continue
                factor, comment = story.JUMPS.get(key, (Decimal(1), ""))
                sent = SENT_AS.get(key, (value * factor).quantize(story.CENT) + SENT_OVER.get(key, 0))
                when = story.recorded(county, indicator.code, period)
                if key in ON_TIME:
                    when = min(when, story.due(period) - timedelta(days=2))
                context = c.Context(f"dept.{county.code}", f"demo-{county.code}-{indicator.code}-{period}", when)
                steps.append((when, county.code, c.SubmitData(indicator.code, period, sent, "form", None, comment),
                              context))  # fmt: skip
    return steps


def _plans() -> list[Step]:
    steps = [step for county in story.PROFILES for step in story.action_plans(county)]
    own = "一、打造“大名小磨香油”等农文旅线路；二、每季度举办一次农民丰收节活动；三、与周边景区联票引流。"
    return [(when, code, c.RecordActionPlan("1.5", own), context)
            if (code, getattr(command, "indicator", "")) == ("130425", "1.5") else (when, code, command, context)
            for when, code, command, context in steps]  # fmt: skip


def _conversation() -> list[Step]:
    """The monthly cycle around the data: questions, returns and answers, proposals."""
    east, dept, coordinator, at = "evaluator.east", "dept.130425", "coordinator.130425", story.at
    steps: list[tuple[datetime, str, str, c.CountyCommand]] = [
        (at(7, 5, 1), dept, "130425",
         c.PostFeedback("1.1", "", "county", "粮食总产量按播种面积折算还是按统计部门的产量口径填报？")),
        (at(7, 6, 3), east, "130425",
         c.PostFeedback("1.1", "", "evaluator", "按统计部门公布的粮食产量口径填报，单位万吨，保留两位小数。")),
        (at(7, 6, 4), east, "130425", c.CloseThread("1.1", "", "口径已明确")),
        (at(10, 25), east, "130425",
         c.ReviewSubmission("2.1", "2023-09", "return", "较上月下降明显，请核实并说明原因")),
        (at(10, 27, 6), dept, "130425",
         c.PostFeedback("2.1", "2023-09", "county", "经核实，9月两家规模养殖场停产检修，数据无误")),
        (at(10, 30), east, "130425", c.ReviewSubmission("2.1", "2023-09", "accept")),
        # Returned to 大名县 and not yet answered: the clerk's page lists it.
        (at(10, 20, 3), east, "130425", c.ReviewSubmission(
            "1.3", "2023-Q3", "return", "三季度农业劳动生产率较二季度提高较多，请补充农业从业人员数的统计口径和来源")),
        (at(11, 25), east, "320583", c.ReviewSubmission("2.3", "2023-10", "return", "请补充各乡镇明细表")),
        # Answered by 义乌市, waiting for the team.
        (at(12, 14, 3), east, "330782", c.ReviewSubmission(
            "4.2", "2023-11", "return", "11月建有综合服务站的村占比与民政台账不一致，请核实")),
        (at(12, 18, 7), "coordinator.330782", "330782", c.PostFeedback(
            "4.2", "2023-11", "county", "已与县民政局核对，新增3个村级综合服务站已于11月验收，数据无误，附验收清单")),
        # Weights inside the branch the scheme leaves to counties (乡风文明): proposed, then
        # approved by the team on 05-30, the deadline for second-level weights.
        (at(5, 30), coordinator, "130425", c.ProposeChange(
            "adjust_weights", {"parent": "3", "weights": {"3.1": "6", "3.4": "4"}},
            "本县将村综合性文化服务中心建设列为年度重点任务，申请提高其权重、相应降低教育文化娱乐支出占比的权重")),
        (at(5, 30, 7), east, "130425", c.ApproveProposal(
            "P2023-001", "经评估组与县里协商确认，见 2023 年 5 月 30 日二级指标权重确认会议纪要")),
        # A county-specific indicator, proposed late in the year and still waiting for the team.
        (at(11, 20), coordinator, "130425", c.ProposeChange(
            "define_indicator", {"indicator": DEMO_SPECIFIC, "sibling_weights": SPECIFIC_SIBLINGS},
            "大名县将非物质文化遗产传承作为乡风文明建设的特色工作，申请增设个性指标")),
    ]  # fmt: skip
    return [(when, code, command, c.Context(actor, f"demo-cycle-{index}", when))
            for index, (when, actor, code, command) in enumerate(steps)]  # fmt: skip


def _reviews() -> list[Step]:
    """After the year: two corrections, bonus and penalty points, and a centre's override
    superseded by the province's (whose result stands, ADR 19)."""
    when = REVIEWED_AT
    steps: list[Step] = []
    reasons = {
        "130425": "原报数据未计入市级文明村，按县文明办台账更正为实际占比",
        "522325": "核查发现多计了尚未通水的自然村，按县水利局供水台账更正",
    }
    for index, (code, indicator, period) in enumerate(CORRECTED):
        county = next(p for p in story.PROFILES if p.code == code)
        right = next(i for i in story.INDICATORS if i.code == indicator)
        value = story.values(county, right)[period]
        moment = when + timedelta(days=index)
        context = c.Context(TEAMS[county.region], f"demo-correct-{index}", moment)
        steps.append((moment, code, c.CorrectData(indicator, period, value, reasons[code]), context))
    points = [
        ("330782", Decimal(3), "B1", "数字乡村建设经验被农业农村部推广"),
        ("411523", Decimal(2), "B1", "红色旅游带动乡村振兴典型案例"),
        ("620421", Decimal(-2), "P1", "高标准农田建设项目进度滞后被通报"),
    ]
    for index, (code, amount, category, reason) in enumerate(points):
        moment = when + timedelta(days=3, minutes=index)
        context = c.Context(ACTOR_CENTRE, f"demo-points-{index}", moment)
        steps.append((moment, code, c.AdjustPoints(YEAR, amount, category, reason, f"demo-adjustment-{index}"),
                      context))  # fmt: skip
    # The centre's result for 3.1, then the province's, which prevails: the scores show the
    # province's standing and the centre's beneath it.
    moment = when + timedelta(days=6)
    centre = c.OverrideScore(YEAR, "3.1", Decimal("3.5"), "centre", "中心评估组复核：台账不完整", "demo-override-0")
    steps.append((moment, "360781", centre, c.Context("evaluator.central", "demo-override-centre", moment)))
    moment = when + timedelta(days=9)
    override = c.OverrideScore(YEAR, "3.1", Decimal(4), "province", "省级核查组实地核查结果为准", "demo-override-1")
    steps.append((moment, "360781", override, c.Context("evaluator.central", "demo-override", moment)))
    return steps
