from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import cms
from cryptography.x509.oid import ExtendedKeyUsageOID

from shared.timestamps.authority import TsaCredentials
from shared.timestamps.token import TimeStampResp
from shared.timestamps.tsa import TimeStampAuthority
from shared.timestamps.verify import TimestampVerificationError, verify_timestamp
from tests.shared.timestamps.helpers import DIGEST, NOW, make_credentials, openssl_ok, openssl_verify, request


def _signer_info(response: bytes) -> cms.SignerInfo:
    signed_data = TimeStampResp.load(response)["time_stamp_token"]["content"]
    assert isinstance(signed_data, cms.SignedData)
    return signed_data["signer_infos"][0]


def _flip_signature_byte(response: bytes) -> bytes:
    signature = _signer_info(response)["signature"].native
    assert response.count(signature) == 1
    flipped = signature[:-1] + bytes([signature[-1] ^ 0x01])
    return response.replace(signature, flipped)


def test_a_genuine_token_verifies_with_openssl_and_with_us(
    authority: TimeStampAuthority, credentials: TsaCredentials, tmp_path: Path
) -> None:
    response = authority.respond(request())
    result = openssl_verify(
        tmp_path, response, DIGEST, roots=credentials.chain, untrusted=[credentials.certificate]
    )
    assert openssl_ok(result), result.stderr
    verified = verify_timestamp(response, DIGEST, trust_roots=credentials.chain)
    assert verified.gen_time == NOW
    assert verified.signer == credentials.certificate
    assert verified.chain == (credentials.certificate, credentials.root)
    assert verified.token.tsa_name == "Signif TSA de développement (non qualifiée)"


def test_a_flipped_signature_byte_fails_both(
    authority: TimeStampAuthority, credentials: TsaCredentials, tmp_path: Path
) -> None:
    tampered = _flip_signature_byte(authority.respond(request()))
    assert not openssl_ok(openssl_verify(tmp_path, tampered, DIGEST, roots=credentials.chain))
    with pytest.raises(TimestampVerificationError, match="signature du jeton d'horodatage est invalide"):
        verify_timestamp(tampered, DIGEST, trust_roots=credentials.chain)


def test_a_wrong_digest_fails_both(
    authority: TimeStampAuthority, credentials: TsaCredentials, tmp_path: Path
) -> None:
    response = authority.respond(request())
    other = hashlib.sha256(b"un autre acte").digest()
    assert not openssl_ok(openssl_verify(tmp_path, response, other, roots=credentials.chain))
    with pytest.raises(TimestampVerificationError, match="n'est pas celle du document") as caught:
        verify_timestamp(response, other, trust_roots=credentials.chain)
    assert DIGEST.hex() in str(caught.value)
    assert other.hex() in str(caught.value)


def test_a_tampered_gen_time_fails_both(
    authority: TimeStampAuthority, credentials: TsaCredentials, tmp_path: Path
) -> None:
    response = authority.respond(request())
    tampered = response.replace(b"20260302143015.123456Z", b"20250302143015.123456Z")
    assert tampered != response
    assert not openssl_ok(openssl_verify(tmp_path, tampered, DIGEST, roots=credentials.chain))
    with pytest.raises(TimestampVerificationError, match="messageDigest"):
        verify_timestamp(tampered, DIGEST, trust_roots=credentials.chain)


def test_another_root_fails_both(authority: TimeStampAuthority, tmp_path: Path) -> None:
    response = authority.respond(request())
    stranger = make_credentials()
    assert not openssl_ok(openssl_verify(tmp_path, response, DIGEST, roots=stranger.chain))
    with pytest.raises(TimestampVerificationError, match="ne remonte pas à une autorité de confiance"):
        verify_timestamp(response, DIGEST, trust_roots=stranger.chain)
    with pytest.raises(TimestampVerificationError, match="aucune autorité"):
        verify_timestamp(response, DIGEST, trust_roots=[])


def test_the_wrong_hash_algorithm_is_refused(
    authority: TimeStampAuthority, credentials: TsaCredentials
) -> None:
    response = authority.respond(request())
    with pytest.raises(TimestampVerificationError, match="attendu sha512, trouvé sha256"):
        verify_timestamp(response, DIGEST, trust_roots=credentials.chain, hash_algorithm="sha512")


def test_without_embedded_certificate_the_caller_supplies_it(
    authority: TimeStampAuthority, credentials: TsaCredentials, tmp_path: Path
) -> None:
    response = authority.respond(request(cert_req=False))
    with pytest.raises(TimestampVerificationError, match="certificat du signataire du jeton est introuvable"):
        verify_timestamp(response, DIGEST, trust_roots=credentials.chain)
    verified = verify_timestamp(
        response, DIGEST, trust_roots=credentials.chain, intermediates=[credentials.certificate]
    )
    assert verified.signer == credentials.certificate
    result = openssl_verify(
        tmp_path, response, DIGEST, roots=credentials.chain, untrusted=[credentials.certificate]
    )
    assert openssl_ok(result)


def test_a_substituted_certificate_fails_the_ess_check(
    authority: TimeStampAuthority, credentials: TsaCredentials
) -> None:
    """Same key, same issuer and serial, other bytes: only the ESSCertIDv2 hash can tell."""
    response = authority.respond(request())
    resp = TimeStampResp.load(response)
    signed_data = resp["time_stamp_token"]["content"]
    cert = signed_data["certificates"][0].chosen
    twin = cert.copy()
    signature = cert["signature_value"].native
    twin["signature_value"] = signature[:-1] + bytes([signature[-1] ^ 0x01])  # other bytes, whatever the last
    signed_data["certificates"] = [cms.CertificateChoices(name="certificate", value=twin)]
    forged = resp.dump(force=True)
    with pytest.raises(TimestampVerificationError, match="ESSCertIDv2 n'est pas celui du signataire"):
        verify_timestamp(forged, DIGEST, trust_roots=credentials.chain)


def test_a_rejection_is_not_a_timestamp(authority: TimeStampAuthority, credentials: TsaCredentials) -> None:
    with pytest.raises(TimestampVerificationError, match="refusé"):
        verify_timestamp(authority.respond(b"junk"), DIGEST, trust_roots=credentials.chain)
    with pytest.raises(TimestampVerificationError, match="illisible"):
        verify_timestamp(b"\x30\x00", DIGEST, trust_roots=credentials.chain)


@pytest.mark.parametrize(
    ("eku", "critical"),
    [
        ((), True),
        ((ExtendedKeyUsageOID.TIME_STAMPING,), False),
        ((ExtendedKeyUsageOID.TIME_STAMPING, ExtendedKeyUsageOID.CODE_SIGNING), True),
        ((ExtendedKeyUsageOID.CODE_SIGNING,), True),
    ],
)
def test_certificates_not_dedicated_to_timestamping_are_refused(
    eku: tuple[object, ...], critical: bool, tmp_path: Path
) -> None:
    credentials = make_credentials(eku=eku, eku_critical=critical)  # type: ignore[arg-type]
    response = TimeStampAuthority(credentials, clock=lambda: NOW).respond(request())
    with pytest.raises(TimestampVerificationError, match="id-kp-timeStamping"):
        verify_timestamp(response, DIGEST, trust_roots=credentials.chain)
    assert not openssl_ok(openssl_verify(tmp_path, response, DIGEST, roots=credentials.chain))


@pytest.mark.parametrize(
    "gen_time",
    [datetime(2023, 12, 31, tzinfo=UTC), datetime(2030, 1, 2, tzinfo=UTC)],
    ids=["before", "after"],
)
def test_gen_time_outside_the_certificate_validity_is_refused(gen_time: datetime) -> None:
    credentials = make_credentials(
        not_before=datetime(2024, 1, 1, tzinfo=UTC), not_after=datetime(2030, 1, 1, tzinfo=UTC)
    )
    response = TimeStampAuthority(credentials, clock=lambda: gen_time).respond(request())
    with pytest.raises(TimestampVerificationError, match="ne remonte pas"):
        verify_timestamp(response, DIGEST, trust_roots=credentials.chain)


def test_two_signer_infos_are_refused(authority: TimeStampAuthority, credentials: TsaCredentials) -> None:
    resp = TimeStampResp.load(authority.respond(request()))
    signed_data = resp["time_stamp_token"]["content"]
    signer = signed_data["signer_infos"][0]
    signed_data["signer_infos"] = [signer, signer.copy()]
    with pytest.raises(TimestampVerificationError, match="une seule signature"):
        verify_timestamp(resp.dump(force=True), DIGEST, trust_roots=credentials.chain)


def test_every_flipped_byte_fails_cleanly_except_the_unsigned_status(
    authority: TimeStampAuthority, credentials: TsaCredentials
) -> None:
    response = authority.respond(request())
    assert (
        response[4:9] == b"\x30\x03\x02\x01\x00"
    )  # status: PKIStatusInfo { granted }, outside the signature
    accepted = []
    for position in range(len(response)):
        tampered = bytearray(response)
        tampered[position] ^= 0x01
        try:
            verify_timestamp(bytes(tampered), DIGEST, trust_roots=credentials.chain)
        except TimestampVerificationError:
            continue
        accepted.append(position)
    assert accepted == [8]  # granted (0) -> grantedWithMods (1): still a granted token


def test_the_tsa_answers_every_mangled_request(authority: TimeStampAuthority) -> None:
    genuine = request()
    for position in range(len(genuine)):
        for bit in (0x01, 0x80):
            tampered = bytearray(genuine)
            tampered[position] ^= bit
            status = TimeStampResp.load(authority.respond(bytes(tampered)))["status"]["status"].native
            assert status in ("granted", "rejection")
