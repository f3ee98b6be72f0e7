"""One very large kab/kota-month file, for load-testing the pipeline.

Every row is a different household (so no NIK or No KK repeats), drawn with the same
household, identity and payment code as the yearly registry but in chunks: each chunk is
generated with numpy, handed to the writer and dropped, so memory stays bounded whatever the
row count. Identities use serials 5001-9999, which the registry never issues, so a bulk file
never reuses a registry person's NIK. Rows come in generation order (deterministic for a
seed); they are not sorted across the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from bansos.domain.config import Province, load_province
from tools.synthetic import seeding
from tools.synthetic.households import build_households, draw_locations
from tools.synthetic.identities import BULK_SERIALS, IdentityFactory
from tools.synthetic.kepri2022 import OnWritten
from tools.synthetic.layout import extract_path, parse_period, period_bounds
from tools.synthetic.payments import (
    channels,
    draw_amounts,
    payout_batch,
    pick_days,
    usual_amount,
)
from tools.synthetic.regions import load_regions
from tools.synthetic.rows import build_rows, dates_in_year
from tools.synthetic.writer import write_csv

DEFAULT_SEED = 7
DEFAULT_CHUNK_ROWS = 50_000
# Programme mix of a bulk file (individual programmes only: a group needs whole groups).
MIX = (("JAMSOS", 0.80), ("BSKK", 0.15), ("UEP", 0.05))


def iter_bulk_rows(
    province: Province,
    kode_kabkota: str,
    periode: str,
    rows: int,
    *,
    seed: int = DEFAULT_SEED,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    programme: str | None = None,
) -> Iterator[pd.DataFrame]:
    """Chunks of at most ``chunk_rows`` rows, ``rows`` in total, for one kab/kota-month."""
    if rows < 0 or chunk_rows < 1:
        raise ValueError("rows must be >= 0 and chunk_rows >= 1")
    kabkota = province.kabkota_by_code(kode_kabkota)
    mix = ((programme, 1.0),) if programme else MIX
    rules = [province.programme(kode) for kode, _ in mix]
    group = [r.kode for r in rules if r.group]
    if group:
        raise ValueError(f"bulk mode writes individual programmes only, not group programme {group[0]}")
    weights = np.array([w for _, w in mix]) / sum(w for _, w in mix)
    year, month = parse_period(periode)
    number = seeding.region_number(kabkota.kode)
    rng = seeding.stream(seed, seeding.BULK, number, year * 100 + month)
    regions = load_regions(kabkota.kode)
    factory = IdentityFactory(
        regions.kecamatan_digits,
        *period_bounds(periode),
        seeding.stream(seed, seeding.IDENTITIES, number, year * 100 + month),
        serials=BULK_SERIALS,
    )
    usual = [usual_amount(rng, r) for r in rules]
    batches = [payout_batch(rng, year, month) for _ in rules]
    done = 0
    while done < rows:
        n = min(chunk_rows, rows - done)
        households = build_households(rng, regions, factory, draw_locations(rng, regions, n))
        which = rng.choice(len(rules), size=n, p=weights)
        nominal = np.empty(n, dtype=np.int64)
        day = np.empty(n, dtype=np.int64)
        saluran = np.empty(n, dtype=object)
        for i, rule in enumerate(rules):
            sel = np.flatnonzero(which == i)
            nominal[sel] = draw_amounts(rng, rule, len(sel), usual[i])
            day[sel] = pick_days(rng, batches[i], len(sel))
            saluran[sel] = channels(rule, households.banked[sel])
        yield build_rows(
            households,
            np.arange(n),
            periode=periode,
            kode_kabkota=kabkota.kode,
            kode_program=np.array([r.kode for r in rules], dtype=object)[which],
            nominal=nominal,
            tanggal_salur=dates_in_year(year, np.full(n, month), day),
            saluran=saluran,
        )
        done += n


def write_bulk_extract(
    landing_root: Path,
    kabkota: str,
    periode: str,
    rows: int,
    *,
    seed: int = DEFAULT_SEED,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    programme: str | None = None,
    province_kode: str = "21",
    on_written: OnWritten | None = None,
) -> Path:
    """Write one file of ``rows`` rows to the kab/kota-month folder (replacing any file of the
    same name there, as a resubmission would)."""
    province = load_province(province_kode)
    path = extract_path(Path(landing_root), province.kode, province.kabkota_by_code(kabkota), periode)
    chunks = iter_bulk_rows(
        province, kabkota, periode, rows, seed=seed, chunk_rows=chunk_rows, programme=programme
    )
    count = write_csv(path, chunks)
    if on_written:
        on_written(path, count)
    return path
