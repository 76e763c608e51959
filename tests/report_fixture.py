"""A hand-built report (``reports.content.Report``) for the renderers' tests: three dimensions,
a year before, three months, four gap rows, highlights and problems, one ledger item; its
free texts carry Typst markup and spreadsheet formulas that must stay text."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D  # noqa: N817  (short: many figures)

from domain.findings import Finding
from reports.content import (
    Comparison,
    CountyInfo,
    DimensionScore,
    LedgerRow,
    Problem,
    Report,
    Summary,
)
from reports.model import GapRow, MonthPoint, Vertical, YearPoint

AS_OF = datetime(2024, 1, 15, 4, 0, tzinfo=UTC)  # 12:00 Beijing
CONSEQUENCE_WORDS = [
    "评估等次为“好”或“较好”的，予以通报表扬；",
    "评估等次为“一般”或存在突出问题的，约谈分管负责同志；",
    "评估等次为“较差”且存在突出问题的，约谈主要负责同志；",
    "整改事项未在期限内核验销号的，在下一年度评估中扣分；全部按期销号的，予以通报表扬。",
]
INJECTED = "#set page(width: 1cm) *粗* $x$ \\ ]"


def gap_row(code: str, name: str, value: str, target: str, weight: str, score: str) -> GapRow:
    lost = D(weight) - D(score)
    return GapRow(code, name, code.split(".")[0], "%", "higher_better", D(weight), D(value), D(target), D(score),
                  lost, D(target) - D(value), D(target), D(value), D(target) - D(value))  # fmt: skip


def sample_report(total: str = "70", answerer: str = '=HYPERLINK("http://x","点我")') -> Report:
    dims = [DimensionScore("1", "产业振兴", D("25"), D("50")), DimensionScore("2", "生态振兴", D("45"), D("50"))]
    horizontal = [
        Comparison("total", "总分", D(100), D(total), 2, 1, D("65.5"), D("80"), D("62.25"), D("88")),
        Comparison("1", "产业振兴", D(50), D(25), 3, 2, D("30"), D("40"), D("28"), D("45")),
        Comparison("2", "生态振兴", D(50), D(45), 1, 1, D("35.5"), D("45"), D("34.25"), D("45")),
    ]
    vertical = Vertical(
        county="130425", node="total", node_name="总分", as_of=AS_OF,
        years=[YearPoint(2022, D("61.5"), D(100), None, 3, "一般"), YearPoint(2023, D(total), D(100), None, 2, "一般")],
        months=[MonthPoint("2023-01", D("20"), None), MonthPoint("2023-06", D("55"), None),
                MonthPoint("2023-12", D(total), None)],
    )  # fmt: skip
    gap = [
        gap_row("1.2", "农村居民人均可支配收入增速", "60", "100", "30", "15"),
        gap_row("1.1", "粮食综合生产能力", "59.1", "100", "20", "10"),
        gap_row("2.2", "村庄绿化覆盖率", "90", "100", "20", "20"),
        gap_row("2.1", "农村卫生厕所普及率", "29", "25", "25", "25"),
    ]
    highlights = [
        Finding("highlight", "H-attain", "attainment", "2.1", "农村卫生厕所普及率全面达标", {"得分率": "100%"}),
        Finding("highlight", "H-top", "rank_top", "2.2", "村庄绿化覆盖率居全部县第 1 位", {"排名": "1 / 3"}),
        Finding("highlight", "H-region", "region_best", "2", f"生态振兴领先{INJECTED}", {"区域排名": "1 / 2"}),
    ]
    problems = [
        Problem(
            "P1",
            Finding(
                "problem",
                "P-attain",
                "attainment",
                "1.2",
                "农村居民人均可支配收入增速得分率仅 50%",
                {"得分率": "50%", "失分": "15.00"},
                "=SUM(A1:A9) 加快发展乡村产业",
                True,
            ),
            "+制定增收专项方案",
            "2024-04-14",
            answerer,
        ),
        Problem(
            "P2",
            Finding(
                "problem",
                "P-gap",
                "gap_region_best",
                "1.1",
                "粮食综合生产能力距区域最优差 40.9",
                {"距区域最优": "40.9"},
                "稳定粮食播种面积",
            ),
            "-稳定粮食播种面积",
            "2024-04-14",
            "县农业农村局（张三）",
        ),
        Problem(
            "P3",
            Finding("problem", "P-bottom", "rank_bottom", "1", "产业振兴排名靠后", {"排名": "3 / 3"}, "补齐产业短板"),
            "@补齐产业短板",
            "2024-04-14",
            "大名县人民政府",
        ),
    ]
    ledger = [
        LedgerRow(
            "2023-Z1",
            "评估组下达",
            "",
            "",
            "1.1",
            "=1+1 粮食数据报送不及时",
            "-按月报送",
            "2024-03-31",
            "@县农业农村局",
            "in_progress",
            "整改中",
            "制定整改方案",
            "2024-01-10",
            "",
        ),
    ]
    summary = Summary(D(total), "一般", 2, 3, 1, 2, 4, 3, 3, 1)
    return Report(
        county=CountyInfo("130425", f"大名县{INJECTED}", "河北省", "east", "东部"), year=2023,
        scheme="2023 年度评估方案", as_of=AS_OF, summary=summary, dimensions=dims, horizontal=horizontal,
        vertical=vertical, gap=gap, highlights=highlights, problems=problems,
        notes=["只找到 3 个亮点"], ledger=ledger, consequence_rules=CONSEQUENCE_WORDS,
    )  # fmt: skip
