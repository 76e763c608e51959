"""Issuing and revoking a county's API keys: the one path of the API's routes and the coordinator's page.

The full key (``rek_<id>_<secret>``) exists only in the answer to its issue: the organisation
stores the secret's hash, so no later read can show it again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from domain.commands import Context
from domain.errors import InvalidCommand
from domain.organisation import Organisation
from ruraleval.security import hash_api_secret, new_api_key

Change = Callable[[Organisation, Context], None]


@dataclass(frozen=True)
class Issue:
    key_id: str
    token: str  # shown once
    change: Change


def issue(county: str, label: str, indicators: list[str]) -> Issue:
    """A new key for ``county``: its id, the full token, and the organisation change that records it."""
    secret = new_api_key()

    def change(organisation: Organisation, context: Context) -> None:
        secret_hash = hash_api_secret(secret.secret)
        organisation.issue_api_key(secret.key_id, county, label, secret_hash, indicators, context)

    return Issue(secret.key_id, secret.token, change)


def revocation(county: str, key_id: str, reason: str) -> Change:
    """The change that revokes ``key_id``; refused, as the change is applied, if the key is not ``county``'s."""

    def change(organisation: Organisation, context: Context) -> None:
        current = organisation.api_keys.get(key_id)
        if current is None or current.county != county:
            raise InvalidCommand.of("key_id", "known_api_key", f"县 {county} 没有编号为 {key_id} 的接口密钥")
        organisation.revoke_api_key(key_id, reason, context)

    return change
