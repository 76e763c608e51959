"""What a cell of an upload means: blank or not, an indicator's code, a period in the platform's form,
a number read by the rule of every channel (ADR 17). Nothing here raises: a cell not understood is
passed on (or None) for the reader to report.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain.decimals import NotANumber, read_number


def is_blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def shown(cell: Any) -> str:
    text = str(cell)
    return text if len(text) <= 40 else text[:40] + "…"


def indicator_of(cell: Any) -> str:
    if is_blank(cell) or isinstance(cell, bool | datetime | date):
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return unicodedata.normalize("NFKC", str(cell)).strip()


# Read after NFKC, with ASCII digits only ([0-9], never \d: ٢٠٢٣ is passed on for the domain to refuse).
_MONTH = re.compile(r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*月?")
_QUARTER = re.compile(r"([0-9]{4})\s*[-/.年]?\s*(?:Q|第)\s*([1-4])\s*(?:季度?)?", re.IGNORECASE)
_YEAR = re.compile(r"([0-9]{4})\s*年?(?:度)?")


def period_of(cell: Any) -> str:
    """The period in the platform's form; what is not recognised is passed on for the domain to judge."""
    if is_blank(cell) or isinstance(cell, bool):
        return ""
    if isinstance(cell, datetime | date):  # Excel turns 2023-05 typed into a cell into 2023-05-01
        return f"{cell.year}-{cell.month:02d}" if cell.day == 1 else ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = unicodedata.normalize("NFKC", str(cell)).strip()
    if match := _MONTH.fullmatch(text):
        return f"{match.group(1)}-{int(match.group(2)):02d}" if 1 <= int(match.group(2)) <= 12 else text
    if match := _QUARTER.fullmatch(text):
        return f"{match.group(1)}-Q{match.group(2)}"
    if match := _YEAR.fullmatch(text):
        return match.group(1)
    return text


def number_of(cell: Any) -> Decimal | None:
    if isinstance(cell, bool | datetime | date):
        return None
    if isinstance(cell, int):
        return Decimal(cell)
    if isinstance(cell, float):
        # str() gives the shortest form that reads back as the same double: 0.1, not 0.1000000000000000055…
        number = Decimal(str(cell))
    else:
        try:  # thousands separators and spaces dropped, then the rule of every channel (ADR 17)
            number = read_number(re.sub(r"[\s,]", "", normalised(cell)))
        except NotANumber:
            return None
    return number if number.is_finite() else None


def normalised(cell: Any) -> str:
    return unicodedata.normalize("NFKC", str(cell)).strip()
