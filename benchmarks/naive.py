"""Path (b) of the benchmark: what a data engineer writes first, on the same file and warehouse.

``pandas.read_csv`` of the whole file, the facts the suite asks about computed over the DataFrame (the same
definitions as ``include/sql/stage/build_checked.sql``: formats, dates, regions, the programme catalogue,
duplicates, the rules across months and the exclusion registry), the project's suite
(``expectations/monthly_extract.json``) run by Great Expectations on a pandas DataFrame datasource, then
``DataFrame.to_sql`` of the pseudonymised rows. Each part is timed on its own; the whole runs in one process,
so its peak memory is the path's. The rules across months are looked up the way a DataFrame user would:
the file's keys written with ``to_sql``, counted by a join, read back with ``read_sql``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from pathlib import Path

DIGITS = r"[0-9]{16}"
SCIENTIFIC = r"(?i)[0-9]+([.,][0-9]+)?e\+?[0-9]+"
DESIL = [str(i) for i in range(1, 11)]


def _valid_dates(text):
    import pandas as pd

    return pd.to_datetime(text, format="%Y-%m-%d", errors="coerce").notna()


def _id_facts(df, col: str, prefixes: set[str], nik: bool) -> dict:
    """The shape, date and region facts of a NIK or No KK column (build_checked.sql's ``nik_*`` / ``no_kk_*``)."""
    import numpy as np
    import pandas as pd

    v = df[col]
    d16 = v.str.fullmatch(DIGITS).fillna(False).astype(bool)
    sci = v.str.fullmatch(SCIENTIFIC).fillna(False).astype(bool)
    repeated = v.str[0].fillna("x") * 16 == v.fillna("")
    fmt = v.isna() | sci | (d16 & ~repeated & (v.str[-4:] != "0000"))
    day = pd.to_numeric(v.str[6:8].where(d16), errors="coerce")
    if nik:
        real = (day.between(1, 71)) & _valid_dates(
            "20" + v.str[10:12] + "-" + v.str[8:10] + "-" + (day % 40).fillna(0).astype(int).astype(str).str.zfill(2))
    else:
        real = _valid_dates("20" + v.str[10:12] + "-" + v.str[8:10] + "-" + v.str[6:8])
    known = v.str[:6].isin(prefixes)
    out = {f"{col}_scientific": sci, f"{col}_format_ok": fmt, f"{col}_date_ok": ~d16 | real,
           f"{col}_prefix_known": ~d16 | known, f"_{col}_16": d16}
    if nik:
        sex = df["jenis_kelamin"]
        out["nik_sex_consistent"] = np.where(d16 & sex.isin(["L", "P"]), (day > 40) == (sex == "P"), True)
    return out


def facts(df, ref: dict, province: str, periode: str, kabkota: str):
    """Add build_checked.sql's fact columns to ``df`` (stripped text columns, None for blanks)."""
    import numpy as np
    import pandas as pd

    prefixes = ref["kecamatan_digits"]
    new = {}
    new.update(_id_facts(df, "nik", prefixes, nik=True))
    new.update(_id_facts(df, "no_kk", prefixes, nik=False))
    new["nik_prefix_in_kabkota"] = ~new["_nik_16"] | (df["nik"].str[:4] == kabkota.replace(".", ""))
    new["periode_matches_folder"] = (df["periode"] == periode).fillna(False)
    new["kabkota_matches_folder"] = (df["kode_kabkota"] == kabkota).fillna(False)
    new["kecamatan_in_kabkota"] = df["kode_kecamatan"].isin(ref["kecamatan_of_kabkota"])
    new["desa_in_kecamatan"] = pd.Series(list(zip(df["kode_desa"], df["kode_kecamatan"], strict=True))).isin(
        ref["desa_pairs"]).to_numpy()
    p = df[["kode_program"]].merge(ref["programme"], how="left", on="kode_program")
    known = p["nominal_min"].notna().to_numpy()
    new["programme_known"] = known
    digits = df["nominal"].str.fullmatch(r"[0-9]{1,15}").fillna(False).astype(bool)
    rp = pd.to_numeric(df["nominal"].where(digits), errors="coerce")
    within = (rp >= p["nominal_min"].to_numpy()) & (rp <= p["nominal_max"].to_numpy())
    new["nominal_in_rules"] = digits & (~known | within)
    channel_ok = [s not in ("TUNAI", "NONTUNAI") or (isinstance(c, list) and s in c)
                  for s, c in zip(df["saluran"], p["channels"], strict=True)]
    new["saluran_allowed"] = ~known | np.array(channel_ok)
    new["kelompok_present"] = ~(p["is_group"].fillna(False).to_numpy().astype(bool)) | df["id_kelompok"].notna()
    salur_iso = df["tanggal_salur"].str.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").fillna(False) & _valid_dates(
        df["tanggal_salur"])
    new["tanggal_salur_in_period"] = salur_iso & (df["tanggal_salur"].str[:7] == periode)
    lahir_iso = df["tanggal_lahir"].str.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").fillna(False) & _valid_dates(
        df["tanggal_lahir"])
    lahir = df["tanggal_lahir"]
    new["tanggal_lahir_ok"] = lahir_iso & (lahir >= "1900-01-01") & (lahir <= periode + "-31")
    households = p["counting_unit"].to_numpy() != "persons"
    new["household_programme_repeated"] = (df["no_kk"].notna() & households
                                           & df.duplicated(["no_kk", "kode_program"], keep=False))
    new["nik_programme_repeated"] = df["nik"].notna() & df.duplicated(["nik", "kode_program"], keep=False)
    desil_ok = df["desil"].isin(DESIL)
    desil = pd.to_numeric(df["desil"].where(desil_ok), errors="coerce")
    above = desil_ok & (desil > p["desil_max"].to_numpy())
    new["desil_above_max_severity"] = np.where(above, p["desil_severity"], None)
    new["desil_missing_severity"] = np.where(p["desil_required"].fillna(False).to_numpy().astype(bool) & ~desil_ok,
                                             p["desil_severity"], None)
    for col in [c for c in new if c.startswith("_")]:
        del new[col]
    out = pd.concat([df, pd.DataFrame({k: np.asarray(v) for k, v in new.items()}, index=df.index)], axis=1)
    out["nominal_rp"] = rp
    return out, p, households


def across_months(df, p, households, engine, key: bytes, province: str, periode: str, kabkota: str):
    """Hash NIK and No KK in Python, count earlier distributions per key by a join, set the severity columns."""
    import numpy as np
    import pandas as pd

    def hashed(values):
        return [None if v is None else hmac.new(key, v.encode(), hashlib.sha256).digest() for v in values]

    df["kk_hash"] = hashed(df["no_kk"].where(df["no_kk"].notna(), None))
    df["nik_hash"] = hashed(df["nik"].where(df["nik"].notna(), None))
    from sqlalchemy import LargeBinary

    df[["kk_hash", "nik_hash", "kode_program"]].to_sql("naive_keys", engine, if_exists="replace", index=False,
                                                        chunksize=50_000,
                                                        dtype={"kk_hash": LargeBinary, "nik_hash": LargeBinary})
    seen = {}
    for col in ("kk_hash", "nik_hash"):
        counts = pd.read_sql(
            f"SELECT f.{col}, f.kode_program, count(*) FILTER (WHERE left(d.periode, 4) = %(year)s) AS in_year, "
            f"count(*) AS in_lifetime FROM (SELECT DISTINCT {col}, kode_program FROM naive_keys) AS f "
            f"JOIN core.distribution_current AS d ON d.{col} = f.{col} AND d.kode_program = f.kode_program "
            "AND d.province = %(province)s AND NOT (d.kode_kabkota = %(kabkota)s AND d.periode = %(periode)s) "
            f"GROUP BY f.{col}, f.kode_program",
            engine, params={"year": periode[:4], "province": province, "kabkota": kabkota, "periode": periode})
        counts[col] = counts[col].map(bytes)
        seen[col] = df[[col, "kode_program"]].merge(counts, how="left", on=[col, "kode_program"])
    per_year, lifetime = p["max_per_year"].to_numpy(), p["max_per_lifetime"].to_numpy()
    for who, col, only_households in (("household", "kk_hash", True), ("nik", "nik_hash", False)):
        s = seen[col]
        present = df[col].notna().to_numpy() & (households if only_households else True)
        year = 1 + s["in_year"].fillna(0).to_numpy()
        ever = 1 + s["in_lifetime"].fillna(0).to_numpy()
        df[f"{who}_per_year_severity"] = np.where(present & (year > per_year), p["max_per_year_severity"], None)
        df[f"{who}_lifetime_severity"] = np.where(present & (ever > lifetime), p["max_per_lifetime_severity"], None)
    excluded = pd.read_sql("SELECT nik_hash, alasan, tanggal FROM core.exclusion_in_force WHERE province = %(p)s",
                           engine, params={"p": province})
    excluded["nik_hash"] = excluded["nik_hash"].map(bytes)
    ex = df[["nik_hash"]].merge(excluded, how="left", on="nik_hash")
    after = pd.to_datetime(df["tanggal_salur"], errors="coerce") > pd.to_datetime(ex["tanggal"]).to_numpy()
    df["excluded_reason"] = np.where(after, ex["alasan"].astype(str) + " sejak " + ex["tanggal"].astype(str), None)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE naive_keys")
    return df


def reference(engine, province: str, kabkota: str) -> dict:
    import pandas as pd

    region = pd.read_sql("SELECT kode, digits, tingkat, parent FROM ref.region", engine)
    history = pd.read_sql("SELECT digits FROM ref.region_history WHERE tingkat = 'kecamatan'", engine)
    kec = region[region.tingkat == "kecamatan"]
    desa = region[region.tingkat == "desa_kelurahan"]
    programme = pd.read_sql("SELECT * FROM ref.programme WHERE province = %(p)s", engine, params={"p": province})
    return {
        "kecamatan_digits": set(kec.digits) | set(history.digits),
        "kecamatan_of_kabkota": set(kec[kec.parent == kabkota].kode),
        "desa_pairs": set(zip(desa.kode, desa.parent, strict=True)),
        "programme": programme.drop(columns=["province"]),
    }


def run(path: Path, dsn: str, key: bytes, province: str, periode: str, kabkota: str, parameters: dict) -> dict:
    """The naive path on one file; seconds of each part and what the suite found."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import pandas as pd
    import sqlalchemy
    from sqlalchemy import LargeBinary

    from bansos.validate.validate import _quiet_gx, load_suite_json

    engine = sqlalchemy.create_engine(dsn.replace("postgresql://", "postgresql+psycopg2://", 1))
    parts = {}
    t = time.perf_counter()
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    parts["read_csv"] = time.perf_counter() - t

    t = time.perf_counter()
    for col in df.columns:
        df[col] = df[col].str.strip().replace("", None)
    for col in ("jenis_kelamin", "kode_program", "saluran"):
        df[col] = df[col].str.upper()
    ref = reference(engine, province, kabkota)
    df, p, households = facts(df, ref, province, periode, kabkota)
    df = across_months(df, p, households, engine, key, province, periode, kabkota)
    parts["facts"] = time.perf_counter() - t

    t = time.perf_counter()
    import great_expectations as gx

    _quiet_gx()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    asset = context.data_sources.add_pandas("naive").add_dataframe_asset("extract")
    batch = asset.add_batch_definition_whole_dataframe("whole")
    suite = context.suites.add(gx.ExpectationSuite(**load_suite_json()))
    definition = context.validation_definitions.add(gx.ValidationDefinition(name="naive", data=batch, suite=suite))
    result = definition.run(batch_parameters={"dataframe": df}, expectation_parameters=parameters,
                            result_format="SUMMARY")
    failed = sorted(r.expectation_config.kwargs.get("column", r.expectation_config.type)
                    for r in result.results if not r.success)
    errors = [r for r in result.results if r.exception_info.get("raised_exception")]
    parts["gx"] = time.perf_counter() - t

    t = time.perf_counter()
    out = df.drop(columns=["nik", "no_kk", "nama", "alamat", "tanggal_lahir"])
    out.to_sql("naive_distribution", engine, if_exists="replace", index=False, chunksize=50_000,
               dtype={"kk_hash": LargeBinary, "nik_hash": LargeBinary})
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE naive_distribution")
    parts["to_sql"] = time.perf_counter() - t
    return {"parts": parts, "rules": len(result.results), "failed_rules": failed, "rules_not_run": len(errors)}
