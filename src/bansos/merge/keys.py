"""The pseudonymisation key in the warehouse: how it reaches SQL, which key a warehouse was built with,
and how to change it.

* The key never travels in a statement: psycopg2 fills bind parameters into the statement text on the
  client, and that text is in ``pg_stat_activity`` and the server log. The key's HMAC pads go to a
  transaction-scoped temp table as binary ``COPY`` data instead (:mod:`bansos.warehouse.pseudonyms`), which
  neither shows (a binary COPY's error context names the column, never the value).
* Each warehouse records the fingerprint of its key at the first merge (:func:`check_key`); a merge with
  another key is refused, so a wrong or changed key can never create a second set of pseudonyms (every
  household counted twice).
* Rotating is re-pseudonymising: HMAC is one-way, so the new pseudonyms are computed from the identifiers
  in the archived files, every batch current and historical, in one transaction that also records the new
  fingerprint (:func:`rotate`). Readers see the old pseudonyms or the new ones, never a mix.

Command line (prints fingerprints and counts, never a key or an identifier)::

    python -m bansos.keys status   # the configured key's fingerprint and the warehouse's; exit 1 if they differ
    python -m bansos.keys rotate   # re-pseudonymise the warehouse with the configured key (pause the DAGs first)
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass

from bansos.warehouse import sqlfiles
from bansos.warehouse.pseudonyms import KeyMismatch, check_key, fingerprint, load_pads, use_key

# the key's check and hand-over live in bansos.warehouse.pseudonyms (stage and the exclusion registry use them too)
__all__ = ["KeyMismatch", "Rotation", "check_key", "fingerprint", "main", "rotate", "status", "use_key"]

log = logging.getLogger(__name__)

_SHOWN = 16  # hex digits of a fingerprint shown to people
# The rotation stages archived files under a run of its own, so its staging tables are named apart from any
# monthly run's (the DAGs are paused while it runs: see ``rotate``).
ROTATION_RUN = "key-rotation"


@dataclass(frozen=True)
class Rotation:
    batches: int
    rows: int
    households: int
    persons: int
    fingerprint: str


def status(dsn: str, key: bytes) -> dict:
    """The configured key's fingerprint, the warehouse's current one and its history (fingerprints only)."""
    from bansos.warehouse.database import connect

    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("merge/keys/status.sql"))
        history = [
            {"fingerprint": fp, "activated_at": activated.isoformat(), "retired_at": retired and retired.isoformat()}
            for fp, activated, retired in cur.fetchall()
        ]
    current = next((h["fingerprint"] for h in history if h["retired_at"] is None), None)
    return {
        "configured": fingerprint(key),
        "warehouse": current,
        "matches": current in (None, fingerprint(key)),
        "history": history,
    }


def rotate(dsn: str, store, key: bytes) -> Rotation:
    """Re-pseudonymise every batch from its archived file with ``key`` and make it the warehouse's key.

    One transaction, under the exclusive key lock (merges wait). Each batch's archived file is staged
    again (its own short transaction, the same parsing as the monthly run) and its staging table dropped
    in the rotation's transaction; on any failure nothing changes and the staging tables are dropped.
    """
    from bansos import stage
    from bansos.extract import exclusions
    from bansos.warehouse.database import connect

    staged: list[int] = []
    try:
        with connect(dsn) as conn, conn.cursor() as cur:
            sqlfiles.run_script(cur, sqlfiles.read("merge/keys/begin_rotation.sql"))
            batches = cur.fetchall()
            load_pads(cur, key)
            for batch_id, submission_id, archive_key, province, periode, kode_kabkota in batches:
                staged.append(submission_id)
                stage.stage_submission(
                    dsn,
                    store,
                    submission_id=submission_id,
                    archive_key=archive_key,
                    province=province,
                    periode=periode,
                    kode_kabkota=kode_kabkota,
                    run_id=ROTATION_RUN,
                    key=key,
                    verify_key=False,  # the new key: the warehouse's is the old one until this commits
                )
                checked = sqlfiles.staging_table(submission_id, "checked", ROTATION_RUN)
                script = sqlfiles.compose("merge/keys/rekey_batch.sql", checked=checked).as_string(cur)
                sqlfiles.run_script(cur, script, {"batch_id": batch_id})
                (missing,) = cur.fetchone()
                if missing:
                    raise RuntimeError(f"batch {batch_id}: {missing} rows not found in its archived file {archive_key}")
            # the exclusion registry's pseudonyms too, from its archived versions (bansos.extract.exclusions)
            exclusions.rekey(cur, store)
            sqlfiles.run_script(cur, sqlfiles.read("merge/keys/map_rotation.sql"))
            unmapped = cur.fetchone()
            if any(unmapped):
                raise RuntimeError(f"{unmapped[0]} households, {unmapped[1]} persons have no distribution row")
            sqlfiles.run_script(cur, sqlfiles.read("merge/keys/apply_rotation.sql"), {"fingerprint": fingerprint(key)})
            rows, households, persons = cur.fetchone()
    finally:
        for submission_id in staged:
            stage.drop_staging(dsn, submission_id, ROTATION_RUN)
    log.info("warehouse re-pseudonymised: %s batches, %s rows; key %s…", len(batches), rows, fingerprint(key)[:_SHOWN])
    return Rotation(len(batches), rows, households, persons, fingerprint(key))


def main(argv: list[str] | None = None) -> int:
    """``status`` or ``rotate``, with the warehouse, store and key of :mod:`bansos.warehouse.runtime`."""
    from bansos.warehouse import runtime

    parser = argparse.ArgumentParser(prog="python -m bansos.keys", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["status", "rotate"])
    args = parser.parse_args(argv)
    dsn, key = runtime.warehouse_dsn(), runtime.pseudonym_key()
    if args.command == "rotate":
        done = rotate(dsn, runtime.store(), key)
        print(
            f"re-pseudonymised {done.batches} batches ({done.rows} rows, {done.households} households, "
            f"{done.persons} persons); the warehouse's key is now {done.fingerprint[:_SHOWN]}…"
        )
        return 0
    state = status(dsn, key)
    print(f"configured key: {state['configured'][:_SHOWN]}…")
    shown = f"{state['warehouse'][:_SHOWN]}…" if state["warehouse"] else "none yet (recorded at the first merge)"
    print(f"warehouse key:  {shown}")
    for h in state["history"]:
        print(f"  {h['fingerprint'][:_SHOWN]}…  from {h['activated_at']}  to {h['retired_at'] or 'now'}")
    if not state["matches"]:
        print("the keys differ: merges are refused; run `python -m bansos.keys rotate` to re-pseudonymise")
    return 0 if state["matches"] else 1


if __name__ == "__main__":
    sys.exit(main())
