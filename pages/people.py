"""People as every page names them: 显示名（用户名）, the name they are known by and the account
that acted (the same person may hold several accounts; an account is what the audit trail keeps)."""

from __future__ import annotations

from domain.organisation import Organisation


def display_names(organisation: Organisation) -> dict[str, str]:
    """Each user's display name by username."""
    return {user.username: user.display_name for user in organisation.users.values()}


def who(names: dict[str, str], actor: str) -> str:
    """An actor as people know them: 东部评估组成员（evaluator.east）; a name unknown (a machine, a
    command-line operator) is shown as recorded."""
    shown = names.get(actor)
    return f"{shown}（{actor}）" if shown and shown != actor else actor
