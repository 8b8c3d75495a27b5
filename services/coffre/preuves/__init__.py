"""The legal documents the coffre issues: avis de réception (JWS), certificat de signification and
lettre simple (PDF sealed by the platform). Pure building blocks: the coffre service supplies the facts,
the seal, the TSA client and the clock's instant."""

from .avis_reception import (
    TYP,
    AvisReception,
    AvisReceptionInvalide,
    AvisVerifie,
    PriseDeConnaissance,
    contenu_sans_horodatage,
    emettre_avis_reception,
    empreinte_horodatee,
    json_canonique,
    verifier_avis_reception,
)
from .faits import CertificatSignification, Derogation664, LettreSimple, Mode, Signification
from .pdf import (
    avis_reception_pdf,
    certificat_pdf,
    lettre_simple_pdf,
    rendre_avis_reception,
    rendre_certificat,
    rendre_lettre_simple,
)
from .sceau import CHAMP_SCEAU, EmbeddedTimeStamper, SceauPdf, sceller_pdf

__all__ = [
    "CHAMP_SCEAU",
    "TYP",
    "AvisReception",
    "AvisReceptionInvalide",
    "AvisVerifie",
    "CertificatSignification",
    "Derogation664",
    "EmbeddedTimeStamper",
    "LettreSimple",
    "Mode",
    "PriseDeConnaissance",
    "SceauPdf",
    "Signification",
    "avis_reception_pdf",
    "certificat_pdf",
    "contenu_sans_horodatage",
    "emettre_avis_reception",
    "empreinte_horodatee",
    "json_canonique",
    "lettre_simple_pdf",
    "rendre_avis_reception",
    "rendre_certificat",
    "rendre_lettre_simple",
    "sceller_pdf",
    "verifier_avis_reception",
]
