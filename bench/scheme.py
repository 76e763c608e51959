"""The bench scheme: 5 dimensions, 22 monthly indicators; the counties and their data."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from domain.provinces import PROVINCES, REGION_OF
from domain.scheme import usual_rules

YEAR = 2023
SCHEME_ID = f"bench-{YEAR}"
DIMENSIONS = 5
INDICATOR_COUNT = 22
REGIONS = ("east", "central", "west")

# Odd indicators accumulate a monthly flow ("sum" of 12 months against an annual
# target); even ones report a rate whose latest month counts ("latest").
SUM_TARGET = Decimal(120)
SUM_RANGE = ("0", "1000")
RATE_TARGET = Decimal(90)
RATE_BASELINE = Decimal(60)
RATE_RANGE = ("0", "100")


def indicator_codes() -> list[str]:
    """22 leaf codes spread over 5 dimensions: 5, 5, 4, 4, 4."""
    sizes = [INDICATOR_COUNT // DIMENSIONS + (1 if d < INDICATOR_COUNT % DIMENSIONS else 0) for d in range(DIMENSIONS)]
    return [f"{d + 1}.{i + 1}" for d, size in enumerate(sizes) for i in range(size)]


def aggregate_of(code: str) -> str:
    return "sum" if int(code.split(".")[1]) % 2 == 1 else "latest"


def scheme_id(year: int) -> str:
    return f"bench-{year}"


def scheme_document(year: int = YEAR) -> dict[str, Any]:
    """A scheme document in the API's format (see tests/example_scheme.json); the same tree every year."""
    codes = indicator_codes()
    dimension_weight = Decimal(100) / DIMENSIONS
    indicators: list[dict[str, Any]] = []
    for d in range(1, DIMENSIONS + 1):
        children = [code for code in codes if code.split(".")[0] == str(d)]
        indicators.append({"code": str(d), "name": f"维度{d}", "weight": str(dimension_weight)})
        for code in children:
            indicators.append(_indicator(code, dimension_weight / len(children)))
    return {
        "id": scheme_id(year),
        "name": f"基准测试方案（{year}年度，22项月度指标）",
        "year": year,
        **usual_rules(),
        "indicators": indicators,
    }


def _indicator(code: str, weight: Decimal) -> dict[str, Any]:
    if aggregate_of(code) == "sum":
        method: dict[str, Any] = {"type": "attainment", "target": str(SUM_TARGET)}
        unit, value_range = "万元", SUM_RANGE
    else:
        method = {"type": "attainment", "target": str(RATE_TARGET), "baseline": str(RATE_BASELINE)}
        unit, value_range = "%", RATE_RANGE
    return {
        "code": code,
        "parent": code.split(".")[0],
        "name": f"指标{code}",
        "kind": "common",
        "unit": unit,
        "direction": "higher_better",
        "method": method,
        "weight": str(weight),
        "frequency": "monthly",
        "aggregate": aggregate_of(code),
        "range": list(value_range),
    }


# Codes a county could have: a province's two digits, then four more (enrolment checks the
# province against the code's digits), spread over the provinces in turn.
PREFIXES = sorted(PROVINCES)


def county_code(index: int) -> str:
    return f"{PREFIXES[index % len(PREFIXES)]}{index // len(PREFIXES) + 1:04d}"


def county_codes(count: int) -> list[str]:
    return [county_code(index) for index in range(count)]


def county_body(code: str) -> dict[str, str]:
    index = (int(code[2:]) - 1) * len(PREFIXES) + PREFIXES.index(code[:2])
    return {
        "code": code,
        "name": f"基准县{index:03d}",
        "province": PROVINCES[code[:2]],
        "region": REGION_OF[code[:2]],  # the province's own (enrolment refuses another)
        "scheme": SCHEME_ID,
    }


def period(month: int) -> str:
    return f"{YEAR}-{month:02d}"


def value(rng: random.Random, code: str) -> str:
    """A plausible monthly value within the indicator's range, as a decimal string."""
    if aggregate_of(code) == "sum":
        return f"{rng.uniform(6, 14):.2f}"
    return f"{rng.uniform(55, 98):.2f}"


def submissions(codes: list[str], months: list[int], seed: int) -> list[tuple[str, dict[str, str]]]:
    """(county code, submission body) for every county × indicator × month, month by month."""
    rng = random.Random(seed)
    return [
        (county, {"indicator": indicator, "period": period(month), "value": value(rng, indicator)})
        for month in months
        for county in codes
        for indicator in indicator_codes()
    ]
