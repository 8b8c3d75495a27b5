"""The verified-token cache of `TokenVerifier`: a signature checked once is reused, never past the
token's expiry, a key change or the cache's lifetime; refused tokens are never remembered."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from shared.auth import JwksFile, TokenVerifier
from shared.errors import Authentification


def _jwk(key: ed25519.Ed25519PrivateKey, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": kid, "alg": "EdDSA"})
    return jwk


def _write_jwks(path: Path, *jwks: dict[str, Any]) -> None:
    """Write the JWKS and move its mtime on, so `JwksFile` sees the change whatever the clock's grain."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(json.dumps({"keys": list(jwks)}))
    os.utime(path, ns=(before + 10**9, before + 10**9))


def _token(key: ed25519.Ed25519PrivateKey, kid: str, **over: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": "i",
        "aud": "consent",
        "sub": "cj-1",
        "role": "commissaire",
        "iat": now,
        "exp": now + 600,
    }
    claims.update(over)
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid})


class _Decodes:
    """Counts the full verifications (`jwt.decode` calls), which still run for real."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = jwt.decode

        def counting(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(jwt, "decode", counting)


@pytest.fixture
def key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


@pytest.fixture
def jwks(tmp_path: Path, key: ed25519.Ed25519PrivateKey) -> Path:
    path = tmp_path / "jwks.json"
    _write_jwks(path, _jwk(key, "k1"))
    return path


def _verifier(jwks: Path, **kwargs: Any) -> TokenVerifier:
    return TokenVerifier(issuer="i", audience="consent", keys=JwksFile(jwks), **kwargs)


async def test_a_verified_token_is_not_verified_again(
    jwks: Path, key: ed25519.Ed25519PrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    decodes = _Decodes(monkeypatch)
    verifier = _verifier(jwks)
    token = _token(key, "k1")
    first = await verifier.verify(token)
    first["role"] = "operateur"  # the caller's copy: the remembered claims are not touched
    second = await verifier.verify(token)
    assert decodes.count == 1
    assert second["role"] == "commissaire"
    assert second["sub"] == "cj-1"
    await verifier.verify(_token(key, "k1", sub="cj-2"))  # another token: verified in full
    assert decodes.count == 2


async def test_a_refused_token_is_refused_every_time(
    jwks: Path, key: ed25519.Ed25519PrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    decodes = _Decodes(monkeypatch)
    verifier = _verifier(jwks)
    other = ed25519.Ed25519PrivateKey.generate()
    forged = _token(other, "k1")  # signed by a key the JWKS does not hold
    for _ in range(2):
        with pytest.raises(Authentification):
            await verifier.verify(forged)
    assert decodes.count == 2


async def test_a_key_withdrawn_from_the_jwks_stops_its_tokens_at_once(
    jwks: Path, key: ed25519.Ed25519PrivateKey
) -> None:
    verifier = _verifier(jwks)
    token = _token(key, "k1")
    await verifier.verify(token)
    successor = ed25519.Ed25519PrivateKey.generate()
    _write_jwks(jwks, _jwk(successor, "k2"))  # rotation: k1 withdrawn
    with pytest.raises(Authentification):
        await verifier.verify(token)
    assert (await verifier.verify(_token(successor, "k2")))["sub"] == "cj-1"


async def test_a_key_replaced_under_the_same_kid_stops_its_tokens(
    jwks: Path, key: ed25519.Ed25519PrivateKey
) -> None:
    verifier = _verifier(jwks)
    token = _token(key, "k1")
    await verifier.verify(token)
    _write_jwks(jwks, _jwk(ed25519.Ed25519PrivateKey.generate(), "k1"))
    with pytest.raises(Authentification):
        await verifier.verify(token)


async def test_a_remembered_token_expires_on_time(jwks: Path, key: ed25519.Ed25519PrivateKey) -> None:
    verifier = _verifier(jwks, leeway=0)
    token = _token(key, "k1", exp=int(time.time()) + 1)
    await verifier.verify(token)
    await asyncio.sleep(max(0.0, int(time.time()) + 1.05 - time.time()) + 1)
    with pytest.raises(Authentification):
        await verifier.verify(token)


async def test_the_cache_lifetime_and_size_bound_reuse(
    jwks: Path, key: ed25519.Ed25519PrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    decodes = _Decodes(monkeypatch)
    token = _token(key, "k1")
    short = _verifier(jwks, cache_ttl=0.05)
    await short.verify(token)
    await asyncio.sleep(0.1)
    await short.verify(token)  # past the cache's lifetime: verified again
    assert decodes.count == 2
    small = _verifier(jwks, cache_size=2)
    tokens = [_token(key, "k1", sub=f"cj-{k}") for k in range(3)]
    for t in tokens:
        await small.verify(t)
    await small.verify(tokens[2])  # remembered
    assert decodes.count == 5
    await small.verify(tokens[0])  # the oldest was forgotten
    assert decodes.count == 6
    off = _verifier(jwks, cache_ttl=0)
    await off.verify(token)
    await off.verify(token)
    assert decodes.count == 8
