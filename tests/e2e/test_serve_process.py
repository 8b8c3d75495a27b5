"""`signif migrate` + `signif serve` as real processes, as `make run` starts them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import jwt
import pytest

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_embedded_deployment_serves_the_three_services(tmp_path: Path) -> None:
    env = {**os.environ, "SIGNIF_VAR_DIR": str(tmp_path / "var"), "SIGNIF_ENV": "development"}
    subprocess.run([BIN / "signif", "migrate"], env=env, check=True, cwd=tmp_path, timeout=120)
    port = _free_port()
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [BIN / "signif", "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/consent/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "not serving within a minute"
            time.sleep(0.2)
        for service in ("consent", "coffre", "notify"):
            assert httpx.get(f"{base}/{service}/healthz").json()["statut"] == "ok"
            assert httpx.get(f"{base}/{service}/readyz").json()["statut"] == "pret"
            assert httpx.get(f"{base}/{service}/openapi.json").json()["info"]["title"].startswith("Signif")
        # Development keys were generated on first start; `signif token issue` mints with them.
        jwks = tmp_path / "var" / "keys" / "issuer.jwks.json"
        assert jwks.exists()
        token = subprocess.run(
            [BIN / "signif", "token", "issue", "--role", "operateur", "--sub", "op-1", "--aud", "consent"],
            env=env,
            cwd=tmp_path,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["role"] == "operateur"
        assert claims["aud"] == "consent"
        # Logs are JSON lines with route templates, never raw tokens.
        text = (tmp_path / "serve.log").read_text()
        assert '"route": "/consent/healthz"' in text
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status tells the signal.
    assert proc.returncode in (0, -15)
    assert "Application shutdown complete" in (tmp_path / "serve.log").read_text()
