"""An object-store URL (`s3://bucket/key`, `gs://`, `abfss://container@account...`) names a bucket, not a host.

Lines as SDK users print them: boto3 apps log `s3://bucket/key`, Spark `s3a://`, Go GCS clients `gs://`. Such a
name must never become an upstream host, or the topology looks for an in-cluster Service named like the bucket and
reports it missing. Twins: URLs of dialled schemes (https, redis, postgres) keep their host.
"""

from __future__ import annotations

import pytest

from mcp_servers.common.logfacts.fields import extract

BUCKETS = [
    "2026-12-01 15:00:00,120 ERROR documents.storage: download failed for s3://acme-documents/tenants/41/a.pdf",
    "WARN FileSystem: s3a://analytics-raw/events/2026/12/01 not found, retrying",
    'level=error msg="upload failed" object=gs://media-thumbs/2026/x.jpg err="googleapi: Error 403"',
]
DIALLED = [
    ("GET https://billing-api:8080/v1/invoices failed: 503", "billing-api"),
    ("redis.exceptions.ConnectionError: redis://cache.messaging:6379/0 refused", "cache.messaging"),
]


@pytest.mark.parametrize("line", BUCKETS)
def test_a_bucket_url_is_kept_as_a_url_but_never_an_upstream_host(line: str) -> None:
    got = extract(line)
    assert "upstream_host" not in got
    assert "://" in got["url"]


@pytest.mark.parametrize(("line", "host"), DIALLED)
def test_a_dialled_url_keeps_its_host(line: str, host: str) -> None:
    assert extract(line)["upstream_host"] == host
