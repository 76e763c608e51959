"""A scheme's rules for the highlights and problems of a county's annual report (亮点、问题).

The ``report`` section of a scheme document: how many of each to choose, and an ordered
list of rules. Each rule has a code, a side (``highlight`` or ``problem``), a kind, its
threshold, a title template and, for a problem, an advice template and whether it counts
as a serious problem (突出问题, which the consequence rules act on). Templates name their
figures (``{name}``, ``{value}``, ``{rank}`` …); a placeholder the kind does not know is
refused when the scheme is read. Choosing is in ``domain.findings.select``.

Kinds and their thresholds (document keys):

- ``attainment``: score ÷ weight, in per cent: a highlight at or above ``at_least_pct``, a
  problem at or below ``at_most_pct``;
- ``rank_top`` / ``rank_bottom``: among the top / bottom ``k`` by the indicator's score,
  of all counties (``scope: all``) or of the region (``scope: region``), when more than
  ``k`` counties are ranked;
- ``rank_change``: rose (highlight) or fell (problem) at least ``places`` against last year;
- ``gap_to_region_best``: the value short of the region's best by at least ``gap_pct`` per
  cent of it (problems only);
- ``red_warnings``: at least ``count`` open red warnings on the indicator (problems only);
- ``returned_data``: at least ``count`` submissions returned or refused (problems only).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from domain.decimals import HUNDRED, ZERO, plain, to_decimal
from domain.monitoring_rules import Collects

RULE_CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$")

SIDES = ("highlight", "problem")
SIDE_LABELS = {"highlight": "亮点", "problem": "问题"}
RULE_KINDS = (
    "attainment",
    "rank_top",
    "rank_bottom",
    "rank_change",
    "gap_to_region_best",
    "red_warnings",
    "returned_data",
)
KIND_LABELS = {
    "attainment": "得分率",
    "rank_top": "排名靠前",
    "rank_bottom": "排名靠后",
    "rank_change": "排名变化",
    "gap_to_region_best": "与本区域最好水平的差距",
    "red_warnings": "红色预警",
    "returned_data": "数据被退回或拒收",
}
# The sides a kind can choose for.
KIND_SIDES = {
    "attainment": SIDES,
    "rank_top": ("highlight",),
    "rank_bottom": ("problem",),
    "rank_change": SIDES,
    "gap_to_region_best": ("problem",),
    "red_warnings": ("problem",),
    "returned_data": ("problem",),
}
SCOPES = ("all", "region")
SCOPE_LABELS = {"all": "全部县", "region": "本区域"}
# Figures every template may name, then those of each kind.
COMMON_PLACEHOLDERS = ("name", "code", "unit", "value", "target", "score", "weight", "attainment")
KIND_PLACEHOLDERS = {
    "attainment": ("threshold",),
    "rank_top": ("rank", "counties", "k", "scope"),
    "rank_bottom": ("rank", "counties", "k", "scope"),
    "rank_change": ("rank", "last_rank", "places"),
    "gap_to_region_best": ("region_best", "gap", "gap_pct"),
    "red_warnings": ("count",),
    "returned_data": ("count",),
}
MAX_RULES = 50
MAX_TEMPLATE = 200  # characters of a title or advice template
MAX_FINDINGS = 10


@dataclass
class ReportRule:
    """One rule: which facts make a highlight or a problem, and the words it gives them.

    ``threshold`` is the kind's one number: a percentage (attainment, gap), a number of
    places or counties (rank kinds), or a count (warnings, returned data).
    """

    code: str
    side: str
    kind: str
    threshold: Decimal
    title: str
    advice: str = ""
    serious: bool = False
    scope: str = "all"  # rank_top, rank_bottom: among all counties or within the region


@dataclass
class FindingCount:
    """How many findings of a side a report gives: at least ``min``, at most ``max``."""

    min: int = 3
    max: int = 5


def usual_report_rules() -> list[ReportRule]:
    """The centre's usual rules (``000`` 三: 3–5 highlights and 3–5 problems, each with its
    figures; problems with advice for rectification), in the order they are tried."""
    return [
        ReportRule(
            "H1",
            "highlight",
            "rank_top",
            Decimal(3),
            "{name}位居{scope}第 {rank} 名（共 {counties} 个县）",
            scope="all",
        ),
        ReportRule("H2", "highlight", "attainment", Decimal(95), "{name}得分率达 {attainment}%（{score}/{weight} 分）"),
        ReportRule(
            "H3",
            "highlight",
            "rank_change",
            Decimal(5),
            "{name}排名较上年上升 {places} 位（由第 {last_rank} 名升至第 {rank} 名）",
        ),
        ReportRule(
            "H4",
            "highlight",
            "rank_top",
            Decimal(3),
            "{name}位居{scope}第 {rank} 名（共 {counties} 个县）",
            scope="region",
        ),
        ReportRule(
            "P1",
            "problem",
            "red_warnings",
            Decimal(1),
            "{name}有 {count} 条红色预警尚未消除",
            "立即核查{name}的数据和进度，查明原因，限期消除红色预警",
            serious=True,
        ),
        ReportRule(
            "P2",
            "problem",
            "attainment",
            Decimal(60),
            "{name}得分率仅 {attainment}%（{score}/{weight} 分），目标值 {target}{unit}，实际 {value}{unit}",
            "针对{name}查找短板，制定整改方案，明确责任单位和时限，确保达到目标值 {target}{unit}",
            serious=True,
        ),
        ReportRule(
            "P3",
            "problem",
            "gap_to_region_best",
            Decimal(30),
            "{name}为 {value}{unit}，落后本区域最好水平 {region_best}{unit} 达 {gap}{unit}（{gap_pct}%）",
            "对标本区域先进县，学习借鉴{name}方面的做法，缩小差距",
        ),
        ReportRule(
            "P4",
            "problem",
            "rank_bottom",
            Decimal(3),
            "{name}排在{scope}第 {rank} 名（共 {counties} 个县），处于末 {k} 位",
            "分析{name}排名靠后的原因，制定追赶措施",
        ),
        ReportRule(
            "P5",
            "problem",
            "rank_change",
            Decimal(5),
            "{name}排名较上年下降 {places} 位（由第 {last_rank} 名降至第 {rank} 名）",
            "查明{name}排名下降的原因，巩固提升",
        ),
        ReportRule(
            "P6",
            "problem",
            "returned_data",
            Decimal(2),
            "{name}有 {count} 次报送被退回或拒收",
            "加强{name}数据报送的审核把关，确保数据真实、准确、及时",
        ),
        ReportRule(
            "P7",
            "problem",
            "attainment",
            Decimal(80),
            "{name}得分率为 {attainment}%（{score}/{weight} 分），未达到 80%",
            "针对{name}查找薄弱环节，提高完成质量",
        ),
    ]


@dataclass
class ReportRules:
    """The ``report`` section of a scheme: how many findings of each side, and the rules."""

    highlights: FindingCount = field(default_factory=FindingCount)
    problems: FindingCount = field(default_factory=FindingCount)
    rules: list[ReportRule] = field(default_factory=usual_report_rules)

    def count(self, side: str) -> FindingCount:
        return self.highlights if side == "highlight" else self.problems


def threshold_key(rule: ReportRule) -> str:
    """The document key of a rule's threshold."""
    if rule.kind == "attainment":
        return "at_least_pct" if rule.side == "highlight" else "at_most_pct"
    if rule.kind in ("rank_top", "rank_bottom"):
        return "k"
    if rule.kind == "rank_change":
        return "places"
    if rule.kind == "gap_to_region_best":
        return "gap_pct"
    return "count"


def placeholders(kind: str) -> tuple[str, ...]:
    return COMMON_PLACEHOLDERS + KIND_PLACEHOLDERS.get(kind, ())


# --------------------------------------------------------------------- reading


def read_report_rules(check: Collects, raw: Any) -> ReportRules:
    """The ``report`` section; absent, the usual rules."""
    if raw is None:
        return ReportRules()
    if not isinstance(raw, dict):
        check.add("report", "object", "report 必须是对象，含 highlights、problems 和 rules")
        return ReportRules()
    unknown = sorted(set(raw) - {"highlights", "problems", "rules"})
    if unknown:
        check.add("report", "known_fields", f"report 只能有 highlights、problems 和 rules，收到 {'、'.join(unknown)}")
    rules = ReportRules(
        highlights=_read_count(check, raw.get("highlights"), "report.highlights"),
        problems=_read_count(check, raw.get("problems"), "report.problems"),
    )
    if "rules" in raw:
        rules.rules = _read_rules(check, raw.get("rules"))
    for side in SIDES:
        if not any(rule.side == side for rule in rules.rules):
            check.add(
                "report.rules", "both_sides", f"report.rules 必须至少有一条{SIDE_LABELS[side]}规则（side 为 {side}）"
            )
    return rules


def _read_count(check: Collects, raw: Any, path: str) -> FindingCount:
    if raw is None:
        return FindingCount()
    if not isinstance(raw, dict):
        check.add(path, "object", f'{path} 必须是对象，如 {{"min": 3, "max": 5}}')
        return FindingCount()
    bounds = FindingCount()
    for name in ("min", "max"):
        value = raw.get(name, getattr(bounds, name))
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_FINDINGS:
            check.add(f"{path}.{name}", "count", f"{path}.{name} 必须是 0 至 {MAX_FINDINGS} 之间的整数，收到 {value!r}")
            continue
        setattr(bounds, name, value)
    if bounds.min > bounds.max:
        check.add(path, "ordered", f"{path} 的 min（{bounds.min}）大于 max（{bounds.max}）")
    if bounds.max == 0:
        check.add(f"{path}.max", "positive", f"{path}.max 必须大于 0")
    return bounds


def _read_rules(check: Collects, raw: Any) -> list[ReportRule]:
    if not isinstance(raw, list) or not raw or len(raw) > MAX_RULES:
        check.add("report.rules", "list", f"report.rules 必须列出 1 至 {MAX_RULES} 条规则")
        return usual_report_rules()
    rules: list[ReportRule] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        path = f"report.rules[{index}]"
        rule = _read_rule(check, item, path)
        if rule is None:
            continue
        if rule.code in seen:
            check.add(f"{path}.code", "unique_code", f"报告规则编号“{rule.code}”重复")
            continue
        seen.add(rule.code)
        rules.append(rule)
    return rules


def _read_rule(check: Collects, item: Any, path: str) -> ReportRule | None:
    if not isinstance(item, dict):
        check.add(path, "object", f"{path} 必须是对象")
        return None
    code = item.get("code")
    if not isinstance(code, str) or not RULE_CODE_PATTERN.match(code):
        check.add(
            f"{path}.code",
            "pattern",
            f"{path}.code 必须填写，只能由字母、数字、点、下划线和连字符组成（至多 32 个字符）",
        )
        return None
    side, kind = item.get("side"), item.get("kind")
    if side not in SIDES:
        check.add(f"{path}.side", "one_of", f"{path}.side 只能是 highlight（亮点）或 problem（问题），收到 {side!r}")
        return None
    if kind not in RULE_KINDS:
        known = "、".join(f"{k}（{KIND_LABELS[k]}）" for k in RULE_KINDS)
        check.add(f"{path}.kind", "one_of", f"{path}.kind 只能是 {known} 之一，收到 {kind!r}")
        return None
    if side not in KIND_SIDES[kind]:
        only = KIND_SIDES[kind][0]
        check.add(
            f"{path}.side",
            "kind_side",
            f"{path}：{kind}（{KIND_LABELS[kind]}）规则只能用于{SIDE_LABELS[only]}（side 为 {only}）",
        )
        return None
    rule = ReportRule(code=code, side=side, kind=kind, threshold=ZERO, title="")
    rule.threshold = _read_threshold(check, item.get(threshold_key(rule)), f"{path}.{threshold_key(rule)}", rule)
    rule.title = _read_template(check, item.get("title"), f"{path}.title", kind, required=True)
    if side == "problem":
        rule.advice = _read_template(check, item.get("advice"), f"{path}.advice", kind, required=True)
        serious = item.get("serious", False)
        if not isinstance(serious, bool):
            check.add(f"{path}.serious", "boolean", f"{path}.serious 必须是 true 或 false，收到 {serious!r}")
        else:
            rule.serious = serious
    else:
        for name in ("advice", "serious"):
            if name in item:
                check.add(f"{path}.{name}", "problem_only", f"{path}.{name} 只用于问题规则（side 为 problem）")
    if kind in ("rank_top", "rank_bottom"):
        scope = item.get("scope", "all")
        if scope not in SCOPES:
            check.add(
                f"{path}.scope", "one_of", f"{path}.scope 只能是 all（全部县）或 region（本区域），收到 {scope!r}"
            )
        else:
            rule.scope = scope
    elif "scope" in item:
        check.add(f"{path}.scope", "rank_only", f"{path}.scope 只用于 rank_top 和 rank_bottom 规则")
    return rule


def _read_threshold(check: Collects, raw: Any, path: str, rule: ReportRule) -> Decimal:
    if rule.kind in ("attainment", "gap_to_region_best"):
        try:
            value = to_decimal(raw) if raw is not None and not isinstance(raw, bool) else Decimal("NaN")
        except ValueError:
            value = Decimal("NaN")
        fits = value.is_finite() and (value >= 0 if rule.kind == "attainment" else value > 0) and value <= HUNDRED
        if not fits:
            bound = " 0 至 100 之间" if rule.kind == "attainment" else "大于 0、不超过 100"
            check.add(path, "percent", f"{path} 必须是{bound}的百分数，收到 {raw!r}")
            return ZERO
        return value
    if not isinstance(raw, int) or isinstance(raw, bool) or not 1 <= raw <= 1000:
        check.add(path, "whole_number", f"{path} 必须是 1 至 1000 之间的整数，收到 {raw!r}")
        return ZERO
    return Decimal(raw)


def _read_template(check: Collects, raw: Any, path: str, kind: str, *, required: bool) -> str:
    if raw is None or raw == "":
        if required:
            check.add(path, "required", f"{path} 必须填写")
        return ""
    if not isinstance(raw, str):
        check.add(path, "string", f"{path} 必须是文本")
        return ""
    text = raw.strip()
    if len(text) > MAX_TEMPLATE:
        check.add(path, "max_length", f"{path} 不能超过 {MAX_TEMPLATE} 个字，收到 {len(text)} 个字")
        return ""
    problem = template_problem(text, kind)
    if problem:
        check.add(path, "placeholders", f"{path} {problem}")
        return ""
    return text


def template_problem(text: str, kind: str) -> str:
    """Why a template cannot be filled for a kind, in words; "" when it can."""
    allowed = placeholders(kind)
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        return "的花括号不成对：占位符写作 {name}，字面的花括号写作 {{ 或 }}"
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in allowed or spec or conversion:
            listed = "、".join("{" + item + "}" for item in allowed)
            return f"含有不认识的占位符 {{{name}}}：{kind} 规则可用的占位符为 {listed}"
    return ""


# --------------------------------------------------------------------- writing


def report_rules_document(rules: ReportRules) -> dict[str, Any]:
    return {
        "highlights": {"min": rules.highlights.min, "max": rules.highlights.max},
        "problems": {"min": rules.problems.min, "max": rules.problems.max},
        "rules": [rule_document(rule) for rule in rules.rules],
    }


def rule_document(rule: ReportRule) -> dict[str, Any]:
    document: dict[str, Any] = {"code": rule.code, "side": rule.side, "kind": rule.kind}
    threshold = rule.threshold
    document[threshold_key(rule)] = threshold if rule.kind in ("attainment", "gap_to_region_best") else int(threshold)
    if rule.kind in ("rank_top", "rank_bottom"):
        document["scope"] = rule.scope
    document["title"] = rule.title
    if rule.side == "problem":
        document["advice"] = rule.advice
        document["serious"] = rule.serious
    return document


def describe(rule: ReportRule) -> str:
    """A rule in words, for pages: 「得分率 ≤ 60%（突出问题）」."""
    number = plain(rule.threshold)
    if rule.kind == "attainment":
        words = f"得分率 {'≥' if rule.side == 'highlight' else '≤'} {number}%"
    elif rule.kind == "rank_top":
        words = f"{SCOPE_LABELS[rule.scope]}排名前 {number} 位"
    elif rule.kind == "rank_bottom":
        words = f"{SCOPE_LABELS[rule.scope]}排名后 {number} 位"
    elif rule.kind == "rank_change":
        words = f"排名较上年{'上升' if rule.side == 'highlight' else '下降'}至少 {number} 位"
    elif rule.kind == "gap_to_region_best":
        words = f"落后本区域最好水平至少 {number}%"
    elif rule.kind == "red_warnings":
        words = f"未消除的红色预警至少 {number} 条"
    else:
        words = f"被退回或拒收的报送至少 {number} 次"
    return words + ("（突出问题）" if rule.serious else "")
