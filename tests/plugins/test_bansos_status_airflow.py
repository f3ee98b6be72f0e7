"""The status page plugin as Airflow loads it: the app mounted under its prefix, the view in the navigation,
and every route behind the api-server's login (an anonymous request is refused before any warehouse query).

The logged-in page, a forged token and the page inside the UI are checked against a real api-server in
``tests/e2e/test_airflow_e2e.py``.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def plugin(tmp_path_factory):
    os.environ.setdefault("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow_home")))
    spec = importlib.util.spec_from_file_location("bansos_status", ROOT / "plugins" / "bansos_status.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_plugin_mounts_its_app_and_shows_in_the_navigation(plugin):
    cls = plugin.BansosStatusPlugin
    (app,) = cls.fastapi_apps
    assert app["app"] is plugin.app and app["url_prefix"] == "/bansos-status"
    (view,) = cls.external_views
    assert view["href"] == "/bansos-status/" and view["url_route"] == "bansos-status"
    assert view["destination"] == "nav"


@pytest.mark.parametrize("path", ["/", "/datadocs/1", "/files/_assets/x.js", "/?tahun=2022"])
def test_an_anonymous_request_is_refused(plugin, path):
    from fastapi.testclient import TestClient

    client = TestClient(plugin.app, root_path="/bansos-status")
    assert client.get(path).status_code == 401
    to_login = client.get(path, headers={"Accept": "text/html"}, follow_redirects=False)
    assert to_login.status_code == 303 and "/api/v2/auth/login?next=" in to_login.headers["location"]
