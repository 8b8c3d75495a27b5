"""An embedded RFC 3161 Time-Stamp Authority: TimeStampReq (DER) in, TimeStampResp (DER) out.

A granted response carries a TimeStampToken: CMS SignedData (RFC 5652) whose encapsulated content
is the DER `TSTInfo` (content type id-ct-TSTInfo) with

- our policy OID, the request's messageImprint copied verbatim, a random 127-bit serial number,
  `genTime` read from the injected clock (UTC, microseconds kept), accuracy, the request's nonce
  echoed, and our name in `tsa`;
- one SignerInfo (v1, issuer and serial) whose signed attributes are contentType, messageDigest and
  signingCertificateV2 (RFC 5035 ESSCertIDv2: SHA-256 of the TSA certificate and its issuer/serial),
  signed with ECDSA/SHA-256 (also RSA PKCS#1 v1.5/SHA-256 or Ed25519 when the key is one of those);
- the TSA certificate in `certificates` when the request sets certReq (RFC 3161 §2.4.1).

A request that cannot be honoured gets status `rejection` with a failInfo (badAlg, badDataFormat,
unacceptedPolicy, unacceptedExtension), never an exception: callers may be remote clients.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from asn1crypto import algos, cms, core, tsp, x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from shared.timestamps.authority import TsaCredentials
from shared.timestamps.token import TimeStampResp

#: The development TSA's policy: a UUID-derived OID (ITU-T X.667 arc 2.25), not a qualified policy.
DEV_POLICY_OID = "2.25.176447839587839453271604931738516287562"

#: Hash algorithms accepted in a messageImprint, with their digest lengths.
HASH_ALGORITHMS = {"sha256": 32, "sha384": 48, "sha512": 64}


class TimeStampAuthority:
    """Answers RFC 3161 requests with tokens signed by the given credentials, at the clock's time."""

    def __init__(
        self,
        credentials: TsaCredentials,
        *,
        clock: Callable[[], datetime],
        policy: str = DEV_POLICY_OID,
        accuracy: timedelta = timedelta(seconds=1),
    ) -> None:
        self._credentials = credentials
        self._clock = clock
        self.policy = policy
        self._accuracy = accuracy
        self._certificate = x509.Certificate.load(
            credentials.certificate.public_bytes(serialization.Encoding.DER)
        )
        self._constant = _ConstantParts.of(self._certificate)

    def __repr__(self) -> str:
        return f"TimeStampAuthority(policy={self.policy!r}, credentials={self._credentials!r})"

    @property
    def credentials(self) -> TsaCredentials:
        return self._credentials

    def respond(self, request_der: bytes) -> bytes:
        """The DER TimeStampResp answering a DER TimeStampReq (a rejection for a bad request)."""
        try:
            request = tsp.TimeStampReq.load(request_der, strict=True)
            version = request["version"].native
            imprint = request["message_imprint"]
            hash_alg = imprint["hash_algorithm"]["algorithm"].native
            hashed = imprint["hashed_message"].native
            policy = request["req_policy"].native
            nonce = request["nonce"].native
            cert_req = bool(request["cert_req"].native)
            has_extensions = bool(request["extensions"].native)
        except (ValueError, TypeError, KeyError):
            return _rejection("bad_data_format", "requête d'horodatage illisible")
        if version != "v1":
            return _rejection("bad_request", "version de requête non prise en charge")
        if hash_alg not in HASH_ALGORITHMS:
            return _rejection("bad_alg", "algorithme d'empreinte non pris en charge")
        if len(hashed) != HASH_ALGORITHMS[hash_alg]:
            return _rejection("bad_data_format", "longueur d'empreinte incorrecte")
        if policy is not None and policy != self.policy:
            return _rejection("unaccepted_policy", "politique d'horodatage non acceptée")
        if has_extensions:
            return _rejection("unaccepted_extensions", "extensions non acceptées")
        return self._grant(imprint, nonce=nonce, cert_req=cert_req)

    def _tst_info(self, imprint: tsp.MessageImprint, nonce: int | None) -> tsp.TSTInfo:
        gen_time = self._clock()
        if gen_time.tzinfo is None:
            raise ValueError("the TSA clock must return aware datetimes")
        info = {
            "version": "v1",
            "policy": self.policy,
            "message_imprint": imprint,
            "serial_number": secrets.randbits(127) | 1,
            "gen_time": gen_time.astimezone(UTC),
            "accuracy": _accuracy(self._accuracy),
            "tsa": x509.GeneralName.load(self._constant.tsa_name),
        }
        if nonce is not None:
            info["nonce"] = nonce
        return tsp.TSTInfo(info)

    def _grant(self, imprint: tsp.MessageImprint, *, nonce: int | None, cert_req: bool) -> bytes:
        tst_der = self._tst_info(imprint, nonce).dump()
        signed_attrs = cms.CMSAttributes(
            [
                cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
                cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(tst_der).digest()]}),
                cms.CMSAttribute.load(self._constant.signing_certificate),
            ]
        )
        # The signature covers the attributes' DER encoded as a SET OF (RFC 5652 §5.4).
        signature_algorithm, signature = self._sign(signed_attrs.dump())
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier.load(self._constant.signer_id),
                "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                "signed_attrs": signed_attrs,
                "signature_algorithm": signature_algorithm,
                "signature": signature,
            }
        )
        signed_data = {
            "version": "v3",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {"content_type": "tst_info", "content": core.ParsableOctetString(tst_der)},
            "signer_infos": [signer_info],
        }
        if cert_req:
            signed_data["certificates"] = cms.CertificateSet.load(self._constant.certificates)
        token = cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(signed_data)})
        return bytes(TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token}).dump())

    def _sign(self, data: bytes) -> tuple[algos.SignedDigestAlgorithm, bytes]:
        key = self._credentials.private_key
        if isinstance(key, ec.EllipticCurvePrivateKey):
            name, signature = "sha256_ecdsa", key.sign(data, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, rsa.RSAPrivateKey):
            name, signature = "sha256_rsa", key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ed25519.Ed25519PrivateKey):
            name, signature = "ed25519", key.sign(data)
        else:  # pragma: no cover - TsaCredentials only holds the three types above
            raise TypeError(f"unsupported TSA key type {type(key).__name__}")
        return algos.SignedDigestAlgorithm({"algorithm": name}), signature


@dataclass(frozen=True, slots=True)
class _ConstantParts:
    """DER of the parts every token repeats, encoded once from the TSA certificate.

    Each response loads them back (`X.load(der)`): asn1crypto then copies the bytes as they are,
    whereas rebuilding them from the certificate's parsed names re-encodes the whole certificate
    several times per token (~10 ms of a deposit).
    """

    tsa_name: bytes  # GeneralName directoryName: TSTInfo.tsa
    signer_id: bytes  # SignerIdentifier issuerAndSerialNumber: SignerInfo.sid
    signing_certificate: bytes  # CMSAttribute signingCertificateV2 (RFC 5035 ESSCertIDv2)
    certificates: bytes  # CertificateSet with the TSA certificate, when certReq is set

    @classmethod
    def of(cls, cert: x509.Certificate) -> _ConstantParts:
        issuer_serial = {
            "issuer": [x509.GeneralName(name="directory_name", value=cert.issuer)],
            "serial_number": cert.serial_number,
        }
        # hashAlgorithm is left out: SHA-256 is its DEFAULT, which DER omits.
        cert_id = {"cert_hash": hashlib.sha256(cert.dump()).digest(), "issuer_serial": issuer_serial}
        signing_certificate = tsp.SigningCertificateV2({"certs": [cert_id]})
        signer_id = cms.SignerIdentifier(
            name="issuer_and_serial_number",
            value=cms.IssuerAndSerialNumber({"issuer": cert.issuer, "serial_number": cert.serial_number}),
        )
        return cls(
            tsa_name=x509.GeneralName(name="directory_name", value=cert.subject).dump(),
            signer_id=signer_id.dump(),
            signing_certificate=cms.CMSAttribute(
                {"type": "signing_certificate_v2", "values": [signing_certificate]}
            ).dump(),
            certificates=cms.CertificateSet([cms.CertificateChoices(name="certificate", value=cert)]).dump(),
        )


def _accuracy(accuracy: timedelta) -> dict[str, int]:
    micros_total = accuracy // timedelta(microseconds=1)
    seconds, micros = divmod(micros_total, 1_000_000)
    millis, micros = divmod(micros, 1000)
    fields = {"seconds": seconds, "millis": millis, "micros": micros}
    return {name: value for name, value in fields.items() if value} or {"seconds": 0}


def _rejection(fail_info: str, text: str) -> bytes:
    status = {"status": "rejection", "status_string": [text], "fail_info": {fail_info}}
    return bytes(TimeStampResp({"status": status}).dump())
