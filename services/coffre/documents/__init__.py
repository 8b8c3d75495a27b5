"""The deposited PDF acte: validation gates (PDF/A declaration, no active content, PAdES signature)
and PAdES signing for development and tests."""

from .errors import DocumentRefuse, PdfInvalide, SignatureInvalide
from .rapport import DeclarationPdfA, ModeRevocation, RapportValidation, SignatureVerifiee
from .signing import dev_sign, signer_pdf, signer_pdf_octets, signer_pdf_octets_async
from .validation import ValidationLimits, load_trust_roots, valider_acte

__all__ = [
    "DeclarationPdfA",
    "DocumentRefuse",
    "ModeRevocation",
    "PdfInvalide",
    "RapportValidation",
    "SignatureInvalide",
    "SignatureVerifiee",
    "ValidationLimits",
    "dev_sign",
    "load_trust_roots",
    "signer_pdf",
    "signer_pdf_octets",
    "signer_pdf_octets_async",
    "valider_acte",
]
