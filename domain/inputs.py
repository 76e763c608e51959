"""Text that stands for a number, a period or a county code: one normalisation, then ASCII digits (ADR 17).

People type digits in many forms: full-width ２０２３ from a Chinese input method, ٢٠٢٣ from an
Arabic keyboard, a space copied from a spreadsheet cell. Python reads every script's digits as
digits (``int()``, ``Decimal()``, ``str.isdigit()`` and the regex ``\\d`` all accept ٢٠٢٣), so
without a rule a period parses as 2023 and is stored as "٢٠٢٣-05". The rule, on every channel:

1. Unicode NFKC normalisation, then surrounding whitespace trimmed. Full-width ２０２３－０５
   becomes 2023-05, compatibility digits (①, ², 𝟐) their digit.
2. After that, the only digits accepted are the ASCII digits 0–9. A digit of another script
   (Arabic-Indic ٢, Devanagari २, Bengali ২ …, which NFKC leaves as they are) is refused with
   the rule ``ascii_digits`` naming the field, never read as a number.

The edges (API bodies, path and query parameters, spreadsheet cells) normalise; the domain's
parsers accept only the platform's own ASCII forms, so that what is stored is what is shown.

Any text also refuses the NUL character (U+0000): no one types it, and PostgreSQL cannot hold
it in a text column, so one stored in an event stopped every read model there.
"""

from __future__ import annotations

import unicodedata
from typing import Any

SHOWN = 40  # characters of a refused input repeated in its message
NUL_WORDS = "含有空字符（U+0000），请删除后重新提交"

# No import from the domain here: domain.errors reads numbers with domain.decimals, which reads
# text with this module. Callers turn the words below into their own kind of refusal.


def normalise(text: str) -> str:
    """NFKC, then surrounding whitespace trimmed: ``"２０２３－０５ "`` → ``"2023-05"``."""
    return unicodedata.normalize("NFKC", text).strip()


def foreign_digits(text: str) -> list[str]:
    """The characters Python takes for digits that are not ASCII 0–9, each once, in order."""
    return list(dict.fromkeys(char for char in text if char.isdigit() and not "0" <= char <= "9"))


def shown(text: str) -> str:
    """A refused input as a message repeats it: at most SHOWN characters, control characters as
    their visible symbols (NUL as ␀), never raw: a message is text that is stored and shown too."""
    visible = "".join(chr(0x2400 + ord(char)) if ord(char) < 0x20 else char for char in text)
    return visible if len(visible) <= SHOWN else visible[:SHOWN] + "…"


def ascii_digits_words(text: str, what: str) -> str | None:
    """Why ``text`` is refused (rule ``ascii_digits``) when it holds a digit other than 0–9, else None."""
    found = foreign_digits(text)
    if not found:
        return None
    digits = "、".join(f"“{char}”" for char in found[:5])
    return f"{what}“{shown(text)}”含有 0–9 以外的数字字符 {digits}：请用阿拉伯数字 0–9 填写（全角数字会自动转换）"


def is_county_code(code: str | None) -> bool:
    """A 6-digit administrative code in ASCII digits (``isdigit()`` alone would accept ٢ and ２)."""
    return code is not None and len(code) == 6 and code.isascii() and code.isdigit()


def county_code_refusal(code: str) -> tuple[str, str] | None:
    """(rule, words) when ``code`` (already normalised) is not a county code, else None."""
    if is_county_code(code):
        return None
    words = ascii_digits_words(code, "行政区划代码")
    if words is not None:
        return "ascii_digits", words
    return "admin_code", f"县级行政区划代码必须是 6 位数字，收到“{shown(code)}”"


def nul_path(value: Any, at: str = "") -> str | None:
    """Where a text in ``value`` (nested objects and lists too) holds U+0000 (rule ``no_nul``): the
    dotted path below ``at`` (``at`` itself for a text), or None when none does."""
    if isinstance(value, str):
        return at if "\x00" in value else None
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        inside = f"{at}.{key}" if at else str(key)
        if "\x00" in str(key):
            return inside
        found = nul_path(item, inside)
        if found is not None:
            return found
    return None
