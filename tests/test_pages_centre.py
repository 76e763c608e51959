"""The centre's pages and the API routes of the same changes: rules both must enforce.

Each refusal is checked on the page (message beside its field, nothing stored) and, where
the API does the same change, on the API (422, nothing stored).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from domain import commands as c
from domain.county import county_id
from pages.scheme_places import place
from ruraleval.demo import COUNTIES, load_demo
from ruraleval.platform import Platform
from ruraleval.scheme_catalogue import published_schemes
from ruraleval.settings import parse_database_url
from tests.conftest import login
from tests.test_pages import PASSWORDS, Site
from tests.test_pages_audit import _broken_scheme, form_token, text_of

NOT_ENROLLED = "999999"


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    app = create_app(lambda: Platform(parse_database_url("memory://")), background=True)
    with TestClient(app) as client:
        load_demo(app.state.platform)
        yield Site(client, app.state.platform)


def api_headers(site: Site) -> dict[str, str]:
    site.client.cookies.clear()
    return login(site.client, "admin", PASSWORDS["admin"])


def user_form(site: Site, **values: str) -> dict[str, str]:
    form = {"csrf_token": form_token(site, "/centre/users"), "username": "", "display_name": "",
            "password": "a-long-password-1", "role": "", "county": "", "team": "", "department": ""}  # fmt: skip
    return form | values


# --------------------------------------------------------------- 1: unenrolled county


def test_the_page_refuses_a_role_over_a_county_not_enrolled(site: Site) -> None:
    site.sign_in("admin")
    before = len(site.platform.organisation.events())
    answer = site.client.post(
        "/centre/users",
        data=user_form(site, username="wang.wu", display_name="王五", role="county_coordinator", county=NOT_ENROLLED),
    )
    assert answer.status_code == 422
    assert re.search(rf'id="user-county-error">[^<]*{NOT_ENROLLED} 的县尚未入选评估', answer.text)
    granted = site.client.post("/centre/users/leader/grants", data={
        "csrf_token": form_token(site, "/centre/users/leader"), "role": "county_coordinator",
        "county": NOT_ENROLLED, "team": "", "department": "", "reason": "试用"})  # fmt: skip
    assert granted.status_code == 422 and f"{NOT_ENROLLED} 的县尚未入选评估" in text_of(granted.text)
    assert len(site.platform.organisation.events()) == before


def test_the_api_refuses_a_role_over_a_county_not_enrolled(site: Site) -> None:
    headers = api_headers(site)
    before = len(site.platform.organisation.events())
    role = {"role": "county_coordinator", "county": NOT_ENROLLED}
    created = site.client.post(
        "/api/v1/users",
        headers=headers,
        json={"username": "zhao.liu", "display_name": "赵六", "password": "a-long-password-1", "roles": [role]},
    )
    assert created.status_code == 422, created.text
    assert created.json()["errors"][0]["field"].endswith("county")
    granted = site.client.post("/api/v1/users/leader/grants", headers=headers, json=role | {"reason": "试用"})
    assert granted.status_code == 422, granted.text
    assert len(site.platform.organisation.events()) == before
    enrolled = site.client.post("/api/v1/users", headers=headers, json={
        "username": "zhao.liu", "display_name": "赵六", "password": "a-long-password-1",
        "roles": [role | {"county": "130425"}]})  # fmt: skip
    assert enrolled.status_code == 201, enrolled.text


# ------------------------------------------------------- 4: enrolment and name limits


def enrolment_form(site: Site, **values: str) -> dict[str, str]:
    scheme = published_schemes(site.platform.ledger)[0].id
    form = {"csrf_token": form_token(site, "/centre/counties"), "code": "130426", "name": "涉县（测试）",
            "province": "河北省", "region": "east", "scheme": scheme}  # fmt: skip
    return form | values


@pytest.mark.parametrize(("values", "field", "words"), [
    ({"code": "000000"}, "code", "前两位不是省级代码"),
    ({"name": "县" * 31}, "name", "县名称不能超过 30 个字"),
    ({"province": "山西省"}, "province", "所属省份与行政区划代码不符：代码 130426 属于河北省"),
    ({"province": "火星"}, "province", "属于河北省"),
    ({"region": "west"}, "region", "分区（region）与所属省份（province）不符：河北省属于东部"),
])  # fmt: skip
def test_the_page_refuses_a_bad_enrolment_beside_its_field(site: Site, values: dict[str, str], field: str,
                                                           words: str) -> None:  # fmt: skip
    site.sign_in("admin")
    head = site.platform.ledger.head()
    answer = site.client.post("/centre/counties", data=enrolment_form(site, **values))
    assert answer.status_code == 422
    assert re.search(rf'id="enrol-{field}-error">[^<]*{words}', answer.text), text_of(answer.text)
    assert site.platform.ledger.head() == head


def test_a_refused_enrolment_keeps_the_region_and_scheme_chosen(site: Site) -> None:
    site.sign_in("admin")
    form = enrolment_form(site, code="130429", region="west")
    answer = site.client.post("/centre/counties", data=form)
    assert answer.status_code == 422
    assert re.search(r'<option value="west" selected>西部</option>', answer.text)
    assert re.search(rf'<option value="{re.escape(form["scheme"])}" selected>', answer.text)


def test_the_api_refuses_the_same_enrolments(site: Site) -> None:
    headers = api_headers(site)
    scheme = published_schemes(site.platform.ledger)[0].id
    good = {"code": "130426", "name": "涉县（测试）", "province": "河北", "region": "east", "scheme": scheme}
    head = site.platform.ledger.head()
    for field, bad in (("code", "000000"), ("name", "县" * 31), ("province", "山西省")):
        answer = site.client.post("/api/v1/counties", headers=headers, json=good | {field: bad})
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == field, answer.text
    assert site.platform.ledger.head() == head
    assert site.client.post("/api/v1/counties", headers=headers, json=good).status_code == 201


def test_a_display_name_longer_than_50_characters_is_refused(site: Site) -> None:
    site.sign_in("admin")
    before = len(site.platform.organisation.events())
    answer = site.client.post(
        "/centre/users", data=user_form(site, username="long.name", display_name="名" * 51, role="leader")
    )
    assert answer.status_code == 422
    assert re.search(r'id="user-display-name-error">[^<]*姓名或单位不能超过 50 个字', answer.text), text_of(answer.text)
    api = site.client.post(
        "/api/v1/users",
        headers=api_headers(site),
        json={"username": "long.name", "display_name": "名" * 51, "password": "a-long-password-1"},
    )
    assert api.status_code == 422
    assert len(site.platform.organisation.events()) == before


# ------------------------------------------------- 7, 8: refusals said, reasons required


def new_user(site: Site, username: str, role: str = "leader") -> None:
    site.sign_in("admin")
    created = site.client.post("/centre/users", data=user_form(site, username=username, display_name="测试用户",
                                                               role=role), follow_redirects=False)  # fmt: skip
    assert created.status_code == 303, text_of(created.text)


def test_a_password_reset_needs_a_reason_kept_in_the_history(site: Site) -> None:
    new_user(site, "reset.me")
    url = "/centre/users/reset.me"
    before = len(site.platform.organisation.events())
    missing = site.client.post(f"{url}/password", data={"csrf_token": form_token(site, url),
                                                        "password": "another-long-password", "reason": ""})  # fmt: skip
    assert missing.status_code == 422 and 'id="reset-reason-error">必须填写重设理由' in missing.text
    assert len(site.platform.organisation.events()) == before
    reset = site.client.post(f"{url}/password", data={"csrf_token": form_token(site, url),
                             "password": "another-long-password", "reason": "本人遗忘密码"})  # fmt: skip
    assert reset.status_code == 200 and "密码已重设" in reset.text
    assert re.search(r"修改或重设密码 .*本人遗忘密码", text_of(reset.text))


def test_a_refusal_of_a_form_the_page_no_longer_shows_is_said_at_the_top(site: Site) -> None:
    new_user(site, "twice.over", role="auditor")
    url = "/centre/users/twice.over"
    user = site.platform.organisation.current().user("twice.over")
    grant = user.grants[0].id
    token = form_token(site, url)
    first = site.client.post(f"{url}/grants/{grant}/revoke", data={"csrf_token": token, "reason": "调岗"})
    assert first.status_code == 200
    again = site.client.post(f"{url}/grants/{grant}/revoke", data={"csrf_token": token, "reason": "调岗"})
    assert again.status_code == 409 and re.search(r'role="alert">未执行：该授权已撤销', again.text)
    unknown = site.client.post(f"{url}/grants/nope/revoke", data={"csrf_token": token, "reason": "调岗"})
    assert unknown.status_code == 404 and "没有编号为 nope 的授权" in text_of(unknown.text)
    assert site.client.post(f"{url}/deactivate", data={"csrf_token": token, "reason": "离职"}).status_code == 200
    twice = site.client.post(f"{url}/deactivate", data={"csrf_token": token, "reason": "离职"})
    assert twice.status_code == 409 and re.search(r'role="alert">未执行：用户“twice.over”已停用', twice.text)


# --------------------------------------------- 6, 15: NUL in Chinese, every problem at once


def test_a_nul_in_a_county_or_user_name_is_refused_beside_its_field_in_chinese(site: Site) -> None:
    site.sign_in("admin")
    head = site.platform.ledger.head()
    county = site.client.post("/centre/counties", data=enrolment_form(site, name="涉\x00县"))
    assert county.status_code == 422
    assert re.search(r'id="enrol-name-error">县名称含有空字符（U\+0000）', county.text), text_of(county.text)
    assert 'value="河北省"' in county.text  # the form stays
    user = site.client.post("/centre/users", data=user_form(site, username="nul.name", display_name="王\x00五",
                                                            role="leader"))  # fmt: skip
    assert user.status_code == 422
    assert re.search(r'id="user-display-name-error">姓名或单位含有空字符', user.text), text_of(user.text)
    assert 'value="nul.name"' in user.text
    assert site.platform.ledger.head() == head


def test_the_new_user_form_shows_every_problem_at_once(site: Site) -> None:
    site.sign_in("admin")
    before = len(site.platform.organisation.events())
    answer = site.client.post("/centre/users", data=user_form(site, username="", display_name="", password="",
                                                              role="county_coordinator"))  # fmt: skip
    assert answer.status_code == 422
    for field, words in (("username", "用户名须为"), ("display-name", "姓名或单位必须填写"),
                         ("password", "密码"), ("county", "县级管理员必须指定所属县")):  # fmt: skip
        assert re.search(rf'id="user-{field}-error">[^<]*{words}', answer.text), field
    named = site.client.post("/centre/users", data=user_form(site, username="no.name", display_name=" ",
                                                             role="leader"))  # fmt: skip
    assert named.status_code == 422 and 'id="user-display-name-error">姓名或单位必须填写' in named.text
    assert len(site.platform.organisation.events()) == before


# ------------------------------------------------------- 11: every actor is a user


def test_every_author_of_a_demo_event_is_a_registered_user_with_a_name(site: Site) -> None:
    users = site.platform.organisation.current().users
    actors = {event.actor for _, event in site.platform.ledger.read(0, 100_000)}
    assert actors <= set(users), actors - set(users)
    assert all(users[actor].display_name != actor and users[actor].active_grants() for actor in actors)


def test_a_timeline_names_each_actor_as_name_and_username(site: Site) -> None:
    site.sign_in("auditor")
    users = site.platform.organisation.current().users
    streams = {county_id(code): code for code, *_ in COUNTIES}
    event = next(event for _, event in site.platform.ledger.read(0, 100_000)
                 if type(event).__name__ == "ScoreOverridden" and event.originator_id in streams)  # fmt: skip
    code = streams[event.originator_id]
    shown = text_of(site.client.get(f"/audit/counties/{code}/history").text)
    assert f"{users[event.actor].display_name}（{event.actor}）" in shown
    actors = set(re.findall(r"[a-z]+\.[a-z0-9]+", shown)) & set(users)
    assert actors and all(f"（{actor}）" in shown for actor in actors)


def test_the_evaluation_desk_names_who_overrode_as_name_and_username(site: Site) -> None:
    site.sign_in("admin")
    users = site.platform.organisation.current().users
    streams = {county_id(code): code for code, *_ in COUNTIES}
    event = next(event for _, event in site.platform.ledger.read(0, 100_000)
                 if type(event).__name__ == "ScoreOverridden" and event.originator_id in streams)  # fmt: skip
    shown = text_of(site.client.get(f"/counties/{streams[event.originator_id]}/evaluation").text)
    assert f"{users[event.actor].display_name}（{event.actor}）" in shown


# ------------------------------------------------------- 9: messages name fields in Chinese


def test_organisation_refusals_on_the_pages_use_no_field_names(site: Site) -> None:
    site.sign_in("admin")
    west = next(code for code, *_, region in COUNTIES if region == "west")
    held = site.platform.organisation.current().teams["east-1"].counties
    token = form_token(site, "/centre/teams")
    outside = site.client.post("/centre/teams/east-1/counties", data={
        "csrf_token": token, "counties": [*held, west], "reason": "试一试"})  # fmt: skip
    team = site.client.post("/centre/teams", data={"csrf_token": token, "code": "t-9", "name": " ", "region": "north"})
    role = site.client.post("/centre/users", data=user_form(site, username="odd.role", display_name="某人",
                                                            role="evaluator"))  # fmt: skip
    expected = ((outside, "跨区域分配"), (team, "评估组名称必须填写"), (role, "评估组成员必须指定所属评估组"))
    for answer, words in expected:
        assert answer.status_code in (409, 422) and words in text_of(answer.text), words
        shown = text_of(answer.text)
        assert not re.search(r"region_override|\bname\b|\bteam\b|\breason\b|\bregion\b", shown), words


# ------------------------------------------------------- 20: a refused write says so


def test_a_refused_centre_write_is_titled_as_an_action_and_names_no_county(site: Site) -> None:
    site.sign_in("auditor")
    before = len(site.platform.organisation.events())
    refused = site.client.post("/centre/teams", data={"csrf_token": site.csrf(), "code": "rogue", "name": "某组",
                                                      "region": "east"})  # fmt: skip
    assert refused.status_code == 403
    assert re.search(r"<h1[^>]*>无权操作</h1>", refused.text), text_of(refused.text)
    assert "该县" not in text_of(refused.text)
    assert "无权查看" in site.client.get("/centre/teams").text  # a refused view is still a view
    assert len(site.platform.organisation.events()) == before


# ------------------------------------------------------- 14: emptying a team is confirmed


def test_assigning_no_county_asks_before_emptying_the_team(site: Site) -> None:
    site.sign_in("admin")
    token = form_token(site, "/centre/teams")
    formed = site.client.post("/centre/teams", data={"csrf_token": token, "code": "east-9", "name": "东部第九评估组",
                                                     "region": "east"}, follow_redirects=False)  # fmt: skip
    assert formed.status_code == 303
    scheme = site.platform.ledger.scheme(published_schemes(site.platform.ledger)[0].id).scheme
    site.platform.ledger.enrol(c.EnrolCounty("130427", "磁县", "河北省", "east", scheme), c.Context("admin", "test"))
    given = site.client.post("/centre/teams/east-9/counties", follow_redirects=False,
                             data={"csrf_token": token, "counties": ["130427"], "reason": "分工"})  # fmt: skip
    assert given.status_code == 303
    emptied = site.client.post("/centre/teams/east-9/counties", data={"csrf_token": token, "reason": "调整"})
    assert emptied.status_code == 422
    assert re.search(r'id="assign-east-9-counties-error">未勾选任何县：保存将清空', emptied.text)
    assert 'id="assign-east-9-confirm-empty"' in emptied.text
    assert site.platform.organisation.current().teams["east-9"].counties == ["130427"]
    confirmed = site.client.post("/centre/teams/east-9/counties", data={
        "csrf_token": token, "reason": "调整", "confirm_empty": "on"}, follow_redirects=False)  # fmt: skip
    assert confirmed.status_code == 303
    assert site.platform.organisation.current().teams["east-9"].counties == []


# ------------------------------------------------ 9: a scheme's problems placed in one way


def test_both_spellings_of_a_scheme_path_are_said_the_same_way() -> None:
    document = {"indicators": [{"code": "1"}, {"code": "1.1"}]}
    assert place("indicators[1].method", document) == place("indicators.1.1.method", document) == "指标“1.1”的评分方法"
    assert place("indicators[0].weight", document) == "指标“1”的权重"
    assert place("indicators[5].weight", document) == "第 6 个指标的权重"
    assert place("weights.1", document) == "指标“1”的下级指标权重" and place("weights", document) == "一级指标权重"


def test_the_scheme_page_places_each_problem_by_indicator_code(site: Site) -> None:
    site.sign_in("admin")
    document = _broken_scheme(site.platform)
    upload = {"document": ("方案.json", json.dumps(document, ensure_ascii=False).encode(), "application/json")}
    answer = site.client.post("/centre/schemes", data={"csrf_token": form_token(site, "/centre/schemes")},
                              files=upload)  # fmt: skip
    assert answer.status_code == 422
    items = re.findall(r"<li><strong>([^<]+)</strong>：", answer.text)
    assert items and all(item.startswith(("指标“", "一级指标", "年度")) for item in items), items
    assert "<code>indicators" not in answer.text


def test_a_team_lists_its_members_as_name_and_username(site: Site) -> None:
    site.sign_in("admin")
    users = site.platform.organisation.current().users
    shown = text_of(site.client.get("/centre/teams").text)
    members = [user for user in users.values() for grant in user.active_grants() if grant.team]
    assert members and all(f"{user.display_name}（{user.username}）" in shown for user in members)
