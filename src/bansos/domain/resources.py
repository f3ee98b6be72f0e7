"""Where the package's data files are: SQL, province configs, reference data, the GX suite and the
Data Docs assets (the CDN files GX pages load, vendored with their licences).

They are package data of :mod:`bansos._resources`, found with :mod:`importlib.resources`, so the same
code reads them from a checkout (``pip install -e .``, or ``src/`` on the path) and from an installed
wheel, with no checkout at all. The folders are real directories in both cases (no zipped install).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def resource_dir(name: str) -> Path:
    """The folder of one kind of package data (``sql``, ``config``, ``reference``, ``expectations``,
    ``datadocs_assets``)."""
    path = Path(str(files("bansos._resources") / name))
    if not path.is_dir():
        raise FileNotFoundError(f"package data '{name}' is missing from {path.parent}: a broken install")
    return path


SQL_DIR = resource_dir("sql")
CONFIG_DIR = resource_dir("config")
REFERENCE_DIR = resource_dir("reference")
EXPECTATIONS_DIR = resource_dir("expectations")
DATADOCS_ASSETS_DIR = resource_dir("datadocs_assets")
