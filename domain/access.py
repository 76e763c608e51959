"""Who may do what, on which county: the permission model (评估对象对应的权限管理).

Pure rules over a principal's grants. Scopes: everything (admin, leader, auditor
reads), a team's counties (evaluator), one county (coordinator, department user, API
key), and within a county the indicators of one department or of an API key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from domain.commands import DataScope
from domain.organisation import ApiKey, Organisation, User
from domain.organisation_rules import ROLE_LABELS


class Action(StrEnum):
    READ = "read"  # schemes, county lists, scores, rankings within scope
    PUBLISH_SCHEME = "publish_scheme"
    ENROL_COUNTY = "enrol_county"
    MANAGE_INDICATORS = "manage_indicators"  # the tree itself, directly: the centre's side (ADR 20)
    PROPOSE_CHANGES = "propose_changes"  # the county asks for what the scheme leaves to it
    DECIDE_PROPOSALS = "decide_proposals"  # approve or reject a county's proposals
    ORGANISE_WORK = "organise_work"  # responsibility (departments, persons) and action plans
    SUBMIT_DATA = "submit_data"
    CORRECT_DATA = "correct_data"  # corrections and withdrawals
    OVERRIDE_SCORE = "override_score"
    ADJUST_POINTS = "adjust_points"
    CLOSE_PERIOD = "close_period"
    REVIEW_DATA = "review_data"  # accept or return submissions, close feedback threads
    DISCUSS = "discuss"  # comment in feedback threads, confirm flagged values
    MANAGE_API_KEYS = "manage_api_keys"
    MANAGE_ORGANISATION = "manage_organisation"  # users, grants, teams
    READ_ORGANISATION = "read_organisation"  # users, grants and their history
    READ_AUDIT = "read_audit"
    ISSUE_REPORT = "issue_report"  # issue a county's annual report (评估报告)
    INSPECT_RECTIFICATION = "inspect_rectification"  # raise rectification items, verify or reject them
    RECTIFY = "rectify"  # the county's side: plans, progress, declaring an item done
    DECIDE_CONSEQUENCES = "decide_consequences"  # apply the scheme's reward-and-penalty rules (一挂钩)
    VERIFY_TOWNS = "verify_towns"  # the county's verification of its towns (004, ADR 27)
    RECORD_COMPOSITE_INPUTS = "record_composite_inputs"  # scores from outside the tree that composites use


ACTION_LABELS = {
    Action.READ: "查看",
    Action.PUBLISH_SCHEME: "发布或修订评估方案",
    Action.ENROL_COUNTY: "县入选登记",
    Action.MANAGE_INDICATORS: "直接修改指标体系（指标、目标值、权重等）",
    Action.PROPOSE_CHANGES: "提交或撤回指标和权重的变更申请",
    Action.DECIDE_PROPOSALS: "审批县的变更申请",
    Action.ORGANISE_WORK: "指定责任部门和责任人、上传行动方案",
    Action.SUBMIT_DATA: "报送数据",
    Action.CORRECT_DATA: "更正或撤回数据",
    Action.OVERRIDE_SCORE: "调整得分",
    Action.ADJUST_POINTS: "加减分",
    Action.CLOSE_PERIOD: "关账和重新开启期间",
    Action.REVIEW_DATA: "审核数据（通过或退回）",
    Action.DISCUSS: "在线反馈留言",
    Action.MANAGE_API_KEYS: "管理数据接口密钥",
    Action.MANAGE_ORGANISATION: "管理用户、角色和评估组",
    Action.READ_ORGANISATION: "查看用户和授权记录",
    Action.READ_AUDIT: "查看审计记录",
    Action.ISSUE_REPORT: "出具评估报告",
    Action.INSPECT_RECTIFICATION: "下达和核验整改事项",
    Action.RECTIFY: "制定整改方案、报告整改进展",
    Action.DECIDE_CONSEQUENCES: "认定整改与奖惩挂钩结果",
    Action.VERIFY_TOWNS: "组织本县对镇的核查（登记镇村户、核查组、抽样、录入核查得分）",
    Action.RECORD_COMPOSITE_INPUTS: "录入综合得分的输入项",
}

# What each role may do. Scope: "all" counties, the evaluator's "team", or "own" county.
ROLE_ACTIONS: dict[str, dict[Action, str]] = {
    "admin": {action: "all" for action in Action},
    "evaluator": {
        Action.READ: "team",
        Action.MANAGE_INDICATORS: "team",
        Action.DECIDE_PROPOSALS: "team",
        Action.CORRECT_DATA: "team",
        Action.OVERRIDE_SCORE: "team",
        Action.ADJUST_POINTS: "team",
        Action.CLOSE_PERIOD: "team",
        Action.REVIEW_DATA: "team",
        Action.DISCUSS: "team",
        Action.ISSUE_REPORT: "team",
        Action.INSPECT_RECTIFICATION: "team",
        Action.DECIDE_CONSEQUENCES: "team",
        Action.RECORD_COMPOSITE_INPUTS: "team",
    },
    "county_coordinator": {
        Action.READ: "own",
        Action.PROPOSE_CHANGES: "own",
        Action.ORGANISE_WORK: "own",
        Action.SUBMIT_DATA: "own",
        Action.CORRECT_DATA: "own",
        Action.MANAGE_API_KEYS: "own",
        Action.DISCUSS: "own",
        Action.RECTIFY: "own",
        Action.VERIFY_TOWNS: "own",
    },
    "department_user": {
        Action.READ: "own",
        Action.SUBMIT_DATA: "own",
        Action.CORRECT_DATA: "own",
        Action.DISCUSS: "own",
    },
    "leader": {Action.READ: "all"},
    "auditor": {Action.READ: "all", Action.READ_ORGANISATION: "all", Action.READ_AUDIT: "all"},
}
API_KEY_ACTIONS = {Action.READ, Action.SUBMIT_DATA}


@dataclass(frozen=True)
class Scope:
    """One grant made concrete: a role, its counties (None = all), its data restriction."""

    role: str
    counties: frozenset[str] | None
    department: str | None = None
    indicators: frozenset[str] | None = None

    def covers(self, county: str | None) -> bool:
        return self.counties is None or (county is not None and county in self.counties)

    @property
    def label(self) -> str:
        where = "" if self.counties is None else f"（{'、'.join(sorted(self.counties)) or '未分配县'}）"
        return f"{SCOPE_LABELS.get(self.role) or ROLE_LABELS.get(self.role, self.role)}{where}"


@dataclass(frozen=True)
class Principal:
    """An authenticated user or API key, with every scope it holds now."""

    name: str
    scopes: tuple[Scope, ...]
    kind: str = "user"  # "user" or "api_key"

    def scopes_for(self, action: Action, county: str | None) -> list[Scope]:
        return [
            scope
            for scope in self.scopes
            if action in _actions(scope.role, self.kind) and _within(scope, action, county)
        ]

    def may(self, action: Action, county: str | None = None) -> bool:
        return bool(self.scopes_for(action, county))

    def data_scope(self, action: Action, county: str) -> DataScope | None:
        """None when unrestricted within the county; else what all its grants allow together."""
        scopes = self.scopes_for(action, county)
        if not scopes or any(scope.department is None and scope.indicators is None for scope in scopes):
            return None
        return DataScope(
            departments=frozenset(scope.department for scope in scopes if scope.department is not None),
            indicators=frozenset(code for scope in scopes for code in scope.indicators or ()),
        )

    def readable_counties(self) -> frozenset[str] | None:
        """The counties this principal may see (None = all)."""
        counties: set[str] = set()
        for scope in self.scopes:
            if Action.READ in _actions(scope.role, self.kind):
                if scope.counties is None:
                    return None
                counties |= scope.counties
        return frozenset(counties)

    def describe(self) -> str:
        return "、".join(scope.label for scope in self.scopes) or "无任何角色"


def _actions(role: str, kind: str) -> Iterable[Action]:
    if kind == "api_key":
        return API_KEY_ACTIONS
    return ROLE_ACTIONS.get(role, {}).keys()


def _within(scope: Scope, action: Action, county: str | None) -> bool:
    if county is None:
        # Platform-wide actions need an all-county scope; a filtered read is fine for any.
        return scope.counties is None or action == Action.READ
    return scope.covers(county)


def principal_for_user(organisation: Organisation, user: User) -> Principal:
    scopes = []
    for grant in user.active_grants():
        if grant.role == "evaluator":
            counties: frozenset[str] | None = frozenset(organisation.team_counties(grant.team or ""))
        elif grant.role in ("county_coordinator", "department_user"):
            counties = frozenset([grant.county or ""])
        else:
            counties = None
        scopes.append(Scope(grant.role, counties, grant.department))
    return Principal(user.username, tuple(scopes))


SCOPE_LABELS = {"api_key": "县数据接口密钥"}  # a key is no role a user holds: named here, in Chinese


def principal_for_key(key: ApiKey) -> Principal:
    indicators = frozenset(key.indicators) if key.indicators else None
    scope = Scope("api_key", frozenset([key.county]), indicators=indicators)
    return Principal(f"apikey:{key.id}", (scope,), kind="api_key")


def refusal_message(principal: Principal, action: Action, county: str | None) -> str:
    """Says what is missing, in the words of the people refused."""
    allowed = [ROLE_LABELS[role] for role, actions in ROLE_ACTIONS.items() if action in actions]
    where = f"（县 {county}）" if county else ""
    scope = "（且范围包含该县）" if county else ""  # a centre-wide action concerns no county
    return (
        f"无权{ACTION_LABELS[action]}：您当前的角色为 {principal.describe()}，"
        f"不能{ACTION_LABELS[action]}{where}；需要以下角色之一{scope}：{'、'.join(allowed)}"
    )
