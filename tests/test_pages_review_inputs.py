"""The review and coordinator forms read their fields by the API's input rules (ADR 17).

No text holds NUL; numbers and years are NFKC-normalised and then written in ASCII digits only;
a period is normalised (２０２３-11 is 2023-11). A refusal is shown beside its field and stores
nothing. Indicators and periods come from the running demo.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from domain.inputs import NUL_WORDS
from tests.test_pages import Site
from tests.test_pages import site as demo_site  # noqa: F401  (the demo, once for this module)
from tests.test_pages_review import OURS, book, first_in_queue, post, version


@pytest.fixture
def site(demo_site: Site) -> Site:  # noqa: F811
    return demo_site


def organisation_version(site: Site) -> object:
    return site.platform.organisation.current()


def beside(answer_text: str, field_id: str, words: str) -> bool:
    return re.search(rf'id="{re.escape(field_id)}-error">[^<]*{re.escape(words)}', answer_text) is not None


def leaf(site: Site) -> str:
    """The county's first indicator without children, as the coordinator's form offers it."""
    current = book(site)
    parents = {node.parent for node in current.indicators.values()}
    return next(code for code, node in current.indicators.items() if node.weighted and code not in parents)


def test_nul_in_any_form_field_is_refused_beside_it_and_nothing_is_stored(site: Site) -> None:
    site.sign_in("evaluator.east")
    code, indicator, period = first_in_queue(site.client.get(f"/evaluation?county={OURS}").text)
    before = version(site)
    answer = post(site, f"/counties/{code}/feedback", {"indicator": indicator, "period": period,
                                                        "comment": "统计口径\x00说明"})  # fmt: skip
    assert answer.status_code == 422 and "-comment-error" in answer.text and NUL_WORDS in answer.text
    assert "\x00" not in answer.text
    override = post(site, f"/counties/{OURS}/overrides", {"node": "total", "authority": "centre", "year": "2023",
                                                           "score": "1", "reason": "理由\x00"})  # fmt: skip
    assert override.status_code == 422 and beside(override.text, "override-reason", NUL_WORDS)
    assert version(site) == before
    site.sign_in("coordinator.130425")
    chosen = leaf(site)
    duty = post(site, f"/counties/{OURS}/responsibility", {"indicator": chosen, "department": "县农业\x00农村局"})
    assert duty.status_code == 422 and beside(duty.text, "duty-department", NUL_WORDS)
    plan = post(site, f"/counties/{OURS}/action-plans", {"indicator": chosen, "text": "分三步\x00推进"})
    assert plan.status_code == 422 and beside(plan.text, "plan-text", NUL_WORDS)
    assert version(site) == before
    keys = dict(organisation_version(site).api_keys)  # type: ignore[attr-defined]
    key = post(site, f"/counties/{OURS}/api-keys", {"label": "数据中台\x00", "indicators": ""})
    assert key.status_code == 422 and beside(key.text, "key-label", NUL_WORDS) and "rek_" not in key.text
    assert dict(organisation_version(site).api_keys) == keys  # type: ignore[attr-defined]


def test_digits_of_another_script_are_refused_on_evaluator_and_coordinator_forms(site: Site) -> None:
    site.sign_in("evaluator.east")
    before = version(site)
    override = post(site, f"/counties/{OURS}/overrides", {"node": "total", "authority": "centre", "year": "2023",
                                                           "score": "٣", "reason": "复核"})  # fmt: skip
    assert override.status_code == 422 and beside(override.text, "override-score", "0–9 以外的数字字符")
    desk = site.client.get(f"/counties/{OURS}/evaluation").text
    category = re.search(r'<select id="points-category" name="category"[^>]*>\s*<option value="([^"]+)">', desk)
    assert category
    points = post(site, f"/counties/{OURS}/adjustments", {"category": category.group(1), "points": "١",
                                                           "reason": "推广", "year": "2023"})  # fmt: skip
    assert points.status_code == 422 and beside(points.text, "points-points", "0–9 以外的数字字符")
    year = post(site, f"/counties/{OURS}/adjustments", {"category": category.group(1), "points": "1",
                                                         "reason": "推广", "year": "٢٠٢٣"})  # fmt: skip
    assert year.status_code == 422 and "0–9 以外的数字字符" in year.text
    assert version(site) == before
    site.sign_in("coordinator.130425")
    current = book(site)
    parent = next(code for code, node in current.indicators.items() if node.county_adjustable and node.weighted)
    children = [code for code, node in current.indicators.items() if node.parent == parent]
    weights = {f"weight:{code}": "٦" for code in children}
    proposal = post(site, f"/counties/{OURS}/proposals", {"parent": parent, "reason": "调整", **weights})
    assert proposal.status_code == 422 and "0–9 以外的数字字符" in proposal.text
    assert version(site) == before


def test_full_width_digits_are_read_as_the_api_reads_them(site: Site) -> None:
    site.sign_in("evaluator.east")
    period = f"{book(site).scheme.year}-11"
    wide = period.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    closed = post(site, f"/counties/{OURS}/periods/close", {"period": wide, "reason": "年度数据截止"})
    assert closed.status_code == 303, closed.text[-2000:]
    assert period in book(site).closed and wide not in book(site).closed
    reopened = post(site, f"/counties/{OURS}/periods/reopen", {"period": period, "reason": "补报"})
    assert reopened.status_code == 303
    stored = post(site, f"/counties/{OURS}/overrides", {"node": "total", "authority": "centre", "year": "２０２３",
                                                         "score": "１", "reason": "全角复核"})  # fmt: skip
    assert stored.status_code == 303, stored.text[-2000:]
    made = [o for o in book(site).overrides.values() if o.reason == "全角复核"]
    assert len(made) == 1 and str(made[0].score) == "1"
    post(site, f"/counties/{OURS}/overrides/{made[0].id}/revoke", {"reason": "测试", "year": "2023"})


def test_the_feedback_page_title_is_words_and_a_department_is_offered_only_its_indicators(site: Site) -> None:
    current = book(site)
    site.sign_in("dept.130425")
    listed = site.client.get(f"/counties/{OURS}/feedback").text
    title = re.search(r"<title>([^<]*)</title>", listed)
    assert title and title.group(1).startswith("大名县在线反馈") and "<form" not in listed.split("</head>")[0]
    form = listed[listed.index('id="question-indicator"') :]
    offered = re.findall(r'<option value="([^"]+)"', form[: form.index("</select>")])
    grants = site.platform.organisation.current().users["dept.130425"].grants
    departments = {grant.department for grant in grants}
    ours = {code for code, duty in current.responsibility.items() if duty.department in departments}
    assert offered and set(offered) <= ours
    assert len(offered) < sum(1 for node in current.indicators.values() if node.weighted)


def test_refusals_whose_form_is_not_on_the_page_are_shown_at_its_top(site: Site) -> None:
    current = book(site)
    before = version(site)
    site.sign_in("coordinator.130425")
    fixed = next(code for code, node in current.indicators.items() if node.weighted and not node.county_adjustable
                 and any(child.parent == code for child in current.indicators.values()))  # fmt: skip
    for parent in (fixed, "no-such-node"):
        refused = post(site, f"/counties/{OURS}/proposals", {"parent": parent, "reason": "调整", "weight:x": "1"})
        assert refused.status_code in (403, 422)
        alert = re.search(r'<p class="alert alert--error" role="alert">([^<]+)</p>', refused.text)
        assert alert and alert.group(1).strip(), refused.text[-1500:]
    site.sign_in("evaluator.east")
    open_period = f"{current.scheme.year}-10"
    assert open_period not in current.closed
    reopen = post(site, f"/counties/{OURS}/periods/reopen", {"period": open_period, "reason": "补报"})
    assert reopen.status_code == 409 and 'class="alert alert--error" role="alert"' in reopen.text
    for indicator, period in (("", ""), ("no.such", ""), (leaf(site), "2023-13")):
        data = {"indicator": indicator, "period": period, "comment": "问"}
        answer = post(site, f"/counties/{OURS}/feedback", data)
        assert answer.status_code == 422, (data, answer.status_code)
        assert re.search(r'id="question-(indicator|form)-error"|role="alert"', answer.text), data
    assert version(site) == before


def test_an_api_keys_indicators_are_known_codes_read_by_one_rule_on_the_page_and_the_api(site: Site) -> None:
    from tests.conftest import login
    from tests.test_pages import PASSWORDS

    current = book(site)
    first, second = sorted(code for code, node in current.indicators.items() if node.weighted)[:2]
    wide = first.translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))
    keys = site.platform.organisation.current().api_keys
    count = len(keys)
    site.sign_in("coordinator.130425")
    unknown = post(site, f"/counties/{OURS}/api-keys", {"label": "中台", "indicators": f"9.9.9, {first}"})
    assert unknown.status_code == 422 and beside(unknown.text, "key-indicators", "“9.9.9”")
    long = post(site, f"/counties/{OURS}/api-keys", {"label": "中" * 5000, "indicators": ""})
    assert long.status_code == 422 and beside(long.text, "key-label", "不能超过 100 个字")
    assert len(site.platform.organisation.current().api_keys) == count
    made = post(site, f"/counties/{OURS}/api-keys", {"label": "限定指标", "indicators": f"{wide}，{second};{first}"})
    assert made.status_code == 303, made.text[-2000:]
    stored = [key for key in site.platform.organisation.current().api_keys.values() if key.label == "限定指标"]
    assert len(stored) == 1 and stored[0].indicators == sorted({first, second})
    headers = login(site.client, "coordinator.130425", PASSWORDS["coordinator.130425"])
    api = site.client.post(f"/api/v1/counties/{OURS}/api-keys", json={"label": "接口", "indicators": ["9.9.9"]},
                           headers=headers)  # fmt: skip
    assert api.status_code == 422 and "“9.9.9”" in api.text
    assert len(site.platform.organisation.current().api_keys) == count + 1


def test_weak_checks_are_refused_by_the_domain_for_page_and_api_alike(site: Site) -> None:
    current = book(site)
    before = version(site)
    site.sign_in("coordinator.130425")
    parent = next(code for code, node in current.indicators.items() if node.county_adjustable and node.weighted)
    children = {code: node.weight for code, node in current.indicators.items() if node.parent == parent}
    current_weights = {f"weight:{k}": str(v) for k, v in children.items()}
    same = post(site, f"/counties/{OURS}/proposals", {"parent": parent, "reason": "不变", **current_weights})
    assert same.status_code == 422 and "完全相同" in same.text
    first = next(iter(children))
    seven = current_weights | {f"weight:{first}": str(children[first] + Decimal("0.0000001"))}
    decimals = post(site, f"/counties/{OURS}/proposals", {"parent": parent, "reason": "小数", **seven})
    assert decimals.status_code == 422 and "最多两位小数" in decimals.text
    branch = next(code for code, node in current.indicators.items()
                  if node.weighted and any(child.parent == code for child in current.indicators.values()))  # fmt: skip
    plan = post(site, f"/counties/{OURS}/action-plans", {"indicator": branch, "text": "分三步推进"})
    assert plan.status_code == 422 and beside(plan.text, "plan-indicator", "不是末级指标")
    category = next(code for code, node in current.indicators.items() if node.kind == "bonus_penalty")
    duty = post(site, f"/counties/{OURS}/responsibility", {"indicator": category, "department": "县农业农村局"})
    assert duty.status_code == 422 and beside(duty.text, "duty-indicator", "加减分类别")
    upload = {"files": ("setup.exe", b"MZ", "application/octet-stream")}
    exe = site.client.post(f"/counties/{OURS}/action-plans", files=upload,
                           data={"csrf_token": site.csrf(), "indicator": leaf(site), "text": "分三步推进"})  # fmt: skip
    assert exe.status_code == 422 and beside(exe.text, "plan-files", "类型不允许")
    assert version(site) == before
    site.sign_in("evaluator.east")
    override = post(site, f"/counties/{OURS}/overrides", {"node": "total", "authority": "centre", "year": "2023",
                                                           "score": "3.123456789", "reason": "复核"})  # fmt: skip
    assert override.status_code == 422 and beside(override.text, "override-score", "最多两位小数")
    assert version(site) == before


def test_refusals_on_the_review_pages_are_in_chinese_only(site: Site) -> None:
    site.sign_in("evaluator.east")
    authority = post(site, f"/counties/{OURS}/overrides", {"node": "total", "authority": "mayor", "year": "2023",
                                                            "score": "1", "reason": "复核"})  # fmt: skip
    words = re.search(r'id="override-authority-error">([^<]*)<', authority.text)
    assert authority.status_code == 422 and words and "省级" in words.group(1)
    assert not re.search(r"authority|province|centre", words.group(1)), words.group(1)
    site.sign_in("coordinator.130425")
    for data, field in (({"indicator": leaf(site), "department": ""}, "duty-department"),):
        refused = post(site, f"/counties/{OURS}/responsibility", data)
        found = re.search(rf'id="{field}-error">([^<]*)<', refused.text)
        assert refused.status_code == 422 and found and not re.search(r"[A-Za-z]", found.group(1)), found
    key = post(site, f"/counties/{OURS}/api-keys", {"label": "", "indicators": ""})
    found = re.search(r'id="key-label-error">([^<]*)<', key.text)
    assert key.status_code == 422 and found and "用途说明" in found.group(1) and "label" not in found.group(1)


def test_an_accepted_thread_offers_no_answer_and_a_bad_year_filter_is_refused(site: Site) -> None:
    site.sign_in("evaluator.east")
    bad = site.client.get("/evaluation?year=abc")
    assert bad.status_code == 422 and "年度须为 2000–2100 之间的年份" in bad.text and "“abc”" in bad.text
    assert site.client.get("/evaluation?year=２０２３").status_code == 200
    code, indicator, period = first_in_queue(site.client.get(f"/evaluation?county={OURS}").text)
    accepted = post(site, f"/counties/{code}/reviews", {"indicator": indicator, "period": period,
                                                         "decision": "accept", "back": "thread"})  # fmt: skip
    assert accepted.status_code == 303
    site.sign_in("coordinator.130425")
    thread = site.client.get(f"/counties/{code}/feedback/thread?indicator={indicator}&period={period}").text
    assert "审核通过" in thread and "答复评估组" not in thread and "提交答复" not in thread
    assert "无需办理" in thread
