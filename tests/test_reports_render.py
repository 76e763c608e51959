"""The report's renderers on a hand-built report (tests/report_fixture.py): same report, same
bytes; the PDF's text holds what the report says; the workbooks read back with openpyxl and
keep formula-like text as text; Typst markup in the data stays text."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from reports import pdf, workbooks
from reports.content import content_sha256
from reports.issue import render
from tests.report_fixture import INJECTED, sample_report

SCREENSHOTS = Path(__file__).parent / "screenshots"
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")


def pdf_text(content: bytes) -> str:
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True)
    return "".join(done.stdout.decode().split())  # no white space: a title may wrap, a space may be added


def squeezed(text: str) -> str:
    return "".join(text.split())


def test_the_same_report_renders_to_the_same_bytes_twice() -> None:
    first, second = render(sample_report()), render(sample_report())
    assert first.hashes() == second.hashes()
    assert first.content_sha256 == second.content_sha256


def test_a_different_total_gives_different_bytes_and_a_different_content_hash() -> None:
    before, after = render(sample_report(total="70")), render(sample_report(total="72.5"))
    assert before.content_sha256 != after.content_sha256
    assert all(before.hashes()[name] != after.hashes()[name] for name in before.files)


@needs_poppler
def test_the_report_pdf_holds_the_county_the_total_the_grade_each_finding_and_its_own_hash() -> None:
    report = sample_report()
    text = pdf_text(pdf.report_pdf(report))
    for words in ("大名县", "70.00", "一般", "2023年度乡村振兴示范创建评估报告", "数据截至2024-01-1512:00:00"):
        assert words in text, words
    for finding in report.highlights:
        assert squeezed(finding.title) in text
    for problem in report.problems:
        assert squeezed(problem.finding.title) in text
    assert content_sha256(report) in text
    assert "一账" in text and "一书" in text and "一表" in text and "一挂钩" in text


@needs_poppler
def test_typst_markup_in_a_county_name_stays_text() -> None:
    text = pdf_text(pdf.report_pdf(sample_report()))
    assert squeezed(INJECTED) in text  # printed as typed: no page width change, no bold, no maths


@needs_poppler
def test_the_notice_lists_each_problem_with_its_requirement_deadline_and_answerer() -> None:
    report = sample_report(answerer="县发展改革局（李四）")
    text = pdf_text(pdf.notice_pdf(report))
    assert "整改通知书" in text
    for problem in report.problems:
        assert problem.id in text and problem.deadline in text
    assert "县发展改革局（李四）" in text and "+制定增收专项方案" in text
    assert "大名县" in text and "人民政府" in text


def test_the_indicator_table_reads_back_with_values_targets_and_scores() -> None:
    report = sample_report()
    book = openpyxl.load_workbook(io.BytesIO(workbooks.indicator_table(report)))
    sheet = book["指标表"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=4)]
    assert [row[0] for row in rows] == ["1.2", "1.1", "2.2", "2.1"]
    first = rows[0]
    assert first[1] == "农村居民人均可支配收入增速"
    assert (first[5], first[6], first[7], first[8], first[9]) == (
        60,
        100,
        30,
        15,
        15,
    )  # value, target, max, score, lost
    summary = {row[0].value: row[1].value for row in book["汇总"].iter_rows(min_row=4)}
    assert summary["总分"] == 70 and summary["等次"] == "一般"


def test_formula_like_text_stays_text_in_the_ledger() -> None:
    report = sample_report()
    book = openpyxl.load_workbook(io.BytesIO(workbooks.ledger(report)))
    item = next(book["整改台账"].iter_rows(min_row=4))
    assert item[0].value == "2023-Z1"
    for cell, text in ((item[5], "=1+1 粮食数据报送不及时"), (item[6], "-按月报送"), (item[8], "@县农业农村局")):
        assert cell.value == text and cell.data_type == "s"
    problems = list(book["本报告问题"].iter_rows(min_row=4))
    assert [row[0].value for row in problems] == ["P1", "P2", "P3"]
    answerer = problems[0][5]
    assert answerer.value == '=HYPERLINK("http://x","点我")' and answerer.data_type == "s"
    assert problems[0][3].value == "+制定增收专项方案" and problems[0][3].data_type == "s"


def test_the_workbooks_creation_date_is_the_reports_as_of() -> None:
    report = sample_report()
    book = openpyxl.load_workbook(io.BytesIO(workbooks.ledger(report)))
    assert book.properties.created.isoformat().startswith("2024-01-15T04:00:00")


@needs_poppler
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) not installed")
def test_screenshots_of_the_report_pages() -> None:
    """Pages of the sample report as PNG (60 dpi) in tests/screenshots, to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    report = sample_report()
    for name, content in (("report", pdf.report_pdf(report)), ("notice", pdf.notice_pdf(report))):
        stem = SCREENSHOTS / f"report-sample-{name}"
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-", str(stem)], input=content, check=True)
    assert (SCREENSHOTS / "report-sample-report-1.png").exists()
    assert hashlib.sha256((SCREENSHOTS / "report-sample-report-1.png").read_bytes()).hexdigest()


def test_the_indicator_tables_figures_are_two_place_numbers() -> None:
    """Not 78.97377710116305 nor 1.075: two places as the PDF shows them, numbers still."""
    report = sample_report()
    gap = [dataclasses.replace(report.gap[0], score=Decimal("1.075"), lost=Decimal("3.925")), *report.gap[1:]]
    summary = dataclasses.replace(report.summary, total=Decimal("78.97377710116305"))
    report = dataclasses.replace(report, gap=gap, summary=summary)
    book = openpyxl.load_workbook(io.BytesIO(workbooks.indicator_table(report)))
    first = next(book["指标表"].iter_rows(min_row=4))
    assert (first[8].value, first[9].value) == (1.08, 3.93)  # half up, as the report prints them
    assert first[8].number_format == "0.00" and first[8].data_type == "n"
    summary_cells = {row[0].value: row[1] for row in book["汇总"].iter_rows(min_row=4)}
    assert summary_cells["总分"].value == 78.97 and summary_cells["总分"].number_format == "0.00"


@needs_poppler
def test_highlights_are_numbered_in_words_not_like_the_rule_codes() -> None:
    """亮点 1, 亮点 2…: "H1" is a rule's code (the scheme's highlight rules H1–H4)."""
    report = sample_report()
    assert report.highlights
    text = pdf_text(pdf.report_pdf(report))
    assert "亮点1" in text
    assert "H1" not in text.split("六、主要亮点")[1].split("七、")[0]


def test_a_ledger_with_no_items_says_so() -> None:
    report = dataclasses.replace(sample_report(), ledger=[])
    sheet = openpyxl.load_workbook(io.BytesIO(workbooks.ledger(report)))["整改台账"]
    assert str(sheet["A1"].value).endswith("无整改事项")
