"""The HTML view of the dry-run report, opened in a real headless Chromium (Debian's `chromium`, driven by
Playwright through `executable_path`; never a downloaded browser): it renders its diagrams and tables, fetches
nothing, fits a phone's width, prints its diagrams, and a hostile route is text, never markup or script.

The screenshot in the README is this test's: `DECOMPOSE_SCREENSHOT=docs/dry-run-report.png` writes it there
(otherwise it goes to the test's temporary folder): the summary and the after picture (the before picture is
hidden for the shot, after the page's own checks)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from decompose.domain.report import DryRunReport
from decompose.reporting.dry_run import render_html_report
from decompose.reporting.escaping import visible
from tests.conftest import REPO
from tests.reporting.apps import HOSTILE_ROUTE

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (`make test` installs it: apt-get install chromium)")
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only when a browser is there to drive

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        system = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, check=True, timeout=60)
        assert launched.version in system.stdout, "the browser driven is the system chromium"
        yield launched
        launched.close()


class Opened:
    """A report file loaded in a fresh page, with every request the page made."""

    def __init__(self, browser: Any, path: Path, viewport: dict[str, int] | None = None) -> None:
        self.url = path.resolve().as_uri()
        self.requests: list[str] = []
        self.context = browser.new_context(viewport=viewport or {"width": 1100, "height": 900})
        self.page = self.context.new_page()
        self.page.route("**/*", self._route)
        self.page.goto(self.url, wait_until="load")

    def _route(self, route: Any) -> None:
        self.requests.append(route.request.url)
        if route.request.url == self.url:
            route.continue_()
        else:
            route.abort()

    def close(self) -> None:
        self.context.close()


def _open(browser: Any, report: DryRunReport, tmp_path: Path, viewport: dict[str, int] | None = None) -> Opened:
    path = tmp_path / "report.html"
    path.write_text(render_html_report(report), encoding="utf-8")
    return Opened(browser, path, viewport)


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not rendered"
    return box


def test_the_report_renders_its_diagrams_and_tables(browser: Any, sample_report: DryRunReport, tmp_path: Path) -> None:
    """Both diagrams draw one box per node and one line per edge; every table is laid out with its rows; the
    page asked for nothing but itself; and its screenshot is taken (for the README when asked)."""
    opened = _open(browser, sample_report, tmp_path)
    page = opened.page
    try:
        for name, diagram in (("before", sample_report.before), ("after", sample_report.after)):
            svg = f"#diagram-{name} svg"
            assert _box(page, svg)["width"] > 500
            assert page.locator(f"{svg} g.node").count() == len(diagram.nodes)
            assert page.locator(f"{svg} g.node rect").evaluate_all(
                "els => els.filter(e => e.getBBox().width > 0).length"
            ) == len(diagram.nodes)
            assert page.locator(f"{svg} path.edge").count() == len(diagram.edges)
        assert page.locator("table.figures tbody tr").count() == len(sample_report.profiles)
        for function in sample_report.functions:
            section = f"#function-{function.logical_id}"
            assert page.locator(f"{section} table.grants tbody tr").count() == len(function.grants)
            assert _box(page, f"{section} table.grants")["height"] > 40
        assert page.locator("table.findings tbody tr").count() == len(sample_report.findings)
        assert page.evaluate("document.scripts.length") == 0
        target = os.environ.get("DECOMPOSE_SCREENSHOT")
        shot = REPO / target if target else tmp_path / "report.png"
        page.set_viewport_size({"width": 1100, "height": 1500})
        page.locator("#diagram-before").evaluate("figure => { figure.style.display = 'none'; }")  # summary + after
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 20_000
        assert opened.requests == [opened.url]
    finally:
        opened.close()


def test_the_report_fits_a_phone(browser: Any, sample_report: DryRunReport, tmp_path: Path) -> None:
    """At a phone's width the page does not scroll sideways (wide tables and diagrams scroll in their own box)."""
    opened = _open(browser, sample_report, tmp_path, PHONE)
    try:
        assert opened.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert _box(opened.page, "#summary h2")["width"] > 0
    finally:
        opened.close()


def test_the_report_prints_its_diagrams(browser: Any, sample_report: DryRunReport, tmp_path: Path) -> None:
    """In print media the diagrams still draw and the page makes a PDF of several pages."""
    opened = _open(browser, sample_report, tmp_path)
    try:
        opened.page.emulate_media(media="print")
        assert _box(opened.page, "#diagram-after svg")["width"] > 300
        pdf = opened.page.pdf(format="A4")
        assert pdf.startswith(b"%PDF")
        assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") + pdf.count(b"/Type/Page") >= 1
    finally:
        opened.close()


def test_a_hostile_route_is_text_never_markup(browser: Any, hostile_report: DryRunReport, tmp_path: Path) -> None:
    """The route holding `<script>`, quotes, a newline and backticks shows as its visible text in the routes table
    and the diagram's tooltip; no script element exists and none ran."""
    opened = _open(browser, hostile_report, tmp_path)
    page = opened.page
    try:
        cells = page.locator("table.routes code").all_text_contents()
        assert visible(HOSTILE_ROUTE) in cells
        titles = page.locator("#diagram-after g.node.route title").all_text_contents()
        assert any(visible(HOSTILE_ROUTE) in t for t in titles)
        assert page.evaluate("document.scripts.length") == 0
        assert page.evaluate("typeof window.pwned") == "undefined"
        assert opened.requests == [opened.url]
    finally:
        opened.close()
