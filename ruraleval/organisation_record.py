"""The organisation's change record as an auditor reads it: every event, without its secrets.

Shared by the API (``GET /api/v1/audit/organisation``) and the pages, so that both leave out
the same fields: a password or API key hash never leaves the platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

SECRET_FIELDS = frozenset({"password_hash", "secret_hash"})
# The event's envelope, answered beside the payload rather than in it.
ENVELOPE = frozenset(
    {"originator_id", "originator_version", "timestamp", "actor", "reason", "correlation_id", "originator_topic"}
)
EVENT_LABELS = {
    "Founded": "建立组织",
    "UserRegistered": "新增用户",
    "RoleGranted": "授予角色",
    "RoleRevoked": "撤销角色",
    "PasswordChanged": "修改或重设密码",
    "UserDeactivated": "停用用户",
    "TeamFormed": "组建评估组",
    "CountiesAssigned": "为评估组分配县",
    "ApiKeyIssued": "创建数据接口密钥",
    "ApiKeyRevoked": "撤销数据接口密钥",
}


@dataclass(frozen=True)
class OrganisationChange:
    version: int
    type: str
    label: str
    recorded_at: datetime
    actor: str
    reason: str | None
    payload: dict[str, Any]

    @property
    def username(self) -> str | None:
        found = self.payload.get("username")
        return found if isinstance(found, str) else None


def change_of(event: Any) -> OrganisationChange:
    """One event of the organisation stream, its secrets left out, a grant as plain fields."""
    payload = {key: value for key, value in vars(event).items() if key not in SECRET_FIELDS | ENVELOPE}
    if "grant" in payload:
        payload["grant"] = vars(payload["grant"])
    name = type(event).__name__
    return OrganisationChange(
        version=event.originator_version,
        type=name,
        label=EVENT_LABELS.get(name, name),
        recorded_at=event.timestamp,
        actor=event.actor,
        reason=getattr(event, "reason", None),
        payload=payload,
    )


def changes(events: list[Any], username: str | None = None) -> list[OrganisationChange]:
    """The record in order; with ``username``, only the changes about that user."""
    found = [change_of(event) for event in events]
    return [change for change in found if username is None or change.username == username]
