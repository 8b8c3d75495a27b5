"""Offline verification of an RFC 3161 TimeStampResp against a digest and trusted TSA roots.

Used by the services on what they receive and by the offline evidence verifier, so it needs nothing
but the token, the digest of what was timestamped and the trust roots (no network, no revocation
fetching: the bundle carries what it needs, and revocation of a TSA certificate after `genTime` does
not void an earlier token). The steps, each failing with a `TimestampVerificationError` that says
what was expected and what was found (in French: the offline verifier shows it to people):

1. the response is a granted TimeStampResp holding CMS SignedData around a TSTInfo (RFC 3161 §2.4.2);
2. the messageImprint is the expected hash algorithm and equals the digest;
3. there is one SignerInfo with signed attributes: contentType id-ct-TSTInfo and a messageDigest
   equal to the hash of the encapsulated TSTInfo (RFC 5652 §5.4, §11);
4. the signer certificate named by the SignerInfo is found (in the token or the given certificates);
5. the signingCertificateV2 (or v1) attribute names that certificate: its hash and issuer/serial
   (RFC 5035, RFC 3161 §2.4.1), so the certificate cannot be substituted;
6. the signature over the DER signed attributes verifies with that certificate's key
   (ECDSA, RSA PKCS#1 v1.5 or PSS, Ed25519);
7. the certificate's only extended key usage is id-kp-timeStamping, marked critical (RFC 3161 §2.3);
8. the certificate chains to one of the trust roots, every certificate valid at `genTime`
   (RFC 5280 path validation by `cryptography`, Web PKI profile for the CAs).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import Criticality, ExtensionPolicy, PolicyBuilder, Store

from shared.timestamps.token import TimestampError, TimeStampResp, TimestampToken, parse_response

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


class TimestampVerificationError(Exception):
    """The timestamp does not prove that the digest existed at its genTime under a trusted TSA."""


@dataclass(frozen=True, slots=True)
class VerifiedTimestamp:
    token: TimestampToken
    signer: x509.Certificate
    chain: tuple[x509.Certificate, ...]  # signer first, trust root last

    @property
    def gen_time(self) -> datetime:
        return self.token.gen_time


def _fail(message: str) -> TimestampVerificationError:
    return TimestampVerificationError(message)


def _hash(name: str, data: bytes) -> bytes:
    if name not in _HASHES:
        raise _fail(f"algorithme d'empreinte non pris en charge : {name}")
    return hashlib.new(name, data).digest()


def verify_timestamp(
    response: bytes,
    digest: bytes,
    *,
    trust_roots: Sequence[x509.Certificate],
    intermediates: Sequence[x509.Certificate] = (),
    hash_algorithm: str = "sha256",
) -> VerifiedTimestamp:
    """Verify `response` (DER TimeStampResp) for `digest`; raise `TimestampVerificationError`."""
    try:
        return _verify(response, digest, list(trust_roots), list(intermediates), hash_algorithm)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        # asn1crypto parses lazily: a malformed inner structure surfaces where it is first read.
        raise _fail(f"jeton d'horodatage mal formé : {str(exc).splitlines()[0]}") from exc


def _verify(
    response: bytes,
    digest: bytes,
    trust_roots: list[x509.Certificate],
    intermediates: list[x509.Certificate],
    hash_algorithm: str,
) -> VerifiedTimestamp:
    # 1. A granted response around CMS SignedData and a TSTInfo.
    try:
        token = parse_response(response)
    except TimestampError as exc:
        raise _fail(f"jeton d'horodatage inexploitable : {exc.detail}") from exc
    signed_data = TimeStampResp.load(response, strict=True)["time_stamp_token"]["content"]
    encap = signed_data["encap_content_info"]
    # Hashes and signatures cover the bytes as received; take them before anything reads them, since
    # asn1crypto re-encodes structures it has touched.
    tst_der = encap["content"].contents
    received_certs = [c.chosen.dump() for c in signed_data["certificates"] if c.name == "certificate"]

    # 2. The imprint is the digest we hold.
    if token.hash_algorithm != hash_algorithm:
        raise _fail(f"algorithme d'empreinte attendu {hash_algorithm}, trouvé {token.hash_algorithm}")
    if token.hashed_message != digest:
        raise _fail(
            f"l'empreinte horodatée ({token.hashed_message.hex()}) "
            f"n'est pas celle du document ({digest.hex()})"
        )

    # 3. One signer, whose signed attributes bind the TSTInfo.
    signer_infos = signed_data["signer_infos"]
    if len(signer_infos) != 1:
        raise _fail(f"une seule signature attendue dans le jeton, {len(signer_infos)} trouvée(s)")
    signer_info = signer_infos[0]
    # The signature covers the signed attributes tagged as a SET OF, not [0] IMPLICIT (RFC 5652 §5.4).
    signed_attrs_der = b"\x31" + signer_info["signed_attrs"].dump()[1:]
    sid_kind = signer_info["sid"].name
    expected_version = "v1" if sid_kind == "issuer_and_serial_number" else "v3"
    if signed_data["version"].native != "v3" or signer_info["version"].native != expected_version:
        raise _fail("versions CMS incohérentes (SignedData v3 et SignerInfo v1/v3 attendus, RFC 5652 §5)")
    attrs = _signed_attributes(signer_info)
    if attrs.get("content_type") != "tst_info" or encap["content_type"].native != "tst_info":
        raise _fail("le contenu signé n'est pas un TSTInfo (id-ct-TSTInfo)")
    # `.native` parses the parameters too (asn1crypto is lazy): nothing malformed passes unread.
    digest_alg = signer_info["digest_algorithm"].native["algorithm"]
    if digest_alg not in [d.native["algorithm"] for d in signed_data["digest_algorithms"]]:
        raise _fail(f"l'algorithme d'empreinte du signataire ({digest_alg}) n'est pas déclaré dans le jeton")
    if attrs.get("message_digest") != _hash(digest_alg, tst_der):
        raise _fail("l'attribut messageDigest ne correspond pas au TSTInfo signé")

    # 4. The signer's certificate.
    candidates = received_certs + [
        c.public_bytes(serialization.Encoding.DER) for c in (*intermediates, *trust_roots)
    ]
    signer_der = _find_signer(signer_info["sid"], candidates)

    # 5. The ESS signing-certificate attribute names exactly that certificate.
    _check_signing_certificate(attrs, signer_der)

    # 6. The signature.
    signer = x509.load_der_x509_certificate(signer_der)
    _check_signature(signer_info, signed_attrs_der, signer, digest_alg)

    # 7. A certificate for timestamping only.
    _check_timestamping_eku(signer)

    # 8. A trusted path, valid at genTime.
    others = [x509.load_der_x509_certificate(c) for c in candidates if c != signer_der]
    chain = _validate_path(signer, others, trust_roots, token.gen_time)
    return VerifiedTimestamp(token=token, signer=signer, chain=chain)


def _signed_attributes(signer_info: cms.SignerInfo) -> dict[str, Any]:
    if isinstance(signer_info["signed_attrs"], core.Void):
        raise _fail("la signature du jeton n'a pas d'attributs signés")
    found: dict[str, Any] = {}
    for attr in signer_info["signed_attrs"]:
        name = attr["type"].native
        values = attr["values"]
        if name in found or len(values) != 1:
            raise _fail(f"attribut signé {name} en double ou à valeurs multiples")
        found[name] = values[0] if name.startswith("signing_certificate") else values[0].native
    return found


def _find_signer(sid: cms.SignerIdentifier, candidates: list[bytes]) -> bytes:
    for der in candidates:
        cert = asn1_x509.Certificate.load(der)
        if sid.name == "issuer_and_serial_number":
            if (
                cert.issuer == sid.chosen["issuer"]
                and cert.serial_number == sid.chosen["serial_number"].native
            ):
                return der
        elif cert.key_identifier == sid.chosen.native:
            return der
    raise _fail("le certificat du signataire du jeton est introuvable (ni dans le jeton, ni fourni)")


def _check_signing_certificate(attrs: dict[str, Any], signer_der: bytes) -> None:
    if "signing_certificate_v2" in attrs:
        cert_id = attrs["signing_certificate_v2"]["certs"][0]
        hash_name = cert_id["hash_algorithm"]["algorithm"].native
    elif "signing_certificate" in attrs:
        cert_id = attrs["signing_certificate"]["certs"][0]
        hash_name = "sha1"
    else:
        raise _fail("attribut signingCertificateV2 (ESSCertIDv2) absent du jeton")
    expected = hashlib.new(hash_name, signer_der).digest()
    if cert_id["cert_hash"].native != expected:
        raise _fail("le certificat désigné par ESSCertIDv2 n'est pas celui du signataire")
    issuer_serial = cert_id["issuer_serial"]
    signer = asn1_x509.Certificate.load(signer_der)
    if issuer_serial.native is not None:
        names = [n.chosen for n in issuer_serial["issuer"] if n.name == "directory_name"]
        if issuer_serial["serial_number"].native != signer.serial_number or signer.issuer not in names:
            raise _fail("l'émetteur et le numéro de série de ESSCertIDv2 ne sont pas ceux du signataire")


def _check_signature(
    signer_info: cms.SignerInfo, data: bytes, signer: x509.Certificate, digest_alg: str
) -> None:
    signature = signer_info["signature"].native
    sig_alg = signer_info["signature_algorithm"]
    algo = sig_alg.signature_algo
    key = signer.public_key()
    try:
        if algo == "ed25519" and isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        elif algo == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(_hash_of(sig_alg, digest_alg)))
        elif algo == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), _hash_of(sig_alg, digest_alg))
        elif algo == "rsassa_pss" and isinstance(key, rsa.RSAPublicKey):
            params = sig_alg["parameters"]
            pss_hash = _HASHES[params["hash_algorithm"]["algorithm"].native]()
            pss = padding.PSS(mgf=padding.MGF1(pss_hash), salt_length=params["salt_length"].native)
            key.verify(signature, data, pss, pss_hash)
        else:
            raise _fail(f"algorithme de signature {algo} incompatible avec la clé du certificat")
    except InvalidSignature as exc:
        raise _fail("la signature du jeton d'horodatage est invalide") from exc
    except KeyError as exc:
        raise _fail("algorithme de signature non pris en charge") from exc


def _hash_of(sig_alg: Any, digest_alg: str) -> hashes.HashAlgorithm:
    try:
        name = sig_alg.hash_algo
    except ValueError:  # a bare "ecdsa"/"rsa" OID: the SignerInfo's digest algorithm applies
        name = digest_alg
    if name not in _HASHES:
        raise _fail(f"algorithme d'empreinte de signature non pris en charge : {name}")
    return _HASHES[name]()


def _check_timestamping_eku(signer: x509.Certificate) -> None:
    try:
        eku = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound as exc:
        raise _fail("le certificat de la TSA n'a pas l'usage étendu id-kp-timeStamping") from exc
    if list(eku.value) != [ExtendedKeyUsageOID.TIME_STAMPING] or not eku.critical:
        raise _fail("le certificat de la TSA doit avoir pour seul usage étendu id-kp-timeStamping, critique")


def _validate_path(
    signer: x509.Certificate,
    intermediates: list[x509.Certificate],
    trust_roots: Sequence[x509.Certificate],
    at: datetime,
) -> tuple[x509.Certificate, ...]:
    if not trust_roots:
        raise _fail("aucune autorité de confiance fournie pour vérifier la TSA")

    def _timestamping(_policy: Any, _cert: x509.Certificate, eku: x509.ExtendedKeyUsage | None) -> None:
        if eku is None or list(eku) != [ExtendedKeyUsageOID.TIME_STAMPING]:
            raise ValueError("id-kp-timeStamping required")

    ee_policy = ExtensionPolicy.permit_all().require_present(
        x509.ExtendedKeyUsage, Criticality.CRITICAL, _timestamping
    )
    verifier = (
        PolicyBuilder()
        .store(Store(list(trust_roots)))
        .time(at)
        .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ee_policy)
        .build_client_verifier()
    )
    try:
        verified = verifier.verify(signer, intermediates)
    except x509.verification.VerificationError as exc:
        raise _fail(
            f"le certificat de la TSA ({signer.subject.rfc4514_string()}) ne remonte pas à une autorité "
            f"de confiance valide au {at.isoformat()} : {exc}"
        ) from exc
    return tuple(verified.chain)
