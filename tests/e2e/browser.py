"""The Airflow UI in a real browser, for the end-to-end tests: Debian's Chromium driven by Playwright.

What a data engineer does in the UI, one method each: sign in with the simple auth manager's form, open a
DAG's grid with the kab/kota group expanded, list a mapped task's instances by their names (the
``map_index_template``: the kab/kota code), open one instance's log, open the status page the
``plugins/bansos_status.py`` plugin adds to the navigation. Every view is saved as a screenshot in the test's
folder and copied to ``$BANSOS_TEST_ARTIFACTS`` (default ``tests/artifacts/``, not committed), like the
offline Data Docs test (``tests/validate/test_datadocs_offline.py``). The browser is launched with Debian's
``/usr/bin/chromium`` and the flags this closed network needs; Playwright's own download is never used.
The waits are for what must appear (a name, a rule), never for a fixed time.
"""

from __future__ import annotations

import os
import re
import shutil
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = os.environ.get("BANSOS_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]
WAIT_MS = 60_000  # a loaded machine renders the UI slowly; a wait ends as soon as the thing shows


def chromium_available() -> bool:
    return Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)


def artefacts_dir() -> Path:
    folder = Path(os.environ.get("BANSOS_TEST_ARTIFACTS") or ROOT / "tests" / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class AirflowUI:
    """One signed-in browser tab on the api-server at ``base_url``; screenshots go to ``shots``."""

    def __init__(self, page, base_url: str, shots: Path):
        self.page = page
        self.base_url = base_url.rstrip("/")
        self.shots = shots
        shots.mkdir(parents=True, exist_ok=True)

    def screenshot(self, name: str) -> Path:
        shot = self.shots / name
        self.page.screenshot(path=str(shot))
        shutil.copyfile(shot, artefacts_dir() / name)
        return shot

    def goto(self, path: str) -> None:
        self.page.goto(f"{self.base_url}{path}")

    def sign_in(self, username: str, password: str) -> None:
        """The simple auth manager's form: the UI sends an anonymous visitor to it, and back once signed in."""
        self.goto("/")
        self.page.wait_for_url(re.compile(r".*/auth/login.*"), timeout=WAIT_MS)
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.click("button:has-text('Sign in')")
        self.page.wait_for_url(re.compile(re.escape(self.base_url) + r"/(\?.*)?$"), timeout=WAIT_MS)
        self.page.get_by_text("Health").first.wait_for(timeout=WAIT_MS)

    def home_text(self) -> str:
        """The home page once its health and statistics have loaded (where an import-error count would show)."""
        self.goto("/")
        self.page.get_by_text("Dag Processor").first.wait_for(timeout=WAIT_MS)
        self.page.get_by_text("Active Dags").first.wait_for(timeout=WAIT_MS)
        return self.page.inner_text("body")

    def grid(self, dag_id: str, group: str, shot: str) -> str:
        """The DAG's grid with ``group`` expanded: returns the names the task column shows."""
        self.goto(f"/dags/{dag_id}")
        self.page.get_by_text(f"{group} [ ]").first.wait_for(timeout=WAIT_MS)
        self.page.locator(f'[aria-label="Toggle group"][data-group-id="{group}"]').click()
        self.page.get_by_text("validate [ ]").first.wait_for(timeout=WAIT_MS)
        self.page.get_by_text("Last 24 Hours").first.wait_for(timeout=WAIT_MS)
        self.screenshot(shot)
        return self.page.inner_text("body")

    def mapped_names(self, dag_id: str, run_id: str, task_id: str, expected: int, shot: str) -> list[str]:
        """The names of a mapped task's instances in one run, as its "Task Instances" table lists them."""
        self.goto(f"/dags/{dag_id}/runs/{run_id}/tasks/{task_id}/mapped")
        self.page.get_by_text(f"{expected} Task Instances").first.wait_for(timeout=WAIT_MS)
        self.screenshot(shot)
        cells = self.page.locator("table tbody tr td").all_inner_texts()
        return [c.strip() for c in cells if re.fullmatch(r"\d{2}\.\d{2}", c.strip())]

    def task_log(self, dag_id: str, run_id: str, task_id: str, map_index: int, expect: str, shot: str) -> str:
        """One task instance's page (its log is the first tab), once ``expect`` shows in the log."""
        self.goto(f"/dags/{dag_id}/runs/{run_id}/tasks/{task_id}/mapped/{map_index}")
        self.page.get_by_text(expect).first.wait_for(timeout=WAIT_MS)
        self.screenshot(shot)
        return self.page.inner_text("body")

    def status_page(self, shot: str):
        """The status page from the UI's navigation (shown in a frame inside the UI); returns that frame."""
        self.goto("/")
        self.page.get_by_role("link", name=re.compile("Bansos")).first.click()
        self.page.wait_for_url(re.compile(r".*/plugin/bansos-status.*"), timeout=WAIT_MS)
        frame = self.page.frame_locator("iframe").first
        frame.locator("table.matrix").first.wait_for(timeout=WAIT_MS)
        frame.locator("table.failures").first.wait_for(timeout=WAIT_MS)
        self.screenshot(shot)
        return next(f for f in self.page.frames if "/bansos-status/" in f.url and "/plugin/" not in f.url)


@contextmanager
def airflow_ui(base_url: str, username: str, password: str, shots: Path):
    """A signed-in :class:`AirflowUI` in a fresh headless Chromium, closed afterwards."""
    from playwright.sync_api import sync_playwright  # pinned in requirements-dev.txt

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = chromium.new_context(viewport={"width": 1600, "height": 1000})
            ui = AirflowUI(context.new_page(), base_url, shots)
            ui.sign_in(username, password)
            yield ui
        finally:
            chromium.close()
