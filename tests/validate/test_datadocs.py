"""The vendored Data Docs assets and how a site is published with them (``bansos.validate.datadocs``).

The copies must be the registry's bytes (the manifest's SHA-256, and the SRI hashes GX itself pins),
every URL GX's installed templates load from outside must be served locally, and publishing must
write the shared assets once and the pages with paths that resolve from where each page lies.
The browser test, on a real validation, is ``test_datadocs_offline.py``.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import re
from pathlib import Path

import pytest

from bansos.domain.layout import datadocs_assets_folder
from bansos.domain.resources import DATADOCS_ASSETS_DIR
from bansos.domain.storage import LocalStore, open_store
from bansos.validate import datadocs

GX_VIEW = Path(importlib.util.find_spec("great_expectations").origin).parent / "render" / "view"
PREFIX = "datadocs/21/2022-03/21.71/submission_7"
VALIDATION = "validations/monthly_extract/__none__/20221231T000000.000000Z/warehouse-submission_7.html"
HEAD = """<html><head>
<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>
<link rel="stylesheet" type="text/css" href="https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css">
<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>
<script src="https://cdn.jsdelivr.net/npm/vega-lite@5"></script>
<link rel="stylesheet" href="https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css">
<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>
<script src="https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js" integrity="sha384-JjSmVgyd0p3pXB1rRibZUAYoIIy6OrQ6VrjIEaFf/nJGzIxFDsf4x0xIM+B07jRM" crossorigin="anonymous"></script>
<link rel="shortcut icon" href="{favicon}static/images/favicon.ico" type="image/x-icon"/>
<style>.navbar-brand a {{ background: url('https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/full_logo_dark.png') 0 0 no-repeat; }}</style>
</head><body>
<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=20221231T000000.000000Z&dataContextId=1234"/>
<a href="https://greatexpectations.io">a link to follow, not a load</a>
</body></html>
"""  # noqa: E501 - GX's own lines


def _sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def test_every_vendored_file_is_the_registrys_bytes_with_its_licence_beside_it():
    listed = {"manifest.json"}
    for package in datadocs.manifest()["packages"]:
        folder = datadocs.package_folder(package)
        assert sorted(package["sha256"]) == sorted(package["files"]), package["name"]
        assert any(p.startswith("LICENSE") for p in package["files"]), f"{package['name']} has no licence"
        assert package["integrity"].startswith("sha512-"), "the registry tarball's integrity is recorded"
        for path, digest in package["sha256"].items():
            data = (DATADOCS_ASSETS_DIR / folder / path).read_bytes()
            assert hashlib.sha256(data).hexdigest() == digest, f"{folder}/{path} differs from the manifest"
            listed.add(f"{folder}/{path}")
    on_disk = {p.relative_to(DATADOCS_ASSETS_DIR).as_posix() for p in DATADOCS_ASSETS_DIR.rglob("*") if p.is_file()}
    assert on_disk == listed, f"files not in the manifest: {sorted(on_disk - listed)}"


def test_vendored_scripts_match_the_integrity_hashes_gx_pins():
    template = (GX_VIEW / "templates" / "js_script_imports.j2").read_text(encoding="utf-8")
    pinned = re.findall(r'src="([^"]+)"\s+integrity="([^"]+)"', template)
    assert len(pinned) >= 2
    served = {url: (package, path) for package in datadocs.manifest()["packages"]
              for url, path in package["serves"].items()}
    for url, integrity in pinned:
        package, path = served[url]
        data = (DATADOCS_ASSETS_DIR / datadocs.package_folder(package) / path).read_bytes()
        assert _sri(data) == integrity, url


def _external(urls: list[str]) -> list[str]:
    return [u for u in urls if re.match(r"^(https?:)?//", u)]


def test_every_url_the_installed_gx_templates_load_is_served_locally():
    """A GX upgrade that adds or moves a CDN URL fails here, before a kab/kota sees an unstyled page."""
    templates = sorted((GX_VIEW / "templates").glob("*.j2"))
    styles = sorted((GX_VIEW / "static" / "styles").glob("*.css"))
    loads_before, left = [], {}
    for path in templates + styles:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".css":
            text = f"<style>{text}</style>"
        loads_before += _external(datadocs.page_loads(text))
        after = _external(datadocs.page_loads(datadocs.rewrite_page(text, f"{PREFIX}/index.html")))
        if after:
            left[path.name] = after
    assert len(loads_before) > 20, "the templates were read (GX 1.24 loads about 16 files from CDNs per page)"
    assert not left, f"still loaded from outside after the rewrite: {left}"


@pytest.mark.parametrize("page", ["index.html", "expectations/monthly_extract.html", VALIDATION])
def test_a_page_loads_only_shared_assets_by_paths_relative_to_itself(page):
    depth = page.count("/")
    html = HEAD.format(favicon="../" * (depth - 1) if depth > 1 else "./")  # GX's favicon is one level short
    key = f"{PREFIX}/{page}"
    rewritten = datadocs.rewrite_page(html, key)
    assets = {f"{datadocs_assets_folder()}/{a.name}" for a in datadocs.assets()}
    assert datadocs.unresolved_loads(rewritten, key, assets) == []
    up = "../" * (key.count("/") - 1)
    assert f'href="{up}_assets/bootstrap-4.3.1/dist/css/bootstrap.min.css"' in rewritten
    assert f'src="{up}_assets/great_expectations-' in rewritten, "the logo, its query string dropped"
    assert "integrity=" not in rewritten and "crossorigin=" not in rewritten, "file:// pages refuse SRI/CORS loads"
    assert 'href="https://greatexpectations.io"' in rewritten, "links to follow stay as they are"


@pytest.mark.parametrize("html", [
    HEAD,
    '<script src="a.js"\n        integrity="sha384-x" crossorigin="anonymous"></script>',
    'data-integrity="kept" \n\t integrity="gone"',  # an attribute whose name only ends with it stays
    'a  integrity="x"integrity="y" crossorigin=""',  # the second is glued to the first: it stays
    'integrity="kept at the start" crossorigin="gone"',
    "no attribute at all",
])
def test_sri_attributes_go_as_the_regular_expression_they_replace_removes_them(html):
    assert datadocs.without_sri(html) == re.sub(r'\s+(?:integrity|crossorigin)="[^"]*"', "", html)


def test_unresolved_loads_name_what_a_page_cannot_have_offline():
    html = '<script src="https://cdn.example/x.js"></script><link rel="icon" href="static/images/a.ico">'
    assert datadocs.unresolved_loads(html, f"{PREFIX}/index.html", set()) == [
        "https://cdn.example/x.js", "static/images/a.ico"]


def _site(tmp_path: Path) -> Path:
    """A GX site with three pages and the static/ folder GX's own site builder copies into each site (the
    project's, ``bansos.validate.gx_site``, leaves it out): a static/ folder is never published."""
    docs = tmp_path / "gx-project"
    site = docs / datadocs.SITE
    for page in ("index.html", "expectations/monthly_extract.html", VALIDATION):
        depth = page.count("/")
        (site / page).parent.mkdir(parents=True, exist_ok=True)
        (site / page).write_text(HEAD.format(favicon="../" * (depth - 1) if depth > 1 else "./"), encoding="utf-8")
    (site / "static" / "fonts").mkdir(parents=True)
    (site / "static" / "fonts" / "HKGrotesk-Bold.otf").write_bytes(b"x" * 1000)
    return docs


class CountingStore(LocalStore):
    def __init__(self, root):
        super().__init__(root)
        self.puts: list[str] = []

    def put_bytes(self, key, data, content_type="application/octet-stream"):
        self.puts.append(key)
        super().put_bytes(key, data, content_type)


def test_publishing_writes_the_assets_once_and_each_sites_pages_only(tmp_path, monkeypatch):
    monkeypatch.setattr(datadocs, "_published", set())
    store = CountingStore(tmp_path / "root")
    docs = _site(tmp_path)

    key = datadocs.publish_data_docs(store, docs, PREFIX, Path(VALIDATION))

    assert key == f"{PREFIX}/{VALIDATION}", "the page a person is sent to is the validation page"
    assert datadocs.find_validation_page(store, PREFIX) == key
    published = {o.key for o in store.list("datadocs")}
    pages = {o.key for o in store.list(PREFIX)}
    assert pages == {f"{PREFIX}/index.html", f"{PREFIX}/expectations/monthly_extract.html", key}, "no static/"
    for asset in datadocs.assets():
        data = (tmp_path / "root" / datadocs_assets_folder() / asset.name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == asset.sha256
    for page in pages:
        html = (tmp_path / "root" / page).read_text(encoding="utf-8")
        assert datadocs.unresolved_loads(html, page, published) == [], page

    monkeypatch.setattr(datadocs, "_published", set())  # a new process: only the marker is asked
    store.puts.clear()
    other = PREFIX.replace("submission_7", "submission_8")
    datadocs.publish_data_docs(store, docs, other, Path(VALIDATION))
    assert all(k.startswith(other + "/") for k in store.puts), "the shared assets are not written again"
    assert len(store.puts) == 3


def test_publishing_to_s3_gives_each_file_its_content_type(tmp_path, s3_server, monkeypatch):
    monkeypatch.setattr(datadocs, "_published", set())
    store = open_store(s3_server.root())
    key = datadocs.publish_data_docs(store, _site(tmp_path), PREFIX, Path(VALIDATION))

    def content_type(k: str) -> str:
        return s3_server.client.head_object(Bucket=store.bucket, Key=store._k(k))["ContentType"]

    assets = datadocs_assets_folder()
    assert content_type(key).startswith("text/html")
    assert content_type(f"{assets}/fontawesome-free-6.6.0/webfonts/fa-solid-900.woff2") == "font/woff2"
    assert content_type(f"{assets}/jquery-3.7.1/dist/jquery.min.js") == "application/javascript"
    assert content_type(f"{assets}/bootstrap-4.3.1/dist/css/bootstrap.min.css") == "text/css"
    assert content_type(f"{assets}/bootstrap-4.3.1/LICENSE").startswith("text/plain")
