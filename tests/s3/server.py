"""An S3 server over real HTTP for the whole test session (moto in server mode).

``ThreadedMotoServer`` listens on 127.0.0.1 on a free port inside the test process; boto3 talks to
it through ``BANSOS_S3_ENDPOINT_URL`` exactly as it would to MinIO, with dummy credentials, so no
request can reach AWS. The bucket is versioned, like the production landing bucket. Every test gets
its own key prefix (its own data root) in that bucket, and the server stops at the end of the session.

One server for the session, registered from the root ``conftest.py``: moto keeps its buckets in the
process, so a second server would see the first one's bucket. ``tests/s3/`` and the end-to-end test
both use this one.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

import pytest

BUCKET = "dinsos-kepri-test"
S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "ap-southeast-3",  # Jakarta
}
UNSET = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3")


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    bucket: str
    client: object  # a boto3 S3 client for the test's own puts and checks

    def root(self) -> str:
        """A fresh data root (``s3://bucket/<unique prefix>``) for one test."""
        return f"s3://{self.bucket}/t-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def s3_server():
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise
    with pytest.MonkeyPatch.context() as mp:
        for name, value in S3_ENV.items():
            mp.setenv(name, value)
        for name in UNSET:
            mp.delenv(name, raising=False)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            url = f"http://{host}:{port}"
            mp.setenv("BANSOS_S3_ENDPOINT_URL", url)
            client = boto3.client("s3", endpoint_url=url)
            region = {"LocationConstraint": S3_ENV["AWS_DEFAULT_REGION"]}
            client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration=region)
            client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
            yield S3Server(url, BUCKET, client)
        finally:
            server.stop()
