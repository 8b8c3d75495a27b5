from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from asn1crypto import cms, tsp
from cryptography.hazmat.primitives import serialization

from shared.clock import TestClock
from shared.timestamps.authority import TsaCredentials
from shared.timestamps.token import TimeStampResp
from shared.timestamps.tsa import DEV_POLICY_OID, TimeStampAuthority
from shared.timestamps.verify import verify_timestamp
from tests.shared.timestamps.helpers import DIGEST, NOW, make_credentials, openssl_ok, openssl_verify, request


def _signed_data(response: bytes) -> cms.SignedData:
    resp = tsp.TimeStampResp.load(response)
    assert resp["status"]["status"].native == "granted"
    signed_data = resp["time_stamp_token"]["content"]
    assert isinstance(signed_data, cms.SignedData)
    return signed_data


def _tst_info(response: bytes) -> tsp.TSTInfo:
    info = _signed_data(response)["encap_content_info"]["content"].parsed
    assert isinstance(info, tsp.TSTInfo)
    return info


def test_granted_token_fields(authority: TimeStampAuthority, credentials: TsaCredentials) -> None:
    info = _tst_info(authority.respond(request(nonce=123456789)))
    assert info["version"].native == "v1"
    assert info["policy"].dotted == DEV_POLICY_OID
    assert info["message_imprint"]["hash_algorithm"]["algorithm"].native == "sha256"
    assert info["message_imprint"]["hashed_message"].native == DIGEST
    assert info["gen_time"].native == NOW
    assert info["accuracy"].native == {"seconds": 1, "millis": None, "micros": None}
    assert info["nonce"].native == 123456789
    assert info["tsa"].chosen.native["common_name"] == "Signif TSA de développement (non qualifiée)"
    assert 0 < info["serial_number"].native < 2**127


def test_gen_time_follows_the_injected_clock(authority: TimeStampAuthority, clock: TestClock) -> None:
    clock.advance(timedelta(days=3, seconds=7))
    assert _tst_info(authority.respond(request()))["gen_time"].native == NOW + timedelta(days=3, seconds=7)


def test_serials_are_unique_and_nonce_optional(authority: TimeStampAuthority) -> None:
    serials = {_tst_info(authority.respond(request(nonce=None)))["serial_number"].native for _ in range(20)}
    assert len(serials) == 20
    assert _tst_info(authority.respond(request(nonce=None)))["nonce"].native is None


def test_cert_req_is_honoured(authority: TimeStampAuthority, credentials: TsaCredentials) -> None:
    with_cert = _signed_data(authority.respond(request(cert_req=True)))
    der = credentials.certificate.public_bytes(serialization.Encoding.DER)
    assert [c.chosen.dump() for c in with_cert["certificates"]] == [der]
    assert _signed_data(authority.respond(request(cert_req=False)))["certificates"].native is None


def test_signed_attributes_and_ess_cert_id_v2(
    authority: TimeStampAuthority, credentials: TsaCredentials
) -> None:
    signed_data = _signed_data(authority.respond(request()))
    assert signed_data["version"].native == "v3"
    signer = signed_data["signer_infos"][0]
    attrs = {a["type"].native: a["values"][0] for a in signer["signed_attrs"]}
    assert attrs["content_type"].native == "tst_info"
    tst_der = signed_data["encap_content_info"]["content"].contents
    assert attrs["message_digest"].native == hashlib.sha256(tst_der).digest()
    cert_id = attrs["signing_certificate_v2"]["certs"][0]
    der = credentials.certificate.public_bytes(serialization.Encoding.DER)
    assert cert_id["cert_hash"].native == hashlib.sha256(der).digest()
    assert cert_id["issuer_serial"]["serial_number"].native == credentials.certificate.serial_number
    # SHA-256 is the DEFAULT hashAlgorithm of ESSCertIDv2: DER leaves it out.
    assert cert_id.contents[:2] == b"\x04\x20"  # the first member is certHash
    assert signer["signature_algorithm"]["algorithm"].native == "sha256_ecdsa"


@pytest.mark.parametrize(("hash_alg", "length"), [("sha384", 48), ("sha512", 64)])
def test_other_sha2_imprints_are_accepted(
    authority: TimeStampAuthority, credentials: TsaCredentials, hash_alg: str, length: int, tmp_path: Path
) -> None:
    digest = hashlib.new(hash_alg, b"x").digest()
    assert len(digest) == length
    response = authority.respond(request(digest, hash_alg=hash_alg))
    verified = verify_timestamp(response, digest, trust_roots=credentials.chain, hash_algorithm=hash_alg)
    assert verified.token.hash_algorithm == hash_alg
    assert openssl_ok(openssl_verify(tmp_path, response, digest, roots=credentials.chain))


def _rejection(response: bytes) -> tuple[str, set[str]]:
    resp = TimeStampResp.load(response)
    assert resp["time_stamp_token"].native is None
    status = resp["status"]
    return status["status"].native, status["fail_info"].native


def test_rejections(authority: TimeStampAuthority) -> None:
    assert _rejection(authority.respond(b"\x30\x03garbage")) == ("rejection", {"bad_data_format"})
    assert _rejection(authority.respond(b"")) == ("rejection", {"bad_data_format"})
    sha1 = hashlib.sha1(b"x").digest()  # noqa: S324 - the point is that it is refused
    assert _rejection(authority.respond(request(sha1, hash_alg="sha1"))) == ("rejection", {"bad_alg"})
    assert _rejection(authority.respond(request(DIGEST[:20]))) == ("rejection", {"bad_data_format"})
    other_policy = tsp.TimeStampReq.load(request())
    other_policy["req_policy"] = "1.2.3.4"
    assert _rejection(authority.respond(other_policy.dump(force=True))) == (
        "rejection",
        {"unaccepted_policy"},
    )
    extended = tsp.TimeStampReq.load(request())
    extended["extensions"] = [{"extn_id": "1.2.3.5", "critical": False, "extn_value": b"\x05\x00"}]
    assert _rejection(authority.respond(extended.dump(force=True))) == (
        "rejection",
        {"unaccepted_extensions"},
    )


def test_our_own_policy_may_be_requested(authority: TimeStampAuthority) -> None:
    asked = tsp.TimeStampReq.load(request())
    asked["req_policy"] = DEV_POLICY_OID
    assert _tst_info(authority.respond(asked.dump(force=True)))["policy"].dotted == DEV_POLICY_OID


def test_naive_clock_is_a_programming_error(credentials: TsaCredentials) -> None:
    naive = TimeStampAuthority(credentials, clock=lambda: NOW.replace(tzinfo=None))
    with pytest.raises(ValueError, match="aware"):
        naive.respond(request())


@pytest.mark.parametrize("key_type", ["rsa", "ed25519"])
def test_rsa_and_ed25519_keys_sign_verifiable_tokens(key_type: str, tmp_path: Path) -> None:
    credentials = make_credentials(key_type=key_type)
    response = TimeStampAuthority(credentials, clock=lambda: NOW).respond(request())
    assert verify_timestamp(response, DIGEST, trust_roots=credentials.chain).gen_time == NOW
    if key_type == "rsa":  # OpenSSL 3.0's `ts` (PKCS#7 code) cannot verify Ed25519: hence ECDSA by default
        assert openssl_ok(openssl_verify(tmp_path, response, DIGEST, roots=credentials.chain))


def test_sub_second_accuracy_is_encoded(credentials: TsaCredentials) -> None:
    tsa = TimeStampAuthority(
        credentials, clock=lambda: NOW, accuracy=timedelta(milliseconds=250, microseconds=5)
    )
    assert _tst_info(tsa.respond(request()))["accuracy"].native == {
        "seconds": None,
        "millis": 250,
        "micros": 5,
    }
