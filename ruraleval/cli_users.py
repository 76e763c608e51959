"""``ruraleval users``: add users, list them, reset a password, check separation of duties.

Every change is recorded in the organisation stream as the operating-system user, like any
other command; a refused change prints the rules it broke and exits non-zero."""

from __future__ import annotations

import argparse
import getpass
import sys
import uuid
from collections.abc import Callable
from contextlib import closing
from typing import Any

import structlog

from domain.commands import Context
from domain.errors import DomainError
from domain.organisation import Grant, Organisation
from domain.organisation_rules import ROLE_LABELS, ROLES
from domain.passwords import password_problems
from ruraleval.platform import Platform
from ruraleval.security import hash_password
from ruraleval.settings import Store

log = structlog.get_logger("ruraleval.cli")


def add_user_commands(commands: Any) -> None:
    """The ``users`` sub-commands, on the top-level parser's sub-parsers."""
    users = commands.add_parser("users", help="users and their roles").add_subparsers(dest="action", required=True)
    add = users.add_parser("add", help="add a user with one role (works on an empty store)")
    add.add_argument("--username", required=True)
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--county", help="for county_coordinator and department_user")
    add.add_argument("--team", help="for evaluator")
    add.add_argument("--department", help="for department_user")
    add.add_argument("--display-name", default="")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(handler=_add_user)
    users.add_parser("list", help="users and their roles").set_defaults(handler=_list_users)
    users.add_parser(
        "check", help="users on both the county side and the evaluating side of a county (exit 1 if any)"
    ).set_defaults(handler=_check_users)
    passwd = users.add_parser("passwd", help="set a user's password (ends the user's earlier sign-ins)")
    passwd.add_argument("--username", required=True)
    passwd.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    passwd.add_argument("--reason", default="经命令行重设", help="why the password is reset (kept in the audit trail)")
    passwd.set_defaults(handler=_set_password)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("密码 / password: ")
    if getpass.getpass("再次输入 / again: ") != first:
        raise ValueError("两次输入的密码不一致 / the passwords differ")
    return first


def _add_user(args: argparse.Namespace, store: Store) -> int:
    password = _new_password(args.password_stdin)
    if password is None:
        return 2
    grant = Grant(uuid.uuid4().hex[:12], args.role, args.county, args.team, args.department)
    password_hash = hash_password(password)
    with closing(Platform(store)) as platform:  # a county's role only for an enrolled county
        enrolled = platform.ledger.enrolled_regions([args.county] if args.county else [])

    def change(organisation: Organisation, context: Context) -> None:
        organisation.register_user(args.username, args.display_name, password_hash, [grant], context,
                                   enrolled=enrolled)  # fmt: skip

    if _organise(store, change, "RegisterUser") is None:
        return 1
    print(f"用户 {args.username} 已创建（{ROLE_LABELS[args.role]}）")
    return 0


def _organise(store: Store, change: Callable[[Organisation, Context], None], command: str) -> Context | None:
    """Records a change of the organisation as the operating-system user; None (and the
    reasons on stderr) when it is refused."""
    context = Context(f"cli:{_os_user()}", f"cli-{uuid.uuid4().hex[:8]}")
    with closing(Platform(store)) as platform:
        try:
            platform.ledger.organise(change, context, command)
        except DomainError as error:
            print("；".join(p.message for p in error.problems), file=sys.stderr)
            return None
    return context


def _new_password(from_stdin: bool) -> str | None:
    """The password typed or piped in, if the policy accepts it (else says why, on stderr)."""
    try:
        password = _read_password(from_stdin)
    except (ValueError, EOFError) as error:
        print(error, file=sys.stderr)
        return None
    problems = password_problems(password)
    if problems:
        print("；".join(p.message for p in problems), file=sys.stderr)
        return None
    return password


def _set_password(args: argparse.Namespace, store: Store) -> int:
    password = _new_password(args.password_stdin)
    if password is None:
        return 2
    password_hash = hash_password(password)

    def change(organisation: Organisation, context: Context) -> None:
        organisation.change_password(args.username, password_hash, context, reason=args.reason)

    context = _organise(store, change, "ChangePassword")
    if context is None:
        return 1
    log.info("password_changed", username=args.username, by=context.actor, how="cli")
    print(f"用户 {args.username} 的密码已修改；此前的登录已失效")
    return 0


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _list_users(args: argparse.Namespace, store: Store) -> int:
    with closing(Platform(store)) as platform:
        for user in platform.organisation.current().users.values():
            roles = "、".join(
                ROLE_LABELS[g.role] + "".join(f" {v}" for v in (g.county, g.team, g.department) if v)
                for g in user.active_grants()
            )
            print(f"{user.username}\t{'启用' if user.active else '停用'}\t{roles}")
    return 0


def _check_users(args: argparse.Namespace, store: Store) -> int:
    """Separation of duties in a store written before the rule (ADR 18): who holds both sides."""
    from domain.duties import standing

    with closing(Platform(store)) as platform:
        organisation = platform.organisation.current(fresh=True)
        found = standing(organisation)
    for conflict in found:
        print(conflict.describe())
    if found:
        print(
            f"发现 {len(found)} 处违反职责分离：请撤销每处的县方角色或评估组成员角色"
            "（POST /api/v1/users/{username}/grants/{授权编号}/revoke）"
        )
        return 1
    print(f"未发现违反职责分离的授权：已检查用户 {len(organisation.users)} 名、评估组 {len(organisation.teams)} 个")
    return 0
