"""How the pseudonymisation key reaches SQL: as its HMAC pads in a transaction's temp table, by binary COPY.

psycopg2 fills bind parameters into the statement text on the client, and that text is in
``pg_stat_activity`` and the server log; a binary ``COPY``'s data is in neither (its error context names
the column, never the value). So stage (hashing a file's identifiers for the rules across months) and
merge (writing the pseudonyms) both hand the key over with :func:`load_pads`, and SQL computes
``core.hmac_sha256(value, inner_pad, outer_pad)``. Which key a warehouse was built with, and rotating
it, is :mod:`bansos.merge.keys`.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import struct

from bansos.domain.privacy import hmac_pads
from bansos.warehouse import sqlfiles
from bansos.warehouse.runtime import ConfigurationError

_FINGERPRINT_MESSAGE = b"bansos-key-fingerprint"
_SHOWN = 16  # hex digits of a fingerprint shown to people


class KeyMismatch(ConfigurationError):
    """The configured key is not the one the warehouse's pseudonyms were computed with."""


def fingerprint(key: bytes) -> str:
    """HMAC-SHA256 of a fixed message under the key: names the key without revealing it or its pads."""
    return hmac.new(key, _FINGERPRINT_MESSAGE, hashlib.sha256).hexdigest()


def _binary_copy(*fields: bytes) -> io.BytesIO:
    """One row in PostgreSQL's binary COPY format (header, field count, length-prefixed fields, trailer)."""
    row = struct.pack("!h", len(fields)) + b"".join(struct.pack("!i", len(f)) + f for f in fields)
    return io.BytesIO(b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0) + row + struct.pack("!h", -1))


def load_pads(cur, key: bytes) -> None:
    """Put the key's pads in ``pg_temp.pseudonym_pads`` for the rest of the transaction (see module doc)."""
    inner_pad, outer_pad = hmac_pads(key)
    copied = sqlfiles.run_script(
        cur, sqlfiles.read("warehouse/pseudonyms/load_pads.sql"), stream=_binary_copy(inner_pad, outer_pad)
    )
    if copied != 1:
        raise RuntimeError(f"the key's pads were not loaded ({copied} rows)")


def current_fingerprint(cur) -> str | None:
    """The warehouse's key fingerprint (None before the first merge), read without taking the key lock."""
    cur.execute(sqlfiles.read("warehouse/pseudonyms/current_fingerprint.sql"))
    row = cur.fetchone()
    return row[0] if row else None


def hash_with(cur, key: bytes, *, verify: bool = True) -> None:
    """Before a statement that hashes identifiers outside a merge (stage): refuse a key other than the
    warehouse's, without the key lock (a rotation holds it exclusively while it re-stages files, and passes
    ``verify=False``), then hand the pads over. Merge checks again under the lock before it writes."""
    if verify:
        current, mine = current_fingerprint(cur), fingerprint(key)
        if current is not None and current != mine:
            raise KeyMismatch(
                f"the pseudonymisation key differs from the one this warehouse was built with "
                f"(fingerprint {current[:_SHOWN]}…, configured key {mine[:_SHOWN]}…); nothing was staged. "
                "Configure the warehouse's key again, or rotate the warehouse with `python -m bansos.keys rotate`"
            )
    load_pads(cur, key)


def check_key(cur, key: bytes) -> None:
    """Refuse a key other than the warehouse's; the first key used is recorded as the warehouse's.

    Holds a shared lock until the transaction ends, so a rotation never runs beside a merge.
    """
    mine = fingerprint(key)
    sqlfiles.run_script(cur, sqlfiles.read("warehouse/pseudonyms/check_key.sql"), {"fingerprint": mine})
    (current,) = cur.fetchone()
    if current != mine:
        raise KeyMismatch(
            f"the pseudonymisation key differs from the one this warehouse was built with "
            f"(fingerprint {current[:_SHOWN]}…, configured key {mine[:_SHOWN]}…); nothing was merged. "
            "Configure the warehouse's key again, or rotate the warehouse to the configured key with "
            "`python -m bansos.keys rotate`"
        )


def use_key(cur, key: bytes) -> None:
    """Before identifiers are hashed into stored pseudonyms (merge, the exclusion registry): check the key
    under the shared key lock, then hand over its pads."""
    check_key(cur, key)
    load_pads(cur, key)
