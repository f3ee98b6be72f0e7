"""The package installs from a wheel and reads its data files from the install, not from a checkout.

``pip wheel`` builds the project as ``pip install .`` would (links in ``src/bansos/_resources``
resolved into copies), the wheel is installed (not editable) into a fresh venv that sees this venv's
packages through a ``.pth`` line (psycopg2, GX: no reinstall; not this venv's ``.pth`` files, so not
its editable install of a checkout), and a subprocess there, run from a folder outside the checkout,
reads a SQL file and the GX suite through the package's own functions. Slow-ish (a build and a venv,
about 10 s), in ``make test`` and ``make check`` (tier ``unit``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
import bansos
from bansos.domain import resources
from bansos.validate import load_suite_json
from bansos.warehouse import sqlfiles
suite = load_suite_json()
print(json.dumps({
    "package": bansos.__file__,
    "sql_dir": str(resources.SQL_DIR),
    "suite_file": str(resources.EXPECTATIONS_DIR / "monthly_extract.json"),
    "sql": sqlfiles.read("migrations/0001_schemas.sql"),
    "sql_files": sorted(p.relative_to(resources.SQL_DIR).as_posix() for p in resources.SQL_DIR.rglob("*.sql")),
    "suite_name": suite["name"],
    "provinces": sorted(p.name for p in (resources.CONFIG_DIR / "provinces").glob("*.toml")),
    "reference": sorted(p.name for p in resources.REFERENCE_DIR.iterdir()),
    "datadocs_assets": sorted(p.relative_to(resources.DATADOCS_ASSETS_DIR).as_posix()
                              for p in resources.DATADOCS_ASSETS_DIR.rglob("*") if p.is_file()),
    "path": sys.path,
}))
"""


def _run(*cmd: str, cwd: Path | None = None) -> str:
    # Not the caller's PYTHONPATH: with the checkout's src/ on it, the bansos_pipeline.egg-info an editable
    # install leaves there tells pip the wheel is installed already, and pip installs nothing.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env, timeout=600, check=False)
    assert done.returncode == 0, f"{cmd}: {done.stderr[-3000:]}"
    return done.stdout


def _clean_copy(dst: Path) -> Path:
    """What a fresh clone has for the build: setuptools keeps a ``build/`` folder in the tree it builds, and
    one left by an earlier build (of older SQL folders) would be packed into the wheel again; it is at the
    root, which is not copied (a ``build/`` further down, such as Vega's in the Data Docs assets, is data)."""
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info")
    dst.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dst / name)
    for name in ("src", "include", "expectations"):
        shutil.copytree(ROOT / name, dst / name, symlinks=True, ignore=skip)
    return dst


def test_an_installed_wheel_reads_its_sql_and_suite_from_site_packages(tmp_path):
    wheels = tmp_path / "wheels"
    project = _clean_copy(tmp_path / "project")
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(wheels), str(project))
    [wheel] = wheels.glob("bansos_pipeline-*.whl")
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", str(venv))
    python = venv / "bin" / "python"
    purelib = _run(str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip()
    (Path(purelib) / "project-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--quiet", str(wheel))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    seen = json.loads(_run(str(python), "-I", "-c", PROBE, cwd=elsewhere))

    site = Path(purelib).resolve()
    for key in ("package", "sql_dir", "suite_file"):
        assert Path(seen[key]).resolve().is_relative_to(site), f"{key} {seen[key]} is not in {site}"
        assert not Path(seen[key]).resolve().is_relative_to(ROOT), f"{key} read from the checkout"
    assert seen["sql"] == (ROOT / "include/sql/migrations/0001_schemas.sql").read_text(encoding="utf-8")
    assert seen["sql_files"] == sorted(p.relative_to(ROOT / "include/sql").as_posix()
                                       for p in (ROOT / "include/sql").rglob("*.sql")), "every SQL file, in its folder"
    assert seen["suite_name"] == json.loads((ROOT / "expectations/monthly_extract.json").read_text())["name"]
    assert seen["provinces"] == sorted(p.name for p in (ROOT / "include/config/provinces").glob("*.toml"))
    assert {"LICENSE-wilayah.txt", "SOURCE.md", "wilayah.csv"} <= set(seen["reference"])
    assets = ROOT / "include/datadocs_assets"
    assert seen["datadocs_assets"] == sorted(p.relative_to(assets).as_posix() for p in assets.rglob("*")
                                             if p.is_file()), "the Data Docs assets and their licences"
    assert Path(sysconfig.get_paths()["purelib"]).resolve() != site, "a fresh venv, not this one"


def test_an_editable_install_reads_them_from_the_checkout(tmp_path):
    """``make install`` installs the checkout editable: the same functions then read the checkout's folders."""
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", str(venv))
    python = venv / "bin" / "python"
    purelib = _run(str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip()
    (Path(purelib) / "project-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--quiet", "-e", str(ROOT))
    seen = json.loads(_run(str(python), "-I", "-c", PROBE, cwd=tmp_path))
    assert Path(seen["package"]).resolve() == ROOT / "src/bansos/__init__.py"
    assert Path(seen["sql_dir"]).resolve() == ROOT / "include/sql"
    assert Path(seen["suite_file"]).resolve() == ROOT / "expectations/monthly_extract.json"
