"""The coffre's three PDF documents, rendered with reportlab and sealed with the platform's PAdES seal.

`rendre_*` lay out the unsigned PDF (pure functions of their inputs and of `emis_le`, the issue
instant used as creation date); `*_pdf` render and seal it (`sceau.sceller_pdf`, signing time
`emis_le`). Rendering runs on the calling thread: a document is one or two pages and takes a few
milliseconds.
"""

from __future__ import annotations

from datetime import datetime

from . import modele_lettre, modeles
from .avis_reception import AvisReception
from .faits import CertificatSignification, LettreSimple
from .gabarit import PIED_SCELLE, Styles, construire
from .sceau import SceauPdf, sceller_pdf

MOTIF_AVIS = "Avis électronique de réception (art. 748-3 CPC)"
MOTIF_CERTIFICAT = "Certificat de signification par voie électronique (art. 662-1, 663, 664-1 CPC)"
MOTIF_LETTRE = "Lettre simple (art. 662-1 CPC)"


def rendre_avis_reception(avis: AvisReception, *, emis_le: datetime, numero: str | None = None) -> bytes:
    """The avis de réception as an unsigned PDF: the JWS's facts, its `kid` and its SHA-256; the
    declaration named by its registration number `numero` (`RC-…`) when the envoi kept it."""
    return construire(
        modeles.avis_reception(avis, Styles(), numero=numero),
        titre="Avis électronique de réception",
        sujet=f"Acte {avis.contenu['acte_id']}",
        emis_le=emis_le,
        pied=PIED_SCELLE,
    )


def rendre_certificat(certificat: CertificatSignification, *, emis_le: datetime) -> bytes:
    """The certificat de signification as an unsigned PDF."""
    return construire(
        modeles.certificat(certificat, Styles(), emis_le=emis_le),
        titre="Certificat de signification",
        sujet=f"Acte {certificat.signification.acte_id}",
        emis_le=emis_le,
        pied=PIED_SCELLE,
    )


def rendre_lettre_simple(lettre: LettreSimple, *, emis_le: datetime) -> bytes:
    """The lettre simple as an unsigned PDF, laid out for a window envelope."""
    return construire(
        modele_lettre.lettre_simple(lettre, Styles()),
        titre="Lettre simple",
        sujet=f"Acte {lettre.signification.acte_id}",
        emis_le=emis_le,
        pied="Lettre simple prévue par l'article 662-1 du code de procédure civile — document établi par la "
        "plateforme Signif.",
        dessin_premiere_page=modele_lettre.blocs_adresse(lettre),
        en_tete=False,
    )


async def avis_reception_pdf(
    avis: AvisReception, *, sceau: SceauPdf, emis_le: datetime, numero: str | None = None
) -> bytes:
    """The avis de réception, sealed."""
    return await sceller_pdf(
        rendre_avis_reception(avis, emis_le=emis_le, numero=numero), sceau, le=emis_le, motif=MOTIF_AVIS
    )


async def certificat_pdf(certificat: CertificatSignification, *, sceau: SceauPdf, emis_le: datetime) -> bytes:
    """The certificat de signification, sealed."""
    return await sceller_pdf(
        rendre_certificat(certificat, emis_le=emis_le), sceau, le=emis_le, motif=MOTIF_CERTIFICAT
    )


async def lettre_simple_pdf(lettre: LettreSimple, *, sceau: SceauPdf, emis_le: datetime) -> bytes:
    """The lettre simple, sealed."""
    return await sceller_pdf(
        rendre_lettre_simple(lettre, emis_le=emis_le), sceau, le=emis_le, motif=MOTIF_LETTRE
    )
