"""Build a blob store from one URL setting (`SIGNIF_BLOB_URL`).

Formats:

- `file:///absolute/path` or `file:relative/path` - `LocalBlobStore` rooted at that directory (the
  embedded deployment uses `file:var/blobs`).
- `s3://<bucket>?endpoint=<url>&region=<name>&lock_days=<n>&addressing=<auto|path|virtual>&spool=<dir>`
  - `S3BlobStore`. Every query parameter is optional: without `endpoint` the AWS endpoint of `region`
  is used; `lock_days` turns on S3 Object Lock (compliance mode) for that many days on every object;
  `addressing` defaults to `path` when an endpoint is given (MinIO), `auto` otherwise; `spool` is the
  directory for upload temp files (default: the system temp dir).
  Example: `s3://signif-actes?endpoint=http://minio:9000&region=eu-west-3&lock_days=3650`.

Credentials never go in the URL (it ends up in logs and process listings): pass them as arguments or
let boto3 read `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` from the environment. Unknown schemes or
parameters are configuration errors (`ValueError`) raised at startup, never silently ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast, get_args
from urllib.parse import parse_qs, unquote, urlsplit

from shared.blobs.base import BlobStore
from shared.blobs.local import LocalBlobStore
from shared.blobs.s3 import AddressingStyle, S3BlobStore, S3Settings

_S3_PARAMS = {"endpoint", "region", "lock_days", "addressing", "spool"}


def _single(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise ValueError(f"blob URL: parameter {name!r} given {len(values)} times")
    return values[0]


def s3_settings_from_url(
    url: str, *, access_key_id: str | None = None, secret_access_key: str | None = None
) -> S3Settings:
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"expected s3://<bucket>?..., got {url!r}")
    if "@" in parts.netloc:
        raise ValueError("blob URL: credentials must not be written in the URL")
    params = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    unknown = set(params) - _S3_PARAMS
    if unknown:
        raise ValueError(f"blob URL: unknown parameter(s) {sorted(unknown)}; known: {sorted(_S3_PARAMS)}")
    if parts.path not in ("", "/"):
        raise ValueError(f"blob URL: s3://<bucket> takes no path, got {parts.path!r}")
    endpoint = _single(params, "endpoint")
    lock_days = _single(params, "lock_days")
    addressing = _single(params, "addressing") or ("path" if endpoint else "auto")
    if addressing not in get_args(AddressingStyle):
        raise ValueError(f"blob URL: addressing must be auto, path or virtual, got {addressing!r}")
    spool = _single(params, "spool")
    return S3Settings(
        bucket=parts.netloc,
        endpoint_url=endpoint,
        region=_single(params, "region"),
        access_key_id=access_key_id,
        secret_access_key=secret_access_key,
        object_lock_days=int(lock_days) if lock_days else None,
        addressing_style=cast(AddressingStyle, addressing),
        spool_dir=Path(spool) if spool else None,
    )


def blob_store_from_url(
    url: str, *, access_key_id: str | None = None, secret_access_key: str | None = None
) -> BlobStore:
    scheme = urlsplit(url).scheme
    if scheme == "file":
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost") or parts.query:
            raise ValueError(f"expected file:///path or file:relative/path, got {url!r}")
        path = unquote(parts.path)
        if not path:
            raise ValueError("blob URL: file: needs a directory")
        return LocalBlobStore(Path(path))
    if scheme == "s3":
        settings = s3_settings_from_url(url, access_key_id=access_key_id, secret_access_key=secret_access_key)
        return S3BlobStore(settings)
    raise ValueError(f"blob URL: unsupported scheme {scheme!r} (file: or s3:)")
