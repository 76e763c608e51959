"""Random Unicode in every field of every write route: a 2xx, or a 4xx that names a field and stores nothing.

The write routes come from the application (``test_every_write_route_has_a_request`` fails
for a new one until REQUESTS holds a minimal valid request for it). Each request is taken
apart into its fields: path and query parameters, every leaf of its JSON body, its form
fields, the cells of its CSV row. One field at a time gets text drawn by hypothesis from
wide alphabets (any code point but surrogates, digits of many scripts), or the field's own
valid value with its digits moved to another script (Arabic-Indic, Devanagari, full-width,
mathematical bold …). The answer must be 2xx, or 4xx as problem+json naming a field, with
the log unchanged. A field that stands for a period, a county code or a number must never
accept a digit other than 0–9 left after NFKC (ADR 17).

tests/test_fuzz_openapi.py fuzzes the schema (types, documented answers) with schemathesis;
this file fuzzes what the schema cannot say: the text inside the strings.

Bounded: three fixed examples and one drawn per field, some 550 fields, on SQLite and on
PostgreSQL (each store's application and data are built once, for the module).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from api.app import create_app
from domain.collection import beijing_date
from domain.inputs import foreign_digits, normalise
from domain.organisation import Grant
from domain.recorded_time import CHINA
from ruraleval.platform import Platform
from ruraleval.throttle import Limits, LoginThrottle
from tests.conftest import (
    ADMIN,
    PASSWORD,
    add_user,
    client_for,
    enrol_over_http,
    example_document,
    login,
    postgres_database,
)
from tests.test_composites import TOWN_FORMULAS
from tests.town_world import example_document as verification_document
from tests.town_world import example_scheme as verification_scheme
from tests.town_world import items, registry_bodies

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # FastAPI before lazily included routers: app.routes holds every route

    def iter_route_contexts(routes: Any) -> Any:  # type: ignore[misc]
        return iter(routes)


WRITES = {"POST", "PUT", "PATCH", "DELETE"}
COUNTY, OTHER = "130425", "411523"
DRAWN_PER_FIELD = 1
# Digits 0 of scripts whose ten digits follow each other in Unicode.
SCRIPTS = {
    "arabic-indic": 0x0660,
    "extended arabic-indic": 0x06F0,
    "devanagari": 0x0966,
    "bengali": 0x09E6,
    "thai": 0x0E50,
    "tibetan": 0x0F20,
    "full-width": 0xFF10,  # NFKC makes these 0–9: they are accepted
    "mathematical bold": 0x1D7CE,  # also 0–9 after NFKC
}
OTHER_DIGITS = "".join(chr(zero + digit) for zero in SCRIPTS.values() for digit in range(10))
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=24)  # surrogates cannot be sent
DIGITS_TEXT = st.text(st.sampled_from("0123456789-Q.e+ " + OTHER_DIGITS), min_size=1, max_size=12)

# Names of fields that stand for a period, a county code or a number (the last segment of the
# target, or its parent's for maps such as weights.1.1, or a CSV header).
PERIODS = {"period", "期间"}
COUNTY_CODES = {"county", "counties"}
NUMBERS = {"value", "score", "points", "year", "weight", "target", "baseline", "min", "f", "bonus_cap",
           "penalty_cap", "数值"}  # fmt: skip
NUMBER_MAPS = {"weights", "sibling_weights", "range"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Call:
    """A minimal valid request. A path value "$name" is an id known only once the data exists."""

    path: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    body: Any = None
    form: dict[str, str] | None = None
    csv: dict[str, str] | None = None  # one row of an import, by header
    xlsx: dict[str, str] | None = None  # one row of the registry workbook's sheet 镇 (towns), by header


MINIMAL_SCHEME = {
    "id": "fuzz-2030",
    "name": "模糊测试方案",
    "year": 2030,
    "grades": [{"label": "好", "min": 90}, {"label": "较差", "min": 0}],
    "bonus_cap": 5,
    "penalty_cap": 10,
    "indicators": [
        {"code": "1", "name": "产业兴旺", "weight": 100},
        {"code": "1.1", "parent": "1", "name": "产值", "kind": "common", "unit": "亿元", "direction": "higher_better",
         "method": {"type": "attainment", "target": 10, "baseline": 2}, "weight": 100, "frequency": "monthly",
         "aggregate": "sum", "range": [0, 100]},
    ],
}  # fmt: skip
SPECIFIC = {"code": "1.3", "parent": "1", "name": "特色产业产值", "kind": "specific", "unit": "亿元",
            "direction": "higher_better", "method": {"type": "attainment", "target": 10}, "weight": 10,
            "frequency": "quarterly", "aggregate": "sum", "range": [0, 100]}  # fmt: skip
C = "/api/v1/counties/{code}"
HERE, THERE = {"code": COUNTY}, {"code": OTHER}
DEADLINE = (beijing_date(datetime.now(UTC)) + timedelta(days=30)).isoformat()  # a rectification item's, ahead
V = C + "/verification/{year}"  # the county's town verification year (004), opened with the example scheme
YEAR = HERE | {"year": "2023"}
# item points of the verification sheet (the example scheme's), as sent
SHEET_ITEMS = {code: str(points) for code, points in items(
    verification_scheme().verification.sheet("verification").indicator,  # type: ignore[union-attr]
    "85", verification_scheme()).items()}  # fmt: skip

REQUESTS: dict[tuple[str, str], Call] = {
    ("POST", "/api/v1/auth/token"): Call(form={"username": ADMIN, "password": PASSWORD}),
    ("POST", "/api/v1/schemes"): Call(body=MINIMAL_SCHEME | {"id": "fuzz-2031", "year": 2031}),
    ("POST", "/api/v1/schemes/{scheme_id}/revisions"): Call(
        path={"scheme_id": "fuzz-2030"}, body={"scheme": MINIMAL_SCHEME, "reason": "修订"}
    ),
    ("POST", "/api/v1/counties"): Call(
        body={"code": "510129", "name": "新县", "province": "四川省", "region": "west", "scheme": "example-2023"}
    ),
    ("POST", C + "/schemes"): Call(path=THERE, body={"scheme": "example-2024"}),
    ("POST", C + "/indicators"): Call(
        path=THERE, body={"indicator": SPECIFIC, "sibling_weights": {"1.1": 10}, "reason": "新增", "year": 2023}
    ),
    ("PATCH", C + "/indicators/{indicator}"): Call(
        path=THERE | {"indicator": "1.1"}, body={"changes": {"name": "新名称"}, "reason": "修订", "year": 2023}
    ),
    ("POST", C + "/indicators/{indicator}/retire"): Call(
        path=THERE | {"indicator": "2.2"}, body={"sibling_weights": {"2.1": 50}, "reason": "停用", "year": 2023}
    ),
    ("PUT", C + "/weights"): Call(
        path=HERE, body={"parent": "1", "weights": {"1.1": 22, "1.2": 28}, "reason": "调整", "year": 2023}
    ),
    ("PUT", C + "/indicators/{indicator}/responsibility"): Call(
        path=HERE | {"indicator": "1.2"}, body={"department": "县农业农村局", "person": "李四", "year": 2023}
    ),
    ("POST", C + "/submissions"): Call(
        path=HERE,
        body={
            "indicator": "1.2",
            "period": "2023-07",
            "value": "12.5",
            "source": "form",
            "idempotency_key": "s-1",
            "comment": "说明",
        },
    ),
    ("POST", C + "/imports"): Call(
        path=HERE,
        query={"dry_run": "false"},
        csv={"指标编号": "1.2", "期间": "2023-08", "数值": "12", "说明": "", "更正理由": ""},
    ),
    ("POST", C + "/batches"): Call(
        path=HERE,
        query={"dry_run": "false"},
        body={
            "idempotency_key": "b-1",
            "submissions": [{"indicator": "1.2", "period": "2023-09", "value": 12, "comment": "说明", "reason": ""}],
        },
    ),
    ("POST", C + "/corrections"): Call(
        path=HERE, body={"indicator": "1.2", "period": "2023-05", "value": 13, "reason": "核对"}
    ),
    ("POST", C + "/withdrawals"): Call(path=HERE, body={"indicator": "1.2", "period": "2023-04", "reason": "重复"}),
    ("POST", C + "/overrides"): Call(
        path=HERE, body={"year": 2023, "node": "1.1", "score": 5, "authority": "province", "reason": "核查"}
    ),
    ("POST", C + "/overrides/{override_id}/revoke"): Call(
        path=HERE | {"override_id": "$override"}, body={"reason": "撤回"}
    ),
    ("POST", C + "/adjustments"): Call(
        path=HERE, body={"year": 2023, "points": 1, "category": "bonus", "reason": "推广"}
    ),
    ("POST", C + "/adjustments/{adjustment_id}/revoke"): Call(
        path=HERE | {"adjustment_id": "$points"}, body={"reason": "撤回"}
    ),
    # the report as of today (Beijing): today's date means now (ADR 25)
    ("POST", C + "/reports"): Call(path=HERE, body={"year": 2023, "as_of": datetime.now(CHINA).date().isoformat()}),
    ("POST", C + "/proposals"): Call(
        path=HERE,
        body={
            "kind": "adjust_weights",
            "change": {"parent": "1", "weights": {"1.1": 25, "1.2": 25}},
            "reason": "本县以科技为重点",
            "year": 2023,
        },
    ),
    ("POST", C + "/proposals/{proposal_id}/approve"): Call(
        path=HERE | {"proposal_id": "$proposal-1"}, body={"reason": "同意"}
    ),
    ("POST", C + "/proposals/{proposal_id}/reject"): Call(
        path=HERE | {"proposal_id": "$proposal-2"}, body={"reason": "不同意"}
    ),
    ("POST", C + "/proposals/{proposal_id}/withdraw"): Call(
        path=HERE | {"proposal_id": "$proposal-3"}, body={"reason": "撤回"}
    ),
    ("POST", C + "/periods/{period}/close"): Call(path=HERE | {"period": "2023-11"}, body={"reason": "关账"}),
    ("POST", C + "/periods/{period}/reopen"): Call(path=HERE | {"period": "2023-10"}, body={"reason": "补报"}),
    ("POST", C + "/reviews"): Call(
        path=HERE, body={"indicator": "1.2", "period": "2023-01", "decision": "accept", "comment": "通过"}
    ),
    ("POST", C + "/confirmations"): Call(
        path=HERE, body={"indicator": "1.2", "period": "2023-06", "comment": "新项目投产"}
    ),
    ("POST", C + "/feedback"): Call(
        path=HERE, body={"indicator": "1.2", "period": "2023-02", "comment": "请核实", "year": 2023}
    ),
    ("POST", C + "/feedback/close"): Call(
        path=HERE, body={"indicator": "1.1", "period": "", "comment": "已答复", "year": 2023}
    ),
    ("PUT", C + "/indicators/{indicator}/action-plan"): Call(
        path=HERE | {"indicator": "1.2"}, query={"year": "2023"}, form={"text": "按月推进"}
    ),
    ("POST", C + "/rectification"): Call(
        path=HERE,
        body={
            "year": 2023,
            "problem": "村级台账不全",
            "requirement": "补齐台账",
            "deadline": DEADLINE,
            "answerer": "县农业农村局",
        },
    ),
    ("POST", C + "/rectification/{item_id}/plan"): Call(path=HERE | {"item_id": "$item"}, form={"text": "逐村核对"}),
    ("POST", C + "/rectification/{item_id}/progress"): Call(path=HERE | {"item_id": "$item"}, form={"text": "过半"}),
    ("POST", C + "/rectification/{item_id}/done"): Call(path=HERE | {"item_id": "$item"}, form={"text": "已补齐"}),
    ("POST", C + "/rectification/{item_id}/verify"): Call(
        path=HERE | {"item_id": "$item-verify"}, body={"comment": "材料齐全"}
    ),
    ("POST", C + "/rectification/{item_id}/reject"): Call(
        path=HERE | {"item_id": "$item-reject"}, body={"reason": "缺两个村"}
    ),
    ("POST", C + "/composite-inputs"): Call(
        path=HERE, body={"input": "daily_work", "values": ["92"], "year": 2023, "reason": "县核查办汇总"}
    ),
    ("POST", C + "/consequences"): Call(path=HERE, body={"year": 2023}),
    # town verification (004): the year is opened for the other county; the rest acts on the county's year
    ("POST", C + "/verification"): Call(path=THERE, body={"scheme": verification_document()}),
    ("POST", V + "/registry"): Call(
        path=YEAR,
        body={
            "towns": [{"code": "T09", "name": "新镇"}],
            "villages": [{"code": "T09V1", "name": "新村", "town": "T09", "poverty_relief": False}],
            "households": [{"code": "T09V1H1", "head": "户主", "village": "T09V1", "flags": ["脱贫户"]}],
        },
    ),
    ("POST", V + "/registry/import"): Call(path=YEAR, xlsx={"镇编码": "T08", "镇名称": "八镇"}),
    ("POST", V + "/registry/{object_code}/correction"): Call(
        path=YEAR | {"object_code": "T03"}, body={"reason": "更正", "name": "丙镇新名"}
    ),
    ("POST", V + "/teams"): Call(
        path=YEAR,
        body={"team_id": "9", "name": "第九组", "members": [{"name": "赵六", "home": "T01", "helped_village": ""}]},
    ),
    ("POST", V + "/teams/{team_id}/assignment"): Call(path=YEAR | {"team_id": "2"}, body={"town": "T02"}),
    ("POST", V + "/absences"): Call(
        path=YEAR, body={"team_id": "1", "member": "李四", "kind": "缺勤", "on": "2023-12-20", "reason": "病假"}
    ),
    ("POST", V + "/samples"): Call(path=YEAR, body={"town": "T03", "seed": "fuzz-3"}),
    ("POST", V + "/higher-sampling"): Call(
        path=YEAR, body={"object": "T02", "authority": "province", "reason": "省考核组抽查"}
    ),
    ("POST", V + "/scores"): Call(
        path=YEAR,
        body={
            "sheet": "verification",
            "object": "T03",
            "checked_on": "2023-12-20",
            "team_id": "3",
            "items": SHEET_ITEMS,
        },
    ),
    ("POST", V + "/scores/{score_id}/revoke"): Call(path=YEAR | {"score_id": "$town-score"}, body={"reason": "撤销"}),
    ("POST", V + "/towns/{town}/notices"): Call(path=YEAR | {"town": "T01"}, body={}),
    ("POST", V + "/towns/{town}/consequences"): Call(path=YEAR | {"town": "T01"}),
    ("POST", V + "/towns/{town}/rectification"): Call(
        path=YEAR | {"town": "T01"},
        body={"requirement": "补齐台账", "deadline": DEADLINE, "answerer": "甲镇", "problem": "台账不全"},
    ),
    ("POST", V + "/rectification/{item_id}/plan"): Call(
        path=YEAR | {"item_id": "$town-item"}, body={"text": "逐户核对"}
    ),
    ("POST", V + "/rectification/{item_id}/progress"): Call(
        path=YEAR | {"item_id": "$town-item"}, body={"text": "过半"}
    ),
    ("POST", V + "/rectification/{item_id}/done"): Call(path=YEAR | {"item_id": "$town-item"}, body={"text": "已补齐"}),
    ("POST", V + "/rectification/{item_id}/verify"): Call(
        path=YEAR | {"item_id": "$town-item-verify"}, body={"comment": "材料齐全"}
    ),
    ("POST", V + "/rectification/{item_id}/reject"): Call(
        path=YEAR | {"item_id": "$town-item-reject"}, body={"reason": "缺两户"}
    ),
    ("POST", "/api/v1/users"): Call(
        body={
            "username": "fuzz.new",
            "display_name": "新用户",
            "password": "correct horse battery",
            "roles": [{"role": "county_coordinator", "county": COUNTY, "team": None, "department": None}],
        }
    ),
    ("POST", "/api/v1/users/{username}/grants"): Call(
        path={"username": "fuzz.user"},
        body={
            "role": "department_user",
            "county": COUNTY,
            "team": None,
            "department": "县农业农村局",
            "reason": "授权",
        },
    ),
    ("POST", "/api/v1/users/{username}/grants/{grant_id}/revoke"): Call(
        path={"username": "fuzz.user", "grant_id": "$grant"}, body={"reason": "撤销"}
    ),
    ("POST", "/api/v1/users/{username}/password"): Call(
        path={"username": "fuzz.user"},
        body={"old_password": None, "new_password": "another horse battery", "reason": "本人遗忘密码"},
    ),
    ("POST", "/api/v1/users/{username}/deactivate"): Call(path={"username": "fuzz.leaver"}, body={"reason": "离职"}),
    ("POST", "/api/v1/teams"): Call(body={"code": "fuzz-2", "name": "第二评估组", "region": "east"}),
    ("PUT", "/api/v1/teams/{team}/counties"): Call(
        path={"team": "fuzz-1"}, body={"counties": [COUNTY], "reason": "分配"}
    ),
    ("POST", C + "/api-keys"): Call(path=HERE, body={"label": "数据中台", "indicators": ["1.2"]}),
    ("POST", C + "/api-keys/{key_id}/revoke"): Call(path=HERE | {"key_id": "$key"}, body={"reason": "撤销"}),
}


def write_routes(app: FastAPI) -> list[tuple[str, str]]:
    """The API's write routes; the pages' forms (tagged ``pages``: HTML answers, a CSRF token)
    are tested in tests/test_pages.py."""
    found = {
        (str(method), str(route.path))
        for route in iter_route_contexts(app.routes)
        for method in getattr(route, "methods", None) or ()
        if method in WRITES and "pages" not in (getattr(route, "tags", None) or ())
    }
    return sorted(found, key=lambda route: (route[1], route[0]))


# ---------------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    """One field of one route's request: where it is, and its valid value."""

    method: str
    route: str
    location: str  # path, query, body, form, csv
    at: tuple[Any, ...]  # the name, or the keys and indexes down to a leaf of the body
    valid: Any

    @property
    def name(self) -> str:
        return ".".join(str(part) for part in self.at)

    @property
    def digits_only(self) -> bool:
        """A period, a county code or a number: no digit but 0–9 may be accepted."""
        names = [str(part) for part in self.at if not isinstance(part, int)]
        last, parent = names[-1], names[-2] if len(names) > 1 else ""
        code = last == "code" and (self.location == "path" or self.route == "/api/v1/counties")
        return last in PERIODS | COUNTY_CODES | NUMBERS or parent in NUMBER_MAPS | COUNTY_CODES or code


def leaves(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, (*at, index))
    else:
        yield at, value


def targets() -> list[Target]:
    found = []
    for (method, route), call in REQUESTS.items():
        for location in ("path", "query", "form", "csv", "xlsx"):
            for name, valid in (getattr(call, location) or {}).items():
                found.append(Target(method, route, location, (name,), valid))
        for at, valid in leaves(call.body) if call.body is not None else ():
            found.append(Target(method, route, "body", at, valid))
    return found


def replaced(document: Any, at: tuple[Any, ...], value: Any) -> Any:
    """A copy of ``document`` with the leaf at ``at`` replaced."""
    if not at:
        return value
    copy = json.loads(json.dumps(document))
    holder = copy
    for part in at[:-1]:
        holder = holder[part]
    holder[at[-1]] = value
    return copy


def in_script(text: str, script: str, digits: int) -> str:
    """``text`` with its first ``digits`` ASCII digits written in ``script``: 2023-05 → ٢٠٢٣-05 for 4."""
    zero, moved, written = SCRIPTS[script], 0, []
    for char in text:
        if "0" <= char <= "9" and moved < digits:
            char, moved = chr(zero + ord(char) - ord("0")), moved + 1
        written.append(char)
    return "".join(written)


def shown(valid: Any) -> str:
    return "" if valid is None else str(valid)


# --------------------------------------------------------------------------------- fixtures


@dataclass
class Fuzzed:
    client: TestClient
    platform: Platform
    ids: dict[str, str]

    def send(self, method: str, route: str, call: Call) -> Any:
        path = route.format(**{name: quote(self.ids.get(value, value), safe="") for name, value in call.path.items()})
        kwargs: dict[str, Any] = {"params": call.query or None}
        if call.body is not None:
            kwargs["json"] = call.body
        if call.form is not None:
            kwargs["data"] = call.form
        if call.csv is not None:
            text = io.StringIO()
            writer = csv.writer(text)
            writer.writerow(list(call.csv))
            writer.writerow(list(call.csv.values()))
            kwargs["files"] = {"file": ("数据.csv", text.getvalue().encode("utf-8"), "text/csv")}
        if call.xlsx is not None:
            book = Workbook()
            sheet = book.active
            assert sheet is not None
            sheet.title = "镇"
            sheet.append(list(call.xlsx))
            sheet.append([ILLEGAL_CHARACTERS_RE.sub("", value) for value in call.xlsx.values()])  # none in a cell
            content = io.BytesIO()
            book.save(content)
            kwargs["files"] = {"file": ("登记表.xlsx", content.getvalue(), XLSX)}
        return self.client.request(method, path, follow_redirects=False, **kwargs)


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def fuzzed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    """The API over each store, with data for every minimal request to act on."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'ruraleval.db'}"
        else:
            url = stack.enter_context(postgres_database())
        yield stack.enter_context(_fuzzed(url))


@contextmanager
def _fuzzed(url: str) -> Iterator[Fuzzed]:
    with client_for(url) as client:
        service: Platform = client.app.state.platform  # type: ignore[attr-defined]
        service.throttle = LoginThrottle(service.reads, Limits.never())  # wrong passwords are the point here
        document = example_document()
        document["indicators"][0]["county_adjustable"] = {"min_share": 0.3, "max_share": 0.7}  # for proposals
        document |= TOWN_FORMULAS  # composites, for their inputs
        for scheme in (document, {**document, "id": "example-2024", "year": 2024}, MINIMAL_SCHEME):
            _ok(client.post("/api/v1/schemes", json=scheme))
        enrol_over_http(client, COUNTY)
        enrol_over_http(client, OTHER, "新县", "河南省", "central")
        base = f"/api/v1/counties/{COUNTY}"
        for month, value in enumerate([10, 11, 10, 12, 11], start=1):
            _ok(client.post(f"{base}/submissions", json={"indicator": "1.2", "period": f"2023-{month:02d}",
                                                         "value": value}))  # fmt: skip
        _ok(client.post(f"{base}/submissions", json={"indicator": "1.2", "period": "2023-06", "value": 90}))
        _ok(client.post(f"{base}/feedback", json={"indicator": "1.1", "comment": "目标值是否合理？"}))
        _ok(client.post(f"{base}/periods/2023-10/close", json={"reason": "关账"}))
        override = _ok(client.post(f"{base}/overrides", json={"year": 2023, "node": "2.2", "score": 3,
                                                              "authority": "province", "reason": "核查"}))  # fmt: skip
        points = _ok(client.post(f"{base}/adjustments", json={"year": 2023, "points": 1, "category": "bonus",
                                                              "reason": "推广"}))  # fmt: skip
        key = _ok(client.post(f"{base}/api-keys", json={"label": "接口"}))
        add_user(service, "fuzz.user", Grant("fuzz-grant", "county_coordinator", county=COUNTY))
        add_user(service, "fuzz.leaver")
        _ok(client.post("/api/v1/teams", json={"code": "fuzz-1", "name": "第一评估组", "region": "east"}))
        ids = {"$override": override["override_id"], "$points": points["adjustment_id"], "$grant": "fuzz-grant",
               "$key": key["id"]}  # fmt: skip
        add_user(service, "fuzz.coordinator", Grant("fuzz-co", "county_coordinator", county=COUNTY))
        county_side = login(client, "fuzz.coordinator")
        for number in (1, 2, 3):  # the county proposes; the fuzzing administrator decides
            proposal = {"kind": "adjust_weights", "change": {"parent": "1", "weights": {"1.1": 30, "1.2": 20}},
                        "reason": "本县以科技为重点", "year": 2023}  # fmt: skip
            answer = _ok(client.post(f"{base}/proposals", json=proposal, headers=county_side))
            ids[f"$proposal-{number}"] = answer["proposal_id"]
        # rectification: one item for the county's steps, two declared done by the county for the inspections
        for name in ("$item", "$item-verify", "$item-reject"):
            raised = {"year": 2023, "problem": "台账不全", "requirement": "补齐", "deadline": DEADLINE,
                      "answerer": "县农业农村局"}  # fmt: skip
            ids[name] = _ok(client.post(f"{base}/rectification", json=raised))["item_id"]
            for step in ("plan", "done") if name != "$item" else ():
                _ok(client.post(f"{base}/rectification/{ids[name]}/{step}", data={"text": "整改"}, headers=county_side))
        ids |= _town_verification(client, base, county_side)
        _ok(client.post(f"{base}/reports", json={"year": 2023}))  # for the consequences
        yield Fuzzed(client, service, ids)


def _town_verification(client: TestClient, base: str, county_side: dict[str, str]) -> dict[str, str]:
    """The county's verification year 2023: the example scheme, three towns (tests/town_world.py), team 1
    on T01 with its sample and scores and a notice, team 2 formed, town items: one raised, two declared done."""
    _ok(client.post(f"{base}/verification", json={"scheme": verification_document()}))
    year = f"{base}/verification/2023"
    _ok(client.post(f"{year}/registry", json=registry_bodies()))
    for team, home, town in (("1", "T02", "T01"), ("2", "T01", None), ("3", "T01", "T03")):  # 2: assigned by REQUESTS
        members = [{"name": "李四" if team == "1" else f"成员{team}", "home": home}]
        _ok(client.post(f"{year}/teams", json={"team_id": team, "name": f"第{team}组", "members": members}))
        if town:
            _ok(client.post(f"{year}/teams/{team}/assignment", json={"town": town}))
    drawn = _ok(client.post(f"{year}/samples", json={"town": "T01", "seed": "fuzz-1"}))
    scheme = verification_scheme()
    sheets = {"verification": ["T01"], "daily_work": ["T01"], "villages": drawn["result"]["villages"]}
    for sheet, objects in sheets.items():
        top = scheme.verification.sheet(sheet)
        assert top is not None
        points = {code: str(value) for code, value in items(top.indicator, "80", scheme).items()}
        for code in objects:
            body = {"sheet": sheet, "object": code, "checked_on": "2023-12-20", "team_id": "1", "items": points}
            _ok(client.post(f"{year}/scores", json=body))
    # the province's result for T01 (the one to revoke: the county's comes back)
    _ok(client.post(f"{year}/higher-sampling", json={"object": "T01", "authority": "province", "reason": "省抽查"}))
    revoked = {"sheet": "verification", "object": "T01", "checked_on": "2023-12-21", "authority": "province",
               "items": SHEET_ITEMS, "score_id": "fuzz-score", "reason": "省考核组结果"}  # fmt: skip
    _ok(client.post(f"{year}/scores", json=revoked))
    _ok(client.post(f"{year}/towns/T01/notices", json={}))
    ids = {"$town-score": "fuzz-score"}
    for name in ("$town-item", "$town-item-verify", "$town-item-reject"):
        raised = {"requirement": "补齐", "deadline": DEADLINE, "answerer": "甲镇", "problem": "台账不全"}
        ids[name] = _ok(client.post(f"{year}/towns/T01/rectification", json=raised))["result"]["item_id"]
        for step in ("plan", "done") if name != "$town-item" else ():
            _ok(client.post(f"{year}/rectification/{ids[name]}/{step}", json={"text": "整改"}, headers=county_side))
    return ids


# ------------------------------------------------------------------------------------ tests


def test_every_write_route_has_a_request() -> None:
    routes = write_routes(create_app(background=False))
    missing = [f"{method} {path}" for method, path in routes if (method, path) not in REQUESTS]
    assert not missing, "add a minimal valid request to REQUESTS (tests/test_fuzz_inputs.py) for:\n" + "\n".join(
        missing
    )
    stale = [f"{method} {path}" for method, path in REQUESTS if (method, path) not in routes]
    assert not stale, f"REQUESTS names routes the application no longer has: {stale}"


def test_the_minimal_requests_are_valid(fuzzed: Fuzzed) -> None:
    """Each is answered 2xx at least once on fresh data (else fuzzing one field would stop at another)."""
    refused = {}
    for (method, route), call in REQUESTS.items():
        response = fuzzed.send(method, route, call)
        if response.status_code >= 300:
            refused[f"{method} {route}"] = response.text[:300]
    assert not refused, refused


@pytest.mark.usefixtures("own_settings")
@pytest.mark.parametrize("target", targets(), ids=lambda t: f"{t.method} {t.route} {t.location}:{t.name}")
@settings(max_examples=DRAWN_PER_FIELD, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@example(text="", script="arabic-indic", moved=4)  # ٢٠٢٣-07: the year only, as the issue found it
@example(text="", script="full-width", moved=99)  # ２０２３-０７: taken as 2023-07
@example(text="1\x002", script="full-width", moved=0)  # a NUL stored in an event stopped PostgreSQL's read models
@given(text=st.one_of(ANY_TEXT, DIGITS_TEXT), script=st.sampled_from(sorted(SCRIPTS)), moved=st.integers(0, 8))
def test_any_text_in_any_field_is_taken_or_refused_with_its_field(
    fuzzed: Fuzzed, target: Target, text: str, script: str, moved: int
) -> None:
    """``moved`` > 0: the valid value with that many digits in another script; else the drawn text."""
    value = in_script(shown(target.valid), script, moved) if moved else text
    call = REQUESTS[(target.method, target.route)]
    if target.location == "body":
        call = replace(call, body=replaced(call.body, target.at, value))
    else:
        fields = dict(getattr(call, target.location)) | {target.at[0]: value}
        call = replace(call, **{target.location: fields})
    before = fuzzed.platform.ledger.head()
    response = fuzzed.send(target.method, target.route, call)
    status = response.status_code
    where = f"{target.location}:{target.name}={value!r} → {status}: {response.text[:300]}"
    assert 200 <= status < 300 or 400 <= status < 500, where
    if status >= 400:
        assert response.headers["content-type"].startswith("application/problem+json"), where
        errors = response.json()["errors"]
        assert errors and all(isinstance(e["field"], str) and e["field"] for e in errors), where
        assert fuzzed.platform.ledger.head() == before, f"refused, yet stored: {where}"
    if target.digits_only and foreign_digits(normalise(value)):
        assert status >= 400, f"a digit other than 0–9 was accepted: {where}"


OWN_SETTINGS = test_any_text_in_any_field_is_taken_or_refused_with_its_field._hypothesis_internal_use_settings  # type: ignore[attr-defined]


@pytest.fixture
def own_settings() -> None:
    """Each field's run starts from the test's own settings: hypothesis' pytest plugin wraps a parametrized
    test's settings in new ones at every call, a chain that grows by one per field until looking a setting
    up passes the recursion limit (some 500 fields)."""
    fuzz = test_any_text_in_any_field_is_taken_or_refused_with_its_field
    fuzz._hypothesis_internal_use_settings = OWN_SETTINGS  # type: ignore[attr-defined]


def test_the_read_models_take_every_accepted_write(fuzzed: Fuzzed) -> None:
    """Run after the fuzzing: whatever was accepted, every read model can hold (PostgreSQL refuses a NUL)."""
    fuzzed.platform.projections.ensure_fresh()
    for path in (f"/api/v1/counties/{COUNTY}/scores?year=2023", f"/api/v1/counties/{COUNTY}/events?limit=1000",
                 "/api/v1/rankings?year=2023", "/api/v1/warnings", "/api/v1/audit/organisation"):  # fmt: skip
        response = fuzzed.client.get(path)
        assert response.status_code == 200, f"{path}: {response.text[:300]}"
