from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from shared.crypto import jws
from shared.crypto.jws import InvalidJwsError, JwsSigner, b64url_decode, b64url_encode

# RFC 8037 appendix A.1 (private key), A.2 (public key) and A.3 (its RFC 7638 thumbprint).
RFC8037_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


@pytest.fixture
def key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def _jwks(*keys: ed25519.Ed25519PrivateKey) -> dict[str, Any]:
    return jws.jwks(k.public_key() for k in keys)


def _forge(header: dict[str, Any], payload: bytes, key: ed25519.Ed25519PrivateKey) -> str:
    signing_input = f"{b64url_encode(json.dumps(header).encode())}.{b64url_encode(payload)}"
    return f"{signing_input}.{b64url_encode(key.sign(signing_input.encode()))}"


def test_rfc8037_public_jwk_and_thumbprint() -> None:
    key = ed25519.Ed25519PrivateKey.from_private_bytes(b64url_decode(RFC8037_D))
    jwk = jws.public_jwk(key.public_key())
    assert jwk == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": RFC8037_X,
        "kid": RFC8037_THUMBPRINT,
        "use": "sig",
        "alg": "EdDSA",
    }
    assert jws.jwk_thumbprint({"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X}) == RFC8037_THUMBPRINT


def test_sign_and_verify_json(key: ed25519.Ed25519PrivateKey) -> None:
    token = jws.sign({"acte": "A-1", "sha256": "00ff"}, key, typ="avis+jws")
    verified = jws.verify(token, _jwks(key))
    assert verified.header == {"alg": "EdDSA", "kid": jws.key_id(key.public_key()), "typ": "avis+jws"}
    assert verified.json() == {"acte": "A-1", "sha256": "00ff"}
    assert jws.verify_json(token, _jwks(key)) == {"acte": "A-1", "sha256": "00ff"}


def test_bytes_payload_is_signed_as_is(key: ed25519.Ed25519PrivateKey) -> None:
    token = jws.sign(b"\x00not json\xff", key)
    assert jws.verify(token, _jwks(key)).payload == b"\x00not json\xff"
    with pytest.raises(InvalidJwsError):
        jws.verify(token, _jwks(key)).json()


def test_signer_repr_redacts_and_signs_with_its_kid(key: ed25519.Ed25519PrivateKey) -> None:
    signer = JwsSigner(key)
    assert "redacted" in repr(signer)
    assert signer.kid == jws.key_id(key.public_key())
    assert jws.verify(signer.sign({"a": 1}), {"keys": [signer.jwk]}).kid == signer.kid


def test_retired_keys_still_verify_by_kid(key: ed25519.Ed25519PrivateKey) -> None:
    new_key = ed25519.Ed25519PrivateKey.generate()
    old_token = jws.sign({"v": 1}, key)
    published = _jwks(new_key, key)
    assert jws.verify_json(old_token, published) == {"v": 1}
    assert jws.verify_json(jws.sign({"v": 2}, new_key), published) == {"v": 2}


def test_pyjwt_verifies_our_tokens(key: ed25519.Ed25519PrivateKey) -> None:
    token = jws.sign({"sub": "destinataire", "n": 3}, key)
    assert jwt.get_unverified_header(token)["kid"] == jws.key_id(key.public_key())
    public = jwt.PyJWK(jws.public_jwk(key.public_key())).key
    assert jwt.decode(token, public, algorithms=["EdDSA"]) == {"sub": "destinataire", "n": 3}


def test_we_verify_pyjwt_tokens(key: ed25519.Ed25519PrivateKey) -> None:
    kid = jws.key_id(key.public_key())
    token = jwt.encode({"sub": "x", "iat": 1}, key, algorithm="EdDSA", headers={"kid": kid})
    assert jws.verify_json(token, _jwks(key)) == {"sub": "x", "iat": 1}


def test_tampered_payload_or_signature_fails(key: ed25519.Ed25519PrivateKey) -> None:
    header, payload, signature = jws.sign({"montant": 10}, key).split(".")
    forged_payload = b64url_encode(b'{"montant":1000}')
    with pytest.raises(InvalidJwsError):
        jws.verify(f"{header}.{forged_payload}.{signature}", _jwks(key))
    raw = bytearray(b64url_decode(signature))
    raw[0] ^= 1
    with pytest.raises(InvalidJwsError):
        jws.verify(f"{header}.{payload}.{b64url_encode(bytes(raw))}", _jwks(key))


def test_wrong_key_under_the_same_kid_fails(key: ed25519.Ed25519PrivateKey) -> None:
    impostor = ed25519.Ed25519PrivateKey.generate()
    token = jws.sign({"a": 1}, impostor, kid=jws.key_id(key.public_key()))
    with pytest.raises(InvalidJwsError):
        jws.verify(token, _jwks(key))


def test_unknown_kid_fails(key: ed25519.Ed25519PrivateKey) -> None:
    token = jws.sign({"a": 1}, key)
    with pytest.raises(InvalidJwsError):
        jws.verify(token, _jwks(ed25519.Ed25519PrivateKey.generate()))


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "none", "kid": "KID"},
        {"alg": "HS256", "kid": "KID"},
        {"alg": "ES256", "kid": "KID"},
        {"alg": "eddsa", "kid": "KID"},
        {"alg": "EdDSA"},
        {"alg": "EdDSA", "kid": 7},
        {"alg": "EdDSA", "kid": "KID", "crit": ["exp"], "exp": 1},
    ],
)
def test_refused_headers(key: ed25519.Ed25519PrivateKey, header: dict[str, Any]) -> None:
    kid = jws.key_id(key.public_key())
    header = {name: kid if value == "KID" else value for name, value in header.items()}
    with pytest.raises(InvalidJwsError):
        jws.verify(_forge(header, b"{}", key), _jwks(key))


def test_alg_none_without_signature_fails(key: ed25519.Ed25519PrivateKey) -> None:
    kid = jws.key_id(key.public_key())
    token = f"{b64url_encode(json.dumps({'alg': 'none', 'kid': kid}).encode())}.{b64url_encode(b'{}')}."
    with pytest.raises(InvalidJwsError):
        jws.verify(token, _jwks(key))


def test_hs256_signed_with_the_public_key_fails(key: ed25519.Ed25519PrivateKey) -> None:
    kid = jws.key_id(key.public_key())
    secret = jws.b64url_decode(jws.public_jwk(key.public_key())["x"])
    signing_input = (
        f"{b64url_encode(json.dumps({'alg': 'HS256', 'kid': kid}).encode())}.{b64url_encode(b'{}')}"
    )
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{b64url_encode(mac)}"
    with pytest.raises(InvalidJwsError):
        jws.verify(token, _jwks(key))


def test_duplicate_header_members_fail(key: ed25519.Ed25519PrivateKey) -> None:
    kid = jws.key_id(key.public_key())
    header = f'{{"alg":"EdDSA","kid":"{kid}","alg":"none"}}'.encode()
    signing_input = f"{b64url_encode(header)}.{b64url_encode(b'{}')}"
    token = f"{signing_input}.{b64url_encode(key.sign(signing_input.encode()))}"
    with pytest.raises(InvalidJwsError):
        jws.verify(token, _jwks(key))


@pytest.mark.parametrize("mangle", ["padding", "two-parts", "four-parts", "bad-char"])
def test_malformed_encodings_fail(key: ed25519.Ed25519PrivateKey, mangle: str) -> None:
    token = jws.sign({"a": 1}, key)
    mangled = {
        "padding": token + "==",
        "two-parts": token.rsplit(".", 1)[0],
        "four-parts": token + ".AA",
        "bad-char": token.replace(".", ".+", 1),
    }[mangle]
    with pytest.raises(InvalidJwsError):
        jws.verify(mangled, _jwks(key))


def test_non_canonical_signature_encoding_fails(key: ed25519.Ed25519PrivateKey) -> None:
    token = jws.sign({"a": 1}, key)
    # 64 bytes encode to 86 characters; the last one carries 4 padding bits that must be zero.
    last = token[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    sibling = alphabet[alphabet.index(last) ^ 1]
    with pytest.raises(InvalidJwsError):
        jws.verify(token[:-1] + sibling, _jwks(key))


@pytest.mark.parametrize(
    "change",
    [{"kty": "EC"}, {"crv": "Ed448"}, {"alg": "ES256"}, {"use": "enc"}, {"d": "AAAA"}, {"x": "AAAA"}],
)
def test_unsuitable_jwks_entries_fail(key: ed25519.Ed25519PrivateKey, change: dict[str, str]) -> None:
    token = jws.sign({"a": 1}, key)
    jwk = {**jws.public_jwk(key.public_key()), **change}
    with pytest.raises(InvalidJwsError):
        jws.verify(token, {"keys": [jwk]})


def test_ambiguous_kid_in_jwks_fails(key: ed25519.Ed25519PrivateKey) -> None:
    token = jws.sign({"a": 1}, key)
    jwk = jws.public_jwk(key.public_key())
    with pytest.raises(InvalidJwsError):
        jws.verify(token, {"keys": [jwk, jwk]})
    with pytest.raises(InvalidJwsError):
        jws.verify(token, {"not-keys": [jwk]})
