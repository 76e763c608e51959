"""Each role's home and navigation: what a user can open now, by their grants."""

from __future__ import annotations

from dataclasses import dataclass

from domain.access import Action
from pages.session import Viewer


@dataclass(frozen=True)
class Link:
    label: str
    href: str
    description: str = ""


def home_for(viewer: Viewer) -> str:
    """Where ``/`` takes a user: the home of their widest role."""
    roles = set(viewer.roles)
    if "admin" in roles:
        return "/centre"
    if "evaluator" in roles:
        return "/evaluation"
    if "leader" in roles:
        return "/rankings"
    if "auditor" in roles:
        return "/audit"
    county = viewer.home_county()
    if county is not None:
        return f"/counties/{county}/tasks"
    return "/rankings"


def navigation(viewer: Viewer) -> list[Link]:
    """The header's links for this user, home first; only pages they may open."""
    principal = viewer.principal
    links = [Link("首页", home_for(viewer))]
    county = viewer.home_county()
    if county is not None:
        links += [Link("本县待办", f"/counties/{county}/tasks"), Link("本县得分", f"/counties/{county}")]
        if principal.may(Action.SUBMIT_DATA, county):
            links.insert(-1, Link("在线填报", f"/counties/{county}/entry"))
        if principal.may(Action.READ, county):
            links.append(Link("本县分析", f"/counties/{county}/analysis"))
        links.append(Link("在线反馈", f"/counties/{county}/feedback"))
        if principal.may(Action.ORGANISE_WORK, county):
            links.append(Link("指标与分工", f"/counties/{county}/indicators"))
        links.append(Link("本县评估报告", f"/counties/{county}/reports"))
        links.append(Link("整改台账", f"/counties/{county}/rectification"))
        if principal.may(Action.VERIFY_TOWNS, county):
            links.append(Link("镇级核查", f"/counties/{county}/verification"))
    if principal.may(Action.READ):
        links += [Link("得分排名", "/rankings"), Link("数据分析", "/analysis"), Link("网格化预警", "/warnings/grid"),
                  Link("评估报告", "/reports"), Link("挂钩结果", "/consequences")]  # fmt: skip
    if "evaluator" in viewer.roles:
        links.append(Link("评估组工作台", "/evaluation"))
    if county is None and principal.may(Action.READ):
        links.append(Link("整改核验", "/rectification"))
    if principal.may(Action.READ_AUDIT):
        links.append(Link("审计", "/audit"))
    if principal.may(Action.MANAGE_ORGANISATION):
        links.append(Link("中心专班", "/centre"))
    links.append(Link("接口文档", "/docs"))
    seen: set[str] = set()
    unique = []
    for link in links:
        if link.href not in seen:
            seen.add(link.href)
            unique.append(link)
    return unique
