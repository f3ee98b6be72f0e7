"""One interface over the two places extracts can live: a local folder or an S3 bucket.

The data root (``file:///srv/bansos`` or ``s3://bucket/prefix``) holds the same areas in both:
``landing/`` (where kab/kota offices put files), ``archive/`` (every received file, byte for byte),
``quarantine/`` (rejected files with their reasons), ``publish/`` (exports for the office) and
``outbox/`` (alerts written as files). Tasks hand each other keys inside the root, never local paths,
so any worker can pick them up. The layout is documented in ``docs/landing-zone.md``.

Both stores behave the same for the same calls (``tests/domain/test_store_parity.py`` holds them to it):
``list`` treats its argument as a folder and skips hidden names (``.x.part`` spools), a missing
object raises :class:`FileNotFoundError`, and other failures raise :class:`StoreError` naming the
object. Only S3 has versions: a versioned bucket keeps every upload of a key. ``list`` is cheap and
versionless (what is there now); ``stat`` pins the current version of one key, and the extract reads,
hashes and archives that version, so a correction uploaded under the same name is a new submission
and the bytes archived are exactly the bytes hashed.

The landing area is read with ``listdir`` (one folder, not what is below it, symbolic links refused,
never followed) and archived with ``hash_copy``, which names the archive copy by the SHA-256 of the
very bytes copied: a local file is read once, hashed while it is copied, and the copy is dropped if
the file changed meanwhile; an S3 version is immutable, so it is hashed and copied server-side.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import urlparse

from bansos.domain.layout import hashed_key

log = logging.getLogger(__name__)

_CHUNK = 1 << 20
# CopyObject copies up to 5 GiB in one request; bigger objects need a (still server-side) multipart copy.
_SINGLE_COPY_LIMIT = 5 * 1024**3


class StoreError(OSError):
    """A store operation failed for a reason other than "not found"; the message names the object."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified: datetime  # aware, UTC: mtime of a local file, LastModified of an S3 object version
    version: str | None = None  # the S3 VersionId from ``stat``; None from ``list``, a folder, an unversioned bucket
    # a local file's last change as the kernel records it (the later of ctime and mtime; the uploader
    # cannot set ctime); None on S3, whose objects appear whole when their upload completes
    changed: datetime | None = None

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Listing:
    """One folder: its files, its subfolders (keys ending in ``/``) and the entries refused with why."""

    files: list[ObjectInfo] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (key, reason): symbolic links


class Store(Protocol):
    url: str
    server_times: bool  # True if ``modified`` is set by the server (S3), not by whoever wrote the file

    def list(self, prefix: str) -> list[ObjectInfo]: ...
    def listdir(self, prefix: str) -> Listing: ...
    def hash_copy(self, obj: ObjectInfo, folder: str) -> tuple[str, str] | None: ...
    def stat(self, key: str) -> ObjectInfo: ...
    def open(self, key: str, version: str | None = None) -> BinaryIO: ...
    def copy(self, src_key: str, dst_key: str, version: str | None = None) -> None: ...
    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None: ...
    def exists(self, key: str) -> bool: ...
    def uri(self, key: str) -> str: ...


def sha256_of(store: Store, key: str, version: str | None = None) -> str:
    """Stream the object once and return its hex SHA-256."""
    digest = hashlib.sha256()
    with store.open(key, version) as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _hidden(key: str) -> bool:
    return key.endswith("/") or key.rsplit("/", 1)[-1].startswith(".")


def _stamp(st: os.stat_result) -> tuple[int, int, int, int]:
    """What changes when a file's bytes change or it is replaced: size, mtime, ctime, inode."""
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def _info(key: str, st: os.stat_result) -> ObjectInfo:
    return ObjectInfo(key=key, size=st.st_size, modified=datetime.fromtimestamp(st.st_mtime, tz=UTC),
                      changed=datetime.fromtimestamp(max(st.st_mtime, st.st_ctime), tz=UTC))


class LocalStore:
    """The default: a folder on a disk every worker can see (or a single-machine demo).

    Writes go to a hidden ``.name.<random>.part`` file first and are renamed into place, so a reader
    never sees half a file, and two writers of one key at once (two workers publishing the shared Data
    Docs assets) each rename their own spool: the last rename wins, as the last PUT does on S3.
    There are no versions: ``version`` arguments are accepted and ignored.
    Modification times are whatever the writer set (``cp -p``, ``rsync -t``, WinSCP keep the source's).
    """

    server_times = False

    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()
        self.url = self.root.as_uri()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents and path != self.root:
            raise ValueError(f"key {key!r} leaves the data root")
        return path

    def list(self, prefix: str) -> list[ObjectInfo]:
        base = self._path(prefix)
        if not base.is_dir():
            return []
        out = []
        for path in sorted(base.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                st = path.stat()
                out.append(
                    ObjectInfo(
                        key=path.relative_to(self.root).as_posix(),
                        size=st.st_size,
                        modified=datetime.fromtimestamp(st.st_mtime, tz=UTC),
                    )
                )
        return out

    def _refusal(self, path: Path) -> str:
        """Why a symbolic link is not followed, naming where it points only when that is inside the root."""
        target = Path(os.path.realpath(path))
        if self.root != target and self.root not in target.parents:
            return "symbolic link to outside the data root; refused, not followed"
        return f"symbolic link to {target.relative_to(self.root).as_posix()}; refused, not followed"

    def listdir(self, prefix: str) -> Listing:
        """The entries directly in the folder ``prefix``, never following a symbolic link.

        A link (to a file or a folder, inside the root or out of it) is refused with its reason, and
        so is the folder itself if it or a folder above it inside the root is a link: an office that
        can write in its landing folder could otherwise point the pipeline at any file the worker can read.
        """
        folder = prefix.strip("/")
        base = self.root / folder
        parts = Path(folder).parts
        for depth in range(1, len(parts) + 1):
            above = self.root.joinpath(*parts[:depth])
            if above.is_symlink():
                return Listing(refused=[(Path(*parts[:depth]).as_posix() + "/", self._refusal(above))])
        if ".." in parts or not base.is_dir():
            return Listing()
        files, folders, refused = [], [], []
        with os.scandir(base) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                key = f"{folder}/{entry.name}" if folder else entry.name
                if entry.name.startswith("."):
                    continue
                if entry.is_symlink():
                    refused.append((key, self._refusal(Path(entry.path))))
                elif entry.is_dir(follow_symlinks=False):
                    folders.append(key + "/")
                elif entry.is_file(follow_symlinks=False):
                    files.append(_info(key, entry.stat(follow_symlinks=False)))
        return Listing(files, folders, refused)

    def stat(self, key: str) -> ObjectInfo:
        path = self._path(key)
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found")
        return _info(key, path.stat())

    def hash_copy(self, obj: ObjectInfo, folder: str) -> tuple[str, str] | None:
        """Copy ``obj`` to ``<folder>/<sha256>/<name>`` reading it once, hashing the bytes as they are copied.

        Returns ``(sha256, key)``, or None (and no copy) if the file is not the one ``obj`` describes
        any more or changed while it was read (size, mtime, ctime or inode moved): the caller looks
        again. A symbolic link put in its place is never followed.
        """
        src = self.root / obj.key
        tmp = self._path(f"{folder}/.incoming-{uuid.uuid4().hex}.part")
        tmp.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        try:
            fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError as exc:
            raise FileNotFoundError(f"{src} not found (archive to {folder})") from exc
        except OSError as exc:  # ELOOP: a link was put where the file was
            raise StoreError(f"{src}: {exc}; not followed") from exc
        with os.fdopen(fd, "rb") as fh, open(tmp, "wb") as out:
            before = os.fstat(fh.fileno())
            for block in iter(lambda: fh.read(_CHUNK), b""):
                digest.update(block)
                out.write(block)
            after = os.fstat(fh.fileno())
        unchanged = _info(obj.key, before) == obj and _stamp(before) == _stamp(after)
        try:
            unchanged = unchanged and _stamp(os.lstat(src)) == _stamp(after)
        except FileNotFoundError:
            unchanged = False
        if not unchanged:
            tmp.unlink()
            return None
        sha = digest.hexdigest()
        key = hashed_key(folder, sha, obj.name)
        dst = self._path(key)
        if dst.is_file():
            tmp.unlink()
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, dst)
        return sha, key

    def open(self, key: str, version: str | None = None) -> BinaryIO:
        return open(self._path(key), "rb")

    def copy(self, src_key: str, dst_key: str, version: str | None = None) -> None:
        src = self._path(src_key)
        if not src.is_file():
            raise FileNotFoundError(f"{src} not found (copy to {dst_key})")
        dst = self._path(dst_key)
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(f".{dst.name}.{uuid.uuid4().hex}.part")
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)

    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        dst = self._path(key)
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(f".{dst.name}.{uuid.uuid4().hex}.part")
        tmp.write_bytes(data)
        os.replace(tmp, dst)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def uri(self, key: str) -> str:
        """The key's file URI, links not followed: a refused link is named where it is, not where it points."""
        path = Path(os.path.normpath(self.root / key))
        if self.root not in path.parents and path != self.root:
            raise ValueError(f"key {key!r} leaves the data root")
        return path.as_uri()


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


_NOT_FOUND = {"404", "NoSuchKey", "NotFound", "NoSuchVersion"}


class S3Store:
    """An S3 (or MinIO) bucket under a key prefix, through one boto3 client.

    The client comes from the Airflow aws connection or plain boto3 (:func:`open_store`); with an
    ``endpoint_url`` it talks to MinIO, Ceph or moto alike. Every call is one request except
    ``list`` and ``listdir`` (one per 1,000 objects) and copies bigger than 5 GiB. Reads stream:
    ``open`` returns the HTTP body, never the whole object in memory. LastModified is set by the
    server when an upload completes, so it orders the uploads of a folder whatever the uploader claims.
    """

    server_times = True

    def __init__(self, bucket: str, prefix: str, client):
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client
        self.url = f"s3://{bucket}/{self.prefix}".rstrip("/")

    def _k(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _strip(self, full: str) -> str:
        return full[len(self.prefix) + 1 :] if self.prefix else full

    def _where(self, key: str, version: str | None = None) -> str:
        return f"s3://{self.bucket}/{self._k(key)}" + (f" (version {version})" if version else "")

    def _fail(self, action: str, key: str, exc: Exception, version: str | None = None) -> OSError:
        """The botocore error as an OSError that names bucket, key and version."""
        code = _error_code(exc)
        message = f"{action} {self._where(key, version)}: {code or type(exc).__name__}: {exc}"
        if code in _NOT_FOUND:
            return FileNotFoundError(message)
        return StoreError(message)

    def _folder(self, prefix: str) -> str:
        folder = prefix.strip("/")
        return self._k(folder) + "/" if folder else (self.prefix + "/" if self.prefix else "")

    def list(self, prefix: str) -> list[ObjectInfo]:
        """The objects under the folder ``prefix`` as they are now, sorted by key (ListObjectsV2).

        Versions are not listed: ListObjectVersions pages through every earlier upload of every key
        (a landing folder that took corrections for years), and S3-compatible servers differ in how
        well they do it. The one file an extract takes gets its version from :meth:`stat`.
        """
        out = []
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self._folder(prefix)):
                for obj in page.get("Contents", []):
                    if _hidden(obj["Key"]):
                        continue
                    out.append(ObjectInfo(key=self._strip(obj["Key"]), size=obj["Size"],
                                          modified=obj["LastModified"].astimezone(UTC)))
        except Exception as exc:  # noqa: BLE001 - botocore errors are one class with codes
            raise self._fail("list", prefix, exc) from exc
        return sorted(out, key=lambda o: o.key)

    def listdir(self, prefix: str) -> Listing:
        """The objects directly in the folder ``prefix`` and its subfolders (ListObjectsV2 with a delimiter).

        A key with more ``/`` after the folder comes back as a subfolder (CommonPrefixes), never as a file.
        S3 has no links, so nothing is refused here.
        """
        files, folders = [], []
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self._folder(prefix), Delimiter="/"):
                for obj in page.get("Contents", []):
                    if not _hidden(obj["Key"]):
                        files.append(ObjectInfo(key=self._strip(obj["Key"]), size=obj["Size"],
                                                modified=obj["LastModified"].astimezone(UTC)))
                folders += [self._strip(p["Prefix"]) for p in page.get("CommonPrefixes", [])
                            if not p["Prefix"].rstrip("/").rsplit("/", 1)[-1].startswith(".")]
        except Exception as exc:  # noqa: BLE001 - botocore errors are one class with codes
            raise self._fail("list", prefix, exc) from exc
        return Listing(sorted(files, key=lambda o: o.key), sorted(folders))

    def hash_copy(self, obj: ObjectInfo, folder: str) -> tuple[str, str]:
        """Hash the version ``obj`` pins, then copy that version server-side to ``<folder>/<sha256>/<name>``.

        A version never changes, so the bytes copied are the bytes hashed without pulling them through
        the worker twice (once to hash is the one read). Returns ``(sha256, key)``.
        """
        sha = sha256_of(self, obj.key, obj.version)
        key = hashed_key(folder, sha, obj.name)
        if not self.exists(key):
            self.copy(obj.key, key, obj.version)
        return sha, key

    def stat(self, key: str) -> ObjectInfo:
        """The current version of one object (HeadObject): its VersionId, size and LastModified."""
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._k(key))
        except Exception as exc:  # noqa: BLE001
            raise self._fail("head", key, exc) from exc
        version = head.get("VersionId")
        return ObjectInfo(key=key, size=head["ContentLength"], modified=head["LastModified"].astimezone(UTC),
                          version=None if version in (None, "null") else version)

    def open(self, key: str, version: str | None = None) -> BinaryIO:
        """The object's body as a stream (read in blocks, close when done); one GET request."""
        kwargs = {"Bucket": self.bucket, "Key": self._k(key)}
        if version:
            kwargs["VersionId"] = version
        try:
            return self.client.get_object(**kwargs)["Body"]
        except Exception as exc:  # noqa: BLE001
            raise self._fail("open", key, exc, version) from exc

    def copy(self, src_key: str, dst_key: str, version: str | None = None) -> None:
        """Copy inside the bucket, server-side: the bytes never pass through the worker.

        With ``version`` the copy is of that version, so what is archived is exactly what was hashed
        even if the office uploads a correction meanwhile.
        """
        source = {"Bucket": self.bucket, "Key": self._k(src_key)}
        if version:
            source["VersionId"] = version
        try:
            self.client.copy_object(CopySource=source, Bucket=self.bucket, Key=self._k(dst_key))
        except Exception as exc:  # noqa: BLE001
            if _error_code(exc) not in {"InvalidRequest", "EntityTooLarge"}:
                raise self._fail(f"copy to {self._where(dst_key)} from", src_key, exc, version) from exc
            self._copy_multipart(source, src_key, dst_key, version)

    def _copy_multipart(self, source: dict, src_key: str, dst_key: str, version: str | None) -> None:
        """Objects over 5 GiB: boto3's managed copy (UploadPartCopy, still server-side)."""
        from boto3.s3.transfer import TransferConfig

        try:
            self.client.copy(source, self.bucket, self._k(dst_key),
                             Config=TransferConfig(multipart_threshold=_SINGLE_COPY_LIMIT))
        except Exception as exc:  # noqa: BLE001
            raise self._fail(f"copy to {self._where(dst_key)} from", src_key, exc, version) from exc

    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._k(key), Body=data, ContentType=content_type)
        except Exception as exc:  # noqa: BLE001
            raise self._fail("put", key, exc) from exc

    def exists(self, key: str) -> bool:
        """True if the key has a current version. Needs s3:ListBucket, without which S3 says 403 for 404."""
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._k(key))
        except Exception as exc:  # noqa: BLE001
            if _error_code(exc) in _NOT_FOUND:
                return False
            raise self._fail("head", key, exc) from exc
        return True

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._k(key)}"


def _default_s3_client():
    """Plain boto3 with standard retries; ``BANSOS_S3_ENDPOINT_URL`` points it at MinIO or moto."""
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=os.environ.get("BANSOS_S3_ENDPOINT_URL") or None,
                        config=Config(retries={"mode": "standard", "max_attempts": 5}))


def open_store(data_root: str, s3_client_factory=None) -> Store:
    """The store for a data root URL; ``s3_client_factory()`` builds the boto3 client when needed."""
    parsed = urlparse(data_root)
    if parsed.scheme in ("", "file"):
        path = Path(parsed.path if parsed.scheme == "file" else data_root)
        path.mkdir(parents=True, exist_ok=True)
        return LocalStore(path)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ValueError(f"data root {data_root!r} names no bucket: use s3://bucket/prefix")
        client = (s3_client_factory or _default_s3_client)()
        return S3Store(parsed.netloc, parsed.path, client)
    raise ValueError(f"unsupported data root {data_root!r}: use file:///path or s3://bucket/prefix")
