"""Blobs in an S3-compatible bucket (MinIO in compose, any S3 in production), key `sha256/<hex>`.

Upload: the stream is spooled to an anonymous local temp file while it is hashed and size-checked
(bounded memory, nothing in the bucket until the content is complete and its name known), then sent
with one `PutObject` carrying:
- `If-None-Match: *`, so an existing object is never replaced (write-once, even between replicas);
- `x-amz-checksum-sha256`, so the store rejects bytes damaged in transit;
- with `object_lock_days`, `ObjectLockMode=COMPLIANCE` and a retain-until date: until then nobody,
  not even the bucket's root account, can delete or overwrite the object version.

Deletion (legal purges, orphan cleanup) removes every version of the key. On a bucket with Object Lock,
S3 refuses to delete a version before its retain-until date: `delete` then raises `BlobRetained`, and
the purge must be rescheduled after that date. This is deliberate: compliance-mode retention is what
makes the stored actes tamper-proof, purges included.

Reads stream `GetObject` in chunks; with `verify=True` the chunks are re-hashed (and S3's own stored
checksum is validated by botocore when the object has one).
"""

from __future__ import annotations

import base64
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

import boto3
from anyio import to_thread
from botocore.config import Config
from botocore.exceptions import ClientError

from shared.blobs._streaming import read_chunks, spool
from shared.blobs.base import BlobNotFound, BlobRef, BlobRetained, BlobStore, check_sha256, is_sha256

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

KEY_PREFIX = "sha256/"
AddressingStyle = Literal["auto", "path", "virtual"]
_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class S3Settings:
    """How to reach the bucket. Credentials left `None` come from boto3's usual chain (env, profile)."""

    bucket: str
    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    object_lock_days: int | None = None
    addressing_style: AddressingStyle = "auto"  # "path" for MinIO and most self-hosted stores
    spool_dir: Path | None = None

    def __post_init__(self) -> None:
        if self.object_lock_days is not None and self.object_lock_days <= 0:
            raise ValueError(f"object_lock_days must be > 0, got {self.object_lock_days}")

    def client(self) -> S3Client:
        config = Config(
            s3={"addressing_style": self.addressing_style},
            retries={"max_attempts": 3, "mode": "standard"},
            # We send our own SHA-256 checksum; the SDK's default CRC32 trailers break older MinIO.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            config=config,
        )


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class S3BlobStore(BlobStore):
    page_size = 1000  # ListObjectsV2 maximum; tests lower it to exercise pagination

    def __init__(self, settings: S3Settings, *, now: Callable[[], datetime] = _utcnow) -> None:
        self.settings = settings
        self.bucket = settings.bucket
        self._client = settings.client()
        self._now = now

    def __repr__(self) -> str:
        return f"S3BlobStore(bucket={self.bucket!r}, endpoint={self.settings.endpoint_url!r})"

    @staticmethod
    def key_for(sha256: str) -> str:
        return KEY_PREFIX + check_sha256(sha256)

    # -- bucket administration -------------------------------------------------------------------

    def _ensure_bucket(self) -> None:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "ObjectLockEnabledForBucket": True}
        if self.settings.region and self.settings.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.settings.region}
        try:
            self._client.create_bucket(**kwargs)
        except ClientError as exc:
            if _code(exc) not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                raise
        if self.settings.object_lock_days is not None and not self._lock_enabled():
            raise RuntimeError(
                f"bucket {self.bucket!r} has no Object Lock but object_lock_days is set: "
                "actes would be stored without retention (recreate the bucket with Object Lock)"
            )

    def _lock_enabled(self) -> bool:
        try:
            conf = self._client.get_object_lock_configuration(Bucket=self.bucket)
        except ClientError as exc:
            if _code(exc) == "ObjectLockConfigurationNotFoundError":
                return False
            raise
        return conf.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"

    async def ensure_bucket(self) -> None:
        """Create the bucket with Object Lock enabled (possible only at creation) if it is missing."""
        await to_thread.run_sync(self._ensure_bucket)

    # -- writes ----------------------------------------------------------------------------------

    def _head(self, sha256: str) -> dict[str, Any] | None:
        try:
            return dict(self._client.head_object(Bucket=self.bucket, Key=self.key_for(sha256)))
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND:
                return None
            raise

    def _upload(self, body: IO[bytes], ref: BlobRef) -> None:
        body.seek(0)
        kwargs: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": self.key_for(ref.sha256),
            "Body": body,
            "ContentLength": ref.size,
            "ContentType": "application/octet-stream",
            "ChecksumAlgorithm": "SHA256",
            "ChecksumSHA256": base64.b64encode(bytes.fromhex(ref.sha256)).decode("ascii"),
            "IfNoneMatch": "*",
        }
        if self.settings.object_lock_days is not None:
            kwargs["ObjectLockMode"] = "COMPLIANCE"
            kwargs["ObjectLockRetainUntilDate"] = self._now() + timedelta(days=self.settings.object_lock_days)
        try:
            self._client.put_object(**kwargs)
        except ClientError as exc:
            # Another writer stored the same content first: same bytes, same name, nothing to do.
            if _code(exc) not in {"PreconditionFailed", "ConditionalRequestConflict"}:
                raise

    async def put_stream(self, chunks: AsyncIterable[bytes], *, max_bytes: int) -> BlobRef:
        # An anonymous temp file: unlinked at creation on Linux, so no failure can leave it behind.
        with tempfile.TemporaryFile(dir=self.settings.spool_dir, prefix="blob-") as spooled:
            ref = await spool(chunks, spooled, max_bytes=max_bytes, fsync=False)
            if await to_thread.run_sync(self._head, ref.sha256) is None:
                await to_thread.run_sync(self._upload, spooled, ref)
        return ref

    # -- reads -----------------------------------------------------------------------------------

    async def open(self, sha256: str, *, verify: bool = False) -> AsyncIterator[bytes]:
        head = await to_thread.run_sync(self._head, sha256)
        if head is None:
            raise BlobNotFound(f"Aucun document d'empreinte {sha256}.")
        return self._iterate(sha256, verify=verify, expected_size=int(head["ContentLength"]))

    async def _iterate(self, sha256: str, *, verify: bool, expected_size: int) -> AsyncIterator[bytes]:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": self.key_for(sha256)}
        if verify:
            kwargs["ChecksumMode"] = "ENABLED"
        try:
            response = await to_thread.run_sync(lambda: self._client.get_object(**kwargs))
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND:
                raise BlobNotFound(f"Aucun document d'empreinte {sha256}.") from None
            raise
        body = response["Body"]
        try:
            async for chunk in read_chunks(
                body.read, sha256=sha256, verify=verify, expected_size=expected_size
            ):
                yield chunk
        finally:
            body.close()

    async def exists(self, sha256: str) -> bool:
        return await to_thread.run_sync(self._head, sha256) is not None

    async def size(self, sha256: str) -> int:
        head = await to_thread.run_sync(self._head, sha256)
        if head is None:
            raise BlobNotFound(f"Aucun document d'empreinte {sha256}.")
        return int(head["ContentLength"])

    # -- deletion, readiness, listing --------------------------------------------------------------

    def _delete(self, sha256: str) -> bool:
        key = self.key_for(sha256)
        removed = False
        paginator = self._client.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=key):
            entries = [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            for entry in entries:
                if entry.get("Key") != key:
                    continue
                try:
                    self._client.delete_object(Bucket=self.bucket, Key=key, VersionId=entry["VersionId"])
                except ClientError as exc:
                    if _code(exc) == "AccessDenied":
                        detail = f"Le document {sha256} est sous rétention légale jusqu'à sa date d'échéance."
                        raise BlobRetained(detail) from None
                    raise
                removed = True
        return removed

    async def delete(self, sha256: str) -> bool:
        return await to_thread.run_sync(self._delete, sha256)

    async def ping(self) -> None:
        await to_thread.run_sync(lambda: self._client.head_bucket(Bucket=self.bucket))

    def _list_page(self, token: str | None) -> tuple[list[BlobRef], str | None]:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": KEY_PREFIX, "MaxKeys": self.page_size}
        if token:
            kwargs["ContinuationToken"] = token
        page = self._client.list_objects_v2(**kwargs)
        refs = [
            BlobRef(obj["Key"][len(KEY_PREFIX) :], int(obj["Size"]))
            for obj in page.get("Contents", [])
            if is_sha256(obj["Key"][len(KEY_PREFIX) :])
        ]
        return refs, page.get("NextContinuationToken") if page.get("IsTruncated") else None

    async def iter_all(self) -> AsyncIterator[BlobRef]:
        token: str | None = None
        while True:
            refs, token = await to_thread.run_sync(self._list_page, token)
            for ref in refs:
                yield ref
            if token is None:
                return
