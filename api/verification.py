"""A county's verification of its towns (镇级核查, 004; ADR 27): registry, teams, absences,
samples, higher-level sampling, scores, and the town ranking as of any instant.

Writes need ``verify_towns`` on the county (its coordinator; admin); reads need ``read``.
Every refusal names the field and the rule, and stores nothing.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Path, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from api.context import attachment, command_context, county_in_path, one_hop, platform
from api.dependencies import allowed
from api.models import Body, Number
from api.problems import problem as problem_json
from api.reads import AS_OF
from api.verification_writes import result_out, write_routes, write_to_year
from domain import verification_commands as v
from domain.access import Action
from domain.decimals import NotANumber, read_number
from domain.errors import InvalidCommand, Problem
from domain.scheme_reading import read_published_document
from domain.towns import Household, Town, Village
from domain.verification_commands import VerificationCommand
from domain.verification_state import Member
from ruraleval import registry_workbook, town_reads
from ruraleval.imports import MAX_FILE_BYTES, XLSX
from ruraleval.platform import Platform

router = APIRouter(prefix="/api/v1/counties", tags=["镇级核查 verification"])
YearPath = Annotated[int, Path(ge=2000, le=2100, description="核查年度，如 2023")]
BASE = "/{code}/verification/{year}"
Code = Annotated[str, Field(min_length=1, max_length=32)]
Text = Annotated[str, Field(max_length=2000)]


def _as_written(raw: Any) -> Any:
    """A score sent as text is a number a person wrote (ADR 17): digits, sign and point only, so
    "1e1" is refused, never read as 10; a JSON number keeps JSON's grammar."""
    if not isinstance(raw, str):
        return raw
    try:
        return read_number(raw)
    except NotANumber as error:
        raise PydanticCustomError(error.rule, "{words}", {"words": error.words}) from None


Points = Annotated[Number, BeforeValidator(_as_written)]  # the domain says how long a name may be, in its words


class VerificationOut(BaseModel):
    county: str
    year: int
    version: int | None = None
    position: int | None = None
    events: list[str] = []
    result: dict[str, Any] = {}


class OpenIn(Body):
    scheme: dict[str, Any] = Field(
        description="本县核查方案（object 为 town，格式见 ruraleval/data/verification_scheme_example.json）"
    )


class TownIn(Body):
    code: Code
    name: Text


class VillageIn(Body):
    code: Code
    name: Text
    town: Code
    poverty_relief: bool = Field(description="是否脱贫村/重点帮扶村（抽查的是非贫困村）")


class HouseholdIn(Body):
    code: Code
    head: Text = Field(description="户主")
    village: Code
    flags: list[Annotated[str, Field(max_length=20)]] = Field(
        default=[], max_length=10, description="如 脱贫户、残疾人户"
    )


class RegistryIn(Body):
    towns: list[TownIn] = Field(default=[], max_length=1000)
    villages: list[VillageIn] = Field(default=[], max_length=10_000)
    households: list[HouseholdIn] = Field(default=[], max_length=200_000)


class MemberIn(Body):
    name: Text
    home: Code = Field(description="来源：镇编码，或 县核查办（县直单位，也可写 county_office）")
    helped_village: str = Field(default="", max_length=32, description="所帮扶村的编码（可空）")


class TeamIn(Body):
    team_id: str | None = Field(default=None, max_length=32)
    name: Text
    members: list[MemberIn] = Field(max_length=50)  # none: the domain's refusal, in words


class AssignmentIn(Body):
    town: Code


class AbsenceIn(Body):
    team_id: Code
    member: Text
    kind: str = Field(max_length=20, description="缺勤、迟到 或 早退（也可写 absent、late、left_early）")
    on: str = Field(max_length=20, description="日期 YYYY-MM-DD")
    reason: str = Field(max_length=2000)


class SampleIn(Body):
    town: Code
    seed: str | None = Field(default=None, max_length=64, description="种子；省略则由平台随机生成并记录")


class HigherSamplingIn(Body):
    object: Code = Field(description="被省、市抽查的镇或村的编码")
    authority: Literal["province", "city", "centre"]
    reason: str = Field(max_length=2000)


class TownScoreIn(Body):
    score_id: str | None = Field(default=None, max_length=64)
    sheet: Code = Field(description="评分表：方案 verification.sheets 的 input，如 verification、daily_work、villages")
    object: Code = Field(description="镇或抽查村的编码")
    authority: Literal["county", "city", "province", "centre"] = "county"
    checked_on: str = Field(max_length=20, description="实地核查当天 YYYY-MM-DD")
    team_id: str | None = Field(default=None, max_length=32, description="县级结果必填：负责该镇的核查组")
    items: dict[Annotated[str, Field(max_length=32)], Points] = Field(default={}, max_length=100)
    score: Points | None = Field(default=None, description="直接计分（不填各项时）")
    reason: str = Field(default="", max_length=2000)


class ReasonIn(Body):
    reason: str = Field(max_length=2000)


async def _write(
    service: Platform, request: Request, code: str, year: int, command: VerificationCommand
) -> VerificationOut:
    """``write_to_year``, answered with the year's version too."""
    outcome = await write_to_year(service, request, code, year, command)
    return VerificationOut(
        county=code,
        year=year,
        version=outcome.version,
        position=outcome.position,
        events=outcome.events,
        result=result_out(outcome.result),
    )


write_route = write_routes(router, VerificationOut)
READ = allowed(Action.READ)


@write_route("/{code}/verification", summary="开始本县某年度的镇级核查（上传本县核查方案，object 为 town）")
@one_hop
def open_year(code: str, body: OpenIn, request: Request, service: Platform = Depends(platform)) -> VerificationOut:
    scheme = read_published_document(body.scheme)
    outcome = service.ledger.open_verification(
        county_in_path(code), v.OpenVerification(scheme), command_context(request)
    )
    return VerificationOut(
        county=code,
        year=scheme.year,
        version=outcome.version,
        position=outcome.position,
        events=outcome.events,
        result=outcome.result,
    )


@router.get(BASE, dependencies=READ, summary="镇级核查概况：方案、评分表、登记数量")
@one_hop
def overview(code: str, year: YearPath, service: Platform = Depends(platform)) -> dict[str, Any]:
    return town_reads.overview(service.ledger.town_verification(code, year))


@router.get(BASE + "/registry", dependencies=READ, summary="登记的镇、村、户")
@one_hop
def registry(code: str, year: YearPath, service: Platform = Depends(platform)) -> dict[str, Any]:
    return town_reads.registry(service.ledger.town_verification(code, year))


@write_route(BASE + "/registry", summary="登记镇、村、户（全部登记或全部不登记）")
async def register(
    code: str, year: YearPath, body: RegistryIn, request: Request, service: Platform = Depends(platform)
) -> VerificationOut:
    command = v.RegisterObjects(
        towns=[Town(t.code, t.name) for t in body.towns],
        villages=[Village(x.code, x.name, x.town, x.poverty_relief) for x in body.villages],
        households=[Household(h.code, h.head, h.village, list(h.flags)) for h in body.households],
    )
    return await _write(service, request, code, year, command)


@router.get(
    BASE + "/registry/template.xlsx",
    response_class=Response,
    dependencies=READ,
    responses={200: {"content": {XLSX: {}}}},
    summary="下载镇、村、户登记表模板",
)
@one_hop
def registry_template(code: str, year: YearPath, service: Platform = Depends(platform)) -> Response:
    flags = service.ledger.town_verification(code, year).scheme.verification.household_flags
    content = registry_workbook.template(flags)
    return Response(
        content, media_type=XLSX, headers=attachment(f"{code}-{year}-registry.xlsx", f"{year}年镇村户登记表.xlsx")
    )


@write_route(
    BASE + "/registry/import",
    summary="上传登记表（.xlsx：工作表 镇、村、户）：整份文件全部登记或全部不登记；有误时按行列列出",
)
async def import_registry(
    code: str,
    year: YearPath,
    request: Request,
    file: Annotated[UploadFile, File(description="登记表模板填好的 .xlsx")],
    service: Platform = Depends(platform),
) -> Any:
    data = await file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        return problem_json(413, [Problem("file", "max_size", "文件超过 5 MB，请分成几个文件上传")])
    upload = await run_in_threadpool(registry_workbook.read_registry, data, file.filename or "")
    problems = upload.problems
    if problems:  # the entries judged too, so that one answer names every problem
        year_now = await run_in_threadpool(service.ledger.town_verification, code, year)
        problems = registry_workbook.every_problem(upload, year_now)
    if not problems and upload.command is not None:
        try:
            return await _write(service, request, code, year, upload.command)
        except InvalidCommand as error:
            problems = registry_workbook.refused_rows(upload, error)
    if "spreadsheetml" in request.headers.get("accept", "").split(",")[0]:
        report = registry_workbook.error_report(problems)
        return Response(
            report,
            status_code=422,
            media_type=XLSX,
            headers=attachment(f"{code}-{year}-registry-errors.xlsx", "登记表错误报告.xlsx"),
        )
    return _rows_problem(problems)


def _rows_problem(problems: list[Any]) -> JSONResponse:
    return problem_json(
        422,
        [Problem(item.field, item.rule, item.message) for item in problems],
        None,
        [{"row": item.row, "column": item.column or None} for item in problems],
    )


@router.get(BASE + "/teams", dependencies=READ, summary="核查组、成员（来源镇）、负责的镇和缺勤记录")
@one_hop
def teams(code: str, year: YearPath, service: Platform = Depends(platform)) -> dict[str, Any]:
    return town_reads.teams(service.ledger.town_verification(code, year))


@write_route(BASE + "/teams", summary="组建核查组（成员来自各镇和县直单位）")
async def form_team(
    code: str, year: YearPath, body: TeamIn, request: Request, service: Platform = Depends(platform)
) -> VerificationOut:
    members = [Member(m.name, m.home, m.helped_village) for m in body.members]
    command = v.FormTeam(body.team_id or uuid.uuid4().hex[:12], body.name, members)
    return await _write(service, request, code, year, command)


@write_route(BASE + "/teams/{team_id}/assignment", summary="指定核查组负责的镇（交叉核查：不能核查成员来源镇）")
async def assign_team(
    code: str,
    year: YearPath,
    team_id: str,
    body: AssignmentIn,
    request: Request,
    service: Platform = Depends(platform),
) -> VerificationOut:
    return await _write(service, request, code, year, v.AssignTeam(team_id, body.town))


@write_route(BASE + "/absences", summary="记录核查组成员缺勤、迟到、早退（按方案扣成员所在镇和所帮扶村的分）")
async def record_absence(
    code: str, year: YearPath, body: AbsenceIn, request: Request, service: Platform = Depends(platform)
) -> VerificationOut:
    command = v.RecordAbsence(uuid.uuid4().hex[:12], body.team_id, body.member, body.kind, body.on, body.reason)
    return await _write(service, request, code, year, command)


@router.get(BASE + "/samples", dependencies=READ, summary="抽样结果：种子、总体、抽中的村和户，重抽核对；省市抽查标记")
@one_hop
def samples(code: str, year: YearPath, service: Platform = Depends(platform)) -> dict[str, Any]:
    return town_reads.samples(service.ledger.town_verification(code, year))


@write_route(BASE + "/samples", summary="为一个镇抽样（按方案：非贫困村数、每村户数、残疾人户），记录种子和总体")
async def draw_sample(
    code: str, year: YearPath, body: SampleIn, request: Request, service: Platform = Depends(platform)
) -> VerificationOut:
    seed = body.seed if body.seed is not None else secrets.token_hex(8)
    return await _write(service, request, code, year, v.DrawSample(body.town, seed))


@write_route(BASE + "/higher-sampling", summary="标记被省、市考核组抽查的镇或村（其结果录入后优先于县级结果）")
async def mark_higher(
    code: str, year: YearPath, body: HigherSamplingIn, request: Request, service: Platform = Depends(platform)
) -> VerificationOut:
    command = v.MarkSampledByHigherLevel(body.object, body.authority, body.reason)
    return await _write(service, request, code, year, command)


@write_route(
    BASE + "/scores",
    summary="录入核查得分（镇的县核查分、日常工作，抽查村直接计分；县级须由负责该镇的核查组录入）",
)
async def record_score(
    code: str, year: YearPath, body: TownScoreIn, request: Request, service: Platform = Depends(platform)
) -> VerificationOut:
    command = v.RecordTownScore(
        score_id=body.score_id or uuid.uuid4().hex[:12],
        sheet=body.sheet,
        object=body.object,
        authority=body.authority,
        checked_on=body.checked_on,
        team_id=body.team_id,
        items=dict(body.items),
        score=body.score,
        reason=body.reason,
    )
    return await _write(service, request, code, year, command)


@write_route(BASE + "/scores/{score_id}/revoke", summary="撤销核查得分（撤销省、市结果后恢复县级结果）")
async def revoke_score(
    code: str, year: YearPath, score_id: str, body: ReasonIn, request: Request, service: Platform = Depends(platform)
) -> VerificationOut:
    return await _write(service, request, code, year, v.RevokeTownScore(score_id, body.reason))


@router.get(
    BASE + "/scores",
    dependencies=READ,
    summary="各镇综合评价：结果、等级、排名、输入项（缺少的输入项逐项列出）、公式代入；可指定记录时间",
)
@one_hop
def scores(
    code: str, year: YearPath, as_of: str | None = AS_OF, service: Platform = Depends(platform)
) -> dict[str, Any]:
    found, instant = town_reads.year_as_of(service.ledger, code, year, as_of)
    return town_reads.scores(found, instant)
