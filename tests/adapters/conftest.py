"""Fixtures of the adapter tests: a real S3-protocol server (moto on loopback)."""

from tests.support.s3 import s3_endpoint, s3_url  # noqa: F401  (fixtures)
