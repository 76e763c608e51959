"""Separation of duties (ADR 18): nobody on the county side and the evaluating side of one county.

Found by trying the product: an administrator granted ``coordinator.130425`` the evaluator
role of the team holding 130425, and that user overrode the county's own total to 95 (好).
The tests follow the issue: that grant refused through the API (nothing stored, the
override route then refuses the user); the other order of granting; a team given a
county one of its members serves; the teams' regions with and without the administrator's
reason; ``ruraleval users check`` on a store written before the rule; and random
sequences of grants, revocations and assignments that never leave anyone on both sides.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.commands import Context
from domain.duties import standing
from domain.errors import DomainError
from domain.organisation import ORGANISATION_ID, Grant, Organisation
from ruraleval.platform import Platform
from tests.conftest import PASSWORD, client_for, enrol_over_http, example_document, login
from tests.test_cli import ruraleval

COUNTY = "130425"  # 大名县, east: team east-1's
WEST_COUNTY = "510129"  # 大邑县, west
UNHELD = "320583"  # east, no team's
COORDINATOR = "coordinator.130425"
EVALUATOR = "evaluator.east"
DEPARTMENT = "dept.130425"
SEPARATION = "separation_of_duties"


# ------------------------------------------------------------------------------ helpers


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def refusal(response: Any, status: int, rule: str) -> list[str]:
    """The messages of a problem+json refusal whose every error breaks ``rule``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert [error["rule"] for error in errors] == [rule] * len(errors) and errors, errors
    return [error["message"] for error in errors]


def names_the_conflict(message: str, user: str, county_role: str, county: str, team: str) -> None:
    for part in (f"“{user}”", county_role, "评估组成员", f"县 {county}", f"评估组“{team}”", "职责分离"):
        assert part in message, (part, message)


def platform_of(client: TestClient) -> Platform:
    assert isinstance(client.app, FastAPI)
    service: Platform = client.app.state.platform
    return service


def organisation_version(client: TestClient) -> int:
    return len(list(platform_of(client).ledger.app.events.get(ORGANISATION_ID)))


def grants_of(client: TestClient, username: str) -> list[dict[str, Any]]:
    grants: list[dict[str, Any]] = ok(client.get(f"/api/v1/users/{username}"))["grants"]
    return grants


def demo_like(client: TestClient) -> None:
    """The demo's organisation in small: team east-1 holding 130425, its coordinator, its department, its evaluator."""
    ok(client.post("/api/v1/schemes", json=example_document()), 201)
    enrol_over_http(client, COUNTY)
    enrol_over_http(client, UNHELD, name="太仓市", province="江苏省")
    enrol_over_http(client, WEST_COUNTY, name="大邑县", province="四川省", region="west")
    ok(client.post("/api/v1/teams", json={"code": "east-1", "name": "东部第一评估组", "region": "east"}), 201)
    ok(client.put("/api/v1/teams/east-1/counties", json={"counties": [COUNTY], "reason": "东部评估组负责东部各县"}))
    for username, role in (
        (COORDINATOR, {"role": "county_coordinator", "county": COUNTY}),
        (DEPARTMENT, {"role": "department_user", "county": COUNTY, "department": "县农业农村局"}),
        (EVALUATOR, {"role": "evaluator", "team": "east-1"}),
    ):
        ok(client.post("/api/v1/users", json={"username": username, "password": PASSWORD, "roles": [role]}), 201)


@pytest.fixture
def demo(client: TestClient) -> Iterator[TestClient]:
    demo_like(client)
    yield client


# --------------------------------------------------------------------------- the bug


def test_a_coordinator_is_not_made_an_evaluator_of_its_own_county(demo: TestClient) -> None:
    before, version = grants_of(demo, COORDINATOR), organisation_version(demo)
    grant = {"role": "evaluator", "team": "east-1", "reason": "支援东部评估组"}
    refused = demo.post(f"/api/v1/users/{COORDINATOR}/grants", json=grant)
    [message] = refusal(refused, 409, SEPARATION)
    names_the_conflict(message, COORDINATOR, "县级管理员", COUNTY, "east-1")
    assert refused.json()["errors"][0]["field"] == "team"
    assert grants_of(demo, COORDINATOR) == before  # the user's roles unchanged
    assert organisation_version(demo) == version  # nothing stored

    # ... so the coordinator cannot override the county's own total; its evaluator can.
    override = {"year": 2023, "node": "total", "score": 95, "authority": "centre", "reason": "综合评定"}
    url = f"/api/v1/counties/{COUNTY}/overrides"
    as_coordinator = demo.post(url, json=override, headers=login(demo, COORDINATOR))
    assert as_coordinator.status_code == 403, as_coordinator.text
    assert as_coordinator.json()["errors"][0]["rule"] == "permission:override_score"
    ok(demo.post(url, json=override, headers=login(demo, EVALUATOR)), 201)


def test_a_department_user_is_not_made_an_evaluator_of_its_county_either(demo: TestClient) -> None:
    refused = demo.post(
        f"/api/v1/users/{DEPARTMENT}/grants", json={"role": "evaluator", "team": "east-1", "reason": "x"}
    )
    [message] = refusal(refused, 409, SEPARATION)
    names_the_conflict(message, DEPARTMENT, "责任部门用户", COUNTY, "east-1")
    assert "县农业农村局" in message


def test_an_evaluator_is_not_given_a_county_side_role_of_its_teams_county(demo: TestClient) -> None:
    version = organisation_version(demo)
    for role, extra, label in (
        ("county_coordinator", {}, "县级管理员"),
        ("department_user", {"department": "县财政局"}, "责任部门用户"),
    ):
        body = {"role": role, "county": COUNTY, "reason": "兼任县级工作"} | extra
        refused = demo.post(f"/api/v1/users/{EVALUATOR}/grants", json=body)
        [message] = refusal(refused, 409, SEPARATION)
        names_the_conflict(message, EVALUATOR, label, COUNTY, "east-1")
        assert refused.json()["errors"][0]["field"] == "county"
    assert organisation_version(demo) == version
    # A county its team does not hold is not a conflict.
    granted = demo.post(
        f"/api/v1/users/{EVALUATOR}/grants", json={"role": "county_coordinator", "county": UNHELD, "reason": "兼任"}
    )
    assert [(g["role"], g["county"]) for g in ok(granted, 201)["grants"]][-1] == ("county_coordinator", UNHELD)


def test_a_user_is_not_created_on_both_sides(demo: TestClient) -> None:
    roles = [{"role": "county_coordinator", "county": COUNTY}, {"role": "evaluator", "team": "east-1"}]
    refused = demo.post("/api/v1/users", json={"username": "both.sides", "password": PASSWORD, "roles": roles})
    [message] = refusal(refused, 409, SEPARATION)
    names_the_conflict(message, "both.sides", "县级管理员", COUNTY, "east-1")
    assert demo.get("/api/v1/users/both.sides").status_code == 404


def test_a_team_is_not_given_a_county_one_of_its_members_serves(demo: TestClient) -> None:
    # The evaluator legitimately coordinates a county its team does not hold ...
    grant = {"role": "county_coordinator", "county": UNHELD, "reason": "兼任"}
    ok(demo.post(f"/api/v1/users/{EVALUATOR}/grants", json=grant), 201)
    version = organisation_version(demo)
    # ... until the team would be given that county.
    body = {"counties": [COUNTY, UNHELD], "reason": "增加太仓市"}
    refused = demo.put("/api/v1/teams/east-1/counties", json=body)
    [message] = refusal(refused, 409, SEPARATION)
    names_the_conflict(message, EVALUATOR, "县级管理员", UNHELD, "east-1")
    assert f"把县 {UNHELD} 分配给评估组“east-1”" in message
    assert organisation_version(demo) == version
    [team] = ok(demo.get("/api/v1/teams"))
    assert team["counties"] == [COUNTY]


def test_a_team_keeps_to_its_region_unless_the_admin_says_why(demo: TestClient) -> None:
    url = "/api/v1/teams/east-1/counties"
    version = organisation_version(demo)
    body: dict[str, Any] = {"counties": [COUNTY, WEST_COUNTY], "reason": "增加大邑县"}
    [message] = refusal(demo.put(url, json=body), 422, "team_region")
    assert "east-1" in message and "东部" in message and f"{WEST_COUNTY}（西部）" in message
    [message] = refusal(demo.put(url, json=body | {"region_override": True}), 422, "reason_required")
    assert "跨区域分配" in message  # in words; the API names the field in `field`
    reason_alone = demo.put(url, json=body | {"region_override_reason": "对口支援"})
    assert reason_alone.status_code == 422, reason_alone.text
    assert [e["rule"] for e in reason_alone.json()["errors"]] == ["team_region", "not_applicable"]
    [message] = refusal(demo.put(url, json={"counties": [COUNTY, "659001"], "reason": "x"}), 422, "enrolled_county")
    assert "659001" in message
    assert organisation_version(demo) == version

    reason = "西部评估组人手不足，经中心专班研究由东部第一评估组代为评估"
    team = ok(demo.put(url, json=body | {"region_override": True, "region_override_reason": reason}))
    assert team["counties"] == [COUNTY, WEST_COUNTY]
    history = ok(demo.get("/api/v1/audit/organisation"))
    assigned = [event for event in history if event["type"] == "CountiesAssigned"]
    assert assigned[0]["payload"] | {"region_override": False, "outside_region": []} == assigned[0]["payload"]
    assert assigned[-1]["payload"] == {
        "team": "east-1",
        "counties": [COUNTY, WEST_COUNTY],
        "region_override": True,
        "region_override_reason": reason,
        "outside_region": [WEST_COUNTY],
    }
    # Each assignment restates the whole list: the reason is needed again while the county stays.
    refusal(demo.put(url, json={"counties": [COUNTY, WEST_COUNTY, UNHELD], "reason": "再增"}), 422, "team_region")
    ok(demo.put(url, json={"counties": [COUNTY, UNHELD], "reason": "大邑县交回西部评估组"}))


# ------------------------------------------------------------- stores written before the rule

CONTEXT = Context("setup", "before-the-rule")


def write_a_conflict_before_the_rule(service: Platform) -> None:
    """Records what the rule now refuses, through the aggregate's event-triggering path (no check)."""
    regions = service.ledger.enrolled_regions([COUNTY])

    def change(organisation: Organisation, context: Context) -> None:
        organisation.form_team("east-1", "东部第一评估组", "east", context)
        organisation.assign_counties("east-1", [COUNTY], "东部评估组", context, regions=regions)
        coordinator = Grant("g-coordinator", "county_coordinator", county=COUNTY)
        organisation.register_user(COORDINATOR, "大名县县级管理员", "hash", [coordinator], context, enrolled=regions)
        organisation.register_user("leader", "领导小组", "hash", [Grant("g-leader", "leader")], context, enrolled=())
        evaluator = Grant("g-evaluator", "evaluator", team="east-1")
        organisation._record(
            Organisation.RoleGranted, context, username=COORDINATOR, grant=evaluator, reason="旧版本授予"
        )

    service.ledger.organise(change, CONTEXT, "BeforeTheRule")


def test_users_check_lists_conflicts_recorded_before_the_rule(store_url: str) -> None:
    with client_for(store_url) as client:
        ok(client.post("/api/v1/schemes", json=example_document()), 201)
        enrol_over_http(client, COUNTY)
        write_a_conflict_before_the_rule(platform_of(client))

    checked = ruraleval(store_url, "users", "check")
    assert checked.returncode == 1, checked.stderr
    lines = checked.stdout.splitlines()
    assert len(lines) == 2, lines
    names_the_conflict(lines[0], COORDINATOR, "县级管理员", COUNTY, "east-1")
    assert "g-coordinator" in lines[0] and "g-evaluator" in lines[0]  # the grants to revoke
    assert "1 处违反职责分离" in lines[1]

    with client_for(store_url) as client:  # the store replays; nothing refuses what is recorded
        assert [g["role"] for g in grants_of(client, COORDINATOR)] == ["county_coordinator", "evaluator"]
        # Conflicts already standing are not a reason to refuse an unrelated change ...
        ok(client.post("/api/v1/users/leader/grants", json={"role": "auditor", "reason": "兼任审计"}), 201)
        ok(client.put("/api/v1/teams/east-1/counties", json={"counties": [COUNTY], "reason": "重申"}))
        # ... but a second conflict is refused, and revoking one side clears the first.
        second = {"role": "department_user", "county": COUNTY, "department": "县财政局", "reason": "兼任"}
        refusal(client.post(f"/api/v1/users/{COORDINATOR}/grants", json=second), 409, SEPARATION)
        ok(client.post(f"/api/v1/users/{COORDINATOR}/grants/g-evaluator/revoke", json={"reason": "职责分离"}))

    checked = ruraleval(store_url, "users", "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "未发现违反职责分离" in checked.stdout


def test_assignments_recorded_before_the_region_rule_replay(sqlite_url: str) -> None:
    """A CountiesAssigned of the first version (no override fields) is read as 'no override'."""
    with client_for(sqlite_url) as client:
        ok(client.post("/api/v1/teams", json={"code": "east-1", "name": "东部第一评估组", "region": "east"}), 201)
        ledger = platform_of(client).ledger
        event = Organisation.CountiesAssigned(
            originator_id=ORGANISATION_ID,
            originator_version=organisation_version(client) + 1,
            timestamp=Organisation.CountiesAssigned.create_timestamp(),
            actor="admin",
            correlation_id="v1",
            team="east-1",
            counties=[COUNTY],
            reason="旧版本分配",
            region_override=False,
            region_override_reason=None,
            outside_region=[],
        )
        stored = ledger.app.mapper.to_stored_event(event)
        state = ledger.app.mapper.transcoder.decode(stored.state)
        for added in ("class_version", "region_override", "region_override_reason", "outside_region"):
            del state[added]
        ledger.app.recorder.insert_events(
            [dataclasses.replace(stored, state=ledger.app.mapper.transcoder.encode(state))]
        )
    with client_for(sqlite_url) as client:
        assert ok(client.get("/api/v1/teams"))[0]["counties"] == [COUNTY]
        [assigned] = [e for e in ok(client.get("/api/v1/audit/organisation")) if e["type"] == "CountiesAssigned"]
        assert assigned["payload"]["region_override"] is False and assigned["payload"]["outside_region"] == []


# ------------------------------------------------------------------ random sequences

COUNTIES = {"130425": "east", "320583": "east", "510129": "west", "620421": "west"}
TEAMS = {"east-1": "east", "east-2": "east", "west-1": "west"}
USERS = ("u.one", "u.two", "u.three")
COUNTY_SIDE = ("county_coordinator", "department_user")


GRANTS = st.one_of(
    st.tuples(st.sampled_from(COUNTY_SIDE), st.sampled_from(sorted(COUNTIES))),
    st.tuples(st.just("evaluator"), st.sampled_from(sorted(TEAMS))),
    st.just(("leader", None)),
)
COMMANDS = st.one_of(
    st.tuples(st.just("grant"), st.sampled_from(USERS), GRANTS),
    st.tuples(st.just("revoke"), st.sampled_from(USERS), st.integers(0, 5)),
    st.tuples(
        st.just("assign"),
        st.sampled_from(sorted(TEAMS)),
        st.frozensets(st.sampled_from(sorted(COUNTIES))),
        st.booleans(),
    ),
    st.tuples(st.just("register"), st.sampled_from(("v.one", "v.two")), st.lists(GRANTS, max_size=3)),
    st.tuples(st.just("deactivate"), st.sampled_from(USERS)),
)


def make_grant(spec: tuple[str, str | None], number: int) -> Grant:
    role, where = spec
    if role == "evaluator":
        return Grant(f"g{number}", role, team=where)
    if role in COUNTY_SIDE:
        return Grant(f"g{number}", role, county=where, department="部门" if role == "department_user" else None)
    return Grant(f"g{number}", role)


def both_sides(
    organisation: Organisation, extra: dict[str, list[Grant]] | None = None, team: tuple[str, Any] | None = None
) -> set[tuple[str, str]]:
    """(user, county) pairs on both sides, reckoned naively; with ``extra`` grants or a ``team``'s counties imagined."""
    held = {code: set(found.counties) for code, found in organisation.teams.items()}
    if team is not None:
        held[team[0]] = set(team[1])
    people = {
        name: (user.active, [g for g in user.grants if not g.revoked]) for name, user in organisation.users.items()
    }
    for name, added in (extra or {}).items():
        active, live = people.get(name, (True, []))
        people[name] = (active, [*live, *added])
    found = set()
    for name, (active, live) in people.items():
        if active:
            county_side = {g.county for g in live if g.role in COUNTY_SIDE}
            evaluated = {county for g in live if g.role == "evaluator" for county in held.get(g.team or "", ())}
            found |= {(name, county) for county in county_side & evaluated}
    return found


def imagined(organisation: Organisation, command: tuple[Any, ...]) -> set[tuple[str, str]]:
    """What the naive model says the command would leave on both sides."""
    if command[0] in ("grant", "register"):
        return both_sides(organisation, extra={command[1]: command[2]})
    if command[0] == "assign":
        return both_sides(organisation, team=(command[1], command[2]))
    return both_sides(organisation)  # revocations and deactivations only take away


def run(organisation: Organisation, command: tuple[Any, ...]) -> None:
    kind, username = command[0], command[1]
    if kind == "grant":
        [grant] = command[2]
        organisation.grant_role(username, grant, "授予", CONTEXT, enrolled=COUNTIES)
    elif kind == "register":
        organisation.register_user(username, username, "hash", command[2], CONTEXT, enrolled=COUNTIES)
    elif kind == "revoke":
        grants = organisation.users[username].grants
        organisation.revoke_role(
            username, grants[command[2]].id if command[2] < len(grants) else "none", "撤销", CONTEXT
        )
    elif kind == "assign":
        override = command[3]
        reason = "跨区域" if override else None
        counties = sorted(command[2])
        organisation.assign_counties(
            username,
            counties,
            "分配",
            CONTEXT,
            regions=COUNTIES,
            region_override=override,
            region_override_reason=reason,
        )
    else:
        organisation.deactivate_user(username, "离职", CONTEXT)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(COMMANDS, max_size=40))
def test_no_sequence_of_commands_puts_anyone_on_both_sides(commands: list[tuple[Any, ...]]) -> None:
    organisation = Organisation.found(CONTEXT)
    organisation.register_user("admin.one", "admin", "hash", [Grant("g-admin", "admin")], CONTEXT, enrolled=())
    for team, region in TEAMS.items():
        organisation.form_team(team, team, region, CONTEXT)
    for username in USERS:
        organisation.register_user(username, username, "hash", [], CONTEXT, enrolled=())
    numbers = iter(range(1_000_000))
    for raw in commands:
        command = raw
        if raw[0] == "grant":
            command = (*raw[:2], [make_grant(raw[2], next(numbers))])
        elif raw[0] == "register":
            command = (*raw[:2], [make_grant(spec, next(numbers)) for spec in raw[2]])
        version, would = organisation.version, imagined(organisation, command)
        try:
            run(organisation, command)
        except DomainError as error:
            assert organisation.version == version, command  # a refusal records nothing
            if any(problem.rule == SEPARATION for problem in error.problems):
                assert would, f"refused without a conflict: {command}"
            continue
        # Accepted: nobody on both sides, by the naive model and by the rule's own reckoning.
        assert not would, f"accepted a conflict: {command}"
        assert not both_sides(organisation), command
        assert not standing(organisation), command
