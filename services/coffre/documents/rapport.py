"""The validation report kept as evidence of what the coffre checked when it accepted an acte.

It binds the result to the exact bytes (SHA-256, size) and to the validation instant, lists every
signature with the certificate that made it, and keeps pyHanko's own pretty-printed status report
verbatim, so a reviewer can read the validator's reasoning years later without re-running it.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ModeRevocation = Literal["soft-fail", "hard-fail", "require"]


class DeclarationPdfA(BaseModel):
    """The PDF/A identification declared in the XMP metadata (`pdfaid:part` / `pdfaid:conformance`).

    This is the *declaration*, not a conformance verdict: no veraPDF-grade check is run.
    """

    model_config = ConfigDict(frozen=True)

    part: int = Field(ge=1, le=4)
    conformance: str | None = None


class SignatureVerifiee(BaseModel):
    model_config = ConfigDict(frozen=True)

    champ: str = Field(description="Name of the PDF signature field")
    signataire: str = Field(description="Common name of the signing certificate's subject")
    emetteur: str = Field(description="Common name of the signing certificate's issuer")
    signe_le: dt.datetime
    source_heure: Literal["horodatage", "declaree"] = Field(
        description="'horodatage' when a trusted signature timestamp gave `signe_le`, else the signer's claim"
    )
    intact: bool
    valide: bool
    couverture: str = Field(description="pyHanko SignatureCoverageLevel, lower case (e.g. entire_file)")
    modifications: str | None = Field(
        description="pyHanko ModificationLevel of later revisions, lower case (none, lta_updates...)"
    )
    certificat_sha256: str
    numero_serie: str = Field(description="Certificate serial number, upper-case hexadecimal")


class RapportValidation(BaseModel):
    model_config = ConfigDict(frozen=True)

    sha256: str
    taille: int
    pdfa: DeclarationPdfA
    signatures: list[SignatureVerifiee]
    revocation: ModeRevocation
    rapport_pyhanko: str = Field(description="pyHanko's pretty-printed status of each signature, verbatim")
    valide_le: dt.datetime
