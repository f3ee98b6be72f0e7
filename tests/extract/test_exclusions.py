"""The province's exclusion registry against a real PostgreSQL and a real data root.

Loaded by the step the DAG's ``load_exclusions`` task calls: stored as keyed hashes only (no clear NIK or
free text in any column), versioned like submissions (the same bytes are one version, a change is a new
one, the old kept as history), an invalid file rejected whole with its reasons while the version before
stays in force; and the rule it feeds: a month paying an excluded NIK after its date is rejected naming
the reason, a payment before the date is accepted.
"""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import date, timedelta

import pytest

from bansos.domain.privacy import pseudonymise
from bansos.extract.exclusions import registry_csv
from bansos.orchestration import steps
from tests.conftest import KEY, random_key
from tests.pipeline import land, query, run_branch, source_file

PERIODE = "2022-03"
KODE = "21.71"
NAME = "registri_meninggal.csv"


def _folder(root):
    folder = root / "reference" / "21" / "exclusions"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write(root, data: bytes, name: str = NAME):
    path = _folder(root) / name
    path.write_bytes(data)
    return path


def _recipients(kepri2022) -> dict[str, list[date]]:
    """NIK -> the dates it was paid in Batam's March 2022 file."""
    paid: dict[str, list[date]] = {}
    with source_file(kepri2022, PERIODE, KODE).open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            paid.setdefault(row["nik"], []).append(date.fromisoformat(row["tanggal_salur"]))
    return paid


@pytest.fixture
def env(runtime_env, kepri2022):
    steps.prepare_warehouse("21")
    return runtime_env | {"paid": _recipients(kepri2022)}


def _dump(dsn: str) -> str:
    """Every row of the registry's tables as text (bytea as hex), to look for anything in clear."""
    rows = query(dsn, "SELECT t::text FROM core.exclusion AS t UNION ALL SELECT t::text FROM raw.exclusion_file AS t")
    return "\n".join(r for (r,) in rows)


def _versions(dsn: str) -> list[tuple]:
    return query(dsn, "SELECT file_id, status, row_count FROM raw.exclusion_file ORDER BY file_id")


def _in_force(dsn: str) -> set[tuple]:
    return {(bytes(h), a, t.isoformat()) for h, a, t in
            query(dsn, "SELECT nik_hash, alasan, tanggal FROM core.exclusion_in_force WHERE province = '21'")}


def _expected(lines) -> set[tuple]:
    return {(pseudonymise(nik, KEY), alasan, tanggal) for nik, alasan, tanggal in lines}


def test_the_registry_is_stored_as_keyed_hashes_only(env):
    dsn, root = env["dsn"], env["root"]
    niks = sorted(env["paid"])[:3]
    lines = [(niks[0], "meninggal", "2022-01-15"), (niks[1], "pindah", "2021-12-01"),
             (niks[2], "MENINGGAL", "2022-02-28")]
    data = registry_csv(lines).replace(b",\n", b",Budi Santoso wafat di RSUD\n")  # keterangan holds a name
    _write(root, data)

    counts = steps.load_exclusions("21")

    assert counts["files"] == 1 and counts["loaded"] == 1 and counts["rejected"] == 0
    assert counts["in_force"] == {"meninggal": 2, "pindah": 1}
    stored = {(bytes(h), a, t.isoformat()) for h, a, t in
              query(dsn, "SELECT nik_hash, alasan, tanggal FROM core.exclusion")}
    assert stored == _expected([(n, a.lower(), t) for n, a, t in lines]), "the warehouse's HMAC of each NIK"
    dump = _dump(dsn)
    for nik in niks:
        assert nik not in dump, "a clear NIK in the registry's tables"
        assert nik.encode().hex() not in dump, "a clear NIK (as bytes) in the registry's tables"
    assert "Budi" not in dump, "keterangan is never stored"
    # archived byte for byte under its SHA-256, recorded with it
    sha = hashlib.sha256(data).hexdigest()
    assert (root / "archive" / "21" / "exclusions" / sha / NAME).read_bytes() == data
    [(recorded, archive_key, status)] = query(dsn, "SELECT sha256, archive_key, status FROM raw.exclusion_file")
    assert (recorded, archive_key, status) == (sha, f"archive/21/exclusions/{sha}/{NAME}", "loaded")
    # the load's temp table went with its transaction: nothing named exclusion_load survives anywhere
    assert query(dsn, "SELECT count(*) FROM pg_class WHERE relname = 'exclusion_load'") == [(0,)]


def test_same_bytes_are_one_version_a_change_a_new_one_and_history_is_kept(env):
    dsn, root = env["dsn"], env["root"]
    niks = sorted(env["paid"])[:3]
    first = [(niks[0], "meninggal", "2022-01-15"), (niks[1], "pindah", "2021-12-01")]
    _write(root, registry_csv(first))
    assert steps.load_exclusions("21")["loaded"] == 1
    again = steps.load_exclusions("21")
    assert (again["loaded"], again["unchanged"]) == (0, 1)
    assert [s for _, s, _ in _versions(dsn)] == ["loaded"]

    second = [(niks[0], "meninggal", "2022-01-15"), (niks[2], "pindah", "2022-02-01")]
    _write(root, registry_csv(second))
    assert steps.load_exclusions("21")["loaded"] == 1
    assert [(s, n) for _, s, n in _versions(dsn)] == [("superseded", 2), ("loaded", 2)]
    assert _in_force(dsn) == _expected(second), "the old version is no longer in force"
    assert query(dsn, "SELECT count(*) FROM core.exclusion") == [(4,)], "the old version's rows stay as history"

    # the file back as it was: its first version in force again, no third version
    _write(root, registry_csv(first))
    assert steps.load_exclusions("21")["reinstated"] == 1
    assert [s for _, s, _ in _versions(dsn)] == ["loaded", "superseded"]
    assert _in_force(dsn) == _expected(first)

    # a file taken out of the folder is withdrawn; a second file's lines count beside the first's
    (_folder(root) / NAME).unlink()
    _write(root, registry_csv([(niks[2], "pindah", "2022-02-01")]), "registri_pindah.csv")
    counts = steps.load_exclusions("21")
    assert (counts["withdrawn"], counts["loaded"], counts["in_force"]) == (1, 1, {"pindah": 1})
    assert [s for _, s, _ in _versions(dsn)] == ["withdrawn", "superseded", "loaded"]


def test_an_invalid_registry_is_rejected_whole_and_the_version_before_stays(env):
    dsn, root = env["dsn"], env["root"]
    niks = sorted(env["paid"])[:4]
    good = [(niks[0], "meninggal", "2022-01-15"), (niks[1], "pindah", "2021-12-01")]
    _write(root, registry_csv(good))
    steps.load_exclusions("21")

    bad = good + [(niks[2][:15], "meninggal", "2022-01-01"),  # line 4: a NIK of 15 digits
                  (niks[3], "wafat", "2022-01-01"),           # line 5: an alasan the province does not list
                  (niks[3], "pindah", "2022-13-01")]          # line 6: no such date
    data = registry_csv(bad)
    _write(root, data)
    counts = steps.load_exclusions("21")

    assert (counts["rejected"], counts["loaded"]) == (1, 0)
    assert _in_force(dsn) == _expected(good), "the version before stays in force"
    [(_, _, first), (file_id, status, rows)] = _versions(dsn)
    assert (status, rows) == ("rejected", 5)
    [(reasons,)] = query(dsn, "SELECT reasons FROM raw.exclusion_file WHERE file_id = %s", (file_id,))
    by_rule = {r["rule"]: r for r in reasons}
    assert set(by_rule) == {"exclusion_nik_format", "exclusion_alasan_unknown", "exclusion_tanggal_format"}
    assert by_rule["exclusion_nik_format"]["examples"] == [{"source_line": 4}]
    assert "baris 5" in by_rule["exclusion_alasan_unknown"]["description"]
    assert "'wafat'" in by_rule["exclusion_alasan_unknown"]["description"]
    assert "baris 6" in by_rule["exclusion_tanggal_format"]["description"]
    assert query(dsn, "SELECT count(*) FROM core.exclusion WHERE file_id = %s", (file_id,)) == [(0,)]
    # kept in the archive, alerted once, with no NIK anywhere
    sha = hashlib.sha256(data).hexdigest()
    assert (root / "archive" / "21" / "exclusions" / sha / NAME).read_bytes() == data
    [(kind, payload)] = query(dsn, "SELECT kind, payload FROM dq.alert")
    assert kind == "rejected" and NAME in payload["summary"]
    assert {r["rule"] for r in payload["rules"]} == set(by_rule)
    text = json.dumps(payload) + json.dumps(reasons)
    assert not any(nik in text or nik[:15] in text for nik in niks)
    steps.load_exclusions("21")  # seen again: still rejected, not alerted twice
    assert query(dsn, "SELECT count(*) FROM dq.alert") == [(1,)]
    outbox = list((root / "outbox").glob("*.json"))
    assert len(outbox) == 1 and not any(nik in outbox[0].read_text() for nik in niks)


def test_a_file_that_is_not_a_csv_registry_is_rejected_with_what_to_send(env):
    dsn, root = env["dsn"], env["root"]
    _write(root, b"PK\x03\x04 not really a workbook", "registri.xlsx")
    _write(root, b"nomor,sebab\n1,2\n", "registri_lama.csv")
    assert steps.load_exclusions("21")["rejected"] == 2
    rules = {r["rule"] for (reasons,) in query(dsn, "SELECT reasons FROM raw.exclusion_file") for r in reasons}
    assert rules == {"exclusion_file_format", "exclusion_file_columns"}


def _rule(dsn: str, submission_id: int) -> tuple:
    [row] = query(dsn, "SELECT success, severity, unexpected_count, examples FROM dq.rule_result "
                  "WHERE submission_id = %s AND rule = 'recipient_excluded'", (submission_id,))
    return row


def test_a_month_paying_an_excluded_nik_after_its_date_is_rejected_naming_the_reason(env, kepri2022):
    dsn, root = env["dsn"], env["root"]
    paid = env["paid"]
    dead = sorted(paid)[0]
    died = min(paid[dead]) - timedelta(days=1)  # every payment of the month is after the death
    _write(root, registry_csv([(dead, "meninggal", died.isoformat())]))
    steps.load_exclusions("21")
    land(root, kepri2022, PERIODE, KODE)

    result = run_branch(PERIODE, KODE)

    assert result["action"] == "rejected"
    reason = next(r for r in result["reasons"] if r["rule"] == "recipient_excluded")
    assert reason["severity"] == "error" and reason["count"] == len(paid[dead])
    assert [r["rule"] for r in result["reasons"] if r["severity"] == "error"] == ["recipient_excluded"]
    success, severity, count, examples = _rule(dsn, result["submission_id"])
    assert (success, severity, count) == (False, "error", len(paid[dead]))
    shown = f"meninggal sejak {died.isoformat()}"
    assert {e["excluded_reason"] for e in examples} == {shown}, "the examples name the reason and its date"
    assert all(e["nik_masked"] == dead[:4] + "*" * 8 + dead[-4:] for e in examples)
    assert dead not in json.dumps(examples) + json.dumps(result)
    assert query(dsn, "SELECT count(*) FROM core.distribution") == [(0,)]
    # the Data Docs page of the validation shows the reason as the unexpected value, never the NIK
    docs = root / "datadocs" / "21" / PERIODE / KODE / f"submission_{result['submission_id']}"
    pages = "".join(p.read_text(encoding="utf-8") for p in (docs / "validations").rglob("*.html"))
    assert shown in pages and dead not in pages


def test_a_payment_on_or_before_the_date_is_accepted(env, kepri2022):
    dsn, root = env["dsn"], env["root"]
    paid = env["paid"]
    moved = sorted(paid)[1]
    _write(root, registry_csv([(moved, "pindah", max(paid[moved]).isoformat())]))  # paid on the day, not after
    steps.load_exclusions("21")
    land(root, kepri2022, PERIODE, KODE)

    result = run_branch(PERIODE, KODE)

    assert result["action"] == "loaded", result.get("reasons")
    success, severity, count, examples = _rule(dsn, result["submission_id"])
    assert (success, severity, count, examples) == (True, "error", 0, [])


def test_a_key_rotation_hashes_the_registry_again(env):
    from bansos.merge import keys
    from bansos.warehouse import runtime

    dsn, root = env["dsn"], env["root"]
    lines = [(n, "meninggal", "2022-01-15") for n in sorted(env["paid"])[:2]]
    _write(root, registry_csv(lines))
    steps.load_exclusions("21")
    new_key = random_key()

    keys.rotate(dsn, runtime.store(), new_key)

    stored = {bytes(h) for (h,) in query(dsn, "SELECT nik_hash FROM core.exclusion")}
    assert stored == {pseudonymise(nik, new_key) for nik, _, _ in lines}


def test_a_version_another_run_loaded_meanwhile_is_loaded_once(env):
    from bansos.extract import exclusions
    from bansos.warehouse import runtime

    dsn, root = env["dsn"], env["root"]
    lines = [(n, "pindah", "2022-01-15") for n in sorted(env["paid"])[:2]]
    _write(root, registry_csv(lines))
    steps.load_exclusions("21")
    [(file_id, uri, sha, key)] = query(dsn, "SELECT file_id, source_uri, sha256, archive_key FROM raw.exclusion_file")
    # what a second run of a backfill saw when it registered the file, before the first run's load committed
    seen = exclusions.Version(file_id, "received", False, uri, NAME, sha, key)

    assert exclusions._load(dsn, runtime.store(), "21", seen, KEY) is None
    assert query(dsn, "SELECT count(*) FROM core.exclusion") == [(2,)]
    assert _versions(dsn) == [(file_id, "loaded", 2)]
