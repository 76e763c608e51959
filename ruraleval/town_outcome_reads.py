"""What the API and the pages show of the use of the towns' results (004 八–九; ADR 26, 27):
the issued result notices, the decided consequences and the rectification items, as plain data."""

from __future__ import annotations

from typing import Any

from domain.consequences import KIND_LABELS
from domain.errors import NotFound
from domain.rectification import STATUS_LABELS, STEP_LABELS
from domain.verification import TownVerification
from domain.verification_state import TownNotice
from ruraleval.town_reads import figure


def notices(year: TownVerification, town: str | None = None) -> list[dict[str, Any]]:
    base = f"/api/v1/counties/{year.county_code}/verification/{year.year}/notices"
    return [
        {
            "notice_id": n.id,
            "town": n.town,
            "town_name": year.registry.town_name(n.town),
            "as_of": n.as_of.isoformat(),
            "content_sha256": n.content_sha256,
            "file_sha256": n.file_sha256,
            "result": figure(n.result),
            "grade": n.grade,
            "rank": n.rank,
            "problems": n.problems,
            "issued_by": n.actor,
            "issued_at": n.recorded_at.isoformat(),
            "href": f"{base}/{n.id}/file",
        }
        for n in year.book.notices.values()
        if town is None or n.town == town
    ]


def consequences(year: TownVerification, town: str | None = None) -> list[dict[str, Any]]:
    return [
        {
            "consequence_id": found.id,
            "town": found.town,
            "town_name": year.registry.town_name(found.town),
            "kind": found.kind,
            "kind_label": KIND_LABELS.get(found.kind, found.kind),
            "rule": found.rule,
            "causes": found.causes,
            "decided_by": found.actor,
            "decided_at": found.recorded_at.isoformat(),
        }
        for found in year.book.consequences.values()
        if town is None or found.town == town
    ]


def items(year: TownVerification, town: str | None = None) -> list[dict[str, Any]]:
    found = []
    for item_id, item in year.book.rectification.items():
        where = year.book.item_towns.get(item_id, "")
        if town is not None and where != town:
            continue
        found.append({
            "item_id": item.id,
            "town": where,
            "town_name": year.registry.town_name(where),
            "notice_id": item.report_id,
            "problem_id": item.problem_id,
            "indicator": item.indicator,
            "problem": item.problem,
            "requirement": item.requirement,
            "deadline": item.deadline,
            "answerer": item.answerer,
            "status": item.status,
            "status_label": STATUS_LABELS[item.status],
            "verified_on": item.verified_on,
            "steps": [
                {"kind": s.kind, "label": STEP_LABELS[s.kind], "text": s.text, "actor": s.actor,
                 "recorded_at": s.recorded_at.isoformat(), "version": s.version}
                for s in item.steps
            ],
        })  # fmt: skip
    return found


def outcomes(year: TownVerification, town: str | None = None) -> dict[str, Any]:
    return {
        "county": year.county_code,
        "year": year.year,
        "notices": notices(year, town),
        "consequences": consequences(year, town),
        "items": items(year, town),
    }


def notice_of(year: TownVerification, notice_id: str) -> TownNotice:
    found = year.book.notices.get(notice_id)
    if found is None:
        raise NotFound.of("notice_id", "known_notice", f"{year.year} 年度没有编号为“{notice_id[:40]}”的核查结果通报")
    return found
