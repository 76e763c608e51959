"""Exact decimal arithmetic shared by validation and scoring."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

# 28 significant digits keep every quotient far below the 0.01 shown to users.
CONTEXT = Context(prec=28, rounding=ROUND_HALF_UP)
ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def to_decimal(value: object) -> Decimal:
    """Converts an int, str or Decimal (never a float's binary noise) to Decimal."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, float):
        # repr() gives the shortest string that round-trips: 0.1 stays 0.1.
        value = repr(value)
    try:
        result = Decimal(value)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError) as error:
        raise ValueError(f"{value!r} is not a number") from error
    if not result.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return result


def divide(numerator: Decimal, denominator: Decimal) -> Decimal:
    return CONTEXT.divide(numerator, denominator)


def clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return max(low, min(high, value))


def round2(value: Decimal | None) -> Decimal | None:
    """The two-place figure shown to users (half up, as in Chinese statistics)."""
    if value is None:
        return None
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def plain(value: Decimal) -> str:
    """A decimal as people write it: 30, 12.5, never 3E+1 nor -0."""
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text
