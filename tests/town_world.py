"""A county's verification year for the tests: the 004 example scheme, three towns, their
villages and households, and the helpers that build them (in memory or over HTTP bodies)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from domain import verification_commands as v
from domain.commands import Context
from domain.scheme import Scheme
from domain.scheme_reading import parse_scheme
from domain.towns import Household, Town, Village
from domain.verification import TownVerification
from domain.verification_handlers import handle, open_verification
from domain.verification_state import Member

EXAMPLE = Path(__file__).parent.parent / "ruraleval" / "data" / "verification_scheme_example.json"
CONTEXT = Context("coordinator.test", "test")
D = Decimal


def example_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(EXAMPLE.read_text("utf-8"))
    return document


def example_scheme() -> Scheme:
    return parse_scheme(example_document())


TOWNS = [("T01", "甲镇"), ("T02", "乙镇"), ("T03", "丙镇")]


def registry_bodies() -> dict[str, list[dict[str, Any]]]:
    """Per town: 5 non-poverty villages and one poverty-relief village; per village 6 households
    of which 5 meet the standard, one of them with a disabled member."""
    towns = [{"code": code, "name": name} for code, name in TOWNS]
    villages: list[dict[str, Any]] = []
    households: list[dict[str, Any]] = []
    for town, town_name in TOWNS:
        for number in range(1, 7):
            village = f"{town}V{number}"
            villages.append(
                {"code": village, "name": f"{town_name}{number}村", "town": town, "poverty_relief": number == 6}
            )
            for house in range(1, 7):
                flags = ["脱贫户"] if house <= 3 else ["脱贫退出户"] if house <= 5 else ["监测户"]
                if house == 2:
                    flags.append("残疾人户")
                households.append(
                    {"code": f"{village}H{house}", "head": f"户主{village}{house}", "village": village, "flags": flags}
                )
    return {"towns": towns, "villages": villages, "households": households}


def register_command(bodies: dict[str, list[dict[str, Any]]]) -> v.RegisterObjects:
    return v.RegisterObjects(
        towns=[Town(**t) for t in bodies["towns"]],
        villages=[Village(**village) for village in bodies["villages"]],
        households=[Household(**h) for h in bodies["households"]],
    )


def opened_year(scheme: Scheme | None = None) -> TownVerification:
    year = open_verification("130425", "大名县", v.OpenVerification(scheme or example_scheme()), CONTEXT)
    handle(year, register_command(registry_bodies()), CONTEXT)
    return year


def team_for(year: TownVerification, team_id: str, town: str, homes: list[tuple[str, str, str]]) -> None:
    """Forms a team of members (name, home, helped village) and assigns it to ``town``."""
    members = [Member(name, home, helped) for name, home, helped in homes]
    handle(year, v.FormTeam(team_id, f"第{team_id}组", members), CONTEXT)
    handle(year, v.AssignTeam(team_id, town), CONTEXT)


def items(sheet_top: str, total: str, scheme: Scheme) -> dict[str, Decimal]:
    """Item points of a sheet that add up to ``total``: each leaf's share of its weight."""
    leaves = [i for i in scheme.indicators if _under(scheme, i.code, sheet_top) and not _has_children(scheme, i.code)]
    share = D(total) / D(100)
    points = {leaf.code: (leaf.weight * share).quantize(D("0.01")) for leaf in leaves}
    first = leaves[0].code
    points[first] += D(total) - sum(points.values())
    return points


def _under(scheme: Scheme, code: str, top: str) -> bool:
    parents = {i.code: i.parent for i in scheme.indicators}
    current = parents.get(code)
    while current is not None:
        if current == top:
            return True
        current = parents.get(current)
    return False


def _has_children(scheme: Scheme, code: str) -> bool:
    return any(i.parent == code for i in scheme.indicators)
