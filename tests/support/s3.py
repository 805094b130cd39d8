"""A real S3-protocol server for the blob-store tests: moto in server mode on loopback (``ThreadedMotoServer``),
reached by s3fs through the standard AWS variables (``AWS_ENDPOINT_URL``, fake credentials)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.support.net import free_port, wait_port

ENV = {"AWS_ACCESS_KEY_ID": "fw-test", "AWS_SECRET_ACCESS_KEY": "fw-test-secret", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 on a free loopback port, the AWS variables pointing at it for the session."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    wait_port(port)
    endpoint = f"http://127.0.0.1:{port}"
    saved = {k: os.environ.get(k) for k in (*ENV, "AWS_ENDPOINT_URL")}
    os.environ.update({**ENV, "AWS_ENDPOINT_URL": endpoint})
    try:
        yield endpoint
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        server.stop()


@pytest.fixture
def s3_url(s3_endpoint: str) -> str:
    """A fresh bucket's ``s3://`` URL (with a prefix, as a production ``FW_STORAGE_URL`` has)."""
    import boto3

    bucket = "fw-" + uuid.uuid4().hex[:12]
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=bucket)
    return f"s3://{bucket}/blobs"
