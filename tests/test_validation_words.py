"""Pydantic's refusals in the words of the people filling in the forms (``api/problems.py``):
never English, the field named in words beside its key, allowed values with their labels."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import pytest
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError

from api.problems import validation_problems


class Query(BaseModel):
    kind: Literal["commendation", "interview_deputy", "interview_principal", "penalty_points", "bonus_points"] = (
        "commendation"
    )
    region: Literal["east", "central", "west"] = "east"
    as_of: datetime | None = None
    values: list[int] = Field(default=[1], min_length=1)
    problem: str = Field(default="", max_length=2000)


def message(**body: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        Query(**body)
    errors = [error | {"loc": ("query", *error["loc"])} for error in caught.value.errors()]
    [found] = validation_problems(RequestValidationError(errors))
    return found.message


@pytest.mark.parametrize(("body", "words"), [
    ({"kind": "points"}, "种类（kind）只能是 通报表扬（commendation）、约谈分管负责同志（interview_deputy）、"
                         "约谈主要负责同志（interview_principal）、下一年度扣分（penalty_points）或下一年度加分（bonus_points）"),
    ({"region": "north"}, "分区（region）只能是 东部（east）、中部（central）或西部（west）"),
    ({"values": []}, "values：至少要有 1 项"),
    ({"as_of": "soon"}, "截至时间（as_of）应为日期（2024-01-15）或带时区的时刻（2024-01-15T08:00:00+08:00）"),
    ({"problem": "问" * 2001}, "问题（problem）不能超过 2000 字"),
])  # fmt: skip
def test_refusals_are_chinese_with_the_field_in_words(body: dict[str, Any], words: str) -> None:
    found = message(**body)
    assert found == words
    assert "Input should" not in found and " or " not in found and "'" not in found
