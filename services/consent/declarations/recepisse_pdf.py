"""The récépissé of a declaration as a sealed PDF, for the declarant to keep and show.

What it states is the sealed récépissé issued at submission (`soumission.py`, a compact JWS kept as
issued): the registration number, the instant of submission in her legal time with the zone named,
the natures and period, the legal text shown (version, SHA-256) and the version's engagement; the JWS
itself is printed in full, so the PDF can be checked against the registry's JWKS. No personal data
beyond what the récépissé holds (no name, no address). The PDF is laid out by reportlab (Bitstream
Vera, shipped with reportlab) and sealed by the platform's PAdES seal (`shared.sceau_pdf`) at the
instant of the download, which the PDF states. Development seals with the development seal
certificate (`shared.devpki`); production seals with the PKCS#12 `SIGNIF_SEAL_PKCS12` names (the
platform's one seal, the coffre's too), and answers 503 `sceau-indisponible` without one.
"""

from __future__ import annotations

import base64
import io
import json
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from services.consent.declarations.soumission import RECEPISSE_TYP
from services.consent.models import Declaration
from services.consent.registre import Registre
from shared.errors import Introuvable
from shared.instants import date_simple, instant_personne
from shared.natures import NATURES, TOUTES_NATURES
from shared.sceau_pdf import SceauPdf, sceller_pdf, signataire_sceau

MOTIF = "Récépissé de déclaration de consentement à la signification électronique (CPC 748-2)"
_POLICE, _GRASSE = "RecepisseVera", "RecepisseVera-Gras"


@cache
def _polices() -> None:
    dossier = Path(reportlab.__file__).parent / "fonts"
    pdfmetrics.registerFont(TTFont(_POLICE, str(dossier / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(_GRASSE, str(dossier / "VeraBd.ttf")))
    pdfmetrics.registerFontFamily(_POLICE, normal=_POLICE, bold=_GRASSE, italic=_POLICE, boldItalic=_GRASSE)


def contenu(jws: str) -> dict[str, Any]:
    """The récépissé's facts, read from its JWS payload (issued by this registry, kept as issued)."""
    charge = jws.split(".")[1]
    donnees: dict[str, Any] = json.loads(_b64(charge))
    return donnees


def _b64(texte: str) -> bytes:
    return base64.urlsafe_b64decode(texte + "=" * (-len(texte) % 4))


def rendre(declaration: Declaration, fuseau: str, *, emis_le: datetime) -> bytes:
    """The unsigned PDF of the declaration's récépissé."""
    if declaration.recepisse_jws is None:
        raise Introuvable("Aucun récépissé conservé pour cette déclaration.")
    _polices()
    jws = declaration.recepisse_jws
    faits = contenu(jws)
    corps = ParagraphStyle("corps", fontName=_POLICE, fontSize=10, leading=14, alignment=TA_LEFT)
    titre = ParagraphStyle("titre", parent=corps, fontName=_GRASSE, fontSize=15, leading=20)
    mono = ParagraphStyle("mono", parent=corps, fontName="Courier", fontSize=7, leading=9)
    natures = faits.get("natures") or []
    libelle = (
        "tous les actes"
        if TOUTES_NATURES in natures
        else ", ".join(NATURES.get(str(n), str(n)) for n in natures)
    )
    debut = date.fromisoformat(str(faits["debut"]))
    fin = faits.get("fin")
    soumise = datetime.fromisoformat(str(faits["soumise_le"]).replace("Z", "+00:00"))
    mentions = faits.get("mentions") or {}
    lignes = [
        ("Numéro d'enregistrement", str(faits["numero"])),
        ("Reçue le", instant_personne(soumise, fuseau)),
        ("Actes concernés", libelle),
        (
            "Période",
            f"du {date_simple(debut)} au {date_simple(date.fromisoformat(fin))}"
            if fin
            else f"à partir du {date_simple(debut)}, sans date de fin",
        ),
        ("Dispositions légales affichées", f"version {mentions.get('version', '')}"),
        ("Leur empreinte SHA-256", str(mentions.get("sha256", ""))),
        ("Version de la déclaration", f"{faits.get('version')} (engagement {faits.get('engagement', '')})"),
    ]
    histoire: list[Any] = [
        Paragraph("Récépissé de déclaration de consentement à la signification électronique", titre),
        Spacer(1, 4 * mm),
        Paragraph(
            "Le registre des consentements a reçu la déclaration ci-dessous. Elle prend effet une fois "
            "vérifiée et acceptée par l'opérateur du registre ; un courriel vous annonce sa décision.",
            corps,
        ),
        Spacer(1, 3 * mm),
    ]
    for libelle_ligne, valeur in lignes:
        histoire.append(Paragraph(f"<b>{escape(libelle_ligne)} :</b> {escape(valeur)}", corps))
    histoire += [
        Spacer(1, 5 * mm),
        Paragraph(
            f"<b>Récépissé scellé</b> (JWS compact, type {RECEPISSE_TYP}, vérifiable avec les clés "
            "publiques du registre, GET /consent/v1/.well-known/sceau.jwks.json) :",
            corps,
        ),
        Paragraph(escape(" ".join(jws[i : i + 90] for i in range(0, len(jws), 90))), mono),
        Spacer(1, 5 * mm),
        Paragraph(
            f"Document émis le {escape(instant_personne(emis_le, fuseau))} et scellé électroniquement par "
            "la plateforme Signif (cachet PAdES) : toute modification l'invalide.",
            corps,
        ),
    ]
    sortie = io.BytesIO()
    doc = SimpleDocTemplate(
        sortie,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"Récépissé {faits['numero']}",
        author="Signif, registre des consentements",
        invariant=True,
        lang="fr-FR",
    )
    doc.build(histoire)
    return sortie.getvalue()


async def recepisse_pdf(registre: Registre, declaration: Declaration, fuseau: str, *, now: datetime) -> bytes:
    """The récépissé as a PDF sealed now by the platform's seal."""
    signer = signataire_sceau(registre.settings, now=now)
    pdf = rendre(declaration, fuseau, emis_le=now)
    sceau = SceauPdf(signer=signer)
    return await sceller_pdf(pdf, sceau, le=now, motif=MOTIF)
