"""Errors as ``application/problem+json``: the field, the rule, and words for people."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from domain import consequences, warnings
from domain.commands import REGION_LABELS
from domain.errors import DomainError, Problem

log = structlog.get_logger("ruraleval.api")
PROBLEM_TYPE = "application/problem+json"
TITLES = {
    400: "请求有误",
    401: "未登录",
    403: "无权操作",
    404: "未找到",
    405: "不支持的请求方法",
    409: "与已有记录冲突",
    422: "提交的内容不符合规则",
    500: "服务器内部错误",
    503: "暂时无法回答",
}

# Pydantic's error types in the words of the people filling in the forms.
_VALIDATION_MESSAGES = {
    "missing": "必须填写",
    "string_type": "必须是文本",
    "int_type": "必须是整数",
    "int_parsing": "必须是整数",
    "decimal_type": "必须是数字",
    "decimal_parsing": "必须是数字",
    "finite_number": "必须是有限的数字",
    "float_type": "必须是数字",
    "dict_type": "必须是对象",
    "list_type": "必须是列表",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "string_too_short": "不能为空",
    "string_too_long": "太长",
    "string_pattern_mismatch": "格式不正确",
    "greater_than_equal": "太小",
    "less_than_equal": "太大",
    "extra_forbidden": "不是可接受的字段",
    "json_invalid": "不是合法的 JSON",
    "model_attributes_type": "必须是对象",
    "too_short": "不能为空",
    "too_long": "项数太多",
    "bool_parsing": "必须是 true 或 false",
    "bool_type": "必须是 true 或 false",
    "date_parsing": "应为日期，如 2024-01-15",
    "date_from_datetime_parsing": "应为日期，如 2024-01-15",
    "date_from_datetime_inexact": "应为日期，如 2024-01-15",
    "date_type": "应为日期，如 2024-01-15",
    "datetime_parsing": "应为日期（2024-01-15）或带时区的时刻（2024-01-15T08:00:00+08:00）",
    "datetime_from_date_parsing": "应为日期（2024-01-15）或带时区的时刻（2024-01-15T08:00:00+08:00）",
    "datetime_type": "应为日期（2024-01-15）或带时区的时刻（2024-01-15T08:00:00+08:00）",
    "uuid_parsing": "格式不正确",
    "value_error": "不符合要求",
}
# The fields' names in words (the message reads "分区（region）只能是……"); a field not here is
# named by its key alone.
FIELD_LABELS = {
    "year": "年度", "region": "分区", "kind": "种类", "as_of": "截至时间", "county": "县", "node": "指标",
    "indicator": "指标", "period": "期间", "text": "内容", "problem": "问题", "requirement": "整改要求",
    "deadline": "整改期限", "answerer": "责任单位或责任人", "reason": "理由", "comment": "意见",
    "report_id": "评估报告编号", "problem_id": "问题编号", "level": "等级", "status": "状态", "files": "附件",
    "counties": "县", "limit": "条数", "offset": "起始位置", "name": "名称", "code": "编号", "value": "数值",
}  # fmt: skip
# The allowed values' words, where a field's values have them.
VALUE_LABELS: dict[str, dict[str, str]] = {
    "region": REGION_LABELS,
    "kind": warnings.KIND_LABELS | consequences.KIND_LABELS,
    "level": warnings.LEVEL_LABELS,
}


class ProblemDetail(BaseModel):
    field: str
    rule: str
    message: str


class ProblemOut(BaseModel):
    """RFC 9457 problem details, with every broken rule listed in ``errors``."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemDetail]


def _documented(description: str) -> dict[str, Any]:
    schema = {"$ref": "#/components/schemas/ProblemOut"}
    return {"model": ProblemOut, "description": description, "content": {PROBLEM_TYPE: {"schema": schema}}}


# Declared on every route, so clients (and schema fuzzers) know every answer they can get.
RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _documented("请求内容无法解析"),
    401: _documented("未登录、令牌无效或已过期"),
    403: _documented("已登录，但不在权限范围内"),
    404: _documented("县、方案、指标或记录不存在"),
    409: _documented("与已有记录冲突（已关账、幂等键重复、并发修改）"),
    422: _documented("提交的内容不符合规则：errors 列出字段和规则"),
}
# Reads from the read models may also answer this (ADR 24).
READ_RESPONSES: dict[int | str, dict[str, Any]] = {
    503: _documented("读模型更新失败、停滞，或未能在时限内达到请求的日志位置（Retry-After）"),
}


_HTTP_PROBLEMS = {
    400: ("body", "parsable_body", "请求内容无法解析（应为 UTF-8 编码的 JSON 或表单）"),
    404: ("path", "known_route", "没有这个接口"),
    405: ("method", "allowed_method", "该接口不支持此请求方法"),
}


def problem(
    status: int,
    problems: list[Problem],
    detail: str | None = None,
    where: Sequence[dict[str, Any]] | None = None,
) -> JSONResponse:
    """A problem+json answer; ``where`` adds to each error where it stands (e.g. a file's row and column)."""
    errors = [p.as_dict() for p in problems]
    if where is not None:
        errors = [error | extra for error, extra in zip(errors, where, strict=True)]
    body: dict[str, Any] = {
        "type": f"https://ruraleval.cn/problems/{problems[0].rule if problems else status}",
        "title": TITLES.get(status, "请求未能完成"),
        "status": status,
        "detail": detail or "；".join(p.message for p in problems),
        "errors": errors,
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_TYPE, headers=headers)


def internal_error() -> JSONResponse:
    """The answer to an error nobody foresaw (``RequestContext`` logs it and sends this)."""
    return problem(500, [Problem("server", "internal", "服务器内部错误，已记录，请联系管理员")])


def _field(location: tuple[Any, ...]) -> str:
    parts = [str(part) for part in location if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _named(field: str) -> str:
    """The field in words with its key (``分区（region）``), or the key alone when it has no words."""
    last = re.sub(r"\[[0-9]+\]$", "", field.rsplit(".", 1)[-1])
    label = FIELD_LABELS.get(last)
    if label is None or last.isdigit():
        return field
    return label if f"（{last}）" in label else f"{label}（{field}）"


def _allowed(field: str, expected: str) -> str:
    """Pydantic's ``'east', 'central' or 'west'`` as ``东部（east）、中部（central）或西部（west）``."""
    values = re.findall(r"'([^']*)'", expected) or [expected]
    labels = VALUE_LABELS.get(re.sub(r"\[[0-9]+\]$", "", field.rsplit(".", 1)[-1]), {})
    shown = [f"{labels[value]}（{value}）" if value in labels else value for value in values]
    return "、".join(shown[:-1]) + "或" + shown[-1] if len(shown) > 1 else shown[0]


def validation_problems(error: RequestValidationError) -> list[Problem]:
    problems = []
    for item in error.errors():
        field = _field(tuple(item.get("loc", ())))
        kind = str(item.get("type", "invalid"))
        words = _VALIDATION_MESSAGES.get(kind, "不符合要求")  # never pydantic's English
        context = item.get("ctx") or {}
        own = str(item.get("msg", "")).removeprefix("Value error, ")
        if own and not own.isascii():  # our own validator's words (any error type), already Chinese
            words = own
        elif kind in ("literal_error", "enum") and "expected" in context:
            words = f"只能是 {_allowed(field, str(context['expected']))}"
        elif kind == "string_too_short" and context.get("min_length", 1) > 1:
            words = f"至少 {context['min_length']} 个字符"
        elif kind == "string_too_long" and "max_length" in context:
            words = f"不能超过 {context['max_length']} 字"
        elif kind == "too_short" and "min_length" in context:
            words = f"至少要有 {context['min_length']} 项" if context["min_length"] else words
        elif kind == "too_long" and "max_length" in context:
            words = f"最多 {context['max_length']} 项"
        elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            bound = context.get("ge", context.get("le", context.get("gt", context.get("lt"))))
            sign = {"greater_than_equal": "不能小于", "less_than_equal": "不能大于", "greater_than": "必须大于",
                    "less_than": "必须小于"}[kind]  # fmt: skip
            words = f"{sign} {bound}" if bound is not None else words
        problems.append(Problem(field, kind, f"{_named(field)}{'' if _named(field) != field else '：'}{words}"))
    return problems


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_: Request, error: DomainError) -> JSONResponse:
        answer = problem(error.status, error.problems)
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:  # a 503: the read models will answer shortly
            answer.headers["Retry-After"] = str(retry_after)
        return answer

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        return problem(422, validation_problems(error))

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> JSONResponse:
        field, rule, message = _HTTP_PROBLEMS.get(error.status_code, ("path", "http", str(error.detail)))
        response = problem(error.status_code, [Problem(field, rule, message)])
        response.headers.update(error.headers or {})  # e.g. Allow on a 405
        return response
