"""What the API and the pages show of a county's verification year (ADR 27), as plain data.

Read from the verification stream itself (small: a county's year), now or folded up to an
instant that is settled first (ADR 16), so an answer as of a past instant never changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.decimals import round2
from domain.errors import NotFound
from domain.recorded_time import parse_as_of
from domain.sampling import draw
from domain.scheme import AUTHORITY_LABELS
from domain.town_scores import SheetResult, TownResult, formula_lines, town_results
from domain.towns import COUNTY_OFFICE, COUNTY_OFFICE_LABEL
from domain.verification import TownVerification, verification_id
from domain.verification_rules import ABSENCE_LABELS, SHEET_OBJECT_LABELS, sheet_leaves
from domain.verification_state import ScoreRecord
from ruraleval.ledger import Ledger
from ruraleval.replay import verification_as_of


def opened_years(ledger: Ledger, code: str, candidates: Iterable[int]) -> list[int]:
    """The years among ``candidates`` in which the county opened a verification of its towns, oldest first
    (each stream's first event only: its opening)."""
    return [
        year for year in sorted(set(candidates))
        if next(iter(ledger.app.events.get(verification_id(code, year), lte=1)), None) is not None
    ]  # fmt: skip


def year_as_of(ledger: Ledger, code: str, year: int, as_of: str | None) -> tuple[TownVerification, datetime | None]:
    """The verification year now, or as it stood at ``as_of`` (settled first); 404 if not opened then."""
    current = ledger.town_verification(code, year)
    if as_of is None:
        return current, None
    instant = parse_as_of(as_of, ledger.clock())
    ledger.settle(instant)
    found = verification_as_of(ledger, code, year, instant)
    if found is None:
        raise NotFound.of("as_of", "known_verification", f"县 {code} 在该时刻尚未开始 {year} 年度的镇级核查")
    return found, instant


def figure(value: Decimal | None) -> str | None:
    return None if value is None else str(round2(value))


def overview(year: TownVerification) -> dict[str, Any]:
    scheme = year.scheme
    return {
        "county": year.county_code,
        "county_name": year.county_name,
        "year": year.year,
        "scheme": {"id": scheme.id, "name": scheme.name},
        "towns": len(year.registry.towns),
        "villages": len(year.registry.villages),
        "households": len(year.registry.households),
        "teams": len(year.book.teams),
        "samples": len(year.book.samples),
        "sheets": [
            {
                "input": s.input,
                "indicator": s.indicator,
                "object": s.object,
                "object_label": SHEET_OBJECT_LABELS[s.object],
                "name": _name_of(year, s.indicator),
                "items": [{"code": i.code, "name": i.name, "max": str(i.weight)} for i in _leaves(year, s.indicator)],
            }
            for s in scheme.verification.sheets
        ],
        "household_flags": list(scheme.verification.household_flags),
        "authorities": [{"code": a, "label": AUTHORITY_LABELS.get(a, a)} for a in scheme.authorities],
    }


def _name_of(year: TownVerification, code: str) -> str:
    return next((i.name for i in year.scheme.indicators if i.code == code), code)


def _leaves(year: TownVerification, top: str) -> list[Any]:
    leaves = sheet_leaves(year.scheme, top)
    return [indicator for indicator in year.scheme.indicators if indicator.code in leaves]


def registry(year: TownVerification) -> dict[str, Any]:
    reg = year.registry
    return {
        "towns": [
            {"code": t.code, "name": t.name, "villages": len(reg.villages_of(t.code))} for t in reg.towns.values()
        ],
        "villages": [
            {
                "code": v.code,
                "name": v.name,
                "town": v.town,
                "town_name": reg.town_name(v.town),
                "poverty_relief": v.poverty_relief,
                "households": len(reg.households_of(v.code)),
            }
            for v in reg.villages.values()
        ],
        "households": [
            {
                "code": h.code,
                "head": h.head,
                "village": h.village,
                "village_name": reg.village_name(h.village),
                "flags": list(h.flags),
            }
            for h in reg.households.values()
        ],
    }


def teams(year: TownVerification) -> dict[str, Any]:
    reg = year.registry
    return {
        "teams": [
            {
                "team_id": team.id,
                "name": team.name,
                "town": team.town,
                "town_name": reg.town_name(team.town) if team.town else None,
                "members": [
                    {
                        "name": m.name,
                        "home": m.home,
                        "home_name": COUNTY_OFFICE_LABEL if m.home == COUNTY_OFFICE else reg.town_name(m.home),
                        "helped_village": m.helped_village or None,
                        "helped_village_name": reg.village_name(m.helped_village) if m.helped_village else None,
                    }
                    for m in team.members
                ],
                # The cross-check rule, visible: the towns this team may not check.
                "excluded_towns": sorted({m.home for m in team.members if m.home != COUNTY_OFFICE}),
            }
            for team in year.book.teams.values()
        ],
        "absences": [
            {
                "absence_id": a.id,
                "team_id": a.team,
                "team_name": year.book.teams[a.team].name if a.team in year.book.teams else a.team,
                "member": a.member,
                "kind": a.kind,
                "kind_label": ABSENCE_LABELS.get(a.kind, a.kind),
                "on": a.on,
                "reason": a.reason,
                "recorded_at": a.recorded_at.isoformat(),
                "actor": a.actor,
            }
            for a in year.book.absences
        ],
    }


def samples(year: TownVerification) -> dict[str, Any]:
    reg = year.registry
    found = []
    for sample in year.book.samples.values():
        redrawn = draw(sample.seed, sample.population, sample.rules)
        found.append(
            {
                "town": sample.town,
                "town_name": reg.town_name(sample.town),
                "seed": sample.seed,
                "recorded_at": sample.recorded_at.isoformat(),
                "actor": sample.actor,
                "rules": {
                    "villages_per_town": sample.rules.villages_per_town,
                    "village_poverty_relief": sample.rules.village_poverty_relief,
                    "households_per_village": sample.rules.households_per_village,
                    "household_flags": list(sample.rules.household_flags),
                    "require": [{"flag": r.flag, "min": r.min} for r in sample.rules.require],
                },
                "population": {
                    "villages": list(sample.population.villages),
                    "households": {k: list(v) for k, v in sample.population.households.items()},
                    "flagged": {k: {f: list(c) for f, c in v.items()} for k, v in sample.population.flagged.items()},
                },
                "villages": [
                    {
                        "code": village,
                        "name": reg.village_name(village),
                        "households": [
                            {"code": h, "head": reg.households[h].head, "flags": list(reg.households[h].flags)}
                            for h in sample.drawn.households.get(village, [])
                        ],
                    }
                    for village in sample.drawn.villages
                ],
                "redraw_matches": redrawn == sample.drawn,
            }
        )
    marks = [
        {
            "object": m.object,
            "name": reg.town_name(m.object) if m.object in reg.towns else reg.village_name(m.object),
            "authority": m.authority,
            "authority_label": AUTHORITY_LABELS.get(m.authority, m.authority),
            "reason": m.reason,
            "recorded_at": m.recorded_at.isoformat(),
        }
        for m in year.book.higher
    ]
    return {"samples": found, "higher_sampling": marks}


def record_out(record: ScoreRecord) -> dict[str, Any]:
    return {
        "score_id": record.id,
        "authority": record.authority,
        "authority_label": AUTHORITY_LABELS.get(record.authority, record.authority),
        "team_id": record.team,
        "checked_on": record.checked_on,
        "score": figure(record.score),
        "items": {code: figure(points) for code, points in record.items.items()},
        "reason": record.reason,
        "actor": record.actor,
        "recorded_at": record.recorded_at.isoformat(),
        "revoked": record.revoked,
        "revoked_at": record.revoked_at.isoformat() if record.revoked_at else None,
        "revoke_reason": record.revoke_reason or None,
    }


def sheet_out(result: SheetResult) -> dict[str, Any]:
    return {
        "sheet": result.sheet,
        "object": result.object,
        "name": result.name,
        "score": figure(result.score),
        "standing": record_out(result.standing) if result.standing else None,
        "superseded": [record_out(r) for r in result.superseded],
        "revoked": [record_out(r) for r in result.revoked],
        "deductions": [
            {
                "absence_id": d.absence_id,
                "member": d.member,
                "kind": d.kind,
                "kind_label": ABSENCE_LABELS.get(d.kind, d.kind),
                "indicator": d.indicator,
                "points": figure(d.points),
            }
            for d in result.deductions
        ],
    }


def town_out(year: TownVerification, result: TownResult) -> dict[str, Any]:
    inputs: dict[str, Any] = {}
    for code, value in result.inputs.items():
        inputs[code] = figure(value) if isinstance(value, Decimal) or value is None else [figure(v) for v in value]
    return {
        "town": result.town,
        "name": result.name,
        "team_id": result.team,
        "rank": result.rank,
        "result": figure(result.result),
        "grade": result.grade,
        "composites": {code: figure(value) for code, value in result.composites.items()},
        "inputs": inputs,
        "missing": [{"input": m.input, "name": m.name, "detail": m.detail} for m in result.missing],
        "formulas": formula_lines(year.scheme, result),
        "sheets": {code: sheet_out(sheet) for code, sheet in result.sheets.items()},
        "villages": [sheet_out(village) for village in result.villages],
    }


def scores(year: TownVerification, instant: datetime | None) -> dict[str, Any]:
    results = town_results(year)
    ranked = sorted(results, key=lambda r: (r.rank is None, r.rank or 0, r.town))
    result_code = year.scheme.verification.result
    name = next((c.name for c in year.scheme.composites if c.code == result_code), result_code)
    return {
        "county": year.county_code,
        "year": year.year,
        "as_of": instant.isoformat() if instant else None,
        "result": {"code": result_code, "name": name},
        "input_names": {item.code: item.name for item in year.scheme.composite_inputs},
        "towns": [town_out(year, result) for result in ranked],
    }
