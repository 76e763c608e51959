"""The demo's verification of towns (核查, 004): 大名县 checks four of its towns in December 2023.

The county's own scheme is the 004 example (``data/verification_scheme_example.json``) under
the county's name. Four towns, six villages each (five non-poverty-relief, one poverty-relief),
six households per village (five meeting the standard, one of them with a disabled member);
three teams drawn from the towns and the county office, each assigned a town none of its
members comes from; one absence; samples drawn with fixed seeds; the teams' scores on the
day. 万堤镇 has its team but no sample yet: the browser test draws it and enters its
scores. The province sampled one of 大名镇's villages: its result supersedes the county's,
which stays visible. 金滩镇 was checked by the province alone, so every town but 万堤镇
has a composite and the ranking shows.

Everything is fixed (seeds, points, instants): every load stores the same events.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib.resources import files
from typing import Any

from domain import verification_commands as v
from domain.commands import Context
from domain.scheme import Scheme
from domain.scheme_reading import parse_scheme
from domain.towns import COUNTY_OFFICE, Household, Town, Village
from domain.verification_state import Member
from ruraleval.platform import Platform

COUNTY = "130425"
YEAR = 2023
ACTOR = "coordinator.130425"  # the county coordinator enters the county's verification
SCHEME_NAME = "大名县2023年乡村振兴工作成效核查方案（镇级核查）"
SCHEME_ID = "130425-verification-2023"
OPENED_AT = datetime(YEAR, 12, 1, 1, tzinfo=UTC)
CHECKED_ON = "2023-12-20"  # the day the teams checked

# (code, name); per town five non-poverty-relief villages and one poverty-relief village.
TOWNS = [("DM01", "大名镇"), ("DM02", "杨桥镇"), ("DM03", "万堤镇"), ("DM04", "金滩镇")]
VILLAGE_NAMES = {
    "DM01": ["东关村", "西关村", "南关村", "北关村", "城南村", "五里营村"],
    "DM02": ["杨桥村", "张庄村", "李营村", "王家村", "前刘村", "后刘村"],
    "DM03": ["万堤村", "赵庄村", "孙固村", "小堤村", "沙圪塔村", "河东村"],
    "DM04": ["金滩村", "郭庄村", "马陵村", "刘庄村", "高村", "北滩村"],
}
VILLAGES_PER_TOWN = 6
POVERTY_RELIEF_VILLAGE = 6  # the sixth village of each town is a poverty-relief village
HOUSEHOLDS_PER_VILLAGE = 6
SURNAMES = ["王", "李", "张", "刘", "陈", "杨"]

# Teams: (id, name, members (name, home, helped village), town). Nobody checks their own town.
TEAMS = [
    ("1", "第一核查组", [("赵文华", "DM02", "DM02V2"), ("钱晓明", COUNTY_OFFICE, "")], "DM01"),
    ("2", "第二核查组", [("孙立新", "DM03", "DM03V1"), ("周建国", COUNTY_OFFICE, "")], "DM02"),
    ("3", "第三核查组", [("吴海燕", "DM01", "DM01V2"), ("郑国强", "DM04", ""), ("冯志刚", COUNTY_OFFICE, "")], "DM03"),
]
# 第一核查组's 赵文华 (from 杨桥镇, helping 王家村) missed a day: 杨桥镇's daily work loses the
# scheme's 2 points (W4), as does the village she helps (V4, 王家村 is sampled).
ABSENCE = ("A1", "1", "赵文华", "absent", CHECKED_ON, "未请假缺席入户核查")
SEEDS = {"DM01": "daming-2023-dm01", "DM02": "daming-2023-dm02"}  # 万堤镇 is left for the browser test
TOWN_NOT_SAMPLED = "DM03"

# The teams' scores on the day, as sheet totals spread over the items (the 004 sheets T, W, V).
TOWN_SCORES = {"DM01": {"verification": "88", "daily_work": "93"}, "DM02": {"verification": "78", "daily_work": "85"}}
VILLAGE_SCORES = {"DM01": ["92", "86", "81", "90"], "DM02": ["75", "72", "80", "69"]}
# The province sampled 大名镇's first sampled village: its 84 supersedes the county's 92.
PROVINCE_VILLAGE_SCORE = "84"
# 金滩镇 was sampled by the province: its town sheets and four villages are the province's.
PROVINCE_TOWN = "DM04"
PROVINCE_TOWN_SCORES = {"verification": "58", "daily_work": "62"}
PROVINCE_VILLAGE_SCORES = ["52", "60", "57", "55"]
PROVINCE_REASON = "省考核组年度抽查（以省考核组结果为准）"


def verification_scheme() -> Scheme:
    raw = files("ruraleval.data").joinpath("verification_scheme_example.json").read_text("utf-8")
    document: dict[str, Any] = json.loads(raw)
    document.update(id=SCHEME_ID, name=SCHEME_NAME, year=YEAR)
    return parse_scheme(document)


def village_code(town: str, number: int) -> str:
    return f"{town}V{number}"


def registry() -> v.RegisterObjects:
    towns, villages, households = [], [], []
    for town, name in TOWNS:
        towns.append(Town(town, name))
        for number, village_name in enumerate(VILLAGE_NAMES[town], start=1):
            village = village_code(town, number)
            villages.append(Village(village, village_name, town, number == POVERTY_RELIEF_VILLAGE))
            for house in range(1, HOUSEHOLDS_PER_VILLAGE + 1):
                flags = ["脱贫户"] if house <= 3 else ["脱贫退出户"] if house <= 5 else ["监测户"]
                if house == 2:
                    flags.append("残疾人户")
                head = f"{SURNAMES[house - 1]}{village_name.removesuffix('村')}{house}"
                households.append(Household(f"{village}H{house}", head, village, flags))
    return v.RegisterObjects(towns=towns, villages=villages, households=households)


def sheet_items(scheme: Scheme, top: str, total: str) -> dict[str, Decimal]:
    """A sheet's item points adding up to ``total``: each leaf's share of its weight."""
    parents = {node.code: node.parent for node in scheme.indicators}
    has_children = {node.parent for node in scheme.indicators}

    def under(code: str) -> bool:
        current = parents.get(code)
        while current is not None and current != top:
            current = parents.get(current)
        return current == top

    leaves = [node for node in scheme.indicators if under(node.code) and node.code not in has_children]
    share = Decimal(total) / 100
    points = {leaf.code: (Decimal(leaf.weight) * share).quantize(Decimal("0.01")) for leaf in leaves}
    points[leaves[0].code] += Decimal(total) - sum(points.values())
    return points


def load_town_verification(platform: Platform) -> None:
    """Opens 大名县's 2023 verification and records the county's December (see the module)."""
    scheme = verification_scheme()
    sheets = {sheet.input: sheet.indicator for sheet in scheme.verification.sheets}
    moment = [OPENED_AT]

    def context(label: str) -> Context:
        moment[0] += timedelta(minutes=7)
        return Context(ACTOR, f"demo-verification-{label}", moment[0])

    ledger = platform.ledger
    ledger.open_verification(COUNTY, v.OpenVerification(scheme), context("open"))

    def run(command: v.VerificationCommand, label: str) -> dict[str, Any]:
        outcome = ledger.verify_towns(COUNTY, YEAR, command, context(label)).result()
        return dict(outcome.result or {})

    run(registry(), "registry")
    for team_id, name, members, town in TEAMS:
        run(v.FormTeam(team_id, name, [Member(*member) for member in members]), f"team-{team_id}")
        run(v.AssignTeam(team_id, town), f"assign-{team_id}")
    moment[0] = datetime(YEAR, 12, 19, 1, tzinfo=UTC)
    drawn = {town: run(v.DrawSample(town, seed), f"sample-{town}")["villages"] for town, seed in SEEDS.items()}
    moment[0] = datetime(YEAR, 12, 20, 9, tzinfo=UTC)
    run(v.RecordAbsence(*ABSENCE), "absence")
    teams = {town: team_id for team_id, _, _, town in TEAMS}

    def score(score_id: str, sheet: str, code: str, total: str, authority: str = "county") -> None:
        team = teams.get(code if sheet != "villages" else code[:4]) if authority == "county" else None
        items = sheet_items(scheme, sheets[sheet], total)
        reason = "" if authority == "county" else PROVINCE_REASON
        run(v.RecordTownScore(score_id, sheet, code, authority, CHECKED_ON, team, items, None, reason), score_id)

    for town, totals in TOWN_SCORES.items():
        for sheet, total in totals.items():
            score(f"{town}-{sheet}", sheet, town, total)
        for village, total in zip(drawn[town], VILLAGE_SCORES[town], strict=True):
            score(f"{village}-villages", "villages", village, total)
    moment[0] = datetime(YEAR, 12, 27, 2, tzinfo=UTC)
    superseded = drawn["DM01"][0]
    run(v.MarkSampledByHigherLevel(superseded, "province", PROVINCE_REASON), "province-village")
    score(f"{superseded}-villages-province", "villages", superseded, PROVINCE_VILLAGE_SCORE, "province")
    run(v.MarkSampledByHigherLevel(PROVINCE_TOWN, "province", PROVINCE_REASON), "province-town")
    for sheet, total in PROVINCE_TOWN_SCORES.items():
        score(f"{PROVINCE_TOWN}-{sheet}-province", sheet, PROVINCE_TOWN, total, "province")
    for number, total in enumerate(PROVINCE_VILLAGE_SCORES, start=1):
        village = village_code(PROVINCE_TOWN, number)
        run(v.MarkSampledByHigherLevel(village, "province", PROVINCE_REASON), f"province-{village}")
        score(f"{village}-villages-province", "villages", village, total, "province")
