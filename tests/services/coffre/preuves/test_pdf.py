"""The three sealed PDFs: they parse, say what the law requires in French, and their seal validates."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from services.coffre.documents import SignatureInvalide, SignatureVerifiee, load_trust_roots
from services.coffre.documents.signatures import verify_signatures
from services.coffre.preuves import (
    AvisReception,
    CertificatSignification,
    Derogation664,
    LettreSimple,
    PriseDeConnaissance,
    avis_reception_pdf,
    certificat_pdf,
    emettre_avis_reception,
    lettre_simple_pdf,
    rendre_certificat,
)
from shared.devpki import DEV_CA_NAME, DEV_SEAL_NAME

from .conftest import (
    CHECKPOINT,
    EMISSION,
    ENVOI,
    LENDEMAIN,
    PRISE,
    SHA256_ACTE,
    VALIDATION,
    Plateforme,
    signification,
)
from .texte_pdf import texte_normalise

LOCAL_ENVOI = "lundi 16 mars 2026 à 9 h 30 min 05 s (heure légale de la Guadeloupe, UTC−04:00)"
LOCAL_PRISE = "lundi 16 mars 2026 à 16 h 12 min 44 s (heure légale de la Guadeloupe, UTC−04:00)"
MENTION_CONSENTEMENT = (
    "Le destinataire a consenti à la signification par voie électronique (déclaration n° decl-2026-000123)."
)


async def valider_sceau(pdf: bytes, plateforme: Plateforme) -> SignatureVerifiee:
    """The coffre's own PAdES checks (as for a deposited acte, without the PDF/A gate)."""
    lecteur = PdfFileReader(io.BytesIO(pdf), strict=True)
    racines = load_trust_roots(plateforme.racines())
    signatures, _ = await verify_signatures(
        lecteur, trust_roots=racines, at=VALIDATION, revocation="soft-fail"
    )
    assert len(signatures) == 1
    return signatures[0]


def pages(pdf: bytes) -> int:
    return int(PdfFileReader(io.BytesIO(pdf), strict=True).root["/Pages"]["/Count"])


def assert_scelle(sceau: SignatureVerifiee, *, horodate: bool = True) -> None:
    assert sceau.champ == "CachetSignif"
    assert (sceau.signataire, sceau.emetteur) == (DEV_SEAL_NAME, DEV_CA_NAME)
    assert sceau.intact
    assert sceau.valide
    assert sceau.couverture == "entire_file"
    assert sceau.source_heure == ("horodatage" if horodate else "declaree")
    assert sceau.signe_le == EMISSION


async def emettre_avis(plateforme: Plateforme) -> AvisReception:
    plateforme.horloge.instant = PRISE + timedelta(seconds=1)
    faits = PriseDeConnaissance(
        acte_id="0b5e4c1e-7d1a-4a53-9b0e-3c1f2a9d8e71",
        sha256=SHA256_ACTE,
        declaration_id="decl-2026-000123",
        envoye_le=ENVOI,
        pris_connaissance_le=PRISE,
        fuseau="America/Guadeloupe",
        repertoire_index=4711,
        repertoire_checkpoint=CHECKPOINT,
    )
    avis = await emettre_avis_reception(faits, sceau=plateforme.sceau_jws, horodatage=plateforme.horodatage)
    plateforme.horloge.instant = EMISSION
    return avis


async def test_avis_de_reception_pdf(plateforme: Plateforme) -> None:
    avis = await emettre_avis(plateforme)

    pdf = await avis_reception_pdf(avis, sceau=plateforme.sceau_pdf(), emis_le=EMISSION)

    assert pages(pdf) == 1
    texte = texte_normalise(pdf)
    for attendu in (
        "Avis électronique de réception",
        "Article 748-3 du code de procédure civile",
        "0b5e4c1e-7d1a-4a53-9b0e-3c1f2a9d8e71",
        SHA256_ACTE,
        "n° decl-2026-000123",
        LOCAL_ENVOI,
        "soit 2026-03-16 13:30:05 UTC",
        LOCAL_PRISE,
        "soit 2026-03-16 20:12:44 UTC",
        "heure légale de la Guadeloupe (America/Guadeloupe)",
        "n° 4711",
        "signif.example/coffre/repertoire 4712",
        "2026-03-16 20:12:45 UTC, par « Signif TSA de développement (non qualifiée) »",
        avis.contenu["horodatage"]["empreinte"],
        avis.kid,
        avis.sha256_jws,
    ):
        assert attendu in texte, attendu
    assert_scelle(await valider_sceau(pdf, plateforme))


async def test_certificat_a_personne(plateforme: Plateforme) -> None:
    certificat = CertificatSignification(
        signification=signification(), mode="a_personne", pris_connaissance_le=PRISE
    )

    pdf = await certificat_pdf(certificat, sceau=plateforme.sceau_pdf(), emis_le=EMISSION)

    assert pages(pdf) == 2  # the narrative, then the formalités one by one (CPC 663)
    texte = texte_normalise(pdf)
    for attendu in (
        "Certificat de signification par voie électronique",
        MENTION_CONSENTEMENT,
        f"transmis à son destinataire par voie électronique le {LOCAL_ENVOI}, soit 2026-03-16 13:30:05 UTC",
        "Ces date et heure sont celles de la signification (article 664-1 du code de procédure civile)",
        "Signification faite à personne.",
        f"pris connaissance de l'acte le {LOCAL_PRISE}, soit 2026-03-16 20:12:44 UTC, le jour même",
        "articles 662-1, alinéa 3, et 663",
        "Office SELARL Démo Justice",
        "Commissaire de justice Maître Camille Démo",
        "Requérant SCI Les Tamariniers",
        "Nature de l'acte Signification d'un jugement",
        "Référence du dossier 2026/0042",
        SHA256_ACTE,
        "entrée n° 4702",
    ):
        assert attendu in texte, attendu
    assert "à domicile" not in texte.lower()
    assert "Lettre simple" not in texte
    assert_scelle(await valider_sceau(pdf, plateforme))


async def test_certificat_a_domicile(plateforme: Plateforme) -> None:
    derogation = Derogation664(
        ordonnance="RG 26/00017", juridiction="tribunal judiciaire de Pointe-à-Pitre", date=date(2026, 3, 13)
    )
    certificat = CertificatSignification(
        signification=signification(derogation_664=derogation),
        mode="a_domicile",
        lettre_simple_due_le=LENDEMAIN,
        lettre_simple_envoyee_le=LENDEMAIN,
        pris_connaissance_le=PRISE + timedelta(days=2),
    )

    pdf = await certificat_pdf(certificat, sceau=plateforme.sceau_pdf(), emis_le=EMISSION)

    texte = texte_normalise(pdf)
    for attendu in (
        MENTION_CONSENTEMENT,
        LOCAL_ENVOI,
        "Signification faite à domicile.",
        "n'a pas pris connaissance de l'acte le jour de sa transmission",
        "Lettre simple à envoyer le mardi 17 mars 2026 (premier jour ouvrable suivant la transmission)",
        "Lettre simple envoyée le mardi 17 mars 2026",
        "Prise de connaissance ultérieure mercredi 18 mars 2026 à 16 h 12 min 44 s",
        "sans effet sur le mode de signification",
        "ordonnance RG 26/00017, tribunal judiciaire de Pointe-à-Pitre, du 13 mars 2026",
    ):
        assert attendu in texte, attendu
    assert "à personne" not in texte
    assert_scelle(await valider_sceau(pdf, plateforme))

    pas_encore = CertificatSignification(
        signification=signification(), mode="a_domicile", lettre_simple_due_le=LENDEMAIN
    )
    texte = texte_normalise(rendre_certificat(pas_encore, emis_le=EMISSION))
    assert "Lettre simple envoyée le envoi non encore enregistré" in texte
    assert "ultérieure" not in texte
    assert "ordonnance" not in texte


async def test_certificat_for_a_paris_destinataire_around_midnight(plateforme: Plateforme) -> None:
    envoi = datetime(2026, 3, 16, 20, 59, 59, tzinfo=UTC)  # 21 h 59 in Paris
    prise = datetime(2026, 3, 16, 23, 0, 0, tzinfo=UTC)  # midnight in Paris: the next day
    certificat = CertificatSignification(
        signification=signification(envoye_le=envoi, fuseau="Europe/Paris"),
        mode="a_domicile",
        lettre_simple_due_le=LENDEMAIN,
        pris_connaissance_le=prise,
    )

    texte = texte_normalise(rendre_certificat(certificat, emis_le=EMISSION))

    assert (
        "lundi 16 mars 2026 à 21 h 59 min 59 s (heure légale de la France métropolitaine, UTC+01:00), "
        "soit 2026-03-16 20:59:59 UTC"
    ) in texte
    assert (
        "mardi 17 mars 2026 à 0 h 00 min 00 s (heure légale de la France métropolitaine, UTC+01:00)" in texte
    )


async def test_lettre_simple(plateforme: Plateforme) -> None:
    lettre = LettreSimple(
        signification=signification(),
        date_lettre=LENDEMAIN,
        lieu="Pointe-à-Pitre",
        acces_url="https://signif.example/coffre/retrait",
        destinataire=("Madame Jeanne Exemple", "12 rue des Flamboyants", "97110 Pointe-à-Pitre"),
        expediteur=("3 place de la Victoire", "97110 Pointe-à-Pitre"),
    )

    pdf = await lettre_simple_pdf(lettre, sceau=plateforme.sceau_pdf(), emis_le=EMISSION)

    assert pages(pdf) == 1
    texte = texte_normalise(pdf)
    for attendu in (
        "SELARL Démo Justice",
        "Madame Jeanne Exemple 12 rue des Flamboyants 97110 Pointe-à-Pitre",
        "Pointe-à-Pitre, le 17 mars 2026",
        "Objet : signification d'un acte par voie électronique",
        "un acte vous a été signifié par voie électronique, conformément à l'article 662-1 du code",
        "Nature de l'acte Signification d'un jugement",
        "Requérant SCI Les Tamariniers",
        f"Date et heure de la signification {LOCAL_ENVOI}",
        "Référence de l'acte 0b5e4c1e-7d1a-4a53-9b0e-3c1f2a9d8e71",
        "https://signif.example/coffre/retrait",
        "ne reproduit pas le contenu de l'acte",
        "Maître Camille Démo Commissaire de justice",
    ):
        assert attendu in texte, attendu
    assert SHA256_ACTE not in texte  # no content of the acte, no consent identifier
    assert "decl-2026-000123" not in texte
    assert_scelle(await valider_sceau(pdf, plateforme))

    sans_adresse = LettreSimple(
        signification=signification(),
        date_lettre=LENDEMAIN,
        lieu="Paris",
        acces_url="https://signif.example/coffre/retrait",
    )
    pdf = await lettre_simple_pdf(sans_adresse, sceau=plateforme.sceau_pdf(horodate=False), emis_le=EMISSION)
    assert "Nom et adresse du destinataire (à compléter par l'office)" in texte_normalise(pdf)
    assert_scelle(await valider_sceau(pdf, plateforme), horodate=False)


async def test_the_seal_breaks_when_a_byte_changes_and_needs_a_trusted_root(plateforme: Plateforme) -> None:
    certificat = CertificatSignification(
        signification=signification(), mode="a_personne", pris_connaissance_le=PRISE
    )
    pdf = await certificat_pdf(certificat, sceau=plateforme.sceau_pdf(horodate=False), emis_le=EMISSION)

    altere = bytearray(pdf)
    altere[len(pdf) // 3] ^= 0x01  # inside the page content, well before the appended seal
    with pytest.raises(SignatureInvalide) as refus:
        await valider_sceau(bytes(altere), plateforme)
    assert refus.value.controle == "integrite"

    lecteur = PdfFileReader(io.BytesIO(pdf), strict=True)
    with pytest.raises(SignatureInvalide) as refus:
        await verify_signatures(
            lecteur,
            trust_roots=load_trust_roots([plateforme.tsa_racine]),
            at=VALIDATION,
            revocation="soft-fail",
        )
    assert refus.value.controle == "chaine-de-confiance"


def test_rendering_is_deterministic() -> None:
    certificat = CertificatSignification(
        signification=signification(), mode="a_personne", pris_connaissance_le=PRISE
    )

    premier = rendre_certificat(certificat, emis_le=EMISSION)

    assert rendre_certificat(certificat, emis_le=EMISSION) == premier
    assert b"/CreationDate (D:20260316201246+00'00')" in premier
    assert b"/Lang (fr-FR)" in premier
