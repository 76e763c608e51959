"""The forms of the verification pages (ADR 27): open a year, register towns, villages and
households (one at a time, or a workbook all at once), teams, assignments and absences,
samples, higher-level sampling, scores and their revocation.

Each checks ``verify_towns`` on the county, as its API route does; a refusal is shown beside
its field (a workbook's by sheet, row and column) and stores nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from domain import verification_commands as v
from domain.access import Action
from domain.errors import DomainError, InvalidCommand
from domain.scheme_reading import read_published_document
from domain.towns import Household, Town, Village
from domain.verification_state import Member
from pages import reads_verification as rv
from pages import verification as pv
from pages.review_forms import Failed, done, number, posted, refused, uploads, year_field
from pages.session import Viewer, platform_of, require, viewer
from pages.writes import open_verification, verification_command
from ruraleval import registry_workbook

router = APIRouter(tags=["pages"], include_in_schema=False)
Signed = Annotated[Viewer, Depends(viewer)]
Page = Callable[[Request, Viewer, str, int | None, Failed], Response]
BASE = "/counties/{code}/verification"


async def _run(
    request: Request,
    who: Viewer,
    code: str,
    form: str,
    fields: tuple[str, ...],
    build: Callable[[dict[str, str]], v.VerificationCommand],
    shown: Page,
    to: str,
    notice: str,
    digits: tuple[str, ...] = (),
    team: str = "",
) -> Response:
    require(who, Action.VERIFY_TOWNS, code)
    values = await posted(request, digits)
    year = year_field(values) or 0
    try:
        values.check()
        await verification_command(request, code, year, build(values))
    except DomainError as error:
        return shown(request, who, code, year, refused(form, fields, error, values))
    return done(f"/counties/{code}/verification{to}", notice, year=year, team=team)


def _registry(request: Request, who: Viewer, code: str, year: int | None, failed: Failed) -> Response:
    return pv.registry_page(request, who, code, year, failed)


def _teams(request: Request, who: Viewer, code: str, year: int | None, failed: Failed) -> Response:
    return pv.teams_page(request, who, code, year, failed)


def _samples(request: Request, who: Viewer, code: str, year: int | None, failed: Failed) -> Response:
    return pv.samples_page(request, who, code, year, failed)


@router.post(BASE + "/open", response_class=HTMLResponse)
async def open_year(request: Request, code: str, who: Signed) -> Response:
    require(who, Action.VERIFY_TOWNS, code)
    values = await posted(request)
    files = await uploads(request, "scheme")
    try:
        if not files:
            raise InvalidCommand.of("scheme", "required", "请选择本县核查方案文件（JSON，object 为 town）")
        try:
            document = orjson.loads(await files[0].read(1_000_001))
        except orjson.JSONDecodeError:
            raise InvalidCommand.of("scheme", "json", "方案文件不是有效的 JSON") from None
        scheme = read_published_document(document)
        await open_verification(request, code, v.OpenVerification(scheme))
    except DomainError as error:
        failed = refused("open", ("scheme",), error, values)
        return pv.registry_page(request, who, code, year_field(values), failed)
    return done(f"/counties/{code}/verification", "opened", year=scheme.year)


@router.post(BASE + "/towns", response_class=HTMLResponse)
async def add_town(request: Request, code: str, who: Signed) -> Response:
    def build(values: dict[str, str]) -> v.VerificationCommand:
        return v.RegisterObjects(towns=[Town(values.get("code", ""), values.get("name", ""))])

    return await _run(
        request, who, code, "town", ("towns[0].code", "towns[0].name"), build, _registry, "", "registered"
    )


@router.post(BASE + "/registry/correction", response_class=HTMLResponse)
async def correct_entry(request: Request, code: str, who: Signed) -> Response:
    """A registered entry corrected with a reason (``domain.registry_correction``); blank fields unchanged."""

    def build(values: dict[str, str]) -> v.VerificationCommand:
        relief = {"是": True, "否": False}.get(values.get("poverty_relief", ""))
        flags = [flag.strip() for flag in values.get("flags", "").replace(",", "、").split("、") if flag.strip()]
        return v.CorrectRegisteredObject(values.get("code", ""), values.get("reason", ""),
                                         values.get("name") or None, relief, values.get("head") or None,
                                         flags or None)  # fmt: skip

    fields = ("code", "name", "head", "poverty_relief", "flags", "reason")
    return await _run(request, who, code, "correction", fields, build, _registry, "", "corrected")


@router.post(BASE + "/villages", response_class=HTMLResponse)
async def add_village(request: Request, code: str, who: Signed) -> Response:
    def build(values: dict[str, str]) -> v.VerificationCommand:
        village = Village(
            values.get("code", ""),
            values.get("name", ""),
            values.get("town", ""),
            values.get("poverty_relief") == "yes",
        )
        return v.RegisterObjects(villages=[village])

    fields = ("villages[0].code", "villages[0].name", "villages[0].town")
    return await _run(request, who, code, "village", fields, build, _registry, "", "registered")


@router.post(BASE + "/households", response_class=HTMLResponse)
async def add_household(request: Request, code: str, who: Signed) -> Response:
    flags = [str(flag) for flag in (await request.form()).getlist("flags")]

    def build(values: dict[str, str]) -> v.VerificationCommand:
        household = Household(values.get("code", ""), values.get("head", ""), values.get("village", ""), flags)
        return v.RegisterObjects(households=[household])

    fields = ("households[0].code", "households[0].head", "households[0].village", "households[0].flags")
    return await _run(request, who, code, "household", fields, build, _registry, "", "registered")


@router.post(BASE + "/registry/import", response_class=HTMLResponse)
async def import_registry(request: Request, code: str, who: Signed) -> Response:
    require(who, Action.VERIFY_TOWNS, code)
    values = await posted(request)
    year = year_field(values) or 0
    files = await uploads(request, "file")
    problems: list[Any] = []
    try:
        if not files:
            raise InvalidCommand.of("file", "required", "请选择登记表文件（.xlsx）")
        upload = registry_workbook.read_registry(await files[0].read(5 * 1024 * 1024 + 1), files[0].filename or "")
        problems = upload.problems
        found = rv.verification_year(platform_of(request), code, year)
        if problems and found is not None:  # the entries judged too: every problem at once
            problems = registry_workbook.every_problem(upload, found)
        if not problems and upload.command is not None:
            try:
                await verification_command(request, code, year, upload.command)
            except InvalidCommand as error:
                problems = registry_workbook.refused_rows(upload, error)
        if problems:
            raise InvalidCommand.of("file", "rows", f"登记表有 {len(problems)} 处问题，整份文件未登记，见下表")
    except DomainError as error:
        failed = refused("import", ("file",), error, values)
        return pv.registry_page(request, who, code, year, failed, rows=problems)
    return done(f"/counties/{code}/verification", "registered", year=year)


@router.post(BASE + "/teams", response_class=HTMLResponse)
async def form_team(request: Request, code: str, who: Signed) -> Response:
    def build(values: dict[str, str]) -> v.VerificationCommand:
        members = []
        for line in values.get("members", "").splitlines():
            if line.strip():
                parts = [part.strip() for part in line.replace("，", ",").split(",")]
                members.append(Member(parts[0], parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else ""))
        return v.FormTeam(values.get("team_id") or uuid.uuid4().hex[:8], values.get("name", ""), members)

    return await _run(request, who, code, "team", ("team_id", "name", "members"), build, _teams, "/teams", "team")


@router.post(BASE + "/teams/{team_id}/assign", response_class=HTMLResponse)
async def assign_team(request: Request, code: str, team_id: str, who: Signed) -> Response:
    def build(values: dict[str, str]) -> v.VerificationCommand:
        return v.AssignTeam(team_id, values.get("town", ""))

    return await _run(request, who, code, f"assign-{team_id}", ("town",), build, _teams, "/teams", "assigned")


@router.post(BASE + "/absences", response_class=HTMLResponse)
async def record_absence(request: Request, code: str, who: Signed) -> Response:
    def build(values: dict[str, str]) -> v.VerificationCommand:
        return v.RecordAbsence(
            uuid.uuid4().hex[:12],
            values.get("team_id", ""),
            values.get("member", ""),
            values.get("kind", ""),
            values.get("on", ""),
            values.get("reason", ""),
        )

    fields = ("team_id", "member", "kind", "on", "reason")
    return await _run(request, who, code, "absence", fields, build, _teams, "/teams", "absence")


@router.post(BASE + "/samples", response_class=HTMLResponse)
async def draw_sample(request: Request, code: str, who: Signed) -> Response:
    def build(values: dict[str, str]) -> v.VerificationCommand:
        return v.DrawSample(values.get("town", ""), values.get("seed") or uuid.uuid4().hex[:16])

    return await _run(request, who, code, "sample", ("town", "seed"), build, _samples, "/samples", "sample")


@router.post(BASE + "/higher-sampling", response_class=HTMLResponse)
async def mark_higher(request: Request, code: str, who: Signed) -> Response:
    def build(values: dict[str, str]) -> v.VerificationCommand:
        return v.MarkSampledByHigherLevel(
            values.get("object", ""), values.get("authority", ""), values.get("reason", "")
        )

    fields = ("object", "authority", "reason")
    return await _run(request, who, code, "higher", fields, build, _samples, "/samples", "marked")


def _entry(team: str) -> Page:
    def shown(request: Request, who: Viewer, code: str, year: int | None, failed: Failed) -> Response:
        return pv.entry_page(request, who, code, year, team, failed)

    return shown


@router.post(BASE + "/scores", response_class=HTMLResponse)
async def record_score(request: Request, code: str, who: Signed) -> Response:
    values = await posted(request)
    team, sheet, target = values.get("team_id", ""), values.get("sheet", ""), values.get("object", "")
    digits = tuple(name for name in values if name.startswith("item-"))

    def build(values: dict[str, str]) -> v.VerificationCommand:
        items: dict[str, Decimal] = {}
        for name in digits:
            items[name[5:]] = number(values, name, f"项目 {name[5:]} 的得分")
        authority = values.get("authority", "county")
        return v.RecordTownScore(
            uuid.uuid4().hex[:12],
            sheet,
            target,
            authority,
            values.get("checked_on", ""),
            team if authority == "county" else None,
            items,
            None,
            values.get("reason", ""),
        )

    form = f"score-{sheet}-{target}"
    fields = ("checked_on", "authority", "team_id", "reason", *(f"items.{name[5:]}" for name in digits), *digits,
              "items")  # fmt: skip
    return await _run(request, who, code, form, fields, build, _entry(team), "/entry", "score", digits, team)


@router.post(BASE + "/scores/{score_id}/revoke", response_class=HTMLResponse)
async def revoke_score(request: Request, code: str, score_id: str, who: Signed) -> Response:
    values = await posted(request)
    team = values.get("team_id", "")

    def build(values: dict[str, str]) -> v.VerificationCommand:
        return v.RevokeTownScore(score_id, values.get("reason", ""))

    return await _run(
        request, who, code, f"revoke-{score_id}", ("reason",), build, _entry(team), "/entry", "revoked", team=team
    )
