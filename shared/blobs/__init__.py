"""Content-addressed, write-once blob storage: local files or S3 with Object Lock.

See `base` for the contract, `local` and `s3` for the backends, `factory` for the URL format.
"""

from shared.blobs.base import BlobNotFound, BlobRef, BlobRetained, BlobStore, IntegrityError
from shared.blobs.factory import blob_store_from_url, s3_settings_from_url
from shared.blobs.local import LocalBlobStore
from shared.blobs.s3 import S3BlobStore, S3Settings

__all__ = [
    "BlobNotFound",
    "BlobRef",
    "BlobRetained",
    "BlobStore",
    "IntegrityError",
    "LocalBlobStore",
    "S3BlobStore",
    "S3Settings",
    "blob_store_from_url",
    "s3_settings_from_url",
]
