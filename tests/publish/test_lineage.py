"""Lineage on S3: a published figure leads to its bucket, key, version and checksum; history keeps the rest.

Two kab/kota of March 2022 are loaded from the moto bucket (extract, stage and merge: the suite's
verdict on these clean files is not what lineage is about) and published; then 21.05 sends a
correction as a new version of the same key and the month is published again. The figure of
21.05 must lead to the corrected version now, to the first version in the earlier publication, and
the province total to both kab/kota files. The command prints the same, without personal data.
"""

from __future__ import annotations

import hashlib
import time
from urllib.parse import urlparse

import pandas as pd
import pytest

from bansos.orchestration import steps
from bansos.publish import lineage
from tests.conftest import KEY, migrated_template, new_database
from tests.pipeline import load_without_suite, source_file
from tests.s3.landing import land_s3, query

PERIODE = "2022-03"


def publish(dsn: str) -> int:
    steps.publish("21", PERIODE)
    publication_id, _ = lineage.record_publication(dsn, "21", 2022)
    return publication_id


@pytest.fixture(scope="module")
def s3_module_env(pg_base, s3_server):
    """One warehouse and S3 data root for the module: its tests only read what the fixture built."""
    dsn = new_database(pg_base, "wh", template=migrated_template(pg_base))
    root = s3_server.root()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BANSOS_WAREHOUSE_URL", dsn)
        mp.setenv("BANSOS_DATA_ROOT", root)
        mp.setenv("BANSOS_PSEUDONYM_KEY", KEY.decode())
        yield {"dsn": dsn, "root": root, "s3": s3_server}


@pytest.fixture(scope="module")
def corrected(s3_module_env, kepri2022):
    env, dsn = s3_module_env, s3_module_env["dsn"]
    steps.prepare_warehouse("21")
    v1 = {kode: land_s3(env["s3"], env["root"], kepri2022, PERIODE, kode) for kode in ("21.05", "21.03")}
    assert {load_without_suite(PERIODE, kode)["action"] for kode in v1} == {"loaded"}
    first = publish(dsn)
    assert lineage.record_publication(dsn, "21", 2022) == (first, False), "same batches: no new publication"
    original = source_file(kepri2022, PERIODE, "21.05").read_bytes()
    frame = pd.read_csv(source_file(kepri2022, PERIODE, "21.05"), dtype=str)
    programme = frame["kode_program"].value_counts().index[0]
    # withdraw the last two rows of that programme: data row i is file line i + 2 (1-based, after the header)
    drop = {int(i) + 2 for i in frame.index[frame["kode_program"] == programme][-2:]}
    lines = original.splitlines(keepends=True)
    corrected = b"".join(line for number, line in enumerate(lines, start=1) if number not in drop)
    time.sleep(1.1)
    v2 = land_s3(env["s3"], env["root"], kepri2022, PERIODE, "21.05", content=corrected)
    assert load_without_suite(PERIODE, "21.05")["action"] == "loaded"
    second = publish(dsn)
    return env | {"v1": v1, "v2": v2, "first": first, "second": second, "programme": programme,
                  "frame": frame, "original": original, "corrected": corrected}


def test_a_figure_leads_to_its_s3_object_version_and_checksum(corrected):
    c, dsn = corrected, corrected["dsn"]
    figure = lineage.Figure("21", 2022, 3, "21.05", c["programme"])
    (f,) = lineage.figure_sources(dsn, figure, c["second"])
    bucket, prefix = urlparse(c["root"]).netloc, urlparse(c["root"]).path.strip("/")
    name = source_file_name(c)
    assert (f.source_bucket, f.source_key) == (bucket, f"{prefix}/landing/21/{PERIODE}/21.05/{name}")
    assert f.source_version == c["v2"]
    assert f.sha256 == hashlib.sha256(c["corrected"]).hexdigest()
    expected_rows = int((c["frame"]["kode_program"] == c["programme"]).sum()) - 2
    assert f.rows == expected_rows and f.batch_rows == len(c["frame"]) - 2
    published = query(dsn, "SELECT distributions FROM mart.distribution_summary WHERE tahun = 2022 "
                           "AND bulan = 3 AND kode_kabkota = '21.05' AND kode_program = %s",
                      (c["programme"],))[0][0]
    assert f.rows == published, "the rows behind the figure are the rows it counts"
    archived = c["s3"].client.get_object(Bucket=bucket, Key=f"{prefix}/{f.archive_key}")["Body"].read()
    assert archived == c["corrected"], "the archive copy is the file byte for byte"


def source_file_name(c) -> str:
    return query(c["dsn"], "SELECT DISTINCT split_part(source_uri, '/', -1) FROM raw.submission "
                           "WHERE kode_kabkota = '21.05'")[0][0]


def test_the_earlier_publication_keeps_the_first_version_and_its_figure(corrected):
    c, dsn = corrected, corrected["dsn"]
    figure = lineage.Figure("21", 2022, 3, "21.05", c["programme"])
    (old,) = lineage.figure_sources(dsn, figure, c["first"])
    assert old.source_version == c["v1"]["21.05"] and old.sha256 == hashlib.sha256(c["original"]).hexdigest()
    assert old.superseded_at is not None
    history = lineage.figure_history(dsn, figure)
    assert [h.publication_id for h in history] == [c["first"], c["second"]]
    assert history[0].distributions - history[1].distributions == 2


def test_a_province_total_leads_to_every_kabkota_file(corrected):
    c, dsn = corrected, corrected["dsn"]
    files = lineage.figure_sources(dsn, lineage.Figure("21", 2022, 3), c["second"])
    assert [(f.kode_kabkota, f.source_version) for f in files] == [("21.03", c["v1"]["21.03"]),
                                                                   ("21.05", c["v2"])]
    total = query(dsn, "SELECT distributions FROM mart.distribution_summary WHERE tahun = 2022 AND bulan = 3 "
                       "AND kode_kabkota IS NULL AND kode_program IS NULL")[0][0]
    assert sum(f.rows for f in files) == total
    current = lineage.figure_sources(dsn, lineage.Figure("21", 2022, 3), None)
    assert current == files, "nothing changed since the last publication"
    rows = query(dsn, "SELECT count(*), count(DISTINCT source_version) FROM core.distribution_lineage "
                      "WHERE is_current AND periode = %s", (PERIODE,))
    assert rows == [(total, 2)]


def test_the_command_prints_the_files_and_no_personal_data(corrected, capsys):
    c = corrected
    code = lineage.main(["--province", "21", "--tahun", "2022", "--kabkota", "21.05",
                         "--program", c["programme"], "--bulan", "3", "--history"])
    out = capsys.readouterr().out
    assert code == 0
    assert c["v2"] in out and hashlib.sha256(c["corrected"]).hexdigest() in out
    assert f"publication {c['first']}" in out and f"publication {c['second']}" in out
    frame = c["frame"]
    for column in ("nik", "no_kk", "nama", "tanggal_lahir"):
        assert not any(str(value) in out for value in frame[column].head(50)), column
