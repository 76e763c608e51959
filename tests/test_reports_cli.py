"""``ruraleval reports build`` over the demo (the real report: analysis, rules, renderers):
four files per county named by code and year, each path printed, a progress bar on stderr;
the same instant twice gives the same bytes; the PDF's text holds the county, total and grade;
pages of the demo's report as PNG in tests/screenshots."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from reports.batch import build_all
from reports.issue import enrolled
from ruraleval import demo_results
from ruraleval.demo import load_demo
from ruraleval.platform import Platform
from ruraleval.settings import parse_database_url
from tests.test_cli import ruraleval
from tests.test_reports_render import SCREENSHOTS, needs_poppler, pdf_text

COUNTY = "130425"  # 大名县 in the demo


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'ruraleval.db'}"
    platform = Platform(parse_database_url(url))
    try:
        load_demo(platform)
    finally:
        platform.close()
    return url


def test_reports_build_writes_the_four_files_of_a_county_and_prints_their_paths(demo_url: str, tmp_path: Path) -> None:
    as_of = "2026-11-01"
    first = ruraleval(demo_url, "reports", "build", "--year", "2023", "--county", COUNTY, "--as-of", as_of,
                      "--out", str(tmp_path / "a"))  # fmt: skip
    assert first.returncode == 0, first.stderr
    names = ["report.pdf", "notice.pdf", "table.xlsx", "ledger.xlsx"]
    assert first.stdout.split() == [str(tmp_path / "a" / f"{COUNTY}-2023-{name}") for name in names]
    assert "1/1" in first.stderr  # the progress bar
    again = ruraleval(demo_url, "reports", "build", "--year", "2023", "--county", COUNTY, "--as-of", as_of,
                      "--out", str(tmp_path / "b"))  # fmt: skip
    assert again.returncode == 0, again.stderr
    for name in names:
        a, b = (tmp_path / d / f"{COUNTY}-2023-{name}" for d in ("a", "b"))
        assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest(), name
    table = openpyxl.load_workbook(tmp_path / "a" / f"{COUNTY}-2023-table.xlsx")
    assert table["指标表"].cell(4, 1).value  # an indicator's code in the first row
    assert table["汇总"].cell(5, 1).value == "等次"


@needs_poppler
def test_the_demo_report_names_the_county_its_total_and_grade(demo_url: str, tmp_path: Path) -> None:
    done = ruraleval(demo_url, "reports", "build", "--year", "2023", "--county", COUNTY, "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    report = (tmp_path / f"{COUNTY}-2023-report.pdf").read_bytes()
    text = pdf_text(report)
    workbook = openpyxl.load_workbook(tmp_path / f"{COUNTY}-2023-table.xlsx")
    summary = {row[0].value: row[1].value for row in workbook["汇总"].iter_rows(min_row=4)}
    assert "大名县" in text and f"{summary['总分']:.2f}" in text and f"等次为“{summary['等次']}”" in text
    if shutil.which("pdftoppm"):
        SCREENSHOTS.mkdir(exist_ok=True)
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-", str(SCREENSHOTS / "report-demo-130425")], input=report,
                       check=True)  # fmt: skip


def test_an_unknown_county_is_refused(demo_url: str, tmp_path: Path) -> None:
    done = ruraleval(demo_url, "reports", "build", "--year", "2023", "--county", "999999", "--out", str(tmp_path))
    assert done.returncode == 1 and "999999" in done.stderr


@needs_poppler
def test_the_demos_issued_reports_as_png_pages(demo_url: str) -> None:
    """The reports the demo issued (as of 1 March 2024), as stored: their text names the county,
    each problem's title and its figures in Chinese; their pages go to tests/screenshots."""
    platform = Platform(parse_database_url(demo_url))
    try:
        for code in demo_results.REPORTED:
            county = platform.ledger.county(code)
            issued = county.book(demo_results.YEAR).reports[demo_results.REPORT_ID]
            report = platform.files.get(issued.files["report.pdf"]).content
            text = "".join(pdf_text(report).split())  # lines wrap anywhere in Chinese: compared without spaces
            assert county.name in text and f"{issued.total:.2f}" in text
            for problem in issued.problems:
                assert "".join(problem["title"].split()) in text
            assert "实际值：" in text and "value:" not in text  # a finding's figures in words
            SCREENSHOTS.mkdir(exist_ok=True)
            subprocess.run(["pdftoppm", "-png", "-r", "80", "-", str(SCREENSHOTS / f"report-demo-issued-{code}")],
                           input=report, check=True)  # fmt: skip
            notice = platform.files.get(issued.files["notice.pdf"]).content
            subprocess.run(["pdftoppm", "-png", "-r", "80", "-", str(SCREENSHOTS / f"notice-demo-issued-{code}")],
                           input=notice, check=True)  # fmt: skip
    finally:
        platform.close()


def test_a_batch_built_in_two_processes_gives_the_same_files_in_the_same_order(demo_url: str) -> None:
    """``reports build`` of every county runs a process per core (reports.batch): same bytes, same order."""
    platform = Platform(parse_database_url(demo_url))
    try:
        codes = enrolled(platform)[:5]
        at = demo_results.REPORT_AS_OF
        platform.settle(at)
        alone = [(b.code, b.rendered and b.rendered.hashes()) for b in build_all(platform, codes, 2023, at, workers=1)]
        pooled = [(b.code, b.rendered and b.rendered.hashes()) for b in build_all(platform, codes, 2023, at, workers=2)]
    finally:
        platform.close()
    assert [code for code, _ in pooled] == codes
    assert all(hashes for _, hashes in alone)
    assert pooled == alone
