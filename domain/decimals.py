"""Exact decimal arithmetic shared by validation and scoring."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

from domain.inputs import ascii_digits_words, normalise, shown

# 28 significant digits keep every quotient far below the 0.01 shown to users.
CONTEXT = Context(prec=28, rounding=ROUND_HALF_UP)
ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
# A number written as text, after normalisation (ADR 17): ASCII digits, an optional sign and decimal
# point, as the forms' hint says. No exponent: a clerk's "1e1" is a typo, not 10 (JSON's own
# numbers, 1e3 included, are JSON's grammar and read by the API's body models).
NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
# A number in a JSON document's text (a scheme, a proposal's change): JSON's grammar, exponent
# included, three digits at most: Decimal("1e1000000") overflows the first sum it takes part in.
DOCUMENT_NUMBER_TEXT = re.compile(NUMBER_TEXT.pattern + r"(?:[eE][+-]?[0-9]{1,3})?")
# The exponents a person's number may have: far beyond what any rule of the domain lets through
# (values below 10^15, scores within their node, points within their cap), and far inside what
# the arithmetic holds (Decimal("1e1000000") overflows the first sum it enters).
MAX_EXPONENT = 999


class NotANumber(ValueError):
    """Text that is not a number by the platform's rule; ``rule`` is ``ascii_digits`` or ``number``."""

    def __init__(self, rule: str, words: str) -> None:
        super().__init__(words)
        self.rule = rule
        self.words = words


def read_number(text: str, *, exponent: bool = False) -> Decimal:
    """A number written as text, by the platform's one rule: NFKC, trimmed, then ASCII digits only.

    ``Decimal()`` alone would read ٣ as 3 and "1_000" as 1000; here either is refused
    (``NotANumber``, a ValueError naming the rule). A person's number (a form field, a
    spreadsheet cell) has no exponent; ``exponent`` admits JSON's, for a document's text.
    """
    normal = normalise(text)
    if (DOCUMENT_NUMBER_TEXT if exponent else NUMBER_TEXT).fullmatch(normal):
        return Decimal(normal)
    foreign = ascii_digits_words(normal, "数值")
    if foreign is not None:
        raise NotANumber("ascii_digits", foreign)
    words = "只填阿拉伯数字，可带正负号、小数点（不带单位、千分位、百分号或科学计数法的 e）"
    raise NotANumber("number", f"“{shown(text)}”不是数字：{words}")


def at_most_two_places(value: Decimal) -> bool:
    """Whether ``value`` has no more than two decimal places (``quantize`` would raise for a
    number too large for the context, and such a number is refused by its bounds anyway)."""
    exponent = value.normalize().as_tuple().exponent
    return not isinstance(exponent, int) or exponent >= -2


def within_reach(value: Decimal) -> bool:
    """Finite, and its magnitude 10^-999 to 10^999 (zero aside): judged on the digits as written,
    without arithmetic, which would itself overflow on 1E+1000000."""
    if not value.is_finite():
        return False
    return value.is_zero() or -MAX_EXPONENT <= value.adjusted() <= MAX_EXPONENT


def to_decimal(value: object) -> Decimal:
    """Converts an int, str or Decimal (never a float's binary noise) to Decimal.

    Text is read by ``read_number`` (ADR 17) with JSON's exponent, whose refusal is a ValueError too.
    """
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, str):
        return read_number(value, exponent=True)
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


def figure(value: Decimal, unit: str = "") -> str:
    """A figure as people read it (pages and messages alike): two places, thousands grouped,
    a space before the unit: ``92.875`` → ``92.88``, with 万吨 ``1,234.50 万吨``."""
    shown = f"{value.quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"
    return f"{shown} {unit}" if unit else shown


def plain(value: Decimal) -> str:
    """A decimal as people write it: 30, 12.5, never 3E+1 nor -0."""
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text
