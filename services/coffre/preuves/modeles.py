"""The three documents' text and layout, in French (templates in code, laid out by `gabarit`).

- avis de réception: the facts of the JWS payload, plus the JWS `kid` and the SHA-256 of the JWS,
  so the paper and the electronic avis can be matched;
- certificat de signification: the mentions of CPC 662-1 al. 2 (consent), 664-1 (date and hour of the
  envoi) and 663 (date and hour of the prise de connaissance à personne, or the lettre simple's
  dates à domicile), and the identification of the acte;
- lettre simple: CPC 662-1 al. 3 — delivered electronically, nature, requérant, date and hour, how to
  reach the acte; never its content.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer

from shared.instants import date_longue, date_simple, instant_local, instant_utc, nom_heure_legale

from .avis_reception import AvisReception
from .faits import CertificatSignification, Signification
from .gabarit import Styles, encadre, lignes, tableau, texte
from .modele_formalites import formalites


def _instant(valeur: datetime, fuseau: str, styles: Styles) -> Paragraph:
    return Paragraph(
        f"{texte(instant_local(valeur, fuseau))}<br/>"
        f"<font color='#4A4A4A'>soit {texte(instant_utc(valeur))}</font>",
        styles.valeur,
    )


def _mono(valeur: str, styles: Styles) -> Paragraph:
    return Paragraph(texte(valeur), styles.mono)


def _titre(titre: str, sous_titre: str, styles: Styles) -> list[Flowable]:
    return [
        Paragraph(texte(titre), styles.titre),
        Paragraph(sous_titre, styles.sous_titre),
        Spacer(1, 4 * mm),
    ]


# -- avis de réception -----------------------------------------------------------------------------


def avis_reception(avis: AvisReception, styles: Styles, *, numero: str | None = None) -> list[Flowable]:
    """The avis's facts; the declaration by its registration number `numero` when known, with the
    registry id the JWS carries (the one the certificat and the evidence bundle also print)."""
    c: dict[str, Any] = avis.contenu
    declaration: Paragraph | str = f"n° {c['declaration_id']}"
    if numero is not None:
        declaration = Paragraph(
            f"n° {texte(numero)}<br/><font color='#4A4A4A'>identifiant au registre : </font>"
            f"<font face='Courier' size='8'>{texte(str(c['declaration_id']))}</font>",
            styles.valeur,
        )
    fuseau = str(c["fuseau"])
    envoye = datetime.fromisoformat(str(c["envoye_le"]))
    pris = datetime.fromisoformat(str(c["pris_connaissance_le"]))
    horodatage = c["horodatage"]
    return [
        *_titre(
            "Avis électronique de réception",
            "Article 748-3 du code de procédure civile — avis émis automatiquement par la plateforme",
            styles,
        ),
        Paragraph(
            "La plateforme Signif atteste que le destinataire de l'acte désigné ci-dessous en a pris "
            "connaissance en le téléchargeant depuis son espace sécurisé, après authentification. "
            "Cet avis tient lieu de visa, cachet et signature (article 748-3, alinéa 2).",
            styles.corps,
        ),
        Paragraph("Acte", styles.section),
        tableau(
            [
                ("Identifiant de l'acte", _mono(str(c["acte_id"]), styles)),
                ("Empreinte SHA-256 de l'acte", _mono(str(c["sha256"]), styles)),
                ("Déclaration de consentement du destinataire", declaration),
            ],
            styles,
        ),
        Paragraph("Dates et heures", styles.section),
        tableau(
            [
                (
                    "Envoi de l'acte (date et heure de la signification, art. 664-1)",
                    _instant(envoye, fuseau, styles),
                ),
                ("Prise de connaissance par le destinataire", _instant(pris, fuseau, styles)),
                ("Fuseau légal du destinataire", f"{nom_heure_legale(fuseau)} ({fuseau})"),
            ],
            styles,
        ),
        Paragraph("Répertoire de la plateforme", styles.section),
        tableau(
            [
                ("Entrée inscrivant la prise de connaissance", f"n° {c['repertoire']['index']}"),
                (
                    "Point de contrôle signé (checkpoint)",
                    Paragraph(lignes(str(c["repertoire"]["checkpoint"])), styles.mono_petit),
                ),
            ],
            styles,
        ),
        Paragraph("Horodatage et scellement électronique", styles.section),
        tableau(
            [
                (
                    "Horodatage RFC 3161",
                    f"{instant_utc(datetime.fromisoformat(str(horodatage['date'])))}, "
                    f"par « {horodatage['tsa']} »",
                ),
                ("Empreinte horodatée (SHA-256)", _mono(str(horodatage["empreinte"]), styles)),
                ("Avis électronique (JWS), clé « kid »", _mono(avis.kid, styles)),
                ("Empreinte SHA-256 du JWS", _mono(avis.sha256_jws, styles)),
            ],
            styles,
        ),
        Spacer(1, 4 * mm),
        Paragraph(
            "L'avis électronique est un JWS (RFC 7515, EdDSA) vérifiable hors ligne avec les clés "
            "publiées par la plateforme (/coffre/v1/.well-known/jwks.json). L'empreinte horodatée est "
            "le SHA-256 du contenu JSON canonique de l'avis (clés triées, sans espaces), horodatage exclu.",
            styles.note,
        ),
    ]


# -- certificat de signification -------------------------------------------------------------------


def _identification(s: Signification, styles: Styles) -> list[Flowable]:
    rangees: list[tuple[str, Flowable | str]] = [
        ("Office", s.office_nom),
        ("Commissaire de justice", s.commissaire_nom),
        ("Requérant", s.requerant),
        ("Nature de l'acte", s.nature_libelle),
        ("Référence du dossier", s.reference_dossier),
        ("Identifiant de l'acte", _mono(s.acte_id, styles)),
        ("Empreinte SHA-256 de l'acte", _mono(s.sha256, styles)),
        ("Répertoire de la plateforme", f"entrée n° {s.repertoire_index} (envoi de l'acte)"),
    ]
    return [Paragraph("Acte signifié", styles.section), tableau(rangees, styles)]


def certificat(cert: CertificatSignification, styles: Styles, *, emis_le: datetime) -> list[Flowable]:
    s = cert.signification
    histoire: list[Flowable] = [
        *_titre(
            "Certificat de signification par voie électronique",
            "Articles 653, 662-1, 663 et 664-1 du code de procédure civile",
            styles,
        ),
        *_identification(s, styles),
        Spacer(1, 5 * mm),
        encadre(
            [
                Paragraph(
                    texte(
                        "Le destinataire a consenti à la signification par voie électronique "
                        f"(déclaration n° {_declaration(cert)})."
                    ),
                    styles.mention,
                ),
                Paragraph(
                    "Article 662-1, alinéa 2, et articles 748-1 et suivants du code de procédure civile.",
                    styles.note,
                ),
            ]
        ),
        Paragraph("Signification", styles.section),
        Paragraph(
            texte(
                "L'acte a été transmis à son destinataire par voie électronique le "
                f"{instant_local(s.envoye_le, s.fuseau)}, soit {instant_utc(s.envoye_le)}. "
                "Ces date et heure sont celles de la signification "
                "(article 664-1 du code de procédure civile)."
            ),
            styles.corps,
        ),
    ]
    if s.derogation_664 is not None:
        d = s.derogation_664
        histoire.append(Spacer(1, 2 * mm))
        histoire.append(
            Paragraph(
                texte(
                    "Signification hors des heures légales permise par le juge (article 664) : ordonnance "
                    f"{d.ordonnance}, {d.juridiction}, du {date_simple(d.date)}."
                ),
                styles.corps,
            )
        )
    histoire += [Paragraph("Mode de signification", styles.section), *_mode(cert, styles)]
    conclusion = [
        Spacer(1, 6 * mm),
        Paragraph(
            texte(f"Certificat établi par la plateforme Signif le {instant_local(emis_le, s.fuseau)}."),
            styles.corps,
        ),
    ]
    return histoire + formalites(cert, styles, conclusion=conclusion)


def _declaration(cert: CertificatSignification) -> str:
    """The consent declaration as the certificat names it: its number `RC-…` when the registry gave
    it at the envoi, else (actes sent before) its id."""
    c = cert.formalites.consentement
    return c.designation if c is not None else cert.signification.declaration_id


def _mode(cert: CertificatSignification, styles: Styles) -> list[Flowable]:
    s = cert.signification
    if cert.mode == "a_personne" and cert.pris_connaissance_le is not None:
        return [
            encadre(
                [
                    Paragraph("Signification faite à personne.", styles.mention),
                    Paragraph(
                        texte(
                            "Le destinataire a pris connaissance de l'acte le "
                            f"{instant_local(cert.pris_connaissance_le, s.fuseau)}, soit "
                            f"{instant_utc(cert.pris_connaissance_le)}, le jour même de sa transmission "
                            "(articles 662-1, alinéa 3, et 663 du code de procédure civile)."
                        ),
                        styles.corps,
                    ),
                ]
            )
        ]
    if cert.lettre_simple_due_le is None:  # pragma: no cover - CertificatSignification refuses it
        raise ValueError("incomplete certificat")
    envoyee = (
        date_longue(cert.lettre_simple_envoyee_le)
        if cert.lettre_simple_envoyee_le is not None
        else "envoi non encore enregistré"
    )
    rangees: list[tuple[str, Flowable | str]] = [
        (
            "Lettre simple à envoyer le",
            f"{date_longue(cert.lettre_simple_due_le)} (premier jour ouvrable suivant la transmission)",
        ),
        ("Lettre simple envoyée le", envoyee),
    ]
    if cert.pris_connaissance_le is not None:
        rangees.append(
            (
                "Prise de connaissance ultérieure",
                Paragraph(
                    f"{texte(instant_local(cert.pris_connaissance_le, s.fuseau))}<br/>"
                    "<font color='#4A4A4A'>sans effet sur le mode de signification</font>",
                    styles.valeur,
                ),
            )
        )
    return [
        encadre(
            [
                Paragraph("Signification faite à domicile.", styles.mention),
                Paragraph(
                    "Le destinataire n'a pas pris connaissance de l'acte le jour de sa transmission. "
                    "Il est avisé de la signification par lettre simple mentionnant sa délivrance par voie "
                    "électronique, la nature de l'acte et le nom du requérant (article 662-1, alinéa 3, du "
                    "code de procédure civile).",
                    styles.corps,
                ),
            ]
        ),
        Spacer(1, 3 * mm),
        tableau(rangees, styles),
    ]
