"""The auditor's and the centre's pages over HTTP (no browser): what they show for the demo,
what their forms store, what a bad input shows, who is refused.

Everything expected is derived from the running platform's data (the demo may change):
the correction is found among the county events, the nodes that differ between two
instants are computed from the temporal read model, the problems of a scheme from the
domain's own reading of it.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from domain import commands as c
from domain.errors import InvalidCommand
from domain.scheme_reading import parse_scheme
from pages.page_tables import page_tables
from projections import queries
from projections.temporal import TOTAL, micros
from ruraleval.audit import digest, verify
from ruraleval.demo import load_demo
from ruraleval.platform import Platform
from ruraleval.scheme_catalogue import published_schemes
from ruraleval.settings import parse_database_url
from tests.test_pages import Site

YEAR = 2023


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    """The demo behind the app, with its projection thread: the centre's forms wait for the
    read models to hold what they wrote before the next page is rendered."""
    app = create_app(lambda: Platform(parse_database_url("memory://")), background=True)
    with TestClient(app) as client:
        load_demo(app.state.platform)
        yield Site(client, app.state.platform)


def text_of(page: str) -> str:
    """The page's words, tags removed and entities decoded."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def correction_with_reason(platform: Platform) -> dict[str, Any]:
    """A data correction of the year recorded with a reason, found in the county events."""
    with platform.reads.snapshot() as view:
        for county in queries.list_counties(view):
            stream = queries.county(view, county["code"])["stream"]  # type: ignore[index]
            _, rows = queries.county_events(view, stream, ["DataCorrected"], None, None, 0, 100)
            for row in rows:
                if row["reason"] and str(row["payload"]["period"]).startswith(str(YEAR)):
                    return row | {"county": county["code"], "county_name": county["name"]}
    raise AssertionError("the demo records no correction with a reason in 2023")


def form_token(site: Site, url: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', site.client.get(url).text)
    assert found, url
    return found.group(1)


# ------------------------------------------------------------------------ auditor


def test_the_auditor_finds_the_correction_and_its_reason_on_the_node_timeline(site: Site) -> None:
    correction = correction_with_reason(site.platform)
    indicator = correction["payload"]["indicator"]
    site.sign_in("auditor")
    home = site.client.get("/audit")
    assert home.status_code == 200 and "审计工作台" in home.text and correction["county_name"] in home.text
    picked = site.client.get("/audit", params={"county": correction["county"]}, follow_redirects=False)
    assert picked.status_code == 303 and picked.headers["location"] == f"/audit/counties/{correction['county']}/history"
    url = f"/audit/counties/{correction['county']}/history"
    answer = site.client.get(url, params={"year": YEAR, "node": indicator})
    assert answer.status_code == 200
    shown = text_of(answer.text)
    assert "更正数据" in shown and correction["reason"] in shown
    actor = site.platform.organisation.current().users.get(correction["actor"])
    assert (actor.display_name if actor else correction["actor"]) in shown
    value = Decimal(correction["payload"]["value"]).quantize(Decimal("0.01"))
    assert f"{value:,.2f}" in shown


def test_values_carry_their_unit_and_amounts_in_details_two_places(site: Site) -> None:
    correction = correction_with_reason(site.platform)
    code, indicator = correction["county"], correction["payload"]["indicator"]
    unit = site.platform.ledger.county(code).years[str(YEAR)].indicators[indicator].unit
    assert unit, "the scheme defines the corrected indicator's unit"
    value = f"{Decimal(correction['payload']['value']).quantize(Decimal('0.01')):,.2f} {unit}"
    site.sign_in("auditor")
    timeline = site.client.get(f"/audit/counties/{code}/history", params={"year": YEAR, "node": indicator}).text
    assert f"→ {value}" in text_of(timeline)  # 数值 previous → corrected, both with the unit
    moment = datetime.fromisoformat(correction["recorded_at"])
    changes = site.client.get(f"/audit/counties/{code}/changes", params={
        "year": YEAR, "from": (moment - timedelta(seconds=1)).isoformat(), "to": moment.isoformat()}).text  # fmt: skip
    row = re.search(rf'node={re.escape(indicator)}".*?</tr>', changes, re.S)
    assert row and f"<td>{unit}</td>" in row.group(0)
    assert f"数值 {value}" in text_of(changes)
    for page_text in (text_of(timeline), text_of(changes)):
        amounts = re.findall(r"(?:得分|分值|原值|数值) (-?[\d,]+(?:\.\d+)?)", page_text)
        assert amounts and all(re.fullmatch(r"-?[\d,]+\.\d\d", amount) for amount in amounts), amounts
    exact = site.client.get(f"/audit/counties/{code}/changes",
                            params={"year": YEAR, "from": "2024-01-01", "to": "2024-01-12T10:59:59+08:00"})  # fmt: skip
    assert "到 2024年1月12日 10:59:59" in text_of(exact.text) and "从 2024年1月1日日终" in text_of(exact.text)


def test_event_details_are_words_never_key_equals_value(site: Site) -> None:
    """Revised definitions, proposals and weights in the year's events, as the auditor reads them."""
    site.sign_in("auditor")
    answer = site.client.get("/audit/counties/130425/changes", params={"year": YEAR, "from": f"{YEAR}-01-01",
                                                                      "to": f"{YEAR + 1}-12-31"})  # fmt: skip
    details = [row[-1] for row in page_tables(answer.text)["events"].rows if isinstance(row[-1], str)]
    assert any("权重" in words for words in details), "the demo adjusts or proposes weights"
    codes = re.compile(r"[A-Za-z0-9_.-]*\d[A-Za-z0-9_.-]*")  # ids such as 2023-C2-points are codes, not words
    assert not [words for words in details if "=" in words or re.search(r"\b[a-z_]{3,}\b", codes.sub("", words))]


def test_the_total_timeline_lists_every_change_of_the_score_in_order(site: Site) -> None:
    code = "130425"
    with site.platform.reads.snapshot() as view:
        changes = queries.node_history(view, code, YEAR, TOTAL, None)
    site.sign_in("auditor")
    shown = text_of(site.client.get(f"/audit/counties/{code}/history", params={"year": YEAR}).text)
    assert f"时间线（共 {len(changes)} 项" in shown
    listed = page_tables(site.client.get(f"/audit/counties/{code}/history", params={"year": YEAR}).text)
    assert len(listed["timeline"].rows) == len(changes)  # the same entries as a table, to download
    last = changes[-1]
    assert f"{last['before']:,.2f} → {last['after']:,.2f} 分" in shown
    latest = text_of(site.client.get(f"/audit/counties/{code}/history", params={"year": YEAR, "order": "desc"}).text)
    first_entry = latest.index("第 ")  # the first entry shown is the latest change
    assert latest[first_entry:].startswith(f"第 {last['cause']['version']} 号事件")


def _scores(card: dict[str, Any] | None) -> dict[str, tuple[Any, Any]]:
    if card is None:
        return {}
    found = {node["code"]: (node["value"], node["score"]) for node in card["nodes"]}
    return found | {TOTAL: (None, card["total"])}


def test_what_changed_between_two_instants_lists_the_differing_nodes_and_the_events(site: Site) -> None:
    code = "130425"
    with site.platform.reads.snapshot() as view:
        last = queries.node_history(view, code, YEAR, TOTAL, None)[-1]
        at = datetime.fromisoformat(last["recorded_at"])
        start = at - timedelta(days=3)
        before = _scores(queries.scorecard_as_of(view, code, YEAR, micros(start)))
        after = _scores(queries.scorecard_as_of(view, code, YEAR, micros(at)))
        stream = queries.county(view, code)["stream"]  # type: ignore[index]
        total, _ = queries.county_events(view, stream, [], micros(start) + 1, micros(at), 0, 1)
    differing = {node for node in after if before.get(node) != after[node]}
    assert differing, "the last change of the total moved some node"
    site.sign_in("auditor")
    answer = site.client.get(f"/audit/counties/{code}/changes",
                             params={"year": YEAR, "from": start.isoformat(), "to": at.isoformat()})  # fmt: skip
    assert answer.status_code == 200
    listed = set(re.findall(r'<th scope="row" class="level-\d"><a href="[^"]*node=([^"&]+)"', answer.text))
    assert listed == differing
    assert f"其间记录的事件（共 {total} 条" in text_of(answer.text)


def test_the_timeline_links_each_change_to_what_else_changed_at_that_moment(site: Site) -> None:
    correction = correction_with_reason(site.platform)
    site.sign_in("auditor")
    timeline = site.client.get(f"/audit/counties/{correction['county']}/history",
                               params={"year": YEAR, "node": correction["payload"]["indicator"]}).text  # fmt: skip
    entry = next(chunk for chunk in timeline.split('<li class="timeline__entry')[1:] if correction["reason"] in chunk)
    link = re.search(r'href="(/audit/counties/[^"]+/changes\?[^"]+)"', entry)
    assert link, entry
    moment = site.client.get(html.unescape(link.group(1)))
    assert moment.status_code == 200 and correction["reason"] in text_of(moment.text)


def test_bad_instants_are_shown_beside_their_fields(site: Site) -> None:
    site.sign_in("auditor")
    wrong = site.client.get("/audit/counties/130425/changes", params={"from": "昨天", "to": "2024-01-12"})
    assert wrong.status_code == 422
    assert re.search(r'id="instant-from-error">起始时刻 应为日期', wrong.text)
    assert 'aria-invalid="true" aria-describedby="instant-from-error"' in wrong.text
    reversed_ = site.client.get("/audit/counties/130425/changes", params={"from": "2024-01-12", "to": "2024-01-01"})
    assert reversed_.status_code == 422 and 'id="instant-to-error">截止时刻须晚于起始时刻' in reversed_.text


def test_verification_says_in_words_that_the_chains_are_intact_and_checks_a_digest(site: Site) -> None:
    site.sign_in("auditor")
    expected = verify(site.platform.ledger)
    answer = text_of(site.client.get("/audit/chains").text)
    assert f"哈希链完整：共 {expected.events_checked} 条事件，未发现篡改" in answer
    written = digest(site.platform.ledger)
    assert written in answer
    checked = text_of(site.client.get("/audit/chains", params={"digest": written}).text)
    assert "与您提供的摘要一致" in checked
    malformed = site.client.get("/audit/chains", params={"digest": "not-a-digest"})
    assert malformed.status_code == 422 and 'id="expected-error">摘要格式不正确' in malformed.text


def test_a_digest_in_capitals_not_yet_recorded_or_not_matching_is_not_called_tampering(site: Site) -> None:
    site.sign_in("auditor")
    prefix, position, hashed = digest(site.platform.ledger).split("-")
    upper = text_of(site.client.get("/audit/chains", params={"digest": f"{prefix}-{position}-{hashed.upper()}"}).text)
    assert "与您提供的摘要一致" in upper and "处问题" not in upper
    beyond = site.platform.ledger.head() + 1000
    unrecorded = site.client.get("/audit/chains", params={"digest": f"{prefix}-{beyond}-{'0' * 64}"})
    assert unrecorded.status_code == 422
    assert re.search(rf'id="expected-error">该摘要所记位置为第 {beyond} 条记录.*尚未记录', unrecorded.text)
    assert "哈希链完整" in text_of(unrecorded.text)  # the chains themselves, checked without the digest
    assert "已被改动、删除或重排" not in text_of(unrecorded.text).split("该摘要所记位置")[0]
    other = "0" * 64 if hashed != "0" * 64 else "1" * 64
    differs = site.client.get("/audit/chains", params={"digest": f"{prefix}-{position}-{other}"})
    shown = text_of(differs.text)
    assert differs.status_code == 200 and "摘要不符：各县哈希链本身完整" in shown
    assert "处问题" not in shown and "全部县" not in shown and 'data-table="problems"' not in differs.text


def test_odd_audit_parameters_are_refused_beside_their_fields_in_chinese(site: Site) -> None:
    """No parameter's English name (order, digest, from, to) reaches the auditor."""
    site.sign_in("auditor")
    order = site.client.get("/audit/counties/130425/history", params={"order": "sideways"})
    assert order.status_code == 422
    assert re.search(r'id="order-error">排列顺序只能是“从早到晚”或“最新的在前”', order.text)
    long_from = site.client.get("/audit/counties/130425/changes", params={"from": "2" * 60, "to": "2024-01-01"})
    assert long_from.status_code == 422 and 'id="instant-from-error">起始时刻过长' in long_from.text
    long_digest = site.client.get("/audit/chains", params={"digest": "a" * 300})
    assert long_digest.status_code == 422 and 'id="expected-error">摘要格式不正确' in long_digest.text
    for url, params in (("/audit/organisation", {"username": "u" * 200}), ("/audit", {"county": "c" * 200})):
        assert site.client.get(url, params=params).status_code == 200
    for answer in (order, long_from, long_digest):
        shown = text_of(answer.text)
        assert "取值不符合要求" not in shown and not re.search(r"\b(order|digest|from|to)\b", shown), shown
    same = {"from": "2024-01-12T10:00:00+08:00", "to": "2024-01-12T02:00:00Z"}  # one instant written two ways
    for params in (same, {"from": "2024-01-12", "to": "2024-01-12"}):
        answer = site.client.get("/audit/counties/130425/changes", params=params)
        assert answer.status_code == 422 and 'id="instant-to-error">截止时刻须晚于起始时刻' in answer.text


def test_the_organisation_record_shows_who_granted_what_and_no_secret(site: Site) -> None:
    site.sign_in("auditor")
    answer = site.client.get("/audit/organisation", params={"username": "dept.130425"})
    shown = text_of(answer.text)
    assert answer.status_code == 200 and "新增用户" in shown and "授予角色" in shown
    grant = site.platform.organisation.current().users["dept.130425"].grants[0]
    assert f"部门 {grant.department}" in shown
    assert "argon2" not in answer.text and "password_hash" not in answer.text
    assert "east-1" not in shown  # another user's record (the team) is filtered out


@pytest.mark.parametrize("username", ["leader", "evaluator.east", "coordinator.130425"])
def test_who_is_not_an_auditor_is_refused_with_no_data(site: Site, username: str) -> None:
    site.sign_in(username)
    for url in ("/audit/counties/130425/changes", "/audit/chains", "/audit/organisation"):
        refused = site.client.get(url)
        assert refused.status_code == 403 and "无权查看" in refused.text, (username, url)
        assert "时间线" not in refused.text and "哈希链完整" not in refused.text and "<table" not in refused.text
    # a score's timeline is the API's history route as a page: whoever reads the county sees it,
    # without the audit views beside it
    timeline = site.client.get("/audit/counties/130425/history")
    assert timeline.status_code == 200 and "得分变化" in timeline.text
    assert "两个时刻之间的变化" not in timeline.text and "这一时刻该县的全部变化" not in timeline.text


# -------------------------------------------------------------------------- admin


def test_the_admin_creates_a_user_and_a_grant_and_sees_them_in_the_history(site: Site) -> None:
    site.sign_in("admin")
    token = form_token(site, "/centre/users")
    created = site.client.post("/centre/users", data={
        "csrf_token": token, "username": "li.si", "display_name": "李四", "password": "a-long-password-1",
        "role": "leader", "county": "", "team": "", "department": ""}, follow_redirects=False)  # fmt: skip
    assert created.status_code == 303 and created.headers["location"] == "/centre/users/li.si?saved=created"
    granted = site.client.post("/centre/users/li.si/grants", data={
        "csrf_token": token, "role": "auditor", "county": "", "team": "", "department": "",
        "reason": "年度审计需要"}, follow_redirects=False)  # fmt: skip
    assert granted.status_code == 303
    shown = text_of(site.client.get(granted.headers["location"]).text)
    assert "已授予角色" in shown
    user = site.platform.organisation.current().users["li.si"]
    assert sorted(grant.role for grant in user.active_grants()) == ["auditor", "leader"]
    admin = site.platform.organisation.current().users["admin"].display_name
    assert re.search(rf"授予角色 审计 {admin}（admin） 年度审计需要", shown)
    assert re.search(rf"授予角色 领导小组 {admin}（admin） 创建用户时授予", shown)
    grant = next(grant for grant in user.grants if grant.role == "auditor")
    revoked = site.client.post(f"/centre/users/li.si/grants/{grant.id}/revoke",
                               data={"csrf_token": token, "reason": "审计结束"})  # fmt: skip
    assert revoked.status_code == 200 and re.search(r"撤销角色 授权编号 \w+ .*审计结束", text_of(revoked.text))


def test_a_refused_user_form_shows_each_message_beside_its_field_and_stores_nothing(site: Site) -> None:
    site.sign_in("admin")
    before = len(site.platform.organisation.events())
    answer = site.client.post("/centre/users", data={
        "csrf_token": form_token(site, "/centre/users"), "username": "X", "display_name": "", "password": "short",
        "role": "county_coordinator", "county": "", "team": "", "department": ""})  # fmt: skip
    assert answer.status_code == 422
    assert 'id="user-password-error">密码：密码至少 10 个字符' in answer.text
    assert len(site.platform.organisation.events()) == before
    weak = site.client.post("/centre/users", data={
        "csrf_token": form_token(site, "/centre/users"), "username": "X", "display_name": "",
        "password": "long-enough-password", "role": "county_coordinator", "county": "", "team": "",
        "department": ""})  # fmt: skip
    assert weak.status_code == 422
    assert re.search(r'id="user-username-error">用户名须为', weak.text)
    assert re.search(r'id="user-county-error">县级管理员必须指定所属县', weak.text)
    assert 'value="long-enough-password"' not in weak.text  # a password is never sent back
    assert len(site.platform.organisation.events()) == before


def test_a_bad_enrolment_shows_the_field_messages_and_stores_nothing(site: Site) -> None:
    site.sign_in("admin")
    head = site.platform.ledger.head()
    answer = site.client.post("/centre/counties", data={
        "csrf_token": form_token(site, "/centre/counties"), "code": "12345", "name": " ", "province": "河北省",
        "region": "north", "scheme": ""})  # fmt: skip
    assert answer.status_code == 422
    for field, words in (("code", "县级行政区划代码必须是 6 位数字"), ("name", "县名称必须填写"),
                         ("region", "分区只能是"), ("scheme", "请选择该县采用的评估方案")):  # fmt: skip
        assert re.search(rf'id="enrol-{field}-error">[^<]*{words}', answer.text), field
    assert 'value="河北省"' in answer.text  # what was typed stays
    assert site.platform.ledger.head() == head


def test_an_enrolled_county_is_listed_at_once(site: Site) -> None:
    site.sign_in("admin")
    scheme = published_schemes(site.platform.ledger)[0]
    answer = site.client.post("/centre/counties", data={
        "csrf_token": form_token(site, "/centre/counties"), "code": "１１０２２９", "name": "延庆区（测试）",
        "province": "北京市", "region": "east", "scheme": scheme.id}, follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303 and answer.headers["location"] == "/centre/counties?enrolled=110229"
    listed = text_of(site.client.get(answer.headers["location"]).text)
    assert "行政区划代码为 110229 的县已入选" in listed and "延庆区（测试）" in listed
    again = site.client.post("/centre/counties", data={
        "csrf_token": form_token(site, "/centre/counties"), "code": "110229", "name": "延庆区",
        "province": "北京市", "region": "east", "scheme": scheme.id})  # fmt: skip
    assert again.status_code == 409 and 'id="enrol-code-error">行政区划代码为 110229 的县已经入选' in again.text


def _broken_scheme(platform: Platform) -> dict[str, Any]:
    """The demo's scheme under a new id, with a weight that breaks its level and a bad method."""
    document: dict[str, Any] = json.loads(json.dumps(platform.ledger.scheme(published_schemes(platform.ledger)[0].id)
                                                     .scheme.to_document(), default=str))  # fmt: skip
    document["id"] = "broken-2024"
    document["year"] = "二〇二四"
    scored = [node for node in document["indicators"] if node.get("method")]
    scored[0]["weight"] = 999
    scored[1]["method"] = {"type": "guesswork"}
    return document


def test_an_invalid_scheme_upload_lists_every_problem_and_stores_nothing(site: Site) -> None:
    document = _broken_scheme(site.platform)
    with pytest.raises(InvalidCommand) as refused:
        parse_scheme(json.loads(json.dumps(document)))
    problems = refused.value.problems
    assert len(problems) >= 3
    site.sign_in("admin")
    before = [scheme.id for scheme in published_schemes(site.platform.ledger)]
    upload = {"document": ("方案.json", json.dumps(document, ensure_ascii=False).encode(), "application/json")}
    answer = site.client.post("/centre/schemes", data={"csrf_token": form_token(site, "/centre/schemes")},
                              files=upload)  # fmt: skip
    assert answer.status_code == 422
    shown = text_of(answer.text)
    assert f"方案未发布：发现 {len(problems)} 处不符合规则" in shown
    for problem in problems:
        assert problem.message.removeprefix(f"{problem.field} ") in shown, problem  # the place says the path
    assert [scheme.id for scheme in published_schemes(site.platform.ledger)] == before


def test_a_file_that_is_not_json_is_refused_in_words(site: Site) -> None:
    site.sign_in("admin")
    upload = {"document": ("方案.json", b'{"id": "x",\n "year": }', "application/json")}
    answer = site.client.post("/centre/schemes", data={"csrf_token": form_token(site, "/centre/schemes")},
                              files=upload)  # fmt: skip
    assert answer.status_code == 422 and "文件不是有效的 JSON：第 2 行第 10 列附近格式有误" in text_of(answer.text)


def test_a_valid_scheme_is_published_and_listed(site: Site) -> None:
    site.sign_in("admin")
    document = json.loads(json.dumps(site.platform.ledger.scheme(published_schemes(site.platform.ledger)[0].id)
                                     .scheme.to_document(), default=str))  # fmt: skip
    document |= {"id": "page-2024", "year": 2024, "name": "上传测试方案（2024年度）"}
    upload = {"document": ("scheme.json", json.dumps(document, ensure_ascii=False).encode(), "application/json")}
    answer = site.client.post("/centre/schemes", data={"csrf_token": form_token(site, "/centre/schemes")},
                              files=upload, follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303, text_of(answer.text)[:2000]
    listed = text_of(site.client.get(answer.headers["location"]).text)
    assert "评估方案“page-2024”已发布" in listed and "上传测试方案（2024年度）" in listed


def test_the_admin_forms_a_team_and_assigns_counties(site: Site) -> None:
    site.sign_in("admin")
    token = form_token(site, "/centre/teams")
    formed = site.client.post("/centre/teams", data={"csrf_token": token, "code": "west-9", "name": "西部第九评估组",
                                                     "region": "west"}, follow_redirects=False)  # fmt: skip
    assert formed.status_code == 303
    # Counties no team holds yet (the demo's west-1 holds the demo's west counties).
    scheme = site.platform.ledger.scheme(published_schemes(site.platform.ledger)[0].id).scheme
    west = ["510181", "510182"]
    for code, name in zip(west, ("都江堰市", "彭州市"), strict=True):
        site.platform.ledger.enrol(c.EnrolCounty(code, name, "四川省", "west", scheme), c.Context("admin", "test"))
    assigned = site.client.post("/centre/teams/west-9/counties",
                                data={"csrf_token": token, "counties": west, "reason": "按区域分工"},
                                follow_redirects=False)  # fmt: skip
    assert assigned.status_code == 303
    assert site.platform.organisation.current().teams["west-9"].counties == sorted(west)
    east = site.client.post("/centre/teams/west-9/counties",
                            data={"csrf_token": token, "counties": ["130425"], "reason": "试一试"})  # fmt: skip
    assert east.status_code in (409, 422) and 'id="assign-west-9-counties-error"' in east.text
    assert site.platform.organisation.current().teams["west-9"].counties == sorted(west)


def test_the_admin_resets_a_password_and_deactivates_a_user_with_a_reason(site: Site) -> None:
    site.sign_in("admin")
    token = form_token(site, "/centre/users")
    site.client.post("/centre/users", data={"csrf_token": token, "username": "wang.wu", "display_name": "王五",
                                            "password": "first-password-1", "role": "leader"})  # fmt: skip
    short = site.client.post("/centre/users/wang.wu/password", data={"csrf_token": token, "password": "short"})
    assert short.status_code == 422 and re.search(r'id="reset-password-error">密码：密码至少 10 个字符', short.text)
    reset = site.client.post("/centre/users/wang.wu/password",
                             data={"csrf_token": token, "password": "second-password-2",
                                   "reason": "本人遗忘密码"})  # fmt: skip
    assert reset.status_code == 200 and "密码已重设" in reset.text and "修改或重设密码" in text_of(reset.text)
    silent = site.client.post("/centre/users/wang.wu/deactivate", data={"csrf_token": token, "reason": " "})
    assert silent.status_code == 422 and 'id="deactivate-reason-error">必须填写理由' in silent.text
    assert site.platform.organisation.current().users["wang.wu"].active
    done = site.client.post("/centre/users/wang.wu/deactivate", data={"csrf_token": token, "reason": "调离岗位"})
    assert done.status_code == 200 and "用户已停用" in done.text
    assert re.search(r"停用用户 .*调离岗位", text_of(done.text))
    assert not site.platform.organisation.current().users["wang.wu"].active


@pytest.mark.parametrize("username", ["auditor", "evaluator.east", "coordinator.130425"])
def test_only_the_admin_may_change_the_organisation_or_enrol(site: Site, username: str) -> None:
    site.sign_in(username)
    token = site.csrf()
    head = site.platform.ledger.head()
    for path, data in (("/centre/users", {"username": "intruder", "password": "a-long-password-1", "role": "admin"}),
                       ("/centre/users/dept.130425/deactivate", {"reason": "试图停用"}),
                       ("/centre/counties", {"code": "110229", "name": "某县", "province": "北京市",
                                             "region": "east", "scheme": "demo-2023"}),
                       ("/centre/teams", {"code": "rogue", "name": "某组", "region": "east"})):  # fmt: skip
        refused = site.client.post(path, data={"csrf_token": token, **data})
        assert refused.status_code == 403 and "无权" in refused.text, (username, path)
    assert site.platform.ledger.head() == head
    assert "intruder" not in site.platform.organisation.current().users


def test_odd_inputs_are_refused_in_words_never_with_a_500(site: Site) -> None:
    site.sign_in("admin")
    token = form_token(site, "/centre/users")
    team = {"csrf_token": token, "code": "t1", "name": "某\x00组", "region": "east"}
    nul = site.client.post("/centre/teams", data=team)
    assert nul.status_code == 422 and "空字符" in nul.text
    deep = {"document": ("deep.json", b"[" * 100_000 + b"]" * 100_000, "application/json")}
    refused = site.client.post("/centre/schemes", data={"csrf_token": token}, files=deep)
    assert refused.status_code == 422 and "方案未发布" in refused.text
    unknown = site.client.post("/centre/teams/no-such-team/counties", data={"csrf_token": token, "reason": "x"})
    assert unknown.status_code == 404 and "评估组“no-such-team”不存在" in unknown.text
    assert site.client.get("/centre/users/nobody").status_code == 404
    site.sign_in("auditor")
    for params in ({"from": "2024-13-45", "to": "2024-01-01"}, {"from": "1999-01-01", "to": "2024-01-01"},
                   {"from": "2024-01-01", "to": "9999-01-01T00:00:00+08:00"}, {"to": "2024-01-01"}):  # fmt: skip
        answer = site.client.get("/audit/counties/130425/changes", params=params)
        assert answer.status_code == 422 and "field__error" in answer.text, params
    assert site.client.get("/audit/counties/130425/history", params={"node": "9.9"}).status_code == 404
    assert site.client.get("/audit/counties/130425/history", params={"year": 2031}).status_code == 404


def test_a_scheme_refusal_names_its_path_once(site: Site) -> None:
    document: dict[str, Any] = json.loads(json.dumps(site.platform.ledger.scheme(
        published_schemes(site.platform.ledger)[0].id).scheme.to_document(), default=str))  # fmt: skip
    document["id"] = "points-2024"
    rule = {"code": "Z1", "outcome": "overdue", "kind": "penalty_points", "points": 2, "category": "P1"}
    document["consequences"] = {"by_report": [], "by_rectification": [rule]}
    with pytest.raises(InvalidCommand) as refused:
        parse_scheme(json.loads(json.dumps(document)))
    path = "consequences.by_rectification[0].points"
    assert path in [problem.field for problem in refused.value.problems]
    site.sign_in("admin")
    upload = {"document": ("方案.json", json.dumps(document, ensure_ascii=False).encode(), "application/json")}
    answer = site.client.post("/centre/schemes", data={"csrf_token": form_token(site, "/centre/schemes")},
                              files=upload)  # fmt: skip
    assert answer.status_code == 422
    shown = text_of(answer.text)
    assert "penalty_points 的分值必须是负数" in shown and shown.count(path) == 1, shown
