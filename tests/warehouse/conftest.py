"""Fixtures for tests that run the pipeline's steps against a real PostgreSQL, without Airflow."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tools.synthetic import write_kepri_2022


@pytest.fixture(scope="session")
def kepri2022(tmp_path_factory) -> Path:
    """The synthetic Kepri 2022 landing tree (84 files), generated once per session."""
    root = tmp_path_factory.mktemp("kepri2022")
    write_kepri_2022(root)
    return root


def land(
    data_root: Path,
    src: Path,
    periode: str,
    kode_kabkota: str,
    name: str | None = None,
    content: bytes | None = None,
    mtime: float | None = None,
) -> Path:
    """Put a file into ``landing/21/<periode>/<kabkota>/`` as a kab/kota office would."""
    files = sorted((src / "21" / periode / kode_kabkota).glob("*.csv"))
    dst_dir = data_root / "landing" / "21" / periode / kode_kabkota
    dst_dir.mkdir(parents=True, exist_ok=True)
    dst = dst_dir / (name or files[0].name)
    if content is None:
        shutil.copyfile(files[0], dst)
    else:
        dst.write_bytes(content)
    stamp = mtime if mtime is not None else time.time()
    os.utime(dst, (stamp, stamp))
    return dst


def source_file(src: Path, periode: str, kode_kabkota: str) -> Path:
    return sorted((src / "21" / periode / kode_kabkota).glob("*.csv"))[0]
