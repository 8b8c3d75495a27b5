"""A real S3 endpoint for tests: moto's server on 127.0.0.1, on a free port, in a thread.

The backend code under test talks HTTP to it exactly as it talks to MinIO or AWS (signing, checksums,
conditional writes, Object Lock headers), so no client call is mocked. Moto keeps its state per
process: give every test its own bucket (`S3Server.new_bucket_name`).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from moto.server import ThreadedMotoServer

from shared.blobs.s3 import S3Settings


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    region: str = "eu-west-3"
    access_key_id: str = "testing"
    secret_access_key: str = field(default="testing", repr=False)

    @staticmethod
    def new_bucket_name(prefix: str = "signif-test") -> str:
        return f"{prefix}-{secrets.token_hex(6)}"

    def settings(
        self, bucket: str, *, object_lock_days: int | None = None, spool_dir: Path | None = None
    ) -> S3Settings:
        return S3Settings(
            bucket=bucket,
            endpoint_url=self.endpoint_url,
            region=self.region,
            access_key_id=self.access_key_id,
            secret_access_key=self.secret_access_key,
            object_lock_days=object_lock_days,
            addressing_style="path",
            spool_dir=spool_dir,
        )


@contextmanager
def moto_s3_server(region: str = "eu-west-3") -> Iterator[S3Server]:
    """Start moto's S3 server on 127.0.0.1 (free port), yield how to reach it, stop it afterwards."""
    # werkzeug logs every request at INFO: keep test output readable, keep its errors.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield S3Server(endpoint_url=f"http://{host}:{port}", region=region)
    finally:
        server.stop()
