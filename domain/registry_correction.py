"""Correcting a registered town, village or household (ADR 27): a county that mistyped a name,
a village's poverty-relief mark or a household's flags corrects it with a reason; the entry as
first registered stays in the history (``ObjectsRegistered``) and the correction beside it
(``ObjectCorrected``). A sample already drawn keeps the population it recorded, so redrawing
it still gives the same sample; samples drawn later see the corrected registry.
"""

from __future__ import annotations

from typing import Any

from domain import verification_commands as v
from domain.commands import Context
from domain.errors import InvalidCommand, NotFound, Problem, require_reason
from domain.inputs import shown
from domain.towns import MAX_NAME, Registry
from domain.verification import TownVerification

FIELDS = {"town": ("name",), "village": ("name", "poverty_relief"), "household": ("head", "flags")}
LABELS = {"town": "镇", "village": "村", "household": "户"}


def kind_of(registry: Registry, code: str) -> str:
    for kind, found in (("town", registry.towns), ("village", registry.villages), ("household", registry.households)):
        if code in found:
            return kind
    raise NotFound.of("code", "known_object", f"找不到编码为“{shown(code)}”的镇、村或户")


def changes_of(year: TownVerification, command: v.CorrectRegisteredObject) -> tuple[str, dict[str, Any]]:
    """What the correction changes (only fields that differ), refused with every problem at once."""
    kind = kind_of(year.registry, command.code)
    held: dict[str, dict[str, Any]] = {"town": year.registry.towns, "village": year.registry.villages,
                                       "household": year.registry.households}  # fmt: skip
    current = held[kind][command.code]
    asked: dict[str, Any] = {"name": command.name, "poverty_relief": command.poverty_relief, "head": command.head,
             "flags": command.flags}  # fmt: skip
    problems: list[Problem] = []
    for name, value in asked.items():
        if value is not None and name not in FIELDS[kind]:
            problems.append(Problem(name, "field_of_kind",
                                    f"{LABELS[kind]}“{command.code}”只能更正 {'、'.join(FIELDS[kind])}"))  # fmt: skip
    for name in ("name", "head"):
        text = asked[name]
        if isinstance(text, str) and (not text.strip() or len(text.strip()) > MAX_NAME):
            problems.append(Problem(name, "required", f"{name} 必须填写，至多 {MAX_NAME} 个字"))
    if command.flags is not None:
        known = year.scheme.verification.household_flags
        for flag in command.flags:
            if flag not in known:
                problems.append(
                    Problem("flags", "known_flag", f"标识“{shown(flag)}”不在方案所列标识中：{'、'.join(known)}")
                )
        if len(set(command.flags)) != len(command.flags):
            problems.append(Problem("flags", "unique", "标识有重复"))
    if problems:
        raise InvalidCommand(problems)
    cleaned = {k: (val.strip() if isinstance(val, str) else list(val) if isinstance(val, list) else val)
               for k, val in asked.items() if val is not None}  # fmt: skip
    changes = {k: val for k, val in cleaned.items() if getattr(current, k) != val}
    if not changes:
        raise InvalidCommand.of(
            "code", "changes_something", f"{LABELS[kind]}“{command.code}”的登记内容与更正相同，无需更正"
        )
    return kind, changes


def correct_registered_object(
    year: TownVerification, command: v.CorrectRegisteredObject, context: Context
) -> dict[str, Any]:
    kind, changes = changes_of(year, command)
    reason = require_reason(command.reason)
    year.record(year.ObjectCorrected, context, kind=kind, code=command.code, changes=changes, reason=reason)
    return {"code": command.code, "kind": kind, "changed": sorted(changes)}
