"""The review pages over HTTP: the evaluator's queue and desk, feedback threads, the coordinator's page.

Indicators, periods and values are taken from the running demo (the first value in the
queue, the county's first leaf indicator, a pending proposal), never written into the test.
"""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest

from domain.access import Principal, Scope
from domain.state import thread_key
from pages.reads import counties
from ruraleval import demo
from tests.test_pages import Site
from tests.test_pages import site as demo_site  # noqa: F401  (the demo, once for this module)

OURS, THEIRS = "130425", "320583"
YEAR = demo.YEAR


@pytest.fixture
def site(demo_site: Site) -> Site:  # noqa: F811
    return demo_site


def book(site: Site, code: str = OURS):  # type: ignore[no-untyped-def]
    return site.platform.ledger.county(code).book(YEAR)  # the demo's year (大名县 has taken on 2024 too)


def version(site: Site, code: str = OURS) -> int:
    return site.platform.ledger.county(code).version


def post(site: Site, path: str, data: dict[str, str], **kwargs: object):  # type: ignore[no-untyped-def]
    """Posts a form as its page sends it: with the year the page shows (the pages' forms carry it)."""
    form = {"csrf_token": site.csrf(), "year": str(YEAR), **data}
    return site.client.post(path, data=form, follow_redirects=False, **kwargs)


def first_in_queue(text: str) -> tuple[str, str, str]:
    """(county, indicator, period) of the first value the queue offers to review."""
    found = re.search(r'action="/counties/(\d{6})/reviews".*?name="indicator" value="([^"]*)".*?'
                      r'name="period" value="([^"]*)"', text, re.S)  # fmt: skip
    assert found, "the queue offers nothing to review"
    return found.group(1), found.group(2), found.group(3)


def text_of(answer_text: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer_text)))


# ------------------------------------------------------------------------------------ the queue


def test_the_queue_holds_the_teams_counties_and_keeps_its_filters_in_the_url(site: Site) -> None:
    site.sign_in("evaluator.east")
    team = site.platform.organisation.current().team("east-1").counties
    page = site.client.get("/evaluation")
    assert page.status_code == 200 and "<h1>评估组工作台</h1>" in page.text
    everyone = Principal("test", (Scope("admin", None),))
    names = {row["code"]: row["name"] for row in counties(site.platform, everyone)}
    for code, name in names.items():
        assert (f"{name}（{code}）" in page.text) == (code in team)
    only = site.client.get(f"/evaluation?county={THEIRS}&status=submitted")
    assert "昆山市" in only.text and f'action="/counties/{OURS}/reviews"' not in only.text
    assert f'<option value="{THEIRS}" selected>' in only.text and '<option value="submitted" selected>' in only.text


def test_the_returned_filter_shows_each_return_waiting_on_the_county_with_its_comment(site: Site) -> None:
    site.sign_in("evaluator.east")
    code, indicator, period = first_in_queue(site.client.get(f"/evaluation?county={THEIRS}").text)
    post(site, f"/counties/{code}/reviews", {"indicator": indicator, "period": period, "decision": "return",
                                             "comment": "请附统计台账"})  # fmt: skip
    team = site.platform.organisation.current().team("east-1").counties
    returned = [t for county in team for t in book(site, county).threads.values() if t.status == "returned"]
    page = text_of(site.client.get("/evaluation?status=returned").text)
    assert "请附统计台账" in page and "等待县里答复" in page
    for thread in returned:
        assert thread.comments[-1].text in page
    assert f"已退回，待县里答复（{len(returned)}）" in page


def test_accepting_a_value_takes_it_out_of_the_queue(site: Site) -> None:
    site.sign_in("evaluator.east")
    code, indicator, period = first_in_queue(site.client.get("/evaluation").text)
    answer = post(site, f"/counties/{code}/reviews", {"indicator": indicator, "period": period, "decision": "accept",
                                                       "status": "todo", "county": ""})  # fmt: skip
    assert answer.status_code == 303 and answer.headers["location"].startswith("/evaluation?status=todo")
    assert book(site, code).threads[thread_key(indicator, period)].status == "accepted"
    after = site.client.get(answer.headers["location"]).text
    assert "已审核通过。" in after
    assert first_in_queue(after) != (code, indicator, period)


def test_returning_without_a_comment_is_refused_beside_the_field_and_stores_nothing(site: Site) -> None:
    site.sign_in("evaluator.east")
    code, indicator, period = first_in_queue(site.client.get("/evaluation").text)
    before = version(site, code)
    refused = post(site, f"/counties/{code}/reviews", {"indicator": indicator, "period": period, "decision": "return",
                                                        "comment": "  "})  # fmt: skip
    assert refused.status_code == 422
    form = f"r-{code}-{indicator}-{period}".replace(".", "_")
    assert f'id="{form}-comment-error">退回须填写意见</p>' in refused.text
    assert f'aria-describedby="{form}-comment-error"' in refused.text
    assert version(site, code) == before


def test_an_htmx_decision_answers_its_queue_row_alone(site: Site) -> None:
    site.sign_in("evaluator.east")
    code, indicator, period = first_in_queue(site.client.get(f"/evaluation?county={THEIRS}").text)
    data = {"indicator": indicator, "period": period, "status": "todo", "county": THEIRS}
    refused = post(site, f"/counties/{code}/reviews", data | {"decision": "return"}, headers={"HX-Request": "true"})
    assert refused.status_code == 422 and refused.text.lstrip().startswith("<tr") and "<html" not in refused.text
    assert "退回须填写意见" in refused.text and 'aria-invalid="true"' in refused.text
    accepted = post(site, f"/counties/{code}/reviews", data | {"decision": "accept"}, headers={"HX-Request": "true"})
    assert accepted.status_code == 200 and accepted.text.lstrip().startswith("<tr")
    assert "已审核通过。" in accepted.text and "审核通过" in accepted.text and "<form" not in accepted.text
    assert book(site, code).threads[thread_key(indicator, period)].status == "accepted"


def test_a_return_answered_by_the_clerk_shows_the_answer_to_the_evaluator(site: Site) -> None:
    site.sign_in("evaluator.east")
    code, indicator, period = first_in_queue(site.client.get(f"/evaluation?county={OURS}").text)
    comment = f"请核实{period}的数值"
    returned = post(site, f"/counties/{code}/reviews", {"indicator": indicator, "period": period, "decision": "return",
                                                         "comment": comment, "back": "thread"})  # fmt: skip
    assert returned.status_code == 303 and "/feedback/thread?" in returned.headers["location"]
    site.sign_in("dept.130425" if book(site).responsibility.get(indicator) else "coordinator.130425")
    thread_url = f"/counties/{code}/feedback/thread?indicator={indicator}&period={period}"
    thread = text_of(site.client.get(thread_url).text)
    assert comment in thread and "已退回，待县里答复" in thread and "等待县里答复" in thread and "答复评估组" in thread
    empty = post(site, f"/counties/{code}/feedback", {"indicator": indicator, "period": period, "comment": ""})
    assert empty.status_code == 422 and "留言须填写意见" in empty.text
    answer = post(site, f"/counties/{code}/feedback", {"indicator": indicator, "period": period,
                                                        "comment": "已核实，数值无误"})  # fmt: skip
    assert answer.status_code == 303
    site.sign_in("evaluator.east")
    queue = text_of(site.client.get(f"/evaluation?county={code}&status=answered").text)
    assert "县里已答复，待审核" in queue and "已核实，数值无误" in queue
    listed = text_of(site.client.get(f"/counties/{code}/feedback").text)
    assert "县里已答复，待审核" in listed and "等待评估组审核" in listed


def test_a_department_asks_a_question_about_one_of_its_indicators_and_not_about_others(site: Site) -> None:
    current = book(site)
    department = {"县农业农村局"}
    ours = next(code for code, duty in current.responsibility.items() if duty.department in department)
    others = next(code for code in current.indicators if code not in current.responsibility
                  and current.indicators[code].weighted and code != ours)  # fmt: skip
    site.sign_in("dept.130425")
    listed = site.client.get(f"/counties/{OURS}/feedback").text
    assert "就某项指标提出问题或说明" in listed
    empty = post(site, f"/counties/{OURS}/feedback", {"indicator": ours, "period": "", "comment": "", "back": "list"})
    assert empty.status_code == 422 and 'id="question-comment-error"' in empty.text
    before = version(site)
    theirs = post(site, f"/counties/{OURS}/feedback", {"indicator": others, "period": "", "comment": "请问口径？",
                                                        "back": "list"})  # fmt: skip
    assert theirs.status_code in (403, 422) and version(site) == before
    asked = post(site, f"/counties/{OURS}/feedback", {"indicator": ours, "period": "", "comment": "请问统计口径？",
                                                       "back": "list"})  # fmt: skip
    assert asked.status_code == 303 and f"indicator={ours}" in asked.headers["location"]
    thread = text_of(site.client.get(asked.headers["location"]).text)
    assert "请问统计口径？" in thread and "等待评估组审核" in thread


# ------------------------------------------------------------------------------ the desk


def test_an_evaluator_approves_and_rejects_county_proposals(site: Site) -> None:
    waiting = [p.id for p in book(site).proposals.values() if p.status == "pending"]
    site.sign_in("coordinator.130425")  # two proposals made on the coordinator's page
    page = site.client.get(f"/counties/{OURS}/indicators").text
    branch = re.search(r'name="parent" value="([^"]+)"', page)
    assert branch
    weights = {name: Decimal(value) for name, value in
               re.findall(r'name="(weight:[^"]+)" inputmode="decimal" value="([^"]*)"', page)}  # fmt: skip
    highest, lowest = max(weights, key=lambda k: weights[k]), min(weights, key=lambda k: weights[k])
    weights[highest] -= Decimal("0.5")
    weights[lowest] += Decimal("0.5")
    for reason in ("按本县实际调整", "再次申请调整"):
        proposed = post(site, f"/counties/{OURS}/proposals", {"parent": branch.group(1), "reason": reason,
                                                               **{k: str(v) for k, v in weights.items()}})  # fmt: skip
        assert proposed.status_code == 303, text_of(proposed.text)[:3000]
    made = [p.id for p in book(site).proposals.values() if p.status == "pending" and p.id not in waiting]
    assert len(made) == 2

    site.sign_in("evaluator.east")
    desk = site.client.get(f"/counties/{OURS}/evaluation").text
    assert "待审批的变更申请" in desk and all(p in desk for p in waiting + made)
    no_reason = post(site, f"/counties/{OURS}/proposals/{made[1]}/decide", {"decision": "reject", "reason": ""})
    assert no_reason.status_code == 422 and f'id="proposal-{made[1]}-reason-error"' in no_reason.text
    approved = post(site, f"/counties/{OURS}/proposals/{made[0]}/decide", {"decision": "approve",
                                                                            "reason": "经评估组审核同意"})  # fmt: skip
    assert approved.status_code == 303
    rejected = post(site, f"/counties/{OURS}/proposals/{made[1]}/decide", {"decision": "reject",
                                                                            "reason": "与方案导向不符"})  # fmt: skip
    assert rejected.status_code == 303
    current = book(site)
    assert current.proposals[made[0]].status == "approved" and current.proposals[made[1]].status == "rejected"
    assert current.indicators[lowest.removeprefix("weight:")].weight == weights[lowest]
    site.sign_in("coordinator.130425")
    mine = text_of(site.client.get(f"/counties/{OURS}/indicators").text)
    assert "已驳回" in mine and "与方案导向不符" in mine and "已批准" in mine


def test_a_refusal_about_no_field_of_the_form_is_shown_above_it(site: Site) -> None:
    site.sign_in("evaluator.east")
    code, indicator, period = first_in_queue(site.client.get(f"/evaluation?county={OURS}").text)
    data = {"indicator": indicator, "period": period, "decision": "accept", "back": "thread"}
    assert post(site, f"/counties/{code}/reviews", data).status_code == 303
    again = post(site, f"/counties/{code}/reviews", data)  # accepted already: the decision itself is refused
    assert again.status_code == 409 and '<p class="alert alert--error" role="alert">该数据已审核通过</p>' in again.text


def test_the_coordinator_proposes_a_county_specific_indicator(site: Site) -> None:
    site.sign_in("coordinator.130425")
    page = site.client.get(f"/counties/{OURS}/indicators").text
    start = page.index('name="kind" value="define_indicator"')
    form = page[start : page.index("</form>", start)]
    parent = re.findall(r'name="parent" value="([^"]+)"', page[:start])[-1]
    suggested = re.search(r'name="indicator.code" value="([^"]+)"', form)
    assert suggested and suggested.group(1) not in book(site).indicators
    siblings = {name: Decimal(value) for name, value in re.findall(r'name="(sibling:[^"]+)" inputmode="decimal" '
                                                                    r'value="([^"]*)"', form)}  # fmt: skip
    node = book(site).indicators[parent]
    assert node.county_adjustable is not None
    floor = node.weight * node.county_adjustable.min_share
    weight, owed = floor, floor  # the new indicator takes the least it may; its siblings give it up
    for name in sorted(siblings, key=lambda k: -siblings[k]):
        given = min(owed, siblings[name] - floor)
        siblings[name] -= given
        owed -= given
    assert owed == 0
    fields = {"parent": parent, "kind": "define_indicator", "indicator.code": suggested.group(1),
              "indicator.name": "乡村文艺团队数", "indicator.unit": "支", "indicator.target": "30",
              "indicator.weight": str(weight), "indicator.direction": "higher_better", "indicator.frequency": "annual",
              "indicator.aggregate": "latest", "reason": "本县文艺团队是乡风文明建设的特色",
              **{k: str(v) for k, v in siblings.items()}}  # fmt: skip
    before = version(site)
    no_target = post(site, f"/counties/{OURS}/proposals", fields | {"indicator.target": "三十"})
    assert no_target.status_code == 422 and re.search(r'-indicator.method-error">[^<]*target', no_target.text)
    assert version(site) == before
    proposed = post(site, f"/counties/{OURS}/proposals", fields)
    assert proposed.status_code == 303, text_of(proposed.text)[:2000]
    made = list(book(site).proposals.values())[-1]
    assert made.kind == "define_indicator" and made.status == "pending"
    assert made.change["indicator"]["code"] == suggested.group(1)
    listed = text_of(site.client.get(f"/counties/{OURS}/indicators").text)
    assert f"新增个性指标“{suggested.group(1)} 乡村文艺团队数”" in listed


def test_the_coordinator_withdraws_a_pending_proposal_with_a_reason(site: Site) -> None:
    site.sign_in("coordinator.130425")
    page = site.client.get(f"/counties/{OURS}/indicators").text
    branch = re.search(r'name="parent" value="([^"]+)"', page)
    assert branch
    weights = dict(re.findall(r'name="(weight:[^"]+)" inputmode="decimal" value="([^"]*)"', page))
    before = {p.id for p in book(site).proposals.values()}
    unchanged = post(site, f"/counties/{OURS}/proposals", {"parent": branch.group(1), "reason": "", **weights})
    assert unchanged.status_code == 422 and {p.id for p in book(site).proposals.values()} == before
    bad = post(site, f"/counties/{OURS}/proposals", {"parent": branch.group(1), "reason": "试",
                                                      **dict.fromkeys(weights, "六")})  # fmt: skip
    assert bad.status_code == 422 and "的权重：“六”不是数字" in bad.text
    highest = max(weights, key=lambda k: Decimal(weights[k]))
    lowest = min(weights, key=lambda k: Decimal(weights[k]))
    step = Decimal("0.5")
    moved = weights | {highest: str(Decimal(weights[highest]) - step), lowest: str(Decimal(weights[lowest]) + step)}
    proposed = post(site, f"/counties/{OURS}/proposals", {"parent": branch.group(1), "reason": "试行", **moved})
    assert proposed.status_code == 303
    made = next(p.id for p in book(site).proposals.values() if p.id not in before)
    listed = site.client.get(f"/counties/{OURS}/indicators").text
    assert f'action="/counties/{OURS}/proposals/{made}/withdraw"' in listed and "待审核" in listed
    no_reason = post(site, f"/counties/{OURS}/proposals/{made}/withdraw", {"reason": ""})
    assert no_reason.status_code == 422 and f'id="withdraw-{made}-reason-error"' in no_reason.text
    withdrawn = post(site, f"/counties/{OURS}/proposals/{made}/withdraw", {"reason": "与评估组沟通后暂缓"})
    assert withdrawn.status_code == 303 and book(site).proposals[made].status == "withdrawn"
    assert "已撤回" in text_of(site.client.get(withdrawn.headers["location"]).text)


def test_an_override_needs_a_reason_shows_its_authority_and_can_be_revoked(site: Site) -> None:
    site.sign_in("evaluator.east")
    desk = site.client.get(f"/counties/{OURS}/evaluation").text
    node = re.search(r'<select id="override-node" name="node"[^>]*>\s*<option value="[^"]+">.*?'
                     r'<option value="([^"]+)">', desk, re.S)  # fmt: skip
    assert node  # the first indicator after the total
    before = version(site)
    for data, field, message in (({"score": "abc", "reason": "复核"}, "score", "不是数字"),
                                 ({"score": "0.5", "reason": ""}, "reason", "理由")):  # fmt: skip
        refused = post(site, f"/counties/{OURS}/overrides", {"node": node.group(1), "authority": "centre",
                                                              "year": "2023", **data})  # fmt: skip
        assert refused.status_code == 422
        assert re.search(rf'id="override-{field}-error">[^<]*{message}', refused.text), refused.text[-3000:]
    assert version(site) == before
    stored = post(site, f"/counties/{OURS}/overrides", {"node": node.group(1), "authority": "centre", "year": "2023",
                                                         "score": "0.5", "reason": "中心复核：台账缺失"})  # fmt: skip
    assert stored.status_code == 303
    made = [o for o in book(site).overrides.values() if o.reason == "中心复核：台账缺失"]
    assert len(made) == 1 and made[0].authority == "centre" and made[0].actor == "evaluator.east"
    shown = text_of(site.client.get(f"/counties/{OURS}/evaluation").text)
    assert "中心复核：台账缺失" in shown and "中心" in shown
    revoked = post(site, f"/counties/{OURS}/overrides/{made[0].id}/revoke", {"reason": "误录", "year": "2023"})
    assert revoked.status_code == 303 and book(site).overrides[made[0].id].revoked


def test_points_are_recorded_with_a_reason_and_revoked(site: Site) -> None:
    site.sign_in("evaluator.east")
    desk = site.client.get(f"/counties/{OURS}/evaluation").text
    category = re.search(r'<select id="points-category" name="category"[^>]*>\s*<option value="([^"]+)">([^<]*)', desk)
    assert category
    sign = "-" if "减分" in category.group(2) else ""
    stored = post(site, f"/counties/{OURS}/adjustments", {"category": category.group(1), "points": f"{sign}0.5",
                                                           "reason": "示范经验被省级推广", "year": "2023"})  # fmt: skip
    assert stored.status_code == 303, stored.text[-2000:]
    made = [a for a in book(site).adjustments if a.reason == "示范经验被省级推广"]
    assert len(made) == 1
    revoked = post(site, f"/counties/{OURS}/adjustments/{made[0].id}/revoke", {"reason": "重复记录", "year": "2023"})
    assert revoked.status_code == 303 and next(a for a in book(site).adjustments if a.id == made[0].id).revoked


def test_closing_and_reopening_a_period(site: Site) -> None:
    site.sign_in("evaluator.east")
    period = f"{book(site).scheme.year}-12"
    closed = post(site, f"/counties/{OURS}/periods/close", {"period": period, "reason": "年度数据截止"})
    assert closed.status_code == 303 and period in book(site).closed
    desk = text_of(site.client.get(closed.headers["location"]).text)
    assert "期间已关账。" in desk and "重新开启" in desk
    before = version(site)
    no_reason = post(site, f"/counties/{OURS}/periods/reopen", {"period": period, "reason": ""})
    assert no_reason.status_code == 422 and f'id="reopen-{period}-reason-error"' in no_reason.text
    assert version(site) == before
    bad = post(site, f"/counties/{OURS}/periods/close", {"period": "2023-13"})
    assert bad.status_code == 422 and 'id="close-period-error"' in bad.text
    reopened = post(site, f"/counties/{OURS}/periods/reopen", {"period": period, "reason": "补报12月数据"})
    assert reopened.status_code == 303 and period not in book(site).closed


# ------------------------------------------------------------------------- the coordinator


def test_the_coordinator_sees_the_tree_with_weights_departments_and_missing_plans(site: Site) -> None:
    site.sign_in("coordinator.130425")
    page = text_of(site.client.get(f"/counties/{OURS}/indicators").text)
    current = book(site)
    for code, duty in current.responsibility.items():
        assert f"{duty.department}（{duty.person}）" in page or duty.department in page, code
    assert "已上传" in page and "未上传" in page
    missing = sum(1 for node in current.indicators.values() if node.weighted and node.code not in current.action_plans
                  and not any(child.parent == node.code for child in current.indicators.values()))  # fmt: skip
    assert f"{missing} 缺行动方案" in page


def test_the_coordinator_assigns_a_department_and_uploads_an_action_plan(site: Site) -> None:
    site.sign_in("coordinator.130425")
    page = site.client.get(f"/counties/{OURS}/indicators").text
    missing = re.search(r'<option value="([^"]+)">[^<]*（缺）</option>', page)
    assert missing
    indicator = missing.group(1)
    duty = post(site, f"/counties/{OURS}/responsibility", {"indicator": indicator, "department": "县文化广电和旅游局",
                                                            "person": "张敏"})  # fmt: skip
    assert duty.status_code == 303 and book(site).responsibility[indicator].department == "县文化广电和旅游局"
    empty = post(site, f"/counties/{OURS}/responsibility", {"indicator": indicator, "department": ""})
    assert empty.status_code == 422 and 'id="duty-department-error">必须填写责任部门' in empty.text
    upload = {"files": ("方案.txt", "内容".encode(), "text/plain")}
    no_text = site.client.post(f"/counties/{OURS}/action-plans", files=upload,
                               data={"csrf_token": site.csrf(), "year": str(YEAR), "indicator": indicator,
                                     "text": ""})  # fmt: skip
    assert no_text.status_code == 422 and 'id="plan-text-error"' in no_text.text
    assert indicator not in book(site).action_plans
    plan_form = {"csrf_token": site.csrf(), "year": str(YEAR), "indicator": indicator, "text": "分三步推进"}
    filed = site.client.post(f"/counties/{OURS}/action-plans", files=upload, data=plan_form, follow_redirects=False)
    assert filed.status_code == 303
    plan = book(site).action_plans[indicator]
    assert plan.text == "分三步推进" and [f.name for f in plan.files] == ["方案.txt"]


def test_an_api_key_is_shown_once_and_can_be_revoked(site: Site) -> None:
    site.sign_in("coordinator.130425")
    keys_before = len(site.platform.organisation.current().api_keys)
    issued = post(site, f"/counties/{OURS}/api-keys", {"label": "县农业农村局数据中台", "indicators": ""})
    assert issued.status_code == 303 and "rek_" not in issued.headers["location"]  # reloading posts nothing
    created = site.client.get(issued.headers["location"])
    assert created.status_code == 200 and "只显示这一次" in created.text
    token = re.search(r'id="new-key" class="key-secret" readonly value="(rek_[^"]+)"', created.text)
    assert token and len(site.platform.organisation.current().api_keys) == keys_before + 1
    reloaded = site.client.get(issued.headers["location"]).text
    assert token.group(1) not in reloaded and len(site.platform.organisation.current().api_keys) == keys_before + 1
    assert site.client.get("/api/v1/counties/130425/feedback", headers={"X-API-Key": token.group(1)}).status_code == 200
    again = site.client.get(f"/counties/{OURS}/indicators").text
    assert token.group(1) not in again and "县农业农村局数据中台" in again
    keys = site.platform.organisation.current().api_keys.values()
    key_id = next(k.id for k in keys if k.label == "县农业农村局数据中台")
    assert key_id in again
    no_label = post(site, f"/counties/{OURS}/api-keys", {"label": " "})
    assert no_label.status_code == 422 and 'id="key-label-error"' in no_label.text and "rek_" not in no_label.text
    revoked = post(site, f"/counties/{OURS}/api-keys/{key_id}/revoke", {"reason": "系统下线"})
    assert revoked.status_code == 303 and site.platform.organisation.current().api_keys[key_id].revoked
    assert site.client.get("/api/v1/counties/130425/feedback", headers={"X-API-Key": token.group(1)}).status_code == 401


# ------------------------------------------------------------------------------- refusals


def test_the_coordinator_of_one_county_is_refused_on_another(site: Site) -> None:
    site.sign_in("coordinator.130425")
    for url in (f"/counties/{THEIRS}/indicators", f"/counties/{THEIRS}/feedback",
                f"/counties/{THEIRS}/feedback/thread?indicator=1.1", f"/counties/{THEIRS}/evaluation"):  # fmt: skip
        refused = site.client.get(url)
        assert refused.status_code == 403 and "无权" in refused.text and "昆山市" not in refused.text, url
    before = version(site, THEIRS)
    for path, data in ((f"/counties/{THEIRS}/responsibility", {"indicator": "1.1", "department": "某局"}),
                       (f"/counties/{THEIRS}/api-keys", {"label": "越权"}),
                       (f"/counties/{THEIRS}/feedback", {"indicator": "1.1", "comment": "越权"})):  # fmt: skip
        assert post(site, path, data).status_code == 403, path
    assert version(site, THEIRS) == before
    assert not [k for k in site.platform.organisation.current().api_keys.values() if k.label == "越权"]


def test_a_department_user_is_refused_on_evaluator_actions(site: Site) -> None:
    site.sign_in("dept.130425")
    for url in ("/evaluation", f"/counties/{OURS}/evaluation"):
        refused = site.client.get(url)
        assert refused.status_code == 403 and "无权" in refused.text, url
    before = version(site)
    indicator, period = next((i, p) for i, values in book(site).data.items() for p in values)
    for path, data in ((f"/counties/{OURS}/reviews", {"indicator": indicator, "period": period, "decision": "accept"}),
                       (f"/counties/{OURS}/overrides", {"node": "total", "score": "99", "authority": "centre",
                                                        "reason": "越权", "year": "2023"}),
                       (f"/counties/{OURS}/periods/close", {"period": period}),
                       (f"/counties/{OURS}/feedback/close", {"indicator": indicator, "period": period})):  # fmt: skip
        refused = post(site, path, data)
        assert refused.status_code == 403 and "无权" in refused.text, path
    assert version(site) == before
    assert "数据接口密钥" not in site.client.get(f"/counties/{OURS}/indicators").text  # not theirs to manage
