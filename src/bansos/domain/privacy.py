"""Personal data rules: mask identifiers in anything a person reads, pseudonymise them in the warehouse.

NIK and No KK are protected personal data (UU Adminduk art. 84, UU PDP 27/2022). Logs, alerts and
reports show at most ``2171********0003``; the warehouse keeps only HMAC-SHA256 of them, with a key
the province holds outside the repository and outside the database.
"""

from __future__ import annotations

import hashlib
import hmac
import re

_LONG_NUMBER = re.compile(r"\d{9,}")
# A NIK or No KK as a reader would see it: sixteen digits standing alone. Sixteen digits inside a
# longer word are not one: a SHA-256 checksum in hex holds such a run in about one digest in forty.
FULL_IDENTIFIER = re.compile(r"(?<![0-9A-Za-z.])\d{16}(?![0-9A-Za-z])")
_BLOCK = 64  # SHA-256 block size


def mask(identifier: str | None) -> str:
    """``2171********0003``: the region and the serial, never the birth date in between."""
    if not identifier or len(identifier) < 8:
        return "****"
    return identifier[:4] + "*" * (len(identifier) - 8) + identifier[-4:]


def mask_text(text: str) -> str:
    """Mask every run of 9 or more digits in free text (examples, messages, logs)."""
    return _LONG_NUMBER.sub(lambda m: mask(m.group(0)), text)


def mask_value(value):
    """Mask identifiers anywhere inside a JSON-like value."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(v) for v in value]
    return value


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The key XORed with HMAC's inner and outer pads (RFC 2104), for ``core.hmac_sha256`` in SQL."""
    if len(key) < 32:
        raise ValueError("the pseudonymisation key must be at least 32 bytes")
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def pseudonymise(identifier: str, key: bytes) -> bytes:
    """The same HMAC-SHA256 that the warehouse computes in SQL: the reference the tests hold the SQL to."""
    return hmac.new(key, identifier.encode("utf-8"), hashlib.sha256).digest()
