"""The objects below the county (ADR 27): towns (镇), villages (村) and households (户).

The county registers them in its verification year, one entry at a time or a workbook at
once; ``registration_problems`` judges a whole registration against what is registered, so
a workbook is stored entirely or not at all. The dataclasses are stored inside events:
they stay here, and a field added later is declared ``ADDED_LATER`` (ADR 19).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from domain.errors import Problem

OBJECT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$")
COUNTY_OFFICE = "county_office"  # a team member's home that is no town: 县核查办（县农业农村局）
COUNTY_OFFICE_LABEL = "县直单位"
MAX_NAME = 40
Report = Callable[[str, str, str], None]  # (field, rule, message)


@dataclass
class Town:
    code: str
    name: str


@dataclass
class Village:
    code: str
    name: str
    town: str
    poverty_relief: bool  # 脱贫村/重点帮扶村; the others are the 非贫困村 of 004 三


@dataclass
class Household:
    code: str
    head: str  # 户主
    village: str
    flags: list[str] = field(default_factory=list)  # 脱贫户, 脱贫退出户, 监测户, 残疾人户 … (the scheme's words)


@dataclass
class Registry:
    """What a verification year has registered, by code."""

    towns: dict[str, Town] = field(default_factory=dict)
    villages: dict[str, Village] = field(default_factory=dict)
    households: dict[str, Household] = field(default_factory=dict)

    def villages_of(self, town: str) -> list[Village]:
        return [village for village in self.villages.values() if village.town == town]

    def households_of(self, village: str) -> list[Household]:
        return [household for household in self.households.values() if household.village == village]

    def town_name(self, code: str) -> str:
        if code == COUNTY_OFFICE:
            return COUNTY_OFFICE_LABEL
        town = self.towns.get(code)
        return town.name if town else code

    def village_name(self, code: str) -> str:
        village = self.villages.get(code)
        return village.name if village else code

    def correct(self, kind: str, code: str, changes: Mapping[str, object]) -> None:
        """An entry corrected (``ObjectCorrected``): its new fields, the rest as registered."""
        held: dict[str, dict[str, Any]] = {"town": self.towns, "village": self.villages, "household": self.households}
        held[kind][code] = replace(held[kind][code], **changes)


def registration_problems(
    registry: Registry,
    towns: Sequence[Town],
    villages: Sequence[Village],
    households: Sequence[Household],
    known_flags: Sequence[str],
    places: Mapping[str, str] | None = None,
) -> list[Problem]:
    """Every problem of a registration, judged with what is already registered.

    ``places`` names where each entry came from (``towns[0]`` → ``镇 第 3 行``), so that a
    workbook's refusals name their sheet and row; the field is ``<kind>[i].<column>``.
    """
    problems: list[Problem] = []
    where = places or {}

    def add(path: str, rule: str, message: str) -> None:
        entry = path.rsplit(".", 1)[0]
        prefix = f"{where[entry]}：" if entry in where else _ordinal(entry)
        problems.append(Problem(path, rule, prefix + message))

    town_codes = set(registry.towns)
    for index, town in enumerate(towns):
        _code_and_name(add, f"towns[{index}]", town.code, town.name, "镇", registry.towns, town_codes)
        town_codes.add(town.code)
    village_codes = set(registry.villages)
    for index, village in enumerate(villages):
        path = f"villages[{index}]"
        _code_and_name(add, path, village.code, village.name, "村", registry.villages, village_codes)
        village_codes.add(village.code)
        if village.town not in town_codes:
            add(f"{path}.town", "known_town", f"村“{village.name}”所属的镇“{village.town}”尚未登记")
    household_codes = set(registry.households)
    flags = set(known_flags)
    for index, household in enumerate(households):
        path = f"households[{index}]"
        _code_and_name(add, path, household.code, household.head, "户", registry.households, household_codes, "head")
        household_codes.add(household.code)
        if household.village not in village_codes:
            add(f"{path}.village", "known_village", f"户“{household.code}”所属的村“{household.village}”尚未登记")
        for flag in household.flags:
            if flag not in flags:
                allowed = "、".join(known_flags) or "（方案未列出任何标识）"
                add(f"{path}.flags", "known_flag", f"户“{household.code}”的标识“{flag}”不在方案所列标识中：{allowed}")
        if len(set(household.flags)) != len(household.flags):
            add(f"{path}.flags", "unique", f"户“{household.code}”的标识有重复")
    return problems


KIND_WORDS = {"towns": "镇", "villages": "村", "households": "户"}


def _ordinal(entry: str) -> str:
    """``towns[0]`` → ``第 1 个镇：`` (an entry of a JSON body, which has no sheet and row)."""
    found = re.fullmatch(r"(towns|villages|households)\[([0-9]+)\]", entry)
    return f"第 {int(found[2]) + 1} 个{KIND_WORDS[found[1]]}：" if found else ""


def _code_and_name(
    report: Report,
    path: str,
    code: str,
    name: str,
    kind: str,
    registered: Mapping[str, object],
    seen: set[str],
    name_field: str = "name",
) -> None:
    if not OBJECT_CODE.match(code):
        report(
            f"{path}.code",
            "object_code",
            f"{kind}的编码“{code}”只能由字母、数字、点、下划线和连字符组成（至多 32 个字符）",
        )
    elif code in registered:
        report(f"{path}.code", "unique_code", f"编码为“{code}”的{kind}已经登记")
    elif code in seen:
        report(f"{path}.code", "unique_code", f"编码为“{code}”的{kind}在本次登记中重复")
    if not name.strip():
        report(f"{path}.{name_field}", "required", f"{kind}的{'户主' if name_field == 'head' else '名称'}必须填写")
    elif len(name) > MAX_NAME:
        report(f"{path}.{name_field}", "max_length", f"名称不能超过 {MAX_NAME} 个字，收到 {len(name)} 个字")
