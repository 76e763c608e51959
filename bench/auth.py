"""Credentials for the run: a bootstrapped admin (bearer token) and one API key per county.

The store is fresh, so the first admin is registered through the ledger before the
server starts (as an operator would from the command line). Everything else goes
through the API: the admin logs in, publishes, enrols and issues each county's data
key; county systems then submit with their own ``X-API-Key``.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field

import httpx

from domain import commands as c
from domain.organisation import Grant, Organisation
from ruraleval.ledger import Ledger
from ruraleval.security import hash_password
from ruraleval.settings import parse_database_url

ADMIN = "bench.admin"


@dataclass
class Credentials:
    token: str = ""
    keys: dict[str, str] = field(default_factory=dict)  # county code -> API key

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def bootstrap_admin(database_url: str) -> str:
    """Registers the bench admin in the fresh store; returns its password."""
    password = secrets.token_urlsafe(24)
    password_hash = hash_password(password)
    grant = Grant(uuid.uuid4().hex[:12], "admin")

    def register(organisation: Organisation, context: c.Context) -> None:
        organisation.register_user(ADMIN, "基准测试管理员", password_hash, [grant], context, enrolled=())

    ledger = Ledger(parse_database_url(database_url))
    try:
        ledger.organise(register, c.Context("bench.bootstrap", "bench-bootstrap-admin"), "RegisterUser")
    finally:
        ledger.close()
    return password


def login(http: httpx.Client, password: str) -> str:
    response = http.post("/api/v1/auth/token", data={"username": ADMIN, "password": password})
    if response.status_code != 200:
        raise RuntimeError(f"login as {ADMIN} failed: {response.status_code} {response.text}")
    token: str = response.json()["access_token"]
    return token


def issue_key(http: httpx.Client, code: str, credentials: Credentials) -> str:
    response = http.post(
        f"/api/v1/counties/{code}/api-keys", json={"label": "bench data interface"}, headers=credentials.bearer
    )
    if response.status_code != 201:
        raise RuntimeError(f"issuing an API key for {code} failed: {response.status_code} {response.text}")
    key: str = response.json()["key"]
    return key
