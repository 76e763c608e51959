"""Issuing and revoking a county's API keys: the one path of the API's routes and the coordinator's page.

The full key (``rek_<id>_<secret>``) exists only in the answer to its issue: the organisation
stores the secret's hash, so no later read can show it again.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from domain.commands import Context
from domain.county import County
from domain.errors import InvalidCommand, Problem
from domain.inputs import normalise, shown
from domain.organisation import Organisation
from ruraleval.security import hash_api_secret, new_api_key

Change = Callable[[Organisation, Context], None]


@dataclass(frozen=True)
class Issue:
    key_id: str
    token: str  # shown once
    change: Change


LABEL_MAX = 100  # characters of a key's label (what it is for), as the API's body allows


def known_indicators(county: County) -> frozenset[str]:
    """The indicator codes a key of ``county`` may be limited to: those of any of its years' schemes."""
    return frozenset(code for book in county.years.values() for code in book.indicators)


def checked(label: str, indicators: Collection[str], known: Collection[str]) -> tuple[str, list[str]]:
    """The label and the indicator codes (NFKC, trimmed, each once) of a new key, or a refusal naming
    each unknown code: a key limited to a code of no indicator would be refused everything."""
    problems: list[Problem] = []
    if not label.strip():  # the organisation refuses it too, naming the API's field
        problems.append(Problem("label", "required", "请填写用途说明（如“县农业农村局数据中台”）"))
    if len(label.strip()) > LABEL_MAX:
        words = f"用途说明不能超过 {LABEL_MAX} 个字（现有 {len(label.strip())} 个）"
        problems.append(Problem("label", "max_length", words))
    codes = list(dict.fromkeys(normalise(code) for code in indicators if normalise(code)))
    unknown = [code for code in codes if code not in known]
    if unknown:
        named = "、".join(f"“{shown(code)}”" for code in unknown[:5])
        words = f"本县评估方案中没有指标 {named}：请填写指标编号，如 1.1"
        problems.append(Problem("indicators", "known_indicator", words))
    if problems:
        raise InvalidCommand(problems)
    return label, codes


def issue(county: str, label: str, indicators: list[str], known: Collection[str]) -> Issue:
    """A new key for ``county``: its id, the full token, and the organisation change that records it.
    ``known``: the county's indicator codes (``known_indicators``), the only ones a key may name."""
    label, indicators = checked(label, indicators, known)
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
