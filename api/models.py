"""Request and response bodies. Types are checked here; the rules live in the domain.

This module holds the field types (numbers, years, periods, county codes), ``Body`` and the
bodies every route shares; the models by area are in ``models_counties`` (enrolment,
indicators, submissions, what a command recorded), ``models_scores`` (scores, rankings,
history, overrides, points), ``models_organisation`` (users, grants, teams, API keys) and
``models_audit`` (audit trail, event log, readiness)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from domain.decimals import ZERO, within_reach
from domain.inputs import NUL_WORDS, ascii_digits_words, county_code_refusal, normalise, nul_path


def _normalised(raw: Any) -> Any:
    """Text that stands for a number, a period or a code, normalised (ADR 17); other types as sent."""
    return normalise(raw) if isinstance(raw, str) else raw


def _digits(raw: Any) -> Any:
    """Normalised, and refused when a digit of another script is left: ``int()`` and ``Decimal()``
    would read ٢٠٢٣ as 2023."""
    if not isinstance(raw, str):
        return raw
    text = normalise(raw)
    words = ascii_digits_words(text, "数值")
    if words is not None:
        # The words go through the context: a template would read braces in the input.
        raise PydanticCustomError("ascii_digits", "{words}", {"words": words})
    return text


def _county_code(code: str) -> str:
    refusal = county_code_refusal(code)
    if refusal is not None:
        raise PydanticCustomError(refusal[0], "{words}", {"words": refusal[1]})
    return code


def no_nul(text: str) -> str:
    """A form field's text without U+0000 (ADR 17; a JSON body's fields are checked by ``Body``)."""
    if "\x00" in text:
        raise PydanticCustomError("no_nul", "{words}", {"words": NUL_WORDS})
    return text


def _within_reach(value: Decimal) -> Decimal:
    if not within_reach(value):  # how large a value, score or weight may be, the domain's rules say
        raise PydanticCustomError("number_size", "{words}", {"words": "数值过大或过小，无法计算（指数须在 ±999 以内）"})
    return ZERO if value.is_zero() else value  # never -0, nor 0E-99


# Numbers arrive as JSON numbers or, for digits a float cannot hold, as strings (ASCII digits after NFKC).
Number = Annotated[
    Decimal, BeforeValidator(_digits), AfterValidator(_within_reach), Field(allow_inf_nan=False, examples=[61.5])
]
# A year sent as text is read by the same rule. (As a query parameter: ``Annotated[Year, Query(…)]``;
# FastAPI drops the validator of ``year: Year = Query(…)``.)
Year = Annotated[int, BeforeValidator(_digits)]
# A period is normalised here and judged by the domain, which names the rule (and, in a batch, the row).
Period = Annotated[
    str,
    BeforeValidator(_normalised),
    Field(max_length=16, description="2023-05、2023-Q2 或 2023", examples=["2023-05"]),
]
# A county code: normalised, then 6 digits 0–9 or refused (admin_code, ascii_digits).
CountyCode = Annotated[
    str,
    BeforeValidator(_normalised),
    AfterValidator(_county_code),
    Field(description="6 位县级行政区划代码", examples=["130425"]),
]
# A county code in the organisation's commands: normalised, and judged by the organisation's rules.
CountyCodeText = Annotated[str, BeforeValidator(_normalised), Field(max_length=16, examples=["130425"])]
Text = Annotated[str, Field(max_length=2000)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        """No text of a body (however deep in it) holds U+0000 (ADR 17)."""
        inside = nul_path(value)
        if inside is not None:  # the field is this one; where inside it, the words say (e.g. 0.comment)
            raise PydanticCustomError("no_nul", "{words}", {"words": f"{inside} {NUL_WORDS}".lstrip()})
        return value


class ReasonIn(Body):
    reason: Text


class OptionalReasonIn(Body):
    reason: Text = ""


# Models of the same class name as a model of another route module (api.consequences,
# api.verification, api.verification_corrections): the OpenAPI document names their schemas
# after this module (``api__models__VerificationOut``), so they are defined here, with the
# models they are built from (CountedOut, BreakOut).


class CorrectionIn(Body):
    indicator: str
    period: Period
    value: Number
    reason: Text


class TeamIn(Body):
    code: str = Field(examples=["east-1"])
    name: str = Field(examples=["东部第一评估组"])
    region: str = Field(examples=["east"])


class CountedOut(BaseModel):
    adjustment_id: str
    category: str
    kind: str = Field(description="bonus 加分 / penalty 减分")
    points: float
    counted: float = Field(description="计入得分的部分：按记录顺序填满上限，超出上限的部分不计")


class AdjustmentOut(CountedOut):
    actor: str
    reason: str
    recorded_at: str


class BreakOut(BaseModel):
    county: str
    version: int
    what: str


class VerificationOut(BaseModel):
    ok: bool
    events_checked: int
    problems: list[BreakOut]
    digest_matches: bool | None = None
