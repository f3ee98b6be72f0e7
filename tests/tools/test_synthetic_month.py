"""The one-month generator (tools.synthetic.month) writes the Kaltim and Kalbar figures, in each programme's unit.

As in test_synthetic.py, the expected figures are typed in from shared/DOMAIN.md, not read from the targets
files: a typo there must fail here. Assertions count; a failure never shows whose NIK.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from bansos.domain.config import load_province
from tools.synthetic.cli import main
from tools.synthetic.month import load_month_targets, write_month
from tools.synthetic.targets import TARGETS_DIR

SAMARINDA_UTARA = "64.72.05"


@pytest.fixture(scope="module")
def kaltim(tmp_path_factory) -> dict[str, pd.DataFrame]:
    root = tmp_path_factory.mktemp("kaltim")
    paths = write_month(root, "64-2022-12")
    assert [p.relative_to(root).as_posix() for p in paths] == [
        "64/2022-12/64.72/penyaluran_samarinda_202212.csv", "64/2022-12/64.74/penyaluran_bontang_202212.csv"]
    return {p.parent.name: pd.read_csv(p, dtype=str, keep_default_na=False) for p in paths}


def test_samarinda_pays_9000_persons_rp300000_each_sharing_households(kaltim):
    rows = kaltim["64.72"]
    assert len(rows) == rows["nik"].nunique() == 9000
    assert set(rows["kode_program"]) == {"BLT-P3KE"} and set(rows["nominal"]) == {"300000"}
    assert rows["nominal"].astype(int).sum() == 2_700_000_000
    households = rows["no_kk"].nunique()
    assert 9000 / 3 <= households < 9000, "persons, not households: up to three per No KK"
    assert set(rows["desil"]) == {"1"}
    # members of one household live at its address
    assert (rows.groupby("no_kk")[["kode_desa", "alamat"]].nunique() == 1).all().all()


def test_samarinda_utara_holds_1587_the_most(kaltim):
    persons = kaltim["64.72"].groupby("kode_kecamatan")["nik"].nunique()
    assert persons[SAMARINDA_UTARA] == 1587
    assert persons.idxmax() == SAMARINDA_UTARA and (persons.drop(SAMARINDA_UTARA) < 1587).all()
    assert len(persons) == 10


def test_bontang_and_pontianak_count_households(kaltim, tmp_path):
    bontang = kaltim["64.74"]
    assert len(bontang) == bontang["no_kk"].nunique() == bontang["nik"].nunique() == 412
    [path] = write_month(tmp_path, "61-2024-10")
    pontianak = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert path.parent.name == "61.71" and path.parent.parent.name == "2024-10"
    assert len(pontianak) == pontianak["no_kk"].nunique() == 11314
    assert set(pontianak["kode_program"]) == {"PKH"} and set(pontianak["saluran"]) == {"NONTUNAI"}
    nominal = pontianak["nominal"].astype(int)
    assert nominal.between(225_000, 3_000_000).all()


def test_the_same_seed_writes_the_same_bytes(tmp_path):
    def digest(root: Path) -> list[str]:
        return [hashlib.sha256(p.read_bytes()).hexdigest() for p in write_month(root, "64-2022-12")]

    assert digest(tmp_path / "a") == digest(tmp_path / "b")


@pytest.mark.parametrize(("change", "message"), [
    (('"64.72.05" = 1587', '"64.72.05" = 1588'), "kecamatan split sums"),
    (('"64.72.05" = 1587', '"64.71.05" = 1587'), "outside the kab/kota"),
    (("total_nominal = 2700000000", "total_nominal = 2700000001"), "9000 x 300000"),
    (('kabkota = "64.74"', 'kabkota = "64.71"'), "64.71"),
])
def test_targets_that_do_not_add_up_are_refused(tmp_path, change, message):
    broken = tmp_path / "64-broken.toml"
    broken.write_text((TARGETS_DIR / "64-2022-12.toml").read_text().replace(*change))
    with pytest.raises((ValueError, KeyError), match=message):
        load_month_targets(str(broken), load_province("64"))


def test_command_writes_a_month(tmp_path, capsys):
    assert main(["month", "--landing", str(tmp_path), "--targets", "61-2024-10"]) == 0
    out = capsys.readouterr().out
    assert "penyaluran_pontianak_202410.csv\t11314 rows" in out
