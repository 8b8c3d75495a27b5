"""What a timestamp is once obtained: the raw DER TimeStampResp and the TSTInfo fields read from it.

The DER `TimeStampResp` is what gets stored and put in evidence bundles (API: `horodatage.jeton`);
the parsed fields are conveniences for display and indexing. Parsing checks only the structure and
the status: trust comes from `shared.timestamps.verify`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import cms, core, tsp, x509

from shared.errors import ServiceIndisponible


class TimeStampResp(core.Sequence):  # type: ignore[misc]
    """RFC 3161 TimeStampResp; asn1crypto's makes the token mandatory, RFC 3161 §2.4.2 does not."""

    _fields = [  # noqa: RUF012 - asn1crypto's declaration style
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


class TimestampError(ServiceIndisponible):
    """No usable timestamp could be obtained (TSA unreachable, rejected request, malformed answer)."""

    code = "horodatage-indisponible"
    title = "Service d'horodatage indisponible"


@dataclass(frozen=True, slots=True)
class TimestampToken:
    response: bytes = field(repr=False)  # DER TimeStampResp, stored as-is
    gen_time: datetime
    serial_number: int
    tsa_name: str
    policy: str
    hash_algorithm: str
    hashed_message: bytes
    nonce: int | None

    @property
    def token(self) -> bytes:
        """The DER TimeStampToken (CMS ContentInfo) alone, as embedded in CMS/PAdES signatures."""
        return bytes(TimeStampResp.load(self.response)["time_stamp_token"].dump())


def name_of(name: x509.Name) -> str:
    """A readable name: the common name when there is one, else every attribute."""
    native = name.native
    common_name = native.get("common_name") if isinstance(native, dict) else None
    return str(common_name) if common_name else str(name.human_friendly)


def parse_response(response: bytes) -> TimestampToken:
    """Read a granted TimeStampResp; `TimestampError` when it is malformed or not granted."""
    try:
        resp = TimeStampResp.load(response, strict=True)
        status = resp["status"]["status"].native
        if status not in ("granted", "granted_with_mods"):
            texts = resp["status"]["status_string"].native or []
            failure = resp["status"]["fail_info"].native or set()
            reasons = ", ".join([*map(str, texts), *sorted(map(str, failure))])
            raise TimestampError(
                f"la TSA a refusé la demande d'horodatage ({status}: {reasons or 'sans motif'})"
            )
        signed_data = resp["time_stamp_token"]["content"]
        if not isinstance(signed_data, cms.SignedData):
            raise ValueError("the token is not CMS SignedData")
        tst_info = signed_data["encap_content_info"]["content"].parsed
        if not isinstance(tst_info, tsp.TSTInfo):
            raise ValueError("the token does not encapsulate a TSTInfo")
        imprint = tst_info["message_imprint"]
        tsa = tst_info["tsa"]
        tsa_name = ""
        if tsa.native is not None and tsa.name == "directory_name":
            tsa_name = name_of(tsa.chosen)
        elif signed_data["certificates"].native:
            tsa_name = name_of(signed_data["certificates"][0].chosen.subject)
        return TimestampToken(
            response=bytes(response),
            gen_time=tst_info["gen_time"].native,
            serial_number=tst_info["serial_number"].native,
            tsa_name=tsa_name,
            policy=tst_info["policy"].dotted,
            hash_algorithm=imprint["hash_algorithm"]["algorithm"].native,
            hashed_message=imprint["hashed_message"].native,
            nonce=tst_info["nonce"].native,
        )
    except TimestampError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise TimestampError("réponse d'horodatage illisible") from exc
