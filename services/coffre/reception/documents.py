"""The coffre's records turned into the legal documents of `services.coffre.preuves`.

The platform's PAdES seal (`SceauPdf`) is built once per process: outside production, the development
seal of `shared.devpki` (non-qualified) with an RFC 3161 signature timestamp from the embedded TSA
(or the external TSA when `tsa_url` is set); production refuses to seal until a qualified seal is
provisioned (503 `sceau-indisponible`).
"""

from __future__ import annotations

import json
from typing import Any

from pyhanko.sign.timestamps import HTTPTimeStamper

from services.coffre.actes.natures import NATURES
from services.coffre.contexte import Coffre
from services.coffre.models import Acte
from services.coffre.preuves import (
    AvisReception,
    CertificatSignification,
    EmbeddedTimeStamper,
    LettreSimple,
    Mode,
    SceauPdf,
    Signification,
)
from services.coffre.reception.erreurs import SceauIndisponible
from shared.app import ServiceRuntime
from shared.crypto.jws import b64url_decode
from shared.devpki import dev_seal_signer
from shared.timestamps.client import EmbeddedTimestampClient

_SCEAU_PDF = "coffre.sceau_pdf"


def sceau_pdf(runtime: ServiceRuntime, coffre: Coffre) -> SceauPdf:
    cached = runtime.extras.get(_SCEAU_PDF)
    if isinstance(cached, SceauPdf):
        return cached
    settings = coffre.settings
    if settings.env == "production":
        raise SceauIndisponible("Aucun cachet qualifié de la plateforme n'est configuré.")
    if isinstance(coffre.horodatage, EmbeddedTimestampClient):
        timestamper: Any = EmbeddedTimeStamper(coffre.horodatage.authority)
    elif settings.tsa_url:
        timestamper = HTTPTimeStamper(settings.tsa_url)
    else:  # pragma: no cover - one of the two is always configured
        timestamper = None
    sceau = SceauPdf(signer=dev_seal_signer(settings.var_dir), timestamper=timestamper)
    runtime.extras[_SCEAU_PDF] = sceau
    return sceau


def avis_de(jws: str) -> AvisReception:
    """The stored avis (our own JWS, read back without re-verifying it)."""
    entete, charge, _signature = jws.split(".")
    header = json.loads(b64url_decode(entete))
    return AvisReception(jws=jws, contenu=json.loads(b64url_decode(charge)), kid=str(header["kid"]))


def signification(acte: Acte) -> Signification:
    if acte.envoye_le is None or acte.journal_index is None:
        raise ValueError("acte not sent")
    requerant = acte.requerant.get("nom") if isinstance(acte.requerant, dict) else None
    return Signification(
        acte_id=acte.id,
        sha256=acte.sha256,
        nature_libelle=NATURES.get(acte.nature, acte.nature),
        requerant=str(requerant or ""),
        reference_dossier=acte.reference_dossier,
        office_nom=acte.office_nom,
        commissaire_nom=acte.commissaire_nom,
        declaration_id=acte.declaration_id,
        envoye_le=acte.envoye_le,
        fuseau=acte.fuseau,
        repertoire_index=acte.journal_index,
    )


def certificat(acte: Acte) -> CertificatSignification:
    mode: Mode = "a_personne" if acte.mode == "a_personne" else "a_domicile"
    return CertificatSignification(
        signification=signification(acte),
        mode=mode,
        pris_connaissance_le=acte.pris_connaissance_le,
        lettre_simple_due_le=acte.lettre_simple_due_le,
        lettre_simple_envoyee_le=acte.lettre_simple_envoyee_le,
    )


def lettre(acte: Acte, *, acces_url: str, lieu: str) -> LettreSimple:
    if acte.lettre_simple_due_le is None:
        raise ValueError("no lettre simple due")
    return LettreSimple(
        signification=signification(acte),
        date_lettre=acte.lettre_simple_due_le,
        lieu=lieu,
        acces_url=acces_url,
    )
