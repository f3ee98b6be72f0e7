"""Masking and pseudonymisation: what a person may see, and the keyed hash the warehouse keeps."""

from __future__ import annotations

import hashlib
import hmac

import psycopg2
import pytest

from bansos.domain.privacy import FULL_IDENTIFIER, hmac_pads, mask, mask_text, mask_value, pseudonymise
from bansos.warehouse.pseudonyms import load_pads


def test_mask_keeps_region_and_serial_only():
    assert mask("2171015505800002") == "2171********0002"
    assert mask("12") == "****"
    assert mask(None) == "****"


def test_mask_text_hides_every_long_number_in_free_text():
    text = "NIK 2171015505800002 dan KK 2171011203100001 di baris 12"
    masked = mask_text(text)
    assert "2171015505800002" not in masked and "2171011203100001" not in masked
    assert "2171********0002" in masked and "baris 12" in masked


def test_a_full_identifier_stands_alone_and_a_checksum_is_not_one():
    assert FULL_IDENTIFIER.search("NIK 2171014506880003 ditolak")
    assert FULL_IDENTIFIER.search('{"nik": "2171014506880003"}')
    # a real SHA-256 with sixteen decimal digits in a row, as in a published manifest
    digest = "ab" + "0967967032888655" + "cd" * 23
    assert not FULL_IDENTIFIER.search(f'"sha256": "{digest}"')
    assert not FULL_IDENTIFIER.search("12345678901234567")  # seventeen digits: not a NIK
    assert not FULL_IDENTIFIER.search("0.1234567890123456")  # a long fraction


def test_mask_value_walks_nested_examples():
    value = [{"nik": "2171015505800002", "kode_program": "BSKK"}, ["3171015505800009"]]
    assert mask_value(value) == [{"nik": "2171********0002", "kode_program": "BSKK"}, ["3171********0009"]]


def test_short_keys_are_refused():
    with pytest.raises(ValueError):
        hmac_pads(b"too short")


@pytest.mark.parametrize("key", [b"k" * 32, b"a much longer key than one sha256 block " * 3])
def test_pads_reproduce_rfc2104_hmac(key):
    inner, outer = hmac_pads(key)
    message = b"2171015505800002"
    by_pads = hashlib.sha256(outer + hashlib.sha256(inner + message).digest()).digest()
    assert by_pads == hmac.new(key, message, hashlib.sha256).digest() == pseudonymise(message.decode(), key)


def test_sql_hmac_equals_python_hmac(warehouse):
    key = b"province-key-" * 4
    with psycopg2.connect(warehouse) as conn, conn.cursor() as cur:
        load_pads(cur, key)  # as the merge hands them over: COPY data, never bind parameters
        cur.execute(
            "SELECT core.hmac_sha256(%s, inner_pad, outer_pad) FROM pg_temp.pseudonym_pads",
            ("2171015505800002",),
        )
        (digest,) = cur.fetchone()
    assert bytes(digest) == pseudonymise("2171015505800002", key)
