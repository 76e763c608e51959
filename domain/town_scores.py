"""Town scores of a verification year (004 六–七), from the scheme's sheets and formulas.

For each sheet and object (a town, or a sampled village) the result that stands is the one of
the highest authority in the scheme's order (ADR 19: 以省或市考核组的考核结果为准), the latest
among equals; the others stay visible as superseded, and revoking the standing one restores
the next. Absences of team members deduct the scheme's points from the named item of the
county's own result for the member's home town or helped village. The composites are the
scheme's (``domain.composites``), exact; a missing input is named, never silently null.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from domain.composites import ScoreInput, evaluate_composites, grade_for
from domain.decimals import ZERO, divide, round2
from domain.scheme import Scheme
from domain.verification import TownVerification
from domain.verification_state import ScoreRecord


@dataclass
class Deduction:
    absence_id: str
    member: str
    kind: str
    indicator: str
    points: Decimal


@dataclass
class SheetResult:
    sheet: str
    object: str
    name: str
    standing: ScoreRecord | None = None
    superseded: list[ScoreRecord] = field(default_factory=list)
    revoked: list[ScoreRecord] = field(default_factory=list)
    deductions: list[Deduction] = field(default_factory=list)
    score: Decimal | None = None  # the standing result after deductions


@dataclass
class Missing:
    input: str
    name: str
    detail: str


@dataclass
class TownResult:
    town: str
    name: str
    team: str | None
    sheets: dict[str, SheetResult]
    villages: list[SheetResult]
    inputs: dict[str, ScoreInput]
    missing: list[Missing]
    composites: dict[str, Decimal | None]
    result: Decimal | None
    grade: str | None
    rank: int | None = None


def town_results(year: TownVerification) -> list[TownResult]:
    """Every registered town's result, ranked by the scheme's result composite (ties share a rank)."""
    results = [town_result(year, code) for code in sorted(year.registry.towns)]
    ranked = sorted((r for r in results if r.result is not None), key=lambda r: -round2(r.result or ZERO))  # type: ignore[operator]
    previous: Decimal | None = None
    for index, result in enumerate(ranked, start=1):
        shown = round2(result.result)
        result.rank = index if shown != previous else ranked[index - 2].rank
        previous = shown
    return results


def town_result(year: TownVerification, town: str) -> TownResult:
    scheme, registry = year.scheme, year.registry
    names = {item.code: item.name for item in scheme.composite_inputs}
    sheets: dict[str, SheetResult] = {}
    villages: list[SheetResult] = []
    inputs: dict[str, ScoreInput] = {}
    missing: list[Missing] = []
    for sheet in scheme.verification.sheets:
        if sheet.object == "town":
            result = sheet_result(year, sheet.input, town)
            sheets[sheet.input] = result
            inputs[sheet.input] = result.score
            if result.score is None:
                missing.append(Missing(sheet.input, names.get(sheet.input, sheet.input), "尚未录入"))
            continue
        counted = _counted_villages(year, town)
        results = [sheet_result(year, sheet.input, village) for village in counted]
        villages.extend(results)
        unscored = [r.name for r in results if r.score is None]
        if not results:  # neither the county's sample nor a higher level's sampled villages with results
            missing.append(Missing(sheet.input, names.get(sheet.input, sheet.input), "尚未抽样"))
            inputs[sheet.input] = None
        elif unscored:
            missing.append(
                Missing(sheet.input, names.get(sheet.input, sheet.input), f"尚未录入：{'、'.join(unscored)}")
            )
            inputs[sheet.input] = None
        else:
            inputs[sheet.input] = [r.score for r in results if r.score is not None]
    composites = evaluate_composites(scheme.composites, inputs)
    final = composites.get(scheme.verification.result)
    team = year.book.team_of_town(town)
    return TownResult(
        town=town,
        name=registry.town_name(town),
        team=team.id if team else None,
        sheets=sheets,
        villages=villages,
        inputs=inputs,
        missing=missing,
        composites=composites,
        result=final,
        grade=grade_for(round2(final) or ZERO, scheme.grades) if final is not None else None,
    )


def _counted_villages(year: TownVerification, town: str) -> list[str]:
    """The county's sampled villages, then those only a higher level sampled that have its result."""
    sample = year.book.samples.get(town)
    counted = list(sample.drawn.villages) if sample else []
    for mark in year.book.higher:
        village = year.registry.villages.get(mark.object)
        if village is None or village.town != town or mark.object in counted:
            continue
        if any(
            r.object == mark.object and r.authority == mark.authority and not r.revoked
            for r in year.book.scores.values()
        ):
            counted.append(mark.object)
    return counted


def sheet_result(year: TownVerification, sheet: str, code: str) -> SheetResult:
    name = year.registry.town_name(code) if code in year.registry.towns else year.registry.village_name(code)
    result = SheetResult(sheet, code, name)
    recorded = [r for r in year.book.scores.values() if r.sheet == sheet and r.object == code]
    result.revoked = [r for r in recorded if r.revoked]
    ranked = ranked_results(year.scheme, [r for r in recorded if not r.revoked])
    if not ranked:
        return result
    result.standing, result.superseded = ranked[0], ranked[1:]
    result.deductions = deductions(year, ranked[0]) if ranked[0].authority == "county" else []
    result.score = deducted(ranked[0], result.deductions)
    return result


def ranked_results(scheme: Scheme, records: list[ScoreRecord]) -> list[ScoreRecord]:
    """Higher authority first (the scheme's order), the latest first among equals."""
    order = {record.id: index for index, record in enumerate(records)}
    return sorted(records, key=lambda r: (scheme.rank(r.authority), -order[r.id]))


def deductions(year: TownVerification, record: ScoreRecord) -> list[Deduction]:
    """What absences deduct from a county result: the scheme's points for the member's home town
    (town sheets) or helped village (village sheets), from the item the scheme names."""
    found: list[Deduction] = []
    for absence in year.book.absences:
        team = year.book.teams.get(absence.team)
        member = next((m for m in team.members if m.name == absence.member), None) if team else None
        if member is None:
            continue
        for rule in year.scheme.verification.absence:
            if rule.kind != absence.kind or rule.sheet != record.sheet:
                continue
            target = member.home if rule.applies_to == "home_town" else member.helped_village
            if target == record.object:
                found.append(Deduction(absence.id, absence.member, absence.kind, rule.indicator, rule.points))
    return found


def deducted(record: ScoreRecord, found: list[Deduction]) -> Decimal:
    """The score after deductions: an item never below 0 (a direct score: the score never below 0)."""
    if not record.items:
        return max(ZERO, record.score - sum((d.points for d in found), ZERO))
    items = dict(record.items)
    for deduction in found:
        if deduction.indicator in items:
            items[deduction.indicator] = max(ZERO, items[deduction.indicator] - deduction.points)
    return sum(items.values(), ZERO)


AGGREGATE_WORDS = {"mean": "平均", "sum": "合计", "min": "最低", "max": "最高", "value": "平均"}


def _reduce(aggregate: str, values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    if aggregate == "sum":
        return sum(values, ZERO)
    if aggregate == "min":
        return min(values)
    if aggregate == "max":
        return max(values)
    return divide(sum(values, ZERO), Decimal(len(values)))


def formula_lines(scheme: Scheme, result: TownResult) -> list[str]:
    """Each composite with its formula filled in, each term one figure × its weight, e.g. ``年终成效核查总分 =
    县核查分 85.00 × 0.6 + 抽查村核查分平均 82.00 × 0.4 = 83.80（抽查村核查分平均 = (90.00 + …) ÷ 4 = 82.00）``."""
    names = {item.code: item.name for item in scheme.composite_inputs} | {c.code: c.name for c in scheme.composites}
    values: dict[str, ScoreInput] = {**result.inputs, **result.composites}
    lines = []
    for composite in scheme.composites:
        terms, reductions = [], []
        for component in composite.components:
            raw = values.get(component.source)
            label = names.get(component.source, component.source)
            if isinstance(raw, list):  # each term is one figure × its weight; how a list was reduced, after
                reduced = _reduce(component.aggregate, raw)
                word = AGGREGATE_WORDS.get(component.aggregate, component.aggregate)
                label = f"{label}{word}"
                figure = str(round2(reduced)) if reduced is not None else "缺"
                if reduced is not None:
                    reductions.append(f"{label} = {_reduction(component.aggregate, raw, word)} = {figure}")
            else:
                figure = str(round2(raw)) if isinstance(raw, Decimal) else "缺"
            terms.append(f"{label} {figure} × {component.weight}")
        total = result.composites.get(composite.code)
        line = f"{composite.name} = {' + '.join(terms)} = {round2(total) if total is not None else '缺'}"
        lines.append(line + (f"（{'；'.join(reductions)}）" if reductions else ""))
    return lines


def _reduction(aggregate: str, values: list[Decimal], word: str) -> str:
    """How a list of scores was reduced to one: ``(90.00 + 80.00) ÷ 2`` for a mean."""
    figures = [str(round2(v)) for v in values]
    if aggregate in ("mean", "value"):
        return f"({' + '.join(figures)}) ÷ {len(figures)}"
    if aggregate == "sum":
        return " + ".join(figures)
    return f"{word}({'、'.join(figures)})"
