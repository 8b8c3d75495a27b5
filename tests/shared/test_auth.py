"""JWT verification against real signed tokens: every attack answers 401/403 with the contract's code."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from fastapi import APIRouter

from services.consent.models import JOB_TABLES
from services.consent.settings import ConsentSettings
from shared.app import build_service_app
from shared.auth import CurrentAutorite, CurrentCommissaire, CurrentOperateur, CurrentService
from shared.issuer import DevIssuer
from shared.testing.apps import commissaire_claims, running

router = APIRouter(prefix="/consent/v1/essai")


@router.get("/commissaire")
async def as_commissaire(who: CurrentCommissaire) -> dict[str, str]:
    return {"sub": who.sub, "cour_appel": who.office.cour_appel}


@router.get("/operateur")
async def as_operateur(who: CurrentOperateur) -> dict[str, str]:
    return {"sub": who.sub}


@router.get("/autorite")
async def as_autorite(who: CurrentAutorite) -> dict[str, str]:
    return {"juridiction": who.juridiction}


@router.get("/service")
async def as_service(who: CurrentService) -> dict[str, str]:
    return {"sub": who.sub}


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, DevIssuer]]:
    settings = ConsentSettings(env="test", var_dir=tmp_path, run_jobs_in_process=False)
    issuer = DevIssuer(settings.keys_dir, issuer=settings.jwt_issuer)
    app = build_service_app(
        settings=settings, title="t", description="t", routers=[router], job_tables=JOB_TABLES
    )
    async with running(app) as client:
        yield client, issuer


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(**over: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": "signif-dev",
        "aud": "consent",
        "sub": "op-1",
        "role": "operateur",
        "iat": now,
        "exp": now + 600,
    }
    base.update(over)
    return base


async def _get(client: httpx.AsyncClient, path: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return await client.get(f"/consent/v1/essai/{path}", headers=headers)


def _assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


async def test_valid_tokens_per_role(setup: tuple[httpx.AsyncClient, DevIssuer]) -> None:
    client, issuer = setup
    token = issuer.mint({"aud": "consent", "role": "commissaire", "sub": "cj-1", **commissaire_claims()})
    response = await _get(client, "commissaire", token)
    assert response.status_code == 200
    assert response.json() == {"sub": "cj-1", "cour_appel": "paris"}
    autorite = issuer.mint(
        {"aud": "consent", "role": "autorite_judiciaire", "sub": "j1", "juridiction": "TJ Lyon"}
    )
    assert (await _get(client, "autorite", autorite)).json() == {"juridiction": "TJ Lyon"}
    service = issuer.mint({"aud": "consent", "role": "service", "sub": "service:coffre"})
    assert (await _get(client, "service", service)).json() == {"sub": "service:coffre"}


async def test_missing_token(setup: tuple[httpx.AsyncClient, DevIssuer]) -> None:
    client, _ = setup
    response = await _get(client, "operateur", None)
    _assert_problem(response, 401, "authentification")
    assert response.headers["www-authenticate"] == "Bearer"
    _assert_problem(
        await client.get("/consent/v1/essai/operateur", headers={"Authorization": "Basic abc"}),
        401,
        "authentification",
    )


async def test_bad_signature(setup: tuple[httpx.AsyncClient, DevIssuer]) -> None:
    client, issuer = setup
    token = issuer.mint(_claims())
    header, payload, signature = token.split(".")
    flipped = bytearray(base64.urlsafe_b64decode(signature + "=="))
    flipped[0] ^= 0x01
    _assert_problem(
        await _get(client, "operateur", f"{header}.{payload}.{_b64(bytes(flipped))}"), 401, "authentification"
    )
    # A payload changed after signing (role escalation) must fail as well.
    forged = _b64(json.dumps(_claims(role="operateur", sub="admin")).encode())
    _assert_problem(
        await _get(client, "operateur", f"{header}.{forged}.{signature}"), 401, "authentification"
    )


async def test_unreadable_tokens(setup: tuple[httpx.AsyncClient, DevIssuer]) -> None:
    client, issuer = setup
    token = issuer.mint(_claims())
    header, payload, signature = token.split(".")
    for unreadable in (
        "abc",  # no dots, not base64 JSON
        "!!!." + payload + "." + signature,  # header outside the base64url alphabet
        _b64(b"[1, 2]") + "." + payload + "." + signature,  # header JSON but not an object
        _b64(b"\xff\xfe") + "." + payload + "." + signature,  # header not UTF-8
        header,  # the header alone: a readable header, no payload nor signature
        f"{header}.{payload}",  # no signature segment
        f"{header}.{payload}.{signature}.extra",
    ):
        _assert_problem(await _get(client, "operateur", unreadable), 401, "authentification")
    assert (await _get(client, "operateur", token)).status_code == 200


async def test_alg_none(setup: tuple[httpx.AsyncClient, DevIssuer]) -> None:
    client, issuer = setup
    header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": issuer.kid}).encode())
    payload = _b64(json.dumps(_claims()).encode())
    _assert_problem(await _get(client, "operateur", f"{header}.{payload}."), 401, "authentification")


async def test_hs256_signed_with_the_public_key(setup: tuple[httpx.AsyncClient, DevIssuer]) -> None:
    client, issuer = setup
    public = issuer.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": issuer.kid}).encode())
    payload = _b64(json.dumps(_claims()).encode())
    import hashlib
    import hmac

    for secret in (public, issuer.jwk["x"].encode()):
        sig = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        _assert_problem(
            await _get(client, "operateur", f"{header}.{payload}.{_b64(sig)}"), 401, "authentification"
        )


async def test_expired(setup: tuple[httpx.AsyncClient, DevIssuer]) -> None:
    client, issuer = setup
    now = int(time.time())
    token = jwt.encode(
        _claims(iat=now - 7200, exp=now - 3600), issuer.key, algorithm="EdDSA", headers={"kid": issuer.kid}
    )
    _assert_problem(await _get(client, "operateur", token), 401, "authentification")


async def test_wrong_audience_and_issuer(setup: tuple[httpx.AsyncClient, DevIssuer]) -> None:
    client, issuer = setup
    _assert_problem(
        await _get(client, "operateur", issuer.mint(_claims(aud="coffre"))), 401, "authentification"
    )
    wrong_iss = jwt.encode(_claims(iss="evil"), issuer.key, algorithm="EdDSA", headers={"kid": issuer.kid})
    _assert_problem(await _get(client, "operateur", wrong_iss), 401, "authentification")


async def test_missing_required_claims(setup: tuple[httpx.AsyncClient, DevIssuer]) -> None:
    client, issuer = setup
    for claim in ("exp", "iat", "sub", "role"):
        claims = _claims()
        del claims[claim]
        token = jwt.encode(claims, issuer.key, algorithm="EdDSA", headers={"kid": issuer.kid})
        _assert_problem(await _get(client, "operateur", token), 401, "authentification")


async def test_unknown_kid_and_foreign_key(setup: tuple[httpx.AsyncClient, DevIssuer]) -> None:
    client, _ = setup
    other = ed25519.Ed25519PrivateKey.generate()
    token = jwt.encode(_claims(), other, algorithm="EdDSA", headers={"kid": "inconnu"})
    _assert_problem(await _get(client, "operateur", token), 401, "authentification")


async def test_wrong_role(setup: tuple[httpx.AsyncClient, DevIssuer]) -> None:
    client, issuer = setup
    _assert_problem(await _get(client, "autorite", issuer.mint(_claims())), 403, "interdit")
    # A commissaire token without its office claims is unusable, not a 500.
    bare = issuer.mint(_claims(role="commissaire"))
    _assert_problem(await _get(client, "commissaire", bare), 401, "authentification")


async def test_es256_key_from_jwks(setup: tuple[httpx.AsyncClient, DevIssuer], tmp_path: Path) -> None:
    client, issuer = setup
    ec_key = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key()))
    jwk.update({"kid": "ec-1", "alg": "ES256"})
    document = json.loads(issuer.jwks_path.read_text())
    document["keys"].append(jwk)
    issuer.jwks_path.write_text(json.dumps(document))
    token = jwt.encode(_claims(), ec_key, algorithm="ES256", headers={"kid": "ec-1"})
    assert (await _get(client, "operateur", token)).status_code == 200
    # The EC key cannot be used with EdDSA by lying in the header.
    header = _b64(json.dumps({"alg": "EdDSA", "kid": "ec-1"}).encode())
    _, payload, sig = token.split(".")
    _assert_problem(await _get(client, "operateur", f"{header}.{payload}.{sig}"), 401, "authentification")
