"""Refusals of a deposited acte: one stable code per family, the failing check named in `controle`.

These are not opaque cryptographic errors: the commissaire's office software must be able to tell its
user why the coffre refused the document (wrong format, not PDF/A, signature by an unknown CA...), so
the French `detail` says which check failed and `controle` repeats it as a stable machine value.
"""

from __future__ import annotations

from shared.errors import Unprocessable


class DocumentRefuse(Unprocessable):
    """Base of both refusals; `controle` is the stable name of the check that failed."""

    def __init__(self, detail: str, *, controle: str) -> None:
        super().__init__(detail, extra={"controle": controle})
        self.controle = controle


class PdfInvalide(DocumentRefuse):
    code = "pdf-invalide"
    title = "Document PDF refusé"


class SignatureInvalide(DocumentRefuse):
    code = "signature-invalide"
    title = "Signature électronique refusée"
