"""One interface over the two places extracts can live: a local folder or an S3 bucket.

The data root (``file:///srv/bansos`` or ``s3://bucket/prefix``) holds four areas, the same in both:
``landing/`` (where kab/kota offices put files), ``archive/`` (every received file, byte for byte),
``quarantine/`` (rejected files with their reasons) and ``publish/`` (exports for the office).
Tasks hand each other keys inside the root, never local paths, so any worker can pick them up.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import urlparse

AREAS = ("landing", "archive", "quarantine", "publish")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified: datetime
    version: str | None = None

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]


class Store(Protocol):
    url: str

    def list(self, prefix: str) -> list[ObjectInfo]: ...
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


class LocalStore:
    """The default: a folder on a disk every worker can see (or a single-machine demo)."""

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

    def open(self, key: str, version: str | None = None) -> BinaryIO:
        return open(self._path(key), "rb")

    def copy(self, src_key: str, dst_key: str, version: str | None = None) -> None:
        dst = self._path(dst_key)
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(f".{dst.name}.part")
        shutil.copyfile(self._path(src_key), tmp)
        os.replace(tmp, dst)

    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        dst = self._path(key)
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(f".{dst.name}.part")
        tmp.write_bytes(data)
        os.replace(tmp, dst)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def uri(self, key: str) -> str:
        return self._path(key).as_uri()


class S3Store:
    """An S3 (or MinIO) bucket, through a boto3 client built from the Airflow aws connection."""

    def __init__(self, bucket: str, prefix: str, client):
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client
        self.url = f"s3://{bucket}/{self.prefix}".rstrip("/")

    def _k(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _strip(self, full: str) -> str:
        return full[len(self.prefix) + 1 :] if self.prefix else full

    def list(self, prefix: str) -> list[ObjectInfo]:
        out = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self._k(prefix.rstrip("/") + "/")):
            for obj in page.get("Contents", []):
                key = self._strip(obj["Key"])
                if key.endswith("/") or key.rsplit("/", 1)[-1].startswith("."):
                    continue
                version = None
                head = self.client.head_object(Bucket=self.bucket, Key=obj["Key"])
                version = head.get("VersionId")
                if version == "null":
                    version = None
                out.append(ObjectInfo(key=key, size=obj["Size"], modified=obj["LastModified"], version=version))
        return sorted(out, key=lambda o: o.key)

    def open(self, key: str, version: str | None = None) -> BinaryIO:
        kwargs = {"Bucket": self.bucket, "Key": self._k(key)}
        if version:
            kwargs["VersionId"] = version
        return self.client.get_object(**kwargs)["Body"]

    def copy(self, src_key: str, dst_key: str, version: str | None = None) -> None:
        source = {"Bucket": self.bucket, "Key": self._k(src_key)}
        if version:
            source["VersionId"] = version
        self.client.copy(source, self.bucket, self._k(dst_key))

    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._k(key), Body=data, ContentType=content_type)

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._k(key))
        except self.client.exceptions.ClientError:
            return False
        return True

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._k(key)}"


def open_store(data_root: str, s3_client_factory=None) -> Store:
    """The store for a data root URL; ``s3_client_factory()`` builds the boto3 client when needed."""
    parsed = urlparse(data_root)
    if parsed.scheme in ("", "file"):
        path = Path(parsed.path if parsed.scheme == "file" else data_root)
        path.mkdir(parents=True, exist_ok=True)
        return LocalStore(path)
    if parsed.scheme == "s3":
        if s3_client_factory is None:
            import boto3

            client = boto3.client("s3", endpoint_url=os.environ.get("BANSOS_S3_ENDPOINT_URL"))
        else:
            client = s3_client_factory()
        return S3Store(parsed.netloc, parsed.path, client)
    raise ValueError(f"unsupported data root {data_root!r}: use file:///path or s3://bucket/prefix")
