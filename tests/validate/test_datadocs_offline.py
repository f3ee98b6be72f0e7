"""A kab/kota operator with no internet opens the Data Docs the rejection alert links to, in a real browser.

A defective extract goes through the real steps (land, extract, stage, validate: rejected), and the
validation page the alert's "Data Docs" link names is opened over ``file://`` from the data root in
Debian's Chromium (through Playwright, never Playwright's own browser download), with every request
that is not a local file aborted. The page must ask for nothing outside, load every local file it asks
for, run its scripts without an error, be styled by Bootstrap, have its tables turned into
bootstrap-table tables by jQuery, show Font Awesome's icons, and show the failed rule with its count;
the site's index must list the validation and lead to it. Screenshots go to the test's folder and to
``$BANSOS_TEST_ARTIFACTS`` (default ``tests/artifacts/``, not committed).

Without Chromium the test is skipped, saying so in the summary (under ``CI`` it fails instead);
``make install`` installs it.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from tests.conftest import pipeline_env
from tests.pipeline import land, query, run_branch, source_file
from tools.synthetic.defects import make_defective

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("BANSOS_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
PERIODE, KODE, DEFECT, RULE, COLUMN = "2022-03", "21.71", "nik_short", "nik_format", "nik_format_ok"

if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
    MESSAGE = (f"CHROMIUM NOT FOUND at {CHROMIUM}: the offline Data Docs browser test DID NOT RUN "
               "(`make install` installs Debian's chromium)")
    if os.environ.get("CI"):  # CI runs `make test`, whose install step installs it: its absence is a failure
        pytest.fail(MESSAGE, pytrace=False)
    warnings.warn(MESSAGE, stacklevel=1)
    pytest.skip(MESSAGE, allow_module_level=True)


def artefacts_dir() -> Path:
    folder = Path(os.environ.get("BANSOS_TEST_ARTIFACTS") or ROOT / "tests" / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def rejected(pg_base, tmp_path_factory, kepri2022):
    """A Batam extract with NIKs cut short, rejected by the real steps; its alert lands in the outbox."""
    with pipeline_env(pg_base, tmp_path_factory, "datadocs") as pipeline:
        for name in ("AIRFLOW_CONN_SMTP_DEFAULT", "AIRFLOW_CONN_SLACK_WEBHOOK_DEFAULT"):
            pipeline.mp.delenv(name, raising=False)
        pipeline.mp.setenv("BANSOS_ALERT_OUTBOX", str(pipeline.root / "outbox"))
        data, suffix = make_defective(DEFECT, source_file(kepri2022, PERIODE, KODE).read_bytes(), KODE)
        land(pipeline.root, kepri2022, PERIODE, KODE, name=f"koreksi{suffix}", content=data)
        result = run_branch(PERIODE, KODE)
        assert result["action"] == "rejected", result
        (alert,) = [json.loads(p.read_text()) for p in (pipeline.root / "outbox").glob("*rejected*.json")]
        yield {"root": pipeline.root, "dsn": pipeline.dsn, "result": result, "alert": alert}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright  # pinned in requirements-dev.txt

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class OfflinePage:
    """A browser tab in which only ``file://`` requests go through; everything else is aborted and recorded."""

    def __init__(self, browser):
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.set_default_timeout(30_000)
        self.outside: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def _route(self, route):
        url = route.request.url
        if url.startswith("file://"):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort("internetdisconnected")

    def open(self, url: str):
        self.page.goto(url, wait_until="load")
        self.page.evaluate("document.fonts.ready.then(() => true)")
        return self.page

    def close(self):
        self.page.close()


def _screenshot(page, tmp_path: Path, name: str) -> Path:
    shot = tmp_path / name
    page.screenshot(path=str(shot))
    shutil.copyfile(shot, artefacts_dir() / name)
    return shot


def test_the_alert_links_the_validation_page_not_the_index(rejected):
    link = rejected["alert"]["links"]["Data Docs"]
    path = Path(unquote(urlparse(link).path))
    assert link.startswith("file://") and path.is_file()
    assert "/validations/" in link and path.name != "index.html", link
    assert path.is_relative_to(rejected["root"] / "datadocs" / "21" / PERIODE / KODE)


def test_the_validation_page_renders_the_failed_rule_offline(rejected, browser, tmp_path):
    [(count,)] = query(rejected["dsn"], "SELECT unexpected_count FROM dq.rule_result "
                       "WHERE submission_id = %s AND rule = %s AND NOT success",
                       (rejected["result"]["submission_id"], RULE))
    tab = OfflinePage(browser)
    try:
        page = tab.open(rejected["alert"]["links"]["Data Docs"])

        assert tab.outside == [], f"the page asked for files outside the machine: {tab.outside}"
        assert tab.failed == [], f"local files the page could not load: {tab.failed}"
        assert tab.errors == [], f"script errors: {tab.errors}"
        # Bootstrap's stylesheet applied: the navbar is a flex box, the overview an alert box with padding
        assert page.evaluate("getComputedStyle(document.querySelector('nav.navbar')).display") == "flex"
        assert page.evaluate("getComputedStyle(document.querySelector('.alert-secondary')).paddingTop") == "12px"
        # jQuery ran bootstrap-table, which wraps each rule table (data-toggle="table") in its own markup
        assert page.evaluate("typeof window.jQuery") == "function"
        assert page.evaluate("document.querySelectorAll('div.bootstrap-table > .fixed-table-container').length") > 30
        # Font Awesome's solid face loaded from the shared assets (its icons mark each rule's status)
        assert page.evaluate("document.fonts.check('900 16px \"Font Awesome 6 Free\"')")
        assert page.evaluate("[...document.fonts].some(f => f.family.includes('Font Awesome') && f.status == 'loaded')")

        section = page.locator(".ge-section", has=page.locator("h5", has_text=COLUMN))
        failed_row = section.locator("tr", has=page.locator("i.fa-times.text-danger"))
        assert failed_row.count() == 1
        text = failed_row.first.inner_text()
        assert "values must belong to this set" in text and f"{count} unexpected values found" in text
        assert failed_row.first.is_visible()

        page.get_by_text("Failed Only").click()  # GX's filter: jQuery fades the passed rules out
        page.wait_for_timeout(800)
        passed = page.locator(".ge-section", has=page.locator("h5", has_text="kode_program")).first
        assert not passed.is_visible(), "the filter hides the rules that passed"
        failed_row.first.scroll_into_view_if_needed()
        page.evaluate("window.scrollTo(0, 0)")
        shot = _screenshot(page, tmp_path, "datadocs-offline-validation.png")
        assert shot.stat().st_size > 20_000, "a rendered page, not a blank one"
        assert tab.outside == [] and tab.failed == [] and tab.errors == []
    finally:
        tab.close()


def test_the_index_lists_the_validation_offline(rejected, browser, tmp_path):
    link = rejected["alert"]["links"]["Data Docs"]
    index = link[: link.index("/validations/")] + "/index.html"
    tab = OfflinePage(browser)
    try:
        page = tab.open(index)
        row = page.locator("tr[data-href*='validations/']")
        assert row.count() == 1, "bootstrap-table drew the index's list of validations"
        assert page.locator("i.ge-failed-icon").count() == 1
        _screenshot(page, tmp_path, "datadocs-offline-index.png")
        row.first.locator("td").nth(1).click()
        page.wait_for_url(link)
        assert tab.outside == [] and tab.failed == [] and tab.errors == []
    finally:
        tab.close()
