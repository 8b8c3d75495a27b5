"""What only the S3 backend promises: Object Lock retention, write-once versions, bucket setup."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from shared.blobs import BlobRetained, S3BlobStore
from shared.testing.s3 import S3Server
from tests.shared.blobs.conftest import FIXED_NOW, LOCK_DAYS


async def locked_store(server: S3Server) -> S3BlobStore:
    store = S3BlobStore(
        server.settings(server.new_bucket_name(), object_lock_days=LOCK_DAYS), now=lambda: FIXED_NOW
    )
    await store.ensure_bucket()
    return store


async def test_objects_carry_compliance_retention(s3_server: S3Server) -> None:
    store = await locked_store(s3_server)
    ref = await store.put_bytes(b"acte sous retention")

    key = store.key_for(ref.sha256)
    assert key == "sha256/" + ref.sha256
    # moto does not implement GetObjectRetention; HeadObject returns the same lock fields.
    head = store._client.head_object(Bucket=store.bucket, Key=key, ChecksumMode="ENABLED")
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] == FIXED_NOW + timedelta(days=LOCK_DAYS)
    assert head["ChecksumSHA256"] == "b6vuGmM4wGdQkoAZVwvt7YKowRlMqErabeX7aol8fSk="
    lock = store._client.get_object_lock_configuration(Bucket=store.bucket)
    assert lock["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"


async def test_same_content_twice_makes_one_version(s3_server: S3Server) -> None:
    store = await locked_store(s3_server)
    ref = await store.put_bytes(b"une seule version")
    await store.put_bytes(b"une seule version")

    versions = store._client.list_object_versions(Bucket=store.bucket, Prefix=store.key_for(ref.sha256))
    assert len(versions["Versions"]) == 1


async def test_delete_before_retention_is_refused(s3_server: S3Server) -> None:
    store = await locked_store(s3_server)
    ref = await store.put_bytes(b"retenu")

    with pytest.raises(BlobRetained) as excinfo:
        await store.delete(ref.sha256)
    assert excinfo.value.status_code == 409
    assert await store.verify(ref.sha256) == ref


async def test_delete_without_lock_removes_every_version(s3_server: S3Server) -> None:
    store = S3BlobStore(s3_server.settings(s3_server.new_bucket_name()))
    await store.ensure_bucket()
    ref = await store.put_bytes(b"purgeable")
    other = await store.put_bytes(b"purgeable too")
    key = store.key_for(ref.sha256)
    store._client.put_object(Bucket=store.bucket, Key=key, Body=b"second version")

    assert await store.delete(ref.sha256) is True

    versions = store._client.list_object_versions(Bucket=store.bucket, Prefix=key)
    assert versions.get("Versions", []) == []
    assert versions.get("DeleteMarkers", []) == []
    assert not await store.exists(ref.sha256)
    assert await store.exists(other.sha256), "only the exact key is purged"


async def test_ensure_bucket_is_idempotent(s3_server: S3Server) -> None:
    store = await locked_store(s3_server)
    await store.ensure_bucket()
    await store.ping()


async def test_lock_days_on_a_bucket_without_lock_is_refused(s3_server: S3Server) -> None:
    bucket = s3_server.new_bucket_name()
    plain = S3BlobStore(s3_server.settings(bucket))
    plain._client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    locked = S3BlobStore(s3_server.settings(bucket, object_lock_days=LOCK_DAYS))

    with pytest.raises(RuntimeError, match="no Object Lock"):
        await locked.ensure_bucket()


async def test_ping_fails_on_a_missing_bucket(s3_server: S3Server) -> None:
    store = S3BlobStore(s3_server.settings(s3_server.new_bucket_name()))
    with pytest.raises(ClientError):
        await store.ping()


async def test_iter_all_follows_pagination(s3_server: S3Server, tmp_path: Path) -> None:
    store = await locked_store(s3_server)
    store.page_size = 2
    refs = [await store.put_bytes(f"document {i}".encode()) for i in range(5)]
    store._client.put_object(Bucket=store.bucket, Key="other/not-a-blob", Body=b"x")

    listed = [ref async for ref in store.iter_all()]

    assert sorted(listed, key=lambda r: r.sha256) == sorted(refs, key=lambda r: r.sha256)
