"""A county's verification of its towns as scheme configuration (``004``): the ``verification``
section of a scheme whose ``object`` is ``town``.

- ``sheets``: each composite input the teams fill is a top-level indicator of the tree (a
  score sheet out of its weight, 100 in ``004``) scored for a town or for each sampled
  village; its leaves are the items a team scores.
- ``sample``: how many villages of a town are drawn, of which kind (``004`` 三: 4 non-poverty
  villages), how many households per village, which flags make a household eligible
  (达到脱贫标准: 脱贫户, 脱贫退出户) and which flags at least some of them must carry (残疾人户).
- ``absence``: the points an absence of a team member deducts, from which item of which
  sheet: of the member's home town or of the village the member helps (``004`` 一 二 3).
- ``result``: the composite that is graded and ranked (综合评价).
- ``household_flags``: the flags a registered household may carry.

No number of ``004`` is written in code: the example document
(``ruraleval/data/verification_scheme_example.json``) carries them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain.decimals import ZERO, plain
from domain.errors import Collector as Collects
from domain.errors import Problem, read_list

if TYPE_CHECKING:
    from domain.scheme import Scheme

OBJECTS = ("county", "town")
SHEET_OBJECTS = ("town", "village")
SHEET_OBJECT_LABELS = {"town": "镇", "village": "村"}
ABSENCE_KINDS = ("absent", "late", "left_early")
ABSENCE_LABELS = {"absent": "缺勤", "late": "迟到", "left_early": "早退"}
APPLIES_TO = ("home_town", "helped_village")
APPLIES_TO_LABELS = {"home_town": "成员所在镇", "helped_village": "成员所帮扶村"}
MAX_COUNT = 1000


@dataclass
class Sheet:
    """A score sheet: the composite input it fills, its top-level indicator, town or village."""

    input: str
    indicator: str
    object: str


@dataclass
class HouseholdRequirement:
    """At least ``min`` of a village's sampled households carry ``flag``."""

    flag: str
    min: int


@dataclass
class SampleRules:
    villages_per_town: int = 0
    village_poverty_relief: bool = False  # the villages drawn are those with this flag (004: 非贫困村)
    households_per_village: int = 0
    household_flags: list[str] = field(default_factory=list)  # eligible: carries any of these
    require: list[HouseholdRequirement] = field(default_factory=list)


@dataclass
class AbsenceDeduction:
    kind: str
    sheet: str  # the composite input of the sheet
    indicator: str  # a leaf of that sheet
    points: Decimal
    applies_to: str


@dataclass
class VerificationRules:
    household_flags: list[str] = field(default_factory=list)
    sheets: list[Sheet] = field(default_factory=list)
    sample: SampleRules = field(default_factory=SampleRules)
    absence: list[AbsenceDeduction] = field(default_factory=list)
    result: str = ""

    def sheet(self, code: str) -> Sheet | None:
        return next((sheet for sheet in self.sheets if sheet.input == code), None)


def verification_document(rules: VerificationRules) -> dict[str, Any]:
    return {
        "household_flags": list(rules.household_flags),
        "sheets": [{"input": s.input, "indicator": s.indicator, "object": s.object} for s in rules.sheets],
        "sample": {
            "villages_per_town": rules.sample.villages_per_town,
            "village_poverty_relief": rules.sample.village_poverty_relief,
            "households_per_village": rules.sample.households_per_village,
            "household_flags": list(rules.sample.household_flags),
            "require": [{"flag": r.flag, "min": r.min} for r in rules.sample.require],
        },
        "absence": [
            {"kind": a.kind, "sheet": a.sheet, "indicator": a.indicator, "points": a.points, "applies_to": a.applies_to}
            for a in rules.absence
        ],
        "result": rules.result,
    }


def read_verification_rules(check: Collects, raw: Any, object_level: str) -> VerificationRules:
    """The ``verification`` section: required for a town scheme, refused on a county one."""
    if raw is None:
        if object_level == "town":
            check.add("verification", "required", "核查方案（object 为 town）必须有 verification 部分")
        return VerificationRules()
    if object_level != "town":
        check.add("verification", "town_only", "verification 部分只用于镇级核查方案（object 为 town）")
        return VerificationRules()
    if not isinstance(raw, dict):
        check.add("verification", "object", "verification 必须是对象")
        return VerificationRules()
    return VerificationRules(
        household_flags=_texts(check, raw.get("household_flags"), "verification.household_flags"),
        sheets=_sheets(check, raw.get("sheets")),
        sample=_sample(check, raw.get("sample")),
        absence=_absence(check, raw.get("absence")),
        result=check.text(raw.get("result"), "verification.result"),
    )


def _texts(check: Collects, raw: Any, path: str) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(item, str) and item.strip() for item in raw):
        check.add(path, "list", f"{path} 必须是非空文本的列表")
        return []
    texts = [item.strip() for item in raw]
    for item in sorted({t for t in texts if texts.count(t) > 1}):
        check.add(path, "unique", f"{path} 中“{item}”重复")
    return texts


def _count(check: Collects, raw: Any, path: str, minimum: int = 0) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or not minimum <= raw <= MAX_COUNT:
        check.add(path, "count", f"{path} 必须是 {minimum} 至 {MAX_COUNT} 之间的整数，收到 {raw!r}")
        return 0
    return raw


def _sheets(check: Collects, raw: Any) -> list[Sheet]:
    refusal = ("list", "verification.sheets 必须列出至少一张评分表")
    shape = "，含 input、indicator 和 object"
    return read_list(check, raw, "verification.sheets", _sheet, refusal=refusal, non_empty=True, shape=shape)


def _sheet(check: Collects, item: dict[str, Any], path: str) -> Sheet:
    return Sheet(
        input=check.text(item.get("input"), f"{path}.input"),
        indicator=check.text(item.get("indicator"), f"{path}.indicator"),
        object=check.choice(item.get("object"), f"{path}.object", SHEET_OBJECTS, "town"),
    )


def _sample(check: Collects, raw: Any) -> SampleRules:
    path = "verification.sample"
    if not isinstance(raw, dict):
        check.add(path, "object", f"{path} 必须是对象")
        return SampleRules()
    poverty_relief = raw.get("village_poverty_relief", False)
    if not isinstance(poverty_relief, bool):
        check.add(f"{path}.village_poverty_relief", "boolean", f"{path}.village_poverty_relief 必须是 true 或 false")
        poverty_relief = False
    require = read_list(
        check,
        raw.get("require", []),  # an explicit null is refused: not a list
        f"{path}.require",
        _requirement,
        refusal=("list", f"{path}.require 必须是列表"),
        shape='，如 {"flag": "残疾人户", "min": 1}',
    )
    rules = SampleRules(
        villages_per_town=_count(check, raw.get("villages_per_town"), f"{path}.villages_per_town", 1),
        village_poverty_relief=poverty_relief,
        households_per_village=_count(check, raw.get("households_per_village"), f"{path}.households_per_village"),
        household_flags=_texts(check, raw.get("household_flags"), f"{path}.household_flags"),
        require=require,
    )
    needed = sum(r.min for r in rules.require)
    if needed > rules.households_per_village:
        check.add(
            f"{path}.require",
            "within_count",
            f"{path}.require 共要求 {needed} 户，多于每村抽查户数 {rules.households_per_village}",
        )
    return rules


def _requirement(check: Collects, item: dict[str, Any], path: str) -> HouseholdRequirement:
    flag = check.text(item.get("flag"), f"{path}.flag")
    return HouseholdRequirement(flag, _count(check, item.get("min"), f"{path}.min", 1))


def _absence(check: Collects, raw: Any) -> list[AbsenceDeduction]:
    refusal = ("list", "verification.absence 必须是列表")
    shape = "，含 kind、sheet、indicator、points 和 applies_to"
    return read_list(check, raw, "verification.absence", _deduction, refusal=refusal, optional=True, shape=shape)


def _deduction(check: Collects, item: dict[str, Any], path: str) -> AbsenceDeduction:
    points = check.number(item.get("points"), f"{path}.points") or ZERO
    if points <= ZERO:
        check.add(f"{path}.points", "positive", f"{path}.points 必须大于 0，收到 {plain(points)}")
    return AbsenceDeduction(
        kind=check.choice(item.get("kind"), f"{path}.kind", ABSENCE_KINDS, "absent"),
        sheet=check.text(item.get("sheet"), f"{path}.sheet"),
        indicator=check.text(item.get("indicator"), f"{path}.indicator"),
        points=points,
        applies_to=check.choice(item.get("applies_to"), f"{path}.applies_to", APPLIES_TO, "home_town"),
    )


def verification_problems(scheme: Scheme) -> list[Problem]:
    """The section against the rest of the scheme: sheets are top-level indicators fed to
    declared inputs (a village sheet to a list input), deductions name a leaf of their sheet,
    the result is a composite, the sample's flags are household flags."""
    rules = scheme.verification
    problems: list[Problem] = []
    if scheme.object != "town":
        return problems
    by_code = {indicator.code: indicator for indicator in scheme.indicators}
    inputs = {item.code: item for item in scheme.composite_inputs}
    for index, sheet in enumerate(rules.sheets):
        path = f"verification.sheets[{index}]"
        top = by_code.get(sheet.indicator)
        if top is None or top.parent is not None:
            problems.append(Problem(f"{path}.indicator", "top_indicator", f"评分表“{sheet.indicator}”必须是一级指标"))
        item = inputs.get(sheet.input)
        if item is None:
            problems.append(
                Problem(f"{path}.input", "known_input", f"评分表填入的“{sheet.input}”不是已声明的 composite_inputs")
            )
        elif item.many != (sheet.object == "village"):
            want = "many 为 true 的输入项（每个抽查村一个得分）" if sheet.object == "village" else "单值输入项"
            problems.append(
                Problem(f"{path}.input", "input_many", f"{SHEET_OBJECT_LABELS[sheet.object]}级评分表应填入{want}")
            )
    codes = [sheet.input for sheet in rules.sheets]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        problems.append(Problem("verification.sheets", "unique", f"输入项“{code}”有多张评分表"))
    for index, deduction in enumerate(rules.absence):
        path = f"verification.absence[{index}]"
        named = rules.sheet(deduction.sheet)
        if named is None:
            problems.append(Problem(f"{path}.sheet", "known_sheet", f"扣分所在的评分表“{deduction.sheet}”不存在"))
            continue
        wanted = "town" if deduction.applies_to == "home_town" else "village"
        if named.object != wanted:
            problems.append(
                Problem(
                    f"{path}.applies_to",
                    "sheet_object",
                    f"{APPLIES_TO_LABELS[deduction.applies_to]}的扣分应在{SHEET_OBJECT_LABELS[wanted]}级评分表中",
                )
            )
        if deduction.indicator not in sheet_leaves(scheme, named.indicator):
            problems.append(
                Problem(
                    f"{path}.indicator",
                    "sheet_leaf",
                    f"指标“{deduction.indicator}”不是评分表“{named.indicator}”的末级指标",
                )
            )
    if rules.result and rules.result not in {c.code for c in scheme.composites}:
        problems.append(Problem("verification.result", "known_composite", f"“{rules.result}”不是方案的综合得分"))
    flags = set(rules.household_flags)
    for flag in [*rules.sample.household_flags, *(r.flag for r in rules.sample.require)]:
        if flag not in flags:
            problems.append(
                Problem("verification.sample", "known_flag", f"抽样规则中的“{flag}”不在 household_flags 中")
            )
    return problems


def sheet_leaves(scheme: Scheme, top: str) -> set[str]:
    children: dict[str, list[str]] = {}
    for indicator in scheme.indicators:
        if indicator.parent is not None and indicator.weighted:
            children.setdefault(indicator.parent, []).append(indicator.code)
    leaves, stack = set(), [top]
    while stack:
        code = stack.pop()
        if code in children:
            stack.extend(children[code])
        else:
            leaves.add(code)
    return leaves - {top} if top in children else leaves
