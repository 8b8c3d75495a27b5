"""`SIGNIF_BLOB_URL` parsing: the documented formats, and loud failures on anything else."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.blobs import LocalBlobStore, S3BlobStore, blob_store_from_url, s3_settings_from_url


def test_file_urls(tmp_path: Path) -> None:
    absolute = blob_store_from_url(f"file://{tmp_path}/blobs")
    relative = blob_store_from_url("file:var/blobs")

    assert isinstance(absolute, LocalBlobStore)
    assert absolute.root == tmp_path / "blobs"
    assert isinstance(relative, LocalBlobStore)
    assert relative.root == Path("var/blobs")


def test_s3_url_with_every_parameter() -> None:
    settings = s3_settings_from_url(
        "s3://signif-actes?endpoint=http://minio:9000&region=eu-west-3&lock_days=3650&spool=/tmp/spool",
        access_key_id="AKIA",
        secret_access_key="secret",
    )

    assert settings.bucket == "signif-actes"
    assert settings.endpoint_url == "http://minio:9000"
    assert settings.region == "eu-west-3"
    assert settings.object_lock_days == 3650
    assert settings.addressing_style == "path"
    assert settings.spool_dir == Path("/tmp/spool")
    assert (settings.access_key_id, settings.secret_access_key) == ("AKIA", "secret")
    assert "secret" not in repr(settings)


def test_s3_url_minimal() -> None:
    store = blob_store_from_url("s3://actes?region=eu-west-3")

    assert isinstance(store, S3BlobStore)
    assert store.settings.endpoint_url is None
    assert store.settings.object_lock_days is None
    assert store.settings.addressing_style == "auto"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://example/blobs", "unsupported scheme"),
        ("s3://actes?endpont=http://minio:9000", "unknown parameter"),
        ("s3://user:pw@actes", "credentials"),
        ("s3://actes/sub/dir", "no path"),
        ("s3://actes?lock_days=1&lock_days=2", "2 times"),
        ("s3://actes?addressing=sideways", "addressing"),
        ("s3://actes?lock_days=0", "object_lock_days"),
        ("file://remote-host/blobs", "file:///path"),
        ("file:", "needs a directory"),
    ],
)
def test_bad_urls_fail_loudly(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        blob_store_from_url(url)
