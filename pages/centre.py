"""The centre's pages (中心专班): schemes, county enrolment and teams; users in ``centre_users``.

Every page is the admin's: each checks the action of the API route doing the same
(``PUBLISH_SCHEME``, ``ENROL_COUNTY``, ``MANAGE_ORGANISATION``). Writes go through
``pages.writes``; a refused form answers the same page, status 4xx, each problem beside its
field (a scheme's problems all listed), and nothing stored. A saved form redirects to its
page (POST, redirect, GET) with a notice chosen from our own words.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from domain import commands as c
from domain.access import Action
from domain.errors import DomainError, InvalidCommand, NotFound, Problem
from domain.handlers import check_enrolment
from domain.inputs import county_code_refusal, normalise
from domain.organisation import Organisation
from domain.scheme import Scheme
from domain.scheme_reading import read_published_document
from pages import centre_users, reads, reads_audit, writes
from pages.centre_forms import Form, field_errors, read, refuse
from pages.people import who
from pages.render import page
from pages.scheme_places import place
from pages.session import Viewer, platform_of, require, viewer
from projections.catalog import COUNTIES

router = APIRouter(tags=["pages"], include_in_schema=False)
router.include_router(centre_users.router)
Signed = Annotated[Viewer, Depends(viewer)]
Notice = Annotated[str | None, Query(max_length=64)]
MAX_SCHEME_BYTES = 2 * 1024 * 1024
ENROLMENT_LABELS = {"code": "县级行政区划代码", "name": "县名称", "province": "所属省份", "region": "分区",
                    "scheme": "评估方案"}  # fmt: skip
ENROLMENT_FIELDS = tuple(ENROLMENT_LABELS)
TEAM_LABELS = {"code": "评估组编号", "name": "评估组名称", "region": "分区"}
TEAM_FIELDS = tuple(TEAM_LABELS)
ASSIGN_LABELS = {"reason": "调整理由", "region_override": "跨区域分配", "region_override_reason": "跨区域分配的理由",
                 "confirm_empty": "确认清空"}  # fmt: skip
ASSIGN_FIELDS = ("counties", *ASSIGN_LABELS)


@router.get("/centre", response_class=HTMLResponse)
def centre_home(request: Request, who: Signed) -> Response:
    require(who, Action.MANAGE_ORGANISATION)
    service = platform_of(request)
    organisation = reads_audit.organisation(service)
    counts = {
        "schemes": len(reads_audit.schemes(service)),
        "counties": len(reads.counties(service, who.principal)),
        "users": sum(1 for user in organisation.users.values() if user.active),
        "teams": len(organisation.teams),
    }
    return page(request, "centre/home.html", {"counts": counts})


# ------------------------------------------------------------------------ schemes


def _schemes_page(request: Request, problems: list[Problem], published: str | None, status: int = 200,
                  document: Any = None) -> Response:  # fmt: skip
    service = platform_of(request)
    schemes = reads_audit.schemes(service)
    counties = reads.counties(service, request.state.principal)
    taken: dict[str, list[str]] = {}
    for row in counties:
        for scheme_id in row["schemes"].values():
            taken.setdefault(scheme_id, []).append(row["name"])
    shown = published if any(scheme.id == published for scheme in schemes) else None
    # A reader's message that begins with its path would say it again after the place: left out.
    listed = [{"place": "" if problem.field in ("document", "scheme", "") else place(problem.field, document),
               "message": problem.message.removeprefix(f"{problem.field} ").removeprefix(f"{problem.field}：")}
              for problem in problems]  # fmt: skip
    context = {"schemes": schemes, "taken": taken, "problems": listed, "published": shown}
    return page(request, "centre/schemes.html", context, status=status)


@router.get("/centre/schemes", response_class=HTMLResponse)
def schemes(request: Request, who: Signed, published: Notice = None) -> Response:
    require(who, Action.PUBLISH_SCHEME)
    return _schemes_page(request, [], published)


@router.post("/centre/schemes", response_class=HTMLResponse, response_model=None)
async def publish_scheme(request: Request, who: Signed) -> Response:
    require(who, Action.PUBLISH_SCHEME)
    form = await request.form()
    document: Any = None
    try:
        document = await _uploaded_document(form)
        scheme = _readable(document)
        await writes.publish_scheme(request, scheme)
    except DomainError as error:
        return await run_in_threadpool(_schemes_page, request, list(error.problems), None, error.status, document)
    return RedirectResponse(f"/centre/schemes?published={scheme.id}", status_code=303)


def _readable(document: Any) -> Scheme:
    """The API's reading of a scheme document; one nested too deep for it is refused in words."""
    try:
        return read_published_document(document)
    except RecursionError:
        raise InvalidCommand.of("document", "depth", "文件嵌套层次过深，不是评估方案的格式") from None


async def _uploaded_document(form: FormData) -> Any:
    """The uploaded file read as JSON, or a refusal saying what is wrong with the file."""
    upload = form.get("document")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidCommand.of("document", "required", "请选择要上传的评估方案文件（JSON）")
    raw = await upload.read(MAX_SCHEME_BYTES + 1)
    if len(raw) > MAX_SCHEME_BYTES:
        raise InvalidCommand.of("document", "max_size", "文件过大：评估方案文件不能超过 2 MB")
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InvalidCommand.of("document", "utf8", "文件不是 UTF-8 编码的文本：请以 UTF-8 保存为 JSON 文件") from None
    except RecursionError:
        raise InvalidCommand.of("document", "depth", "文件嵌套层次过深，不是评估方案的格式") from None
    except json.JSONDecodeError as error:
        where = f"第 {error.lineno} 行第 {error.colno} 列"
        raise InvalidCommand.of("document", "json", f"文件不是有效的 JSON：{where}附近格式有误") from None


# ---------------------------------------------------------------- county enrolment


def _counties_page(request: Request, form: Form, status: int = 200, enrolled: str | None = None) -> Response:
    service = platform_of(request)
    counties = reads.counties(service, request.state.principal)
    shown = enrolled if any(row["code"] == enrolled for row in counties) else None
    options = [(scheme.id, f"{scheme.name}（{scheme.id}）") for scheme in reads_audit.schemes(service)]
    context = {"counties": counties, "scheme_options": options, "form": form, "regions": c.REGION_LABELS,
               "enrolled": shown}  # fmt: skip
    return page(request, "centre/counties.html", context, status=status)


@router.get("/centre/counties", response_class=HTMLResponse)
def counties(request: Request, who: Signed, enrolled: Notice = None) -> Response:
    require(who, Action.ENROL_COUNTY)
    return _counties_page(request, Form(), enrolled=enrolled)


@router.post("/centre/counties", response_class=HTMLResponse, response_model=None)
async def enrol(request: Request, who: Signed) -> Response:
    require(who, Action.ENROL_COUNTY)
    values, unreadable = read(await request.form(), ENROLMENT_LABELS)
    values["code"] = normalise(values["code"])
    try:
        refuse(unreadable)
        command = await run_in_threadpool(_enrolment, request, values)
        await writes.enrol_county(request, command, reads=COUNTIES)
    except DomainError as error:
        form = Form(values, field_errors(error, ENROLMENT_FIELDS, "code"))
        return await run_in_threadpool(_counties_page, request, form, error.status)
    return RedirectResponse(f"/centre/counties?enrolled={command.code}", status_code=303)


def _enrolment(request: Request, values: dict[str, str]) -> c.EnrolCounty:
    """The command, or every problem of the form at once (the scheme's and the county's)."""
    problems: list[Problem] = []
    refusal = county_code_refusal(values["code"])
    scheme: Scheme | None = None
    if not values["scheme"]:
        problems.append(Problem("scheme", "required", "请选择该县采用的评估方案"))
    else:
        try:
            scheme = platform_of(request).ledger.scheme(values["scheme"]).scheme
        except DomainError as error:
            problems.extend(error.problems)
    # check_enrolment reads only the county's own fields; the scheme was judged above.
    command = c.EnrolCounty(values["code"], values["name"], values["province"], values["region"],
                            cast(Scheme, scheme))  # fmt: skip
    try:
        check_enrolment(command)
    except InvalidCommand as error:
        problems.extend(error.problems)
    if refusal is not None and not any(problem.field == "code" for problem in problems):
        problems.append(Problem("code", refusal[0], refusal[1]))
    problems = _region_chosen(problems, values["region"])
    if problems:
        raise InvalidCommand(sorted(problems, key=lambda p: ENROLMENT_FIELDS.index(p.field)
                                    if p.field in ENROLMENT_FIELDS else 0))  # fmt: skip
    return command


def _region_chosen(problems: list[Problem], region: str) -> list[Problem]:
    """A region left unchosen is said as a form says it, not with the API's field values."""
    if region:
        return problems
    others = [problem for problem in problems if problem.field != "region"]
    return [*others, Problem("region", "required", "请选择分区（东部、中部或西部）")]


# -------------------------------------------------------------------------- teams


def _teams_page(request: Request, forms: dict[str, Form], status: int = 200, saved: str | None = None) -> Response:
    service = platform_of(request)
    organisation = reads_audit.organisation(service)
    counties = reads.counties(service, request.state.principal)
    names = {row["code"]: row["name"] for row in counties}
    members: dict[str, list[str]] = {}
    for user in organisation.users.values():
        for grant in user.active_grants():
            if grant.team:
                members.setdefault(grant.team, []).append(who({user.username: user.display_name}, user.username))
    teams = [
        {"code": team.code, "name": team.name, "region": team.region,
         "region_label": c.REGION_LABELS.get(team.region, team.region),
         "counties": [{"code": code, "name": names.get(code, "")} for code in team.counties],
         "members": members.get(team.code, []), "form": forms.get(team.code, Form())}
        for team in sorted(organisation.teams.values(), key=lambda t: t.code)
    ]  # fmt: skip
    context = {"teams": teams, "counties": counties, "regions": c.REGION_LABELS, "new": forms.get("", Form()),
               "saved": saved if saved in organisation.teams else None}  # fmt: skip
    return page(request, "centre/teams.html", context, status=status)


@router.get("/centre/teams", response_class=HTMLResponse)
def teams(request: Request, who: Signed, saved: Notice = None) -> Response:
    require(who, Action.MANAGE_ORGANISATION)
    return _teams_page(request, {}, saved=saved)


@router.post("/centre/teams", response_class=HTMLResponse, response_model=None)
async def form_team(request: Request, who: Signed) -> Response:
    require(who, Action.MANAGE_ORGANISATION)
    values, unreadable = read(await request.form(), TEAM_LABELS)

    def change(organisation: Organisation, context: c.Context) -> None:
        organisation.form_team(values["code"], values["name"], values["region"], context)

    try:
        refuse(unreadable)
        await writes.organisation_change(request, change, "FormTeam")
    except DomainError as error:
        refused = InvalidCommand(_region_chosen(list(error.problems), values["region"]))
        form = Form(values, field_errors(refused, TEAM_FIELDS, "code"))
        return await run_in_threadpool(_teams_page, request, {"": form}, error.status)
    return RedirectResponse(f"/centre/teams?saved={values['code']}", status_code=303)


@router.post("/centre/teams/{team}/counties", response_class=HTMLResponse, response_model=None)
async def assign_counties(request: Request, team: str, who: Signed) -> Response:
    require(who, Action.MANAGE_ORGANISATION)
    form = await request.form()
    chosen = [normalise(value) for value in form.getlist("counties") if isinstance(value, str)]
    values, unreadable = read(form, ASSIGN_LABELS)
    values["counties"] = ",".join(chosen)
    held = await run_in_threadpool(lambda: reads_audit.organisation(platform_of(request)).team_counties(team))
    if not chosen and held and values["confirm_empty"] != "on":
        # Nothing ticked would empty the team: said first, and done only once confirmed.
        words = f"未勾选任何县：保存将清空该评估组负责的全部 {len(held)} 个县。如确需清空，请勾选下方“确认清空”后再保存"
        unreadable.append(Problem("counties", "confirm_empty", words))
        values["ask_confirm"] = "1"
    override = values["region_override"] == "on"
    regions = await run_in_threadpool(reads_audit.enrolled_regions, platform_of(request), chosen)

    def change(organisation: Organisation, context: c.Context) -> None:
        organisation.assign_counties(team, chosen, values["reason"], context, regions=regions,
                                     region_override=override,
                                     region_override_reason=values["region_override_reason"] or None)  # fmt: skip

    try:
        refuse(unreadable)
        await writes.organisation_change(request, change, "AssignCounties")
    except DomainError as error:
        if isinstance(error, NotFound) and any(problem.field == "team" for problem in error.problems):
            raise  # no such team: the 404 page
        failed = Form(values, field_errors(error, ASSIGN_FIELDS, "counties"))
        return await run_in_threadpool(_teams_page, request, {team: failed}, error.status)
    return RedirectResponse(f"/centre/teams?saved={team}", status_code=303)
