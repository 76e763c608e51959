"""A town's result notice (核查结果通报, 004 八–九) as PDF: the town's composite with its formula
filled in, the inputs behind it, its grade and rank within the county, the problems found and
the rectification requirements, as its verification year stood at ``as_of`` (ADR 25, 27).

The same town and ``as_of`` give the same bytes (Typst with the report font only, the PDF's
date the ``as_of``); issuing stores the file by hash and records ``IssueTownNotice``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from domain import verification_commands as v
from domain.errors import NotFound
from domain.recorded_time import CHINA
from domain.scheme import AUTHORITY_LABELS
from domain.town_outcomes import PROBLEM_SHARE, town_problems
from domain.town_scores import SheetResult, TownResult, formula_lines, town_results
from domain.verification import TownVerification
from reports.pdf import ISSUER, compile_typst, score
from ruraleval.platform import Platform
from ruraleval.replay import verification_as_of

MEDIA_TYPE = "application/pdf"
REQUIREMENTS = [
    "对通报的问题逐项制定整改方案，明确责任人和整改期限，在平台上报告整改进展；",
    "整改完成后申报核验，县核查办核验通过后销号；逾期未销号的，按方案的挂钩规则处理；",
    "评为“一般”或存在突出问题的，约谈分管负责同志；评为“较差”且存在突出问题的，约谈主要负责同志。",
]


@dataclass(frozen=True)
class TownNotice:
    town: str
    as_of: datetime
    content: dict[str, Any]
    pdf: bytes

    @property
    def content_sha256(self) -> str:
        return hashlib.sha256(orjson.dumps(self.content, option=orjson.OPT_SORT_KEYS)).hexdigest()

    @property
    def file_sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()


def year_at(service: Platform, code: str, year: int, at: datetime) -> TownVerification:
    found = verification_as_of(service.ledger, code, year, at)
    if found is None:
        raise NotFound.of("as_of", "known_verification", f"县 {code} 在该时刻尚未开始 {year} 年度的镇级核查")
    return found


def _input_rows(result: TownResult, names: dict[str, str]) -> list[dict[str, str]]:
    sheets: list[SheetResult] = list(result.sheets.values()) + list(result.villages)
    return [
        {
            "sheet": names.get(s.sheet, s.sheet),
            "object": s.name,
            "score": score(s.score),
            "authority": AUTHORITY_LABELS.get(s.standing.authority, s.standing.authority) if s.standing else "—",
        }
        for s in sheets
    ]


def content(year: TownVerification, town: str, at: datetime) -> dict[str, Any]:
    """Every figure of the notice as shown (the hashed content and the template's view)."""
    results = {r.town: r for r in town_results(year)}
    result = results.get(town)
    if result is None:
        raise NotFound.of("town", "known_town", f"找不到编码为“{town}”的镇")
    names = {item.code: item.name for item in year.scheme.composite_inputs}
    ranked = sum(1 for r in results.values() if r.rank is not None)
    final = year.scheme.verification.result
    problems = town_problems(year, result)
    return {
        "county": year.county_name,
        "county_code": year.county_code,
        "town": result.name,
        "town_code": town,
        "year": year.year,
        "scheme": year.scheme.name,
        "as_of": at.isoformat(),
        "as_of_text": at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M"),
        "result_name": next((c.name for c in year.scheme.composites if c.code == final), final),
        "result": score(result.result),
        "grade": result.grade or "—",
        "rank": f"{result.rank} / {ranked}" if result.rank else "—",
        "formulas": formula_lines(year.scheme, result),
        "inputs": _input_rows(result, names),
        "problems": [p | {"serious_text": "是" if p["serious"] else "否"} for p in problems],
        "problem_share": f"{PROBLEM_SHARE * 100:.0f}%",
        "requirements": REQUIREMENTS,
    }


def build(service: Platform, code: str, year: int, town: str, at: datetime) -> TownNotice:
    found = content(year_at(service, code, year, at), town, at)
    digest = hashlib.sha256(orjson.dumps(found, option=orjson.OPT_SORT_KEYS)).hexdigest()
    view = found | {"issuer": ISSUER, "title": f"{found['town']}{year}年度核查结果通报", "content_sha256": digest}
    pdf = compile_typst("town_notice.typ", {"view": orjson.dumps(view).decode()}, at)
    return TownNotice(town, at, found, pdf)


def file_name(code: str, year: int, town: str, at: datetime) -> str:
    return f"{code}-{year}-{town}-notice-{at.astimezone(CHINA):%Y%m%dT%H%M%S}.pdf"


def prepare(service: Platform, code: str, year: int, town: str, at: datetime) -> tuple[TownNotice, v.IssueTownNotice]:
    """Builds the notice as of ``at``, stores its PDF by hash; the command that records its issue."""
    notice = build(service, code, year, town, at)
    service.files.put(file_name(code, year, town, at), MEDIA_TYPE, notice.pdf)
    found = year_at(service, code, year, at)
    result = next(r for r in town_results(found) if r.town == town)
    command = v.IssueTownNotice(
        town=town,
        as_of=at,
        content_sha256=notice.content_sha256,
        file_sha256=notice.file_sha256,
        result=result.result,
        grade=result.grade,
        rank=result.rank,
        problems=[
            {k: p[k] for k in ("id", "object", "indicator", "title", "points", "max", "serious")}
            for p in notice.content["problems"]
        ],
    )
    return notice, command
