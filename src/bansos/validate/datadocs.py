"""Publish a validation's GX Data Docs so a kab/kota operator can read them with no internet.

GX 1.24 writes pages that load Bootstrap, jQuery, bootstrap-table, Font Awesome and Vega from public
CDNs and the GX logo from GX's own bucket: offline a page is unstyled and the index's table of
validations, drawn by bootstrap-table, stays empty. Those files are vendored from the npm registry,
with their licences, in ``include/datadocs_assets/`` (``manifest.json`` names package, version,
SHA-256 and the CDN URL each file replaces; ``tools/vendor_datadocs.py`` fetches and checks them).

Publishing a site (a handful of small HTML pages per validation):

* the shared assets go once into ``datadocs/_assets/`` of the data root (each package in a folder of
  its exact version, with GX's favicon and logo from the installed GX); a marker named by the digest of
  the whole set says they are there, so a validation costs one existence check, not two dozen writes;
* every page's CDN URLs become relative paths to those files, which work from a local folder opened
  over ``file://`` and from S3 static hosting alike; the ``integrity``/``crossorigin`` attributes go,
  since a browser refuses a cross-origin-checked script from a ``file://`` page;
* only the pages are copied, not GX's per-site ``static/`` folder (4 MB of fonts and animations no
  page loads): the favicon comes from the shared assets too.

A page that would still load something from outside after the rewrite (a GX upgrade that adds a CDN
URL) is published anyway and logged as a warning; ``tests/validate/test_datadocs.py`` fails on it first.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import posixpath
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from bansos.domain.layout import datadocs_assets_folder
from bansos.domain.resources import DATADOCS_ASSETS_DIR
from bansos.domain.storage import Store

log = logging.getLogger(__name__)

SITE = Path("gx", "uncommitted", "data_docs", "local_site")
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css",
    ".js": "application/javascript",
    ".json": "application/json",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
    "": "text/plain; charset=utf-8",  # LICENSE
}
GX_WEB_ASSETS = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
GX_IMAGES = ("favicon.ico", "logo-long.png")


@dataclass(frozen=True)
class Asset:
    name: str  # key under datadocs/_assets/
    source: Path
    sha256: str


def content_type(name: str) -> str:
    return CONTENT_TYPES.get(posixpath.splitext(name)[1], "application/octet-stream")


@functools.cache
def manifest() -> dict:
    return json.loads((DATADOCS_ASSETS_DIR / "manifest.json").read_text(encoding="utf-8"))


def package_folder(package: dict) -> str:
    """``@forevolve/bootstrap-dark`` 1.1.0 -> ``bootstrap-dark-1.1.0`` (as ``tools/vendor_datadocs.py`` lays it out)."""
    return f"{package['name'].rsplit('/', 1)[-1]}-{package['version']}"


def _gx_folder() -> tuple[str, Path]:
    """GX's version folder name and the installed package's directory, found without importing GX (4-6 s)."""
    spec = importlib.util.find_spec("great_expectations")
    return f"great_expectations-{importlib.metadata.version('great_expectations')}", Path(spec.origin).parent


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@functools.cache
def assets() -> tuple[Asset, ...]:
    """Every file a page may load: the vendored packages' files and licences, GX's favicon, logo and licence."""
    out = []
    for package in manifest()["packages"]:
        folder = package_folder(package)
        for path, digest in package["sha256"].items():
            out.append(Asset(f"{folder}/{path}", DATADOCS_ASSETS_DIR / folder / path, digest))
    gx_folder, gx_dir = _gx_folder()
    for image in GX_IMAGES:
        source = gx_dir / "render" / "view" / "static" / "images" / image
        out.append(Asset(f"{gx_folder}/images/{image}", source, _sha256(source)))
    licence = next((f for f in importlib.metadata.distribution("great_expectations").files or ()
                    if f.name == "LICENSE" and ".dist-info" in str(f)), None)
    if licence is not None:
        source = Path(str(licence.locate()))
        out.append(Asset(f"{gx_folder}/LICENSE", source, _sha256(source)))
    return tuple(out)


@functools.cache
def replacements() -> tuple[tuple[re.Pattern, str], ...]:
    """What each external or per-site URL in a GX page becomes: a pattern and the asset's name."""
    gx_folder, _ = _gx_folder()
    rules = [
        (re.compile(re.escape(url) + r'(?=["\'])'), f"{package_folder(package)}/{path}")
        for package in manifest()["packages"]
        for url, path in package["serves"].items()
    ]
    logo = f"{gx_folder}/images/logo-long.png"
    rules += [
        # the navbar logo, with the query string GX appends (a date and the data context's id)
        (re.compile(re.escape(GX_WEB_ASSETS) + r'logo-long\.png[^"\')\s]*'), logo),
        # the dark-mode logo in GX's inline style: GX ships no dark variant, the light one stands in
        (re.compile(re.escape(GX_WEB_ASSETS) + r"full_logo_dark\.png"), logo),
        # the favicon in the site's own static/ (which is not published)
        (re.compile(r'(?<=")(?:\./|(?:\.\./)+)?static/images/favicon\.ico(?=")'), f"{gx_folder}/images/favicon.ico"),
    ]
    return tuple(rules)


_SRI = re.compile(r'(?:integrity|crossorigin)="[^"]*"')


def without_sri(html: str) -> str:
    """The page without its ``integrity``/``crossorigin`` attributes and the whitespace before each: what
    ``re.sub(r'\\s+(?:integrity|crossorigin)="[^"]*"', "", html)`` returns, found faster: a pattern that starts
    with a literal is searched for in C, one that starts with ``\\s+`` is tried at every space of the page
    (measured in docs/decisions.md, "One GX validation, cheaper still")."""
    parts, last = [], 0
    for match in _SRI.finditer(html):
        start = space = match.start()
        while space > last and html[space - 1].isspace():
            space -= 1
        if space == start:  # not an attribute of its own (``data-integrity=``, or the text's first word)
            continue
        parts.append(html[last:space])
        last = match.end()
    if not parts:
        return html
    parts.append(html[last:])
    return "".join(parts)


def rewrite_page(html: str, page_key: str) -> str:
    """The page with every CDN and per-site static URL pointing at the shared assets, relative to ``page_key``."""
    base = posixpath.dirname(page_key)
    folder = datadocs_assets_folder()
    for pattern, name in replacements():
        relative = posixpath.relpath(f"{folder}/{name}", base)
        html = pattern.sub(lambda _m, r=relative: r, html)
    return without_sri(html)


class _Loads(HTMLParser):
    """Every URL a page makes the browser fetch by itself: src/href of tags other than links to follow
    (``<a>``, ``<form>``), and ``url(...)`` in its inline styles."""

    _CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")\s]+)")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self._in_style = tag == "style"
        if tag in ("a", "form"):
            return
        for name, value in attrs:
            if name in ("src", "href") and value and not value.startswith(("#", "data:", "javascript:", "mailto:")):
                self.urls.append(value)
            elif name == "style" and value:
                self.urls += self._CSS_URL.findall(value)

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.urls += [u for u in self._CSS_URL.findall(data) if not u.startswith("data:")]


def page_loads(html: str) -> list[str]:
    parser = _Loads()
    parser.feed(html)
    return parser.urls


def unresolved_loads(html: str, page_key: str, keys: set[str]) -> list[str]:
    """The URLs the page would fetch that are not among ``keys`` (the published pages and assets):
    anything external, or a relative path to a file that is not there."""
    base = posixpath.dirname(page_key)
    missing = []
    for url in page_loads(html):
        external = re.match(r"^[a-z][a-z0-9+.-]*:|^//", url, re.IGNORECASE)
        if external or posixpath.normpath(posixpath.join(base, re.split(r"[?#]", url)[0])) not in keys:
            missing.append(url)
    return missing


def assets_digest() -> str:
    """One digest of the whole asset set (names and contents): its marker's name in the data root."""
    lines = "".join(f"{a.name} {a.sha256}\n" for a in sorted(assets(), key=lambda a: a.name))
    return hashlib.sha256(lines.encode()).hexdigest()


_published: set[tuple[str, str]] = set()


def publish_assets(store: Store) -> list[str]:
    """Put the shared assets into ``datadocs/_assets/`` unless this set is there already; returns their keys.

    The marker ``manifest-<digest>.json`` is written last, so an interrupted publication is redone by
    the next validation. Package folders carry their version, so an upgraded set adds folders beside
    the old ones and pages published before keep theirs.
    """
    folder = datadocs_assets_folder()
    digest = assets_digest()
    keys = [f"{folder}/{a.name}" for a in assets()]
    marker = f"{folder}/manifest-{digest[:16]}.json"
    if (store.url, digest) in _published or store.exists(marker):
        _published.add((store.url, digest))
        return keys
    for asset, key in zip(assets(), keys, strict=True):
        store.put_bytes(key, asset.source.read_bytes(), content_type(asset.name))
    listing = {"digest": digest, "files": {a.name: a.sha256 for a in assets()},
               "packages": [{k: p[k] for k in ("name", "version", "licence", "integrity")}
                            for p in manifest()["packages"]]}
    store.put_bytes(marker, json.dumps(listing, indent=1).encode(), "application/json")
    _published.add((store.url, digest))
    log.info("Data Docs assets published under %s (%d files)", store.uri(folder), len(keys))
    return keys


def publish_data_docs(store: Store, docs_dir: Path, prefix: str, page: Path | None = None) -> str | None:
    """Publish the GX site built in ``docs_dir`` under ``prefix``, readable offline; return the key of the
    validation page ``page`` (relative to the site), the page a person is sent to, or None without one."""
    site = docs_dir / SITE
    asset_keys = publish_assets(store)
    pages = {f"{prefix}/{p.relative_to(site).as_posix()}": p for p in sorted(site.rglob("*.html"))}
    known = set(pages) | set(asset_keys)
    for key, path in pages.items():
        html = rewrite_page(path.read_text(encoding="utf-8"), key)
        missing = unresolved_loads(html, key, known)
        if missing:
            log.warning("Data Docs page %s still loads %d file(s) it cannot have offline: %s",
                        key, len(missing), ", ".join(sorted(set(missing))[:5]))
        store.put_bytes(key, html.encode("utf-8"), CONTENT_TYPES[".html"])
    if page is None:
        log.error("GX wrote no validation page under %s: no Data Docs link", prefix)
        return None
    return f"{prefix}/{page.as_posix()}"


def find_validation_page(store: Store, prefix: str) -> str | None:
    """The newest validation page published under a submission's Data Docs folder ``prefix``, if any
    (GX names the folder after the run time, so the last key is the newest)."""
    pages = [o.key for o in store.list(f"{prefix}/validations") if o.key.endswith(".html")]
    return max(pages) if pages else None
