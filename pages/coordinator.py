"""The county coordinator's page (县级管理员): the indicator tree, who answers for each indicator,
action plans, proposals of indicators and weights, and the county's API keys.

Reading the page needs ``read`` on the county (as the API's tree, plan and proposal reads);
each form checks its API route's permission: ``organise_work`` (responsibility, action plans),
``propose_changes`` (propose, withdraw), ``manage_api_keys`` (list, create, revoke keys).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from domain import commands as c
from domain.access import Action
from domain.errors import DomainError
from pages import reads_review as rr
from pages.render import page
from pages.review import YearParam, known_county, year_of
from pages.review_forms import NOTHING_FAILED, Failed, done, number, posted, refused, uploads, year_field
from pages.session import Viewer, platform_of, require, secure_cookies, sessions, viewer
from pages.writes import county_command, organisation_change
from ruraleval import api_keys
from ruraleval.action_plans import plan_with_files

router = APIRouter(tags=["pages"], include_in_schema=False)
Signed = Annotated[Viewer, Depends(viewer)]
NOTICES = {
    "responsibility": "责任部门和责任人已保存。",
    "plan": "行动方案已上传。",
    "proposal": "变更申请已提交，等待本县评估组审批。",
    "withdrawn": "变更申请已撤回。",
    "revoked": "接口密钥已撤销，此后用它报送的数据一律拒收。",
    "key": "接口密钥已生成。",
}
ACTIONS = {"organise": Action.ORGANISE_WORK, "propose": Action.PROPOSE_CHANGES,
           "api_keys": Action.MANAGE_API_KEYS}  # fmt: skip


def _page(
    request: Request, who: Viewer, code: str, year: int | None, failed: Failed = NOTHING_FAILED, notice: str = "",
    new_key: dict[str, Any] | None = None,
) -> Response:  # fmt: skip
    require(who, Action.READ, code)
    meta = known_county(request, code)
    service = platform_of(request)
    tree = rr.tree(service, code, year_of(platform_of(request), meta, year))
    kinds = ("propose-", "define-")  # the proposal forms: one pair per branch the county may adjust
    branches = {kind + branch["code"].replace(".", "_") for branch in tree["branches"] for kind in kinds}
    failed = failed.placed(lambda form: not form.startswith(kinds) or form in branches)
    may = {name: who.principal.may(action, code) for name, action in ACTIONS.items()}
    keys = rr.api_keys(service, code) if may["api_keys"] else []
    context = {"county": meta, "tree": tree, "failed": failed, "notice": NOTICES.get(notice, ""), "may": may,
               "keys": keys, "new_key": new_key, "plain": rr.plain}  # fmt: skip
    status = failed.status if failed.form else 200
    return page(request, "review/indicators.html", context, status=status)


@router.get("/counties/{code}/indicators", response_class=HTMLResponse)
def indicators(request: Request, code: str, who: Signed, year: YearParam = None, done: str = "") -> Response:
    """The page; just after a key was issued, its secret once (the one-time cookie, then deleted)."""
    new_key = _new_key(request, who, code)
    response = _page(request, who, code, year, notice=done, new_key=new_key)
    if NEW_KEY_COOKIE in request.cookies:
        response.delete_cookie(NEW_KEY_COOKIE, path=f"/counties/{code}/indicators")
    return response


# A new key's secret crosses the redirect after its POST (so that reloading the page issues no
# second key) in a cookie that lives for one page view: HttpOnly, only for this page's path,
# signed and bound to the session, deleted by the page that shows it.
NEW_KEY_COOKIE = "ruraleval_new_key"
NEW_KEY_SECONDS = 120


def _key_mac(request: Request, who: Viewer, code: str, key_id: str, token: str) -> str:
    message = f"new-key:{who.csrf}:{code}:{key_id}:{token}".encode()
    return hmac.new(sessions(request).secret.encode(), message, hashlib.sha256).hexdigest()


def _new_key(request: Request, who: Viewer, code: str) -> dict[str, Any] | None:
    key_id, _, rest = request.cookies.get(NEW_KEY_COOKIE, "").partition(".")
    token, _, mac = rest.rpartition(".")
    if not key_id or not token or not hmac.compare_digest(mac, _key_mac(request, who, code, key_id, token)):
        return None
    return {"id": key_id, "token": token}


def _year(values: dict[str, str]) -> int | None:
    return year_field(values)


@router.post("/counties/{code}/responsibility", response_class=HTMLResponse)
async def responsibility(request: Request, code: str, who: Signed) -> Response:
    require(who, Action.ORGANISE_WORK, code)
    values = await posted(request)
    year = _year(values)
    try:
        values.check()  # the API's input rules (ADR 17): no NUL, digits 0–9
        command = c.AssignResponsibility(values.get("indicator", ""), values.get("department", ""),
                                         values.get("person", ""), year)  # fmt: skip
        await county_command(request, code, command, None)
    except DomainError as error:
        failed = refused("duty", ("indicator", "department", "person"), error, values)
        return _page(request, who, code, year, failed)
    return done(f"/counties/{code}/indicators", "responsibility", year=year)


@router.post("/counties/{code}/action-plans", response_class=HTMLResponse)
async def action_plan(request: Request, code: str, who: Signed) -> Response:
    """The API's action-plan route on a page: checked first, then the files stored, then the plan."""
    require(who, Action.ORGANISE_WORK, code)
    values = await posted(request)
    year = _year(values)
    files = await uploads(request, "files")

    async def run(command: c.RecordActionPlan) -> object:
        return await county_command(request, code, command, None)

    try:
        values.check()  # the API's input rules (ADR 17): no NUL, digits 0–9
        command = await plan_with_files(platform_of(request), run, values.get("indicator", ""),
                                        values.get("text", ""), files, year)  # fmt: skip
        await run(command)
    except DomainError as error:
        return _page(request, who, code, year, refused("plan", ("indicator", "text", "files"), error, values))
    return done(f"/counties/{code}/indicators", "plan", year=year)


WEIGHT_FIELD = re.compile(r"^(?:weight|sibling):([0-9A-Za-z._-]{1,32})$")
DEFINITION_FIELDS = ("code", "name", "unit", "direction", "weight", "frequency", "aggregate")
# The proposal form's numbers (weights, target, range), read as the API reads its Number fields.
NUMBER_FIELDS = ("weight:", "sibling:", "indicator.weight", "indicator.target", "indicator.range_min",
                 "indicator.range_max")  # fmt: skip
DEFINE_FIELDS = (*(f"indicator.{name}" for name in (*DEFINITION_FIELDS, "method", "range")),
                 "sibling_weights", "sibling", "reason", "indicator", "change")  # fmt: skip


@router.post("/counties/{code}/proposals", response_class=HTMLResponse)
async def propose(request: Request, code: str, who: Signed) -> Response:
    """A proposal of what the scheme leaves to the county (ADR 20): weights shifted inside an
    adjustable branch, or a county-specific indicator added to it (with its siblings' weights)."""
    require(who, Action.PROPOSE_CHANGES, code)
    values = await posted(request, NUMBER_FIELDS)
    year = _year(values)
    parent = values.get("parent", "")
    defining = values.get("kind") == "define_indicator"
    form = ("define-" if defining else "propose-") + parent.replace(".", "_")
    try:
        values.check()  # the API's input rules (ADR 17): no NUL, digits 0–9
        weights = {found.group(1): number(values, name, f"指标 {found.group(1)} 的权重")
                   for name in values if (found := WEIGHT_FIELD.match(name))}  # fmt: skip
        change: dict[str, Any]
        if defining:
            change = {"indicator": _definition(values, parent), "sibling_weights": weights}
        else:
            change = {"parent": parent, "weights": weights}
        kind = "define_indicator" if defining else "adjust_weights"
        await county_command(request, code, c.ProposeChange(kind, change, values.get("reason", ""), year), None)
    except DomainError as error:
        fields = DEFINE_FIELDS if defining else ("reason", "weight", "change")
        return _page(request, who, code, year, refused(form, fields, error, values, strip="change."))
    return done(f"/counties/{code}/indicators", "proposal", year=year)


def _definition(values: dict[str, str], parent: str) -> dict[str, Any]:
    """A county-specific indicator as the scheme writes one, from the form's fields (numbers as text)."""
    definition: dict[str, Any] = {name: values.get(f"indicator.{name}", "") for name in DEFINITION_FIELDS}
    definition |= {"parent": parent, "kind": "specific",
                   "method": {"type": "attainment", "target": values.get("indicator.target", "")}}  # fmt: skip
    low, high = values.get("indicator.range_min", ""), values.get("indicator.range_max", "")
    if low or high:
        definition["range"] = [low, high]
    return definition


@router.post("/counties/{code}/proposals/{proposal_id}/withdraw", response_class=HTMLResponse)
async def withdraw(request: Request, code: str, proposal_id: str, who: Signed) -> Response:
    require(who, Action.PROPOSE_CHANGES, code)
    values = await posted(request, NUMBER_FIELDS)
    year = _year(values)
    try:
        values.check()  # the API's input rules (ADR 17): no NUL, digits 0–9
        await county_command(request, code, c.WithdrawProposal(proposal_id, values.get("reason", "")), None)
    except DomainError as error:
        return _page(request, who, code, year, refused(f"withdraw-{proposal_id}", ("reason",), error, values))
    return done(f"/counties/{code}/indicators", "withdrawn", year=year)


@router.post("/counties/{code}/api-keys", response_class=HTMLResponse)
async def issue_key(request: Request, code: str, who: Signed) -> Response:
    """A new key; its full text is in this answer only (the organisation keeps its hash)."""
    require(who, Action.MANAGE_API_KEYS, code)
    values = await posted(request)
    year = _year(values)
    # Codes separated as people separate them; each is then judged by the API's rule (api_keys.checked).
    chosen = [part for part in re.split(r"[,，、;；\s]+", values.get("indicators", "")) if part]
    try:
        values.check()  # the API's input rules (ADR 17): no NUL, digits 0–9
        known_county(request, code)
        issued = api_keys.issue(code, values.get("label", ""), chosen, rr.key_indicators(platform_of(request), code))
        await organisation_change(request, issued.change, "IssueApiKey")
    except DomainError as error:
        return _page(request, who, code, year, refused("key", ("label", "indicators"), error, values))
    response = done(f"/counties/{code}/indicators", "key", year=year)
    mac = _key_mac(request, who, code, issued.key_id, issued.token)
    response.set_cookie(NEW_KEY_COOKIE, f"{issued.key_id}.{issued.token}.{mac}", max_age=NEW_KEY_SECONDS,
                        path=f"/counties/{code}/indicators", httponly=True, samesite="strict",
                        secure=secure_cookies(request))  # fmt: skip
    return response


@router.post("/counties/{code}/api-keys/{key_id}/revoke", response_class=HTMLResponse)
async def revoke_key(request: Request, code: str, key_id: str, who: Signed) -> Response:
    require(who, Action.MANAGE_API_KEYS, code)
    values = await posted(request)
    year = _year(values)
    try:
        values.check()  # the API's input rules (ADR 17): no NUL, digits 0–9
        change = api_keys.revocation(code, key_id, values.get("reason", ""))
        await organisation_change(request, change, "RevokeApiKey")
    except DomainError as error:
        return _page(request, who, code, year, refused(f"revoke-{key_id}", ("reason",), error, values))
    return done(f"/counties/{code}/indicators", "revoked", year=year)
