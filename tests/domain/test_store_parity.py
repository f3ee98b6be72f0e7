"""LocalStore and S3Store answer the same calls the same way, so the pipeline has one code path.

Every test runs twice, on a temporary folder and on a prefix of the moto bucket over HTTP; only
versions differ (S3 has them, a folder does not), and those tests say so.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from bansos.domain.storage import LocalStore, S3Store, StoreError, open_store, sha256_of


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return open_store((tmp_path / "root").as_uri())
    server = request.getfixturevalue("s3_server")
    return open_store(server.root())


def test_open_store_picks_the_store_from_the_url(store):
    assert isinstance(store, LocalStore | S3Store)
    assert store.url.startswith("file://" if isinstance(store, LocalStore) else "s3://")


def test_put_list_open_roundtrip(store):
    store.put_bytes("landing/21/2022-03/21.71/b.csv", b"bbb", "text/csv")
    store.put_bytes("landing/21/2022-03/21.71/a.csv", b"a")
    store.put_bytes("landing/21/2022-03/21.71/sub/c.xlsx", b"cc")
    store.put_bytes("landing/21/2022-03/21.71/.hidden.part", b"x")
    store.put_bytes("landing/21/2022-03/21.72/other.csv", b"o")
    listed = store.list("landing/21/2022-03/21.71")
    assert [(o.key, o.name, o.size) for o in listed] == [
        ("landing/21/2022-03/21.71/a.csv", "a.csv", 1),
        ("landing/21/2022-03/21.71/b.csv", "b.csv", 3),
        ("landing/21/2022-03/21.71/sub/c.xlsx", "c.xlsx", 2),
    ]
    now = datetime.now(UTC)
    assert all(o.modified.tzinfo is not None and abs(o.modified - now) < timedelta(minutes=5) for o in listed)
    assert store.list("landing/21/2022-03/21.71/") == listed, "a trailing slash changes nothing"
    with store.open("landing/21/2022-03/21.71/b.csv") as fh:
        assert fh.read() == b"bbb"
    assert sha256_of(store, "landing/21/2022-03/21.71/b.csv") == hashlib.sha256(b"bbb").hexdigest()


def test_list_is_by_folder_never_by_name_prefix(store):
    store.put_bytes("landing/21/2022-03/21.71/a.csv", b"a")
    assert store.list("landing/21/2022-03/21.7") == []
    assert store.list("landing/21/2022-03/21.71/a.csv") == []
    assert store.list("landing/nowhere") == []
    assert [o.key for o in store.list("landing")] == ["landing/21/2022-03/21.71/a.csv"]


def test_listdir_holds_only_the_folder_itself_and_names_its_subfolders(store):
    store.put_bytes("landing/21/2022-03/21.71/a.csv", b"a")
    store.put_bytes("landing/21/2022-03/21.71/.a.csv.part", b"spool")
    store.put_bytes("landing/21/2022-03/21.71/x/y.csv", b"deeper")
    store.put_bytes("landing/21/2022-03/21.71/x/z/w.csv", b"deeper still")
    store.put_bytes("landing/21/2022-03/21.72/other.csv", b"o")
    listing = store.listdir("landing/21/2022-03/21.71")
    assert [(o.key, o.size) for o in listing.files] == [("landing/21/2022-03/21.71/a.csv", 1)]
    assert listing.folders == ["landing/21/2022-03/21.71/x/"]
    assert listing.refused == []
    assert store.listdir("landing/21/2022-03/21.71/") == listing, "a trailing slash changes nothing"
    assert store.listdir("landing/21/2022-03/21.7") == store.listdir("landing/nowhere") == type(listing)()
    assert store.listdir("landing/21/2022-03").folders == ["landing/21/2022-03/21.71/", "landing/21/2022-03/21.72/"]


def test_hash_copy_archives_under_the_hash_of_the_bytes_copied(store):
    store.put_bytes("landing/h/f.csv", b"content")
    obj = store.stat("landing/h/f.csv")
    sha, key = store.hash_copy(obj, "archive/h")
    assert (sha, key) == (hashlib.sha256(b"content").hexdigest(), f"archive/h/{sha}/f.csv")
    with store.open(key) as fh:
        assert fh.read() == b"content"
    assert store.hash_copy(obj, "archive/h") == (sha, key), "the same bytes again: the same archive object"
    assert [o.key for o in store.list("archive/h")] == [key], "no temporary copy is left"


def test_streamed_read_of_a_large_object(store):
    data = bytes(range(256)) * 20_000  # 5 MB: read in blocks, not at once
    store.put_bytes("archive/big.bin", data)
    digest = hashlib.sha256()
    with store.open("archive/big.bin") as fh:
        while block := fh.read(1 << 16):
            digest.update(block)
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()


def test_copy_exists_and_uri(store):
    store.put_bytes("landing/x/f.csv", b"content")
    assert store.exists("landing/x/f.csv") and not store.exists("archive/x/f.csv")
    store.copy("landing/x/f.csv", "archive/x/abc/f.csv")
    assert store.exists("archive/x/abc/f.csv")
    with store.open("archive/x/abc/f.csv") as fh:
        assert fh.read() == b"content"
    assert store.uri("archive/x/abc/f.csv") == f"{store.url}/archive/x/abc/f.csv"
    assert not store.exists("archive/x"), "a folder is not an object"


def test_missing_objects_raise_file_not_found_naming_the_key(store):
    with pytest.raises(FileNotFoundError, match="none.csv"):
        store.stat("landing/none.csv")
    with pytest.raises(FileNotFoundError, match="landing/none.csv"):
        store.open("landing/none.csv")
    with pytest.raises(FileNotFoundError, match="landing/none.csv"):
        store.copy("landing/none.csv", "archive/none.csv")
    assert not store.exists("archive/none.csv")


def test_overwrite_replaces_and_versions_only_on_s3(store):
    store.put_bytes("landing/v/f.csv", b"first")
    first = store.stat("landing/v/f.csv")
    store.put_bytes("landing/v/f.csv", b"second, corrected")
    second = store.stat("landing/v/f.csv")
    assert [o.key for o in store.list("landing/v")] == ["landing/v/f.csv"]
    assert (first.size, second.size) == (5, 17)
    with store.open("landing/v/f.csv") as fh:
        assert fh.read() == b"second, corrected"
    if isinstance(store, LocalStore):
        assert first.version is None and second.version is None
        return
    assert first.version and second.version and first.version != second.version
    with store.open("landing/v/f.csv", first.version) as fh:
        assert fh.read() == b"first", "an earlier version stays readable by its id"
    store.copy("landing/v/f.csv", "archive/v/f.csv", first.version)
    with store.open("archive/v/f.csv") as fh:
        assert fh.read() == b"first", "the copy is of the version asked for"


def test_s3_errors_name_bucket_and_key(s3_server):
    store = open_store(f"s3://no-such-bucket-{s3_server.bucket}/p")
    with pytest.raises(StoreError, match=r"s3://no-such-bucket-.*/p/landing/a\.csv.*NoSuchBucket"):
        store.put_bytes("landing/a.csv", b"a")
    with pytest.raises(OSError, match=r"s3://no-such-bucket-.*/p/landing"):
        store.list("landing")


def test_s3_list_costs_one_request_per_page_not_one_per_object(s3_server):
    store = open_store(s3_server.root())
    for i in range(12):
        store.put_bytes(f"landing/21/2022-03/21.71/f{i:02d}.csv", b"x")
    calls = []
    store.client.meta.events.register("before-call.s3.*", lambda model, **_: calls.append(model.name))
    assert len(store.list("landing/21/2022-03/21.71")) == 12
    assert calls == ["ListObjectsV2"]


def test_s3_unversioned_bucket_lists_version_none(s3_server):
    s3_server.client.create_bucket(Bucket="dinsos-unversioned",
                                   CreateBucketConfiguration={"LocationConstraint": "ap-southeast-3"})
    store = open_store("s3://dinsos-unversioned/data")
    store.put_bytes("landing/a.csv", b"a")
    (obj,) = store.list("landing")
    assert obj.version is None and obj.key == "landing/a.csv"
    assert store.stat("landing/a.csv").version is None


def test_two_writers_of_one_key_at_once_both_succeed(tmp_path, monkeypatch):
    """Two Celery workers published the shared Data Docs assets at once: one writer's spool was renamed
    away by the other's, and its task failed with FileNotFoundError. Each writer now has its own spool."""
    import threading
    from pathlib import Path

    store = LocalStore(tmp_path)
    first_spooled, release = threading.Event(), threading.Event()
    write_bytes = Path.write_bytes

    def held(path, data):
        written = write_bytes(path, data)
        if data == b"first":  # the first writer stops between its spool and its rename
            first_spooled.set()
            release.wait(30)
        return written

    monkeypatch.setattr(Path, "write_bytes", held)
    errors = []

    def first():
        try:
            store.put_bytes("datadocs/_assets/vega/vega.min.js", b"first")
        except Exception as exc:  # noqa: BLE001 - handed to the test's thread
            errors.append(exc)

    writer = threading.Thread(target=first)
    writer.start()
    assert first_spooled.wait(30)
    store.put_bytes("datadocs/_assets/vega/vega.min.js", b"second")
    release.set()
    writer.join(30)
    assert errors == []
    with store.open("datadocs/_assets/vega/vega.min.js") as fh:
        assert fh.read() == b"first", "the last rename wins"
    assert [p.name for p in (tmp_path / "datadocs/_assets/vega").iterdir()] == ["vega.min.js"], "no spool left"
