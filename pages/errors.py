"""Errors of pages as pages: 401 → the sign-in form, 403 with no data, 404, 422 beside the fields.

The API's handlers (``api.problems``) stay as they are; these wrap them and answer HTML
only for page routes, and for unknown paths outside the API asked for by a browser.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from domain.errors import DomainError
from domain.inputs import shown as shown_input
from pages.render import page
from pages.session import CsrfRefused, SignInRequired

Handler = Callable[[Request, Any], Response | Awaitable[Response]]
NOT_PAGES = ("/api/", "/openapi.json", "/docs", "/static/", "/healthz", "/readyz")
TITLES = {400: "请求有误", 403: "无权查看", 404: "页面不存在", 405: "不支持的操作", 409: "与已有记录冲突",
          422: "填写的内容不符合规则", 429: "操作过于频繁", 500: "服务器内部错误",
          503: "数据正在更新，请稍后刷新"}  # fmt: skip
FIELD_LABELS = {"year": "年度", "region": "分区", "code": "县级行政区划代码", "next": "跳转地址", "status": "状态",
                "page": "页码", "county": "县", "indicator": "指标", "period": "期间", "unit": "回放步长",
                "step": "回放步", "order": "排序", "as_of": "查询日期", "format": "下载格式", "table": "表格",
                "from": "起始时刻", "to": "截止时刻", "digest": "摘要", "username": "用户名",
                "node": "得分节点"}  # fmt: skip
# A rule of a URL's parameter in words (pydantic's error types); any other: 取值不符合要求.
RULE_WORDS = {"int_parsing": "应为整数", "int_type": "应为整数", "greater_than_equal": "不能小于 {ge}",
              "less_than_equal": "不能大于 {le}", "string_too_long": "不能超过 {max_length} 个字符",
              "missing": "必须填写", "literal_error": "不是可选的取值"}  # fmt: skip


def is_page(request: Request) -> bool:
    """A page route, or an unknown path outside the API not asked for as JSON.

    Outside the API's prefixes every address is a page's: a download link or a typed
    address may come with ``Accept: */*`` (or none), and a person should still read the
    Chinese 404 page; only a client that asks for JSON gets the API's problem."""
    endpoint = request.scope.get("endpoint")
    if endpoint is not None:
        return str(getattr(endpoint, "__module__", "")).startswith("pages.") and not request.url.path.startswith(
            NOT_PAGES
        )
    accept = request.headers.get("accept", "")
    wants_html = "text/html" in accept or "json" not in accept
    return wants_html and not request.url.path.startswith(NOT_PAGES)


def _bounds(request: Request, name: str) -> tuple[Any, Any]:
    """The (ge, le) the route declares for its parameter ``name``, None where it declares none."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    for param in getattr(dependant, "query_params", []) + getattr(dependant, "path_params", []):
        if param.alias == name:
            metadata = param.field_info.metadata
            return (next((m.ge for m in metadata if hasattr(m, "ge")), None),
                    next((m.le for m in metadata if hasattr(m, "le")), None))  # fmt: skip
    return None, None


def _invalid_words(request: Request, item: Any) -> str:
    """A bad query value in words, with the rule it breaks: «年度：须为 2000 至 2100 之间的整数，收到“abc”»."""
    name = str(item["loc"][-1])
    label = FIELD_LABELS.get(name, "请求中的一项参数")  # never its name in the URL
    low, high = _bounds(request, name)
    context = item.get("ctx") or {}
    if low is not None and high is not None:
        rule = f"须为 {low} 至 {high} 之间的整数"
    elif low is not None:
        rule = f"须为不小于 {low} 的整数"
    else:
        rule = RULE_WORDS.get(item.get("type", ""), "取值不符合要求").format(**context)
    received = item.get("input")
    shown = f"，收到“{shown_input(str(received))}”" if isinstance(received, str | int) else ""
    return f"{label}：{rule}{shown}"


def error_page(request: Request, status: int, messages: list[str]) -> Response:
    title = TITLES.get(status, "出错了")
    if status == 403 and request.method not in ("GET", "HEAD"):
        title = "无权操作"  # a refused form changes nothing; "无权查看" would say it was a view
    return page(request, "error.html", {"status": status, "title": title, "messages": messages},
                status=status)  # fmt: skip


def sign_in_again(request: Request, error: SignInRequired) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"/signin?next={quote(target, safe='')}" + (f"&notice={error.notice}" if error.notice else "")
    if request.headers.get("HX-Request"):
        return Response(status_code=401, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


async def _delegate(handler: Handler, request: Request, error: Exception) -> Response:
    answer = handler(request, error)
    return await answer if inspect.isawaitable(answer) else answer


def install(app: FastAPI) -> None:
    """After ``api.problems.install``: page errors as pages, the API's untouched."""
    api_domain: Handler = app.exception_handlers[DomainError]
    api_validation: Handler = app.exception_handlers[RequestValidationError]
    api_http: Handler = app.exception_handlers[HTTPException]

    async def signin_required(request: Request, error: SignInRequired) -> Response:
        return sign_in_again(request, error)

    async def csrf_refused(request: Request, _: CsrfRefused) -> Response:
        return error_page(request, 403, ["表单已过期或来源不明（缺少有效的防伪令牌），操作未执行。请刷新页面后重试。"])

    async def domain_error(request: Request, error: DomainError) -> Response:
        if not is_page(request):
            return await _delegate(api_domain, request, error)
        return error_page(request, error.status, [problem.message for problem in error.problems])

    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        if not is_page(request):
            return await _delegate(api_validation, request, error)
        return error_page(request, 422, [_invalid_words(request, item) for item in error.errors()])

    async def http_error(request: Request, error: HTTPException) -> Response:
        if not is_page(request):
            return await _delegate(api_http, request, error)
        if error.status_code == 404:
            return error_page(request, 404, [f"没有地址为 {request.url.path} 的页面。"])
        return error_page(request, error.status_code, [TITLES.get(error.status_code, "请求未能完成。")])

    app.add_exception_handler(SignInRequired, signin_required)  # type: ignore[arg-type]
    app.add_exception_handler(CsrfRefused, csrf_refused)  # type: ignore[arg-type]
    app.add_exception_handler(DomainError, domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, http_error)  # type: ignore[arg-type]
