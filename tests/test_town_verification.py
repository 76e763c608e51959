"""A county's verification of its towns (004), in the domain: teams that cross-check, the
sample, scores with the 60/40 and 30/70 formulas, absences and higher-level results."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from domain import verification_commands as v
from domain.errors import ConflictError, DomainError, InvalidCommand
from domain.scheme import Scheme
from domain.town_scores import formula_lines, town_result, town_results
from domain.towns import Town, Village
from domain.verification import TownVerification
from domain.verification_handlers import handle
from tests.town_world import CONTEXT, D, example_scheme, items, opened_year, team_for

SCHEME = example_scheme()


def sampled(year: TownVerification, town: str = "T01", seed: str = "seed-1") -> list[str]:
    result = handle(year, v.DrawSample(town, seed), CONTEXT)
    villages: list[str] = result["villages"]
    return villages


def score(
    year: TownVerification,
    sheet: str,
    code: str,
    total: str,
    *,
    authority: str = "county",
    team: str | None = "1",
    score_id: str | None = None,
) -> None:
    top = SCHEME.verification.sheet(sheet)
    assert top is not None
    handle(
        year,
        v.RecordTownScore(
            score_id or f"{sheet}-{code}-{authority}",
            sheet,
            code,
            authority,
            "2023-12-20",
            team if authority == "county" else None,
            items(top.indicator, total, SCHEME),
            reason="" if authority == "county" else "省考核组抽查结果通报",
        ),
        CONTEXT,
    )


def scored_town(verification: str, villages: list[str], daily: str) -> TownVerification:
    year = opened_year()
    team_for(year, "1", "T01", [("李四", "T02", ""), ("王五", "county_office", "")])
    drawn = sampled(year)
    score(year, "verification", "T01", verification)
    score(year, "daily_work", "T01", daily)
    for village, total in zip(drawn, villages, strict=True):
        score(year, "villages", village, total)
    return year


def test_the_004_numbers_worked_by_hand() -> None:
    year = scored_town("85", ["90", "80", "70", "88"], "92")
    result = town_result(year, "T01")
    # villages: (90 + 80 + 70 + 88) / 4 = 82; year-end: 85 × 0.6 + 82 × 0.4 = 51 + 32.8 = 83.8
    assert result.composites["year_end"] == D("83.8")
    # composite: 92 × 0.3 + 83.8 × 0.7 = 27.6 + 58.66 = 86.26
    assert result.composites["composite"] == D("86.26")
    assert (result.result, result.grade, result.missing) == (D("86.26"), "较好", [])
    assert formula_lines(SCHEME, result) == [
        "年终成效核查总分 = 县核查分 85.00 × 0.6 + 抽查村核查分平均 82.00 × 0.4 = 83.80"
        "（抽查村核查分平均 = (90.00 + 80.00 + 70.00 + 88.00) ÷ 4 = 82.00）",
        "镇党委和政府综合评价成绩 = 日常工作情况 92.00 × 0.3 + 年终成效核查总分 83.80 × 0.7 = 86.26",
    ]


@pytest.mark.parametrize(
    ("every_score", "grade"),
    [("90", "好"), ("89.99", "较好"), ("80", "较好"), ("79.99", "一般"), ("60", "一般"), ("59.99", "较差")],
)
def test_grade_boundaries_are_the_schemes(every_score: str, grade: str) -> None:
    # Every input the same: year-end = x × 0.6 + x × 0.4 = x; composite = x × 0.3 + x × 0.7 = x.
    year = scored_town(every_score, [every_score] * 4, every_score)
    result = town_result(year, "T01")
    assert (result.result, result.grade) == (D(every_score), grade)


def test_missing_inputs_are_named_never_a_silent_null() -> None:
    year = opened_year()
    team_for(year, "1", "T01", [("李四", "T02", "")])
    score(year, "verification", "T01", "85")
    result = town_result(year, "T01")
    assert result.result is None and result.grade is None
    assert [(m.input, m.detail) for m in result.missing] == [("daily_work", "尚未录入"), ("villages", "尚未抽样")]
    drawn = sampled(year)
    score(year, "villages", drawn[0], "90")
    missing = town_result(year, "T01").missing
    assert missing[1].input == "villages" and missing[1].detail.startswith("尚未录入：")
    assert missing[1].detail.removeprefix("尚未录入：").split("、") == [f"甲镇{v[-1]}村" for v in drawn[1:]]


def test_a_team_is_refused_for_the_town_its_member_comes_from_and_nothing_is_recorded() -> None:
    year = opened_year()
    handle(year, v.FormTeam("1", "第一组", [v.Member("李四", "T02"), v.Member("张三", "T01")]), CONTEXT)
    version = year.version
    with pytest.raises(ConflictError) as refused:
        handle(year, v.AssignTeam("1", "T01"), CONTEXT)
    problem = refused.value.problems[0]
    assert (problem.field, problem.rule) == ("town", "cross_check")
    assert "张三" in problem.message and "甲镇" in problem.message and "李四" not in problem.message
    assert year.version == version and year.book.teams["1"].town is None
    handle(year, v.AssignTeam("1", "T03"), CONTEXT)  # a town none of its members comes from
    assert year.book.teams["1"].town == "T03"


def test_each_team_checks_one_town_and_each_town_has_one_team() -> None:
    year = opened_year()
    team_for(year, "1", "T01", [("李四", "T02", "")])
    with pytest.raises(ConflictError, match="已负责甲镇"):
        handle(year, v.AssignTeam("1", "T03"), CONTEXT)
    handle(year, v.FormTeam("2", "第二组", [v.Member("赵六", "T03")]), CONTEXT)
    with pytest.raises(ConflictError, match="已由核查组“第1组”核查"):
        handle(year, v.AssignTeam("2", "T01"), CONTEXT)


def test_an_absence_deducts_the_schemes_points_from_the_named_items() -> None:
    year = opened_year()
    # 张三 comes from 甲镇 and helps 乙镇's first village; his team checks 丙镇.
    team_for(year, "1", "T01", [("李四", "T02", "")])
    team_for(year, "3", "T03", [("张三", "T01", "T02V1"), ("钱七", "county_office", "")])
    score(year, "daily_work", "T01", "92")
    before = town_result(year, "T01").sheets["daily_work"].score
    handle(year, v.RecordAbsence("a1", "3", "张三", "absent", "2023-12-20", "培训后缺席"), CONTEXT)
    daily = town_result(year, "T01").sheets["daily_work"]
    # The scheme: an absence deducts 2 points from W4 县级会议与工作任务到位情况 of the home town.
    assert [(d.member, d.indicator, d.points) for d in daily.deductions] == [("张三", "W4", D(2))]
    assert before == D("92") and daily.score == D("90")
    handle(year, v.RecordAbsence("a2", "3", "张三", "late", "2023-12-21", "迟到"), CONTEXT)
    assert town_result(year, "T01").sheets["daily_work"].score == D("89")  # late: 1 point
    # A county-office member deducts from no town.
    handle(year, v.RecordAbsence("a3", "3", "钱七", "absent", "2023-12-20", "缺席"), CONTEXT)
    assert town_result(year, "T03").sheets["daily_work"].deductions == []


def test_an_absence_deducts_from_the_helped_villages_attendance_item_when_it_is_sampled() -> None:
    year = opened_year()
    team_for(year, "2", "T02", [("李四", "T01", "")])
    drawn = sampled(year, "T02")
    team_for(year, "3", "T03", [("张三", "T01", drawn[0])])
    score(year, "villages", drawn[0], "90", team="2")
    handle(year, v.RecordAbsence("a1", "3", "张三", "absent", "2023-12-20", "缺席"), CONTEXT)
    village = next(r for r in town_result(year, "T02").villages if r.object == drawn[0])
    assert [(d.indicator, d.points) for d in village.deductions] == [("V4", D(2))]
    assert village.score == D("88")


def test_a_higher_level_result_supersedes_the_countys_and_its_revocation_restores_it() -> None:
    year = scored_town("85", ["90", "80", "70", "88"], "92")
    village = year.book.samples["T01"].drawn.villages[0]
    with pytest.raises(ConflictError) as unmarked:
        score(year, "villages", village, "60", authority="province")
    assert unmarked.value.problems[0].rule == "sampled_by_authority"
    handle(year, v.MarkSampledByHigherLevel(village, "province", "省考核组抽查"), CONTEXT)
    score(year, "villages", village, "60", authority="province", score_id="p1")
    result = town_result(year, "T01")
    standing = next(r for r in result.villages if r.object == village)
    assert standing.standing is not None and standing.standing.authority == "province"
    assert [r.authority for r in standing.superseded] == ["county"]  # the county's stays visible
    # (60 + 80 + 70 + 88) / 4 = 74.5; 85 × 0.6 + 74.5 × 0.4 = 51 + 29.8 = 80.8
    assert result.composites["year_end"] == D("80.8")
    handle(year, v.RevokeTownScore("p1", "录入有误"), CONTEXT)
    restored = town_result(year, "T01")
    assert restored.composites["year_end"] == D("83.8")
    assert next(r for r in restored.villages if r.object == village).standing.authority == "county"  # type: ignore[union-attr]


def test_a_county_result_needs_the_towns_team_and_a_sampled_village() -> None:
    year = opened_year()
    team_for(year, "1", "T01", [("李四", "T02", "")])
    with pytest.raises(ConflictError, match="尚未分配核查组"):
        score(year, "verification", "T02", "85")
    drawn = sampled(year)
    other = next(village for village in ("T01V1", "T01V2", "T01V3", "T01V4", "T01V5") if village not in drawn)
    with pytest.raises(ConflictError, match="不在甲镇的抽查村中"):
        score(year, "villages", other, "85")
    with pytest.raises(InvalidCommand) as beyond:
        handle(
            year, v.RecordTownScore("x", "verification", "T01", "county", "2023-12-20", "1", score=D("100.5")), CONTEXT
        )
    assert beyond.value.problems[0].rule == "within_weight"


def test_an_impossible_sample_is_refused_with_the_numbers() -> None:
    year = opened_year()
    handle(
        year,
        v.RegisterObjects(
            towns=[Town("T09", "丁镇")], villages=[Village(f"T09V{n}", f"丁{n}村", "T09", False) for n in range(3)]
        ),
        CONTEXT,
    )
    with pytest.raises(InvalidCommand) as refused:
        handle(year, v.DrawSample("T09", "seed"), CONTEXT)
    message = refused.value.problems[0].message
    assert refused.value.problems[0].rule == "sample_possible"
    assert "丁镇”只有 0 个可抽查的非贫困村（共 3 个非贫困村" in message and "抽样需要 4 个" in message
    assert "丁0村符合标准（脱贫户、脱贫退出户）的户只有 0 户，需要 5 户" in message


def test_a_town_is_sampled_once() -> None:
    year = opened_year()
    sampled(year)
    with pytest.raises(ConflictError, match="种子 seed-1"):
        sampled(year, seed="another")


def test_registration_is_all_or_nothing_and_names_each_bad_entry() -> None:
    year = opened_year()
    version = year.version
    command = v.RegisterObjects(
        towns=[Town("T04", "丁镇"), Town("T01", "重复镇")],
        villages=[Village("T04V1", "丁1村", "T99", False)],
        places={"towns[1]": "镇 第 3 行", "villages[0]": "村 第 2 行"},
    )
    with pytest.raises(DomainError) as refused:
        handle(year, command, CONTEXT)
    assert [(p.field, p.rule) for p in refused.value.problems] == [
        ("towns[1].code", "unique_code"),
        ("villages[0].town", "known_town"),
    ]
    assert refused.value.problems[0].message.startswith("镇 第 3 行：")
    assert year.version == version and "T04" not in year.registry.towns


def test_towns_rank_by_the_schemes_result() -> None:
    year = scored_town("85", ["90", "80", "70", "88"], "92")
    team_for(year, "2", "T02", [("李四2", "T01", "")])
    drawn = sampled(year, "T02")
    score(year, "verification", "T02", "95", team="2")
    score(year, "daily_work", "T02", "95", team="2")
    for village in drawn:
        score(year, "villages", village, "95", team="2")
    ranked = {r.town: (r.rank, r.grade) for r in town_results(year)}
    assert ranked == {"T01": (2, "较好"), "T02": (1, "好"), "T03": (None, None)}


def test_a_county_scheme_cannot_open_a_verification_year(scheme: object) -> None:
    from domain.verification_handlers import open_verification

    with pytest.raises(InvalidCommand) as refused:
        open_verification("130425", "大名县", v.OpenVerification(scheme), CONTEXT)  # type: ignore[arg-type]
    assert refused.value.problems[0].rule == "town_scheme"


def test_every_event_is_hash_chained() -> None:
    from domain.chain import recompute

    year = scored_town("85", ["90", "80", "70", "88"], "92")
    events = year.collect_events()
    assert events[0].previous_hash == ""  # type: ignore[attr-defined]
    for before, after in itertools.pairwise(events):
        assert after.previous_hash == before.event_hash  # type: ignore[attr-defined]
    assert all(recompute(event) == event.event_hash for event in events)  # type: ignore[attr-defined]


def test_decimal_scores_stay_exact() -> None:
    year = scored_town("85.01", ["90.03", "80", "70", "88"], "92.07")
    result = town_result(year, "T01")
    # villages mean 328.03 / 4 = 82.0075; year-end 51.006 + 32.803 = 83.809; composite 27.621 + 58.6663 = 86.2873
    assert result.composites["year_end"] == Decimal("83.809")
    assert result.composites["composite"] == Decimal("86.2873")


def test_a_town_scheme_enrols_no_county_and_is_adopted_by_none(scheme: Scheme) -> None:
    from domain.commands import AdoptScheme, EnrolCounty
    from domain.county import County

    with pytest.raises(InvalidCommand) as refused:
        County.enrol(EnrolCounty("130425", "大名县", "河北省", "east", SCHEME), CONTEXT)
    assert [(p.field, p.rule) for p in refused.value.problems] == [("scheme", "county_scheme")]
    county = County.enrol(EnrolCounty("130425", "大名县", "河北省", "east", scheme), CONTEXT)
    with pytest.raises(InvalidCommand) as adopted:
        county.handle(AdoptScheme(SCHEME), CONTEXT)
    assert adopted.value.problems[0].rule == "county_scheme" and county.version == 1
