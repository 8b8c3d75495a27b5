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
from reportlab.platypus import CondPageBreak, Flowable, Paragraph, Spacer

from shared.instants import date_longue, date_simple, instant_local, instant_utc, nom_heure_legale

from .avis_reception import AvisReception
from .faits import CertificatSignification, Signification
from .gabarit import Styles, encadre, lignes, tableau, texte


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


def avis_reception(avis: AvisReception, styles: Styles) -> list[Flowable]:
    c: dict[str, Any] = avis.contenu
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
                ("Déclaration de consentement du destinataire", f"n° {c['declaration_id']}"),
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
                        f"(déclaration n° {s.declaration_id})."
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
    histoire += _formalites(cert, styles)
    histoire += [
        Spacer(1, 6 * mm),
        Paragraph(
            texte(f"Certificat établi par la plateforme Signif le {instant_local(emis_le, s.fuseau)}."),
            styles.corps,
        ),
    ]
    return histoire


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


# -- the formalités, one by one (CPC 663) -------------------------------------------------------------

_CANAUX = {"email": "courrier électronique", "sms": "SMS"}


def _quand(valeur: datetime, fuseau: str) -> str:
    """Local legal time and UTC, as escaped markup for a table cell."""
    utc = texte(instant_utc(valeur))
    return f"{texte(instant_local(valeur, fuseau))}<br/><font color='#4A4A4A'>soit {utc}</font>"


def _rep(index: int | None) -> str:
    return f"répertoire n° {index}" if index is not None else "répertoire : non inscrit"


def _cellule(morceaux: list[str], styles: Styles) -> Paragraph:
    return Paragraph("<br/>".join(morceaux), styles.valeur)


def _formalites(cert: CertificatSignification, styles: Styles) -> list[Flowable]:
    """Every formalité with its date and hour in the destinataire's legal time and in UTC, and the
    répertoire entry that inscribes it: what CPC 663 asks the original to mention."""
    s, f = cert.signification, cert.formalites
    fuseau = s.fuseau
    rangees: list[tuple[str, Flowable | str]] = []
    c = f.consentement
    if c is not None:
        morceaux = [
            texte(f"Déclaration n° {c.declaration_id}" + (f", version {c.version}" if c.version else ""))
        ]
        if c.declaree_le is not None:
            morceaux.append(f"déposée le {_quand(c.declaree_le, fuseau)}")
        if c.natures:
            morceaux.append(texte("Actes couverts : " + ", ".join(c.natures)))
        if c.debut is not None:
            duree = f"du {date_longue(c.debut)}" + (f" au {date_longue(c.fin)}" if c.fin else ", sans terme")
            morceaux.append(
                texte(f"Consentement valable {duree} ; vérifié au registre à l'instant de l'envoi")
            )
        rangees.append(("Consentement du destinataire (art. 662-1, al. 2)", _cellule(morceaux, styles)))
    envoi = [_quand(s.envoye_le, fuseau)]
    if f.horodatage_envoi is not None:
        h = f.horodatage_envoi
        envoi.append(texte(f"Horodatage RFC 3161 : {instant_utc(h.date)}, par « {h.tsa} »"))
    envoi.append(texte(_rep(s.repertoire_index)))
    rangees.append(
        ("Envoi de l'acte, date et heure de la signification (art. 664-1)", _cellule(envoi, styles))
    )
    a = f.avis_mise_a_disposition
    if a is None:
        rangees.append(("Avis de mise à disposition (art. 748-3)", "aucun compte rendu d'envoi enregistré"))
    else:
        canal = _CANAUX.get(a.canal, a.canal)
        if a.statut == "envoye":
            morceaux = [f"remis au serveur de messagerie le {_quand(a.envoye_le, fuseau)}"]
            adresse = (
                f" à l'adresse déclarée {a.adresse_masquee}" if a.adresse_masquee else " à l'adresse déclarée"
            )
            morceaux.append(texte(f"par {canal}{adresse}"))
            if a.message_sha256:
                morceaux.append(
                    "empreinte SHA-256 du message remis :<br/>"
                    f"<font face='Courier' size='8'>{a.message_sha256}</font>"
                )
        else:
            morceaux = [texte(f"échec de l'envoi par {canal}, constaté le ") + _quand(a.envoye_le, fuseau)]
        morceaux.append(texte(_rep(a.repertoire_index)))
        rangees.append(("Avis de mise à disposition (art. 748-3)", _cellule(morceaux, styles)))
    if cert.pris_connaissance_le is not None:
        etiquette = (
            "Prise de connaissance, à personne (art. 663)"
            if cert.mode == "a_personne"
            else "Prise de connaissance ultérieure (sans effet sur le mode)"
        )
        morceaux = [_quand(cert.pris_connaissance_le, fuseau), texte(_rep(f.prise_index))]
        rangees.append((etiquette, _cellule(morceaux, styles)))
    pourquoi = (
        "le destinataire a pris connaissance de l'acte le jour de sa transmission"
        if cert.mode == "a_personne"
        else "aucune prise de connaissance le jour de la transmission"
    )
    mode = [
        texte(
            f"{'À personne' if cert.mode == 'a_personne' else 'À domicile'} : {pourquoi} (art. 662-1, al. 3)"
        )
    ]
    if f.mode_acquis_le is not None:
        mode.append(f"acquis à la fin du jour de la transmission, le {_quand(f.mode_acquis_le, fuseau)}")
    if f.mode_fixe_le is not None:
        mode.append(f"décision enregistrée le {_quand(f.mode_fixe_le, fuseau)}")
    mode.append(texte(_rep(f.mode_index)))
    rangees.append(("Mode de signification", _cellule(mode, styles)))
    if cert.lettre_simple_due_le is not None:
        lettre = [texte(f"À envoyer le {date_longue(cert.lettre_simple_due_le)} (premier jour ouvrable)")]
        if not f.envois_lettre:
            lettre.append(texte("Envoi postal : non encore enregistré"))
        corrige_par = {
            e.corrige_index: e.repertoire_index for e in f.envois_lettre if e.corrige_index is not None
        }
        for e in f.envois_lettre:
            if e.corrige_index is None:
                ligne = f"Postée le {date_longue(e.envoyee_le)} ; envoi enregistré le "
            else:
                ligne = (
                    f"Correction de l'entrée n° {e.corrige_index} : postée le {date_longue(e.envoyee_le)} "
                    f"(motif : « {e.motif} ») ; correction enregistrée le "
                )
            etat = (
                f" — corrigée par l'entrée n° {corrige_par[e.repertoire_index]}"
                if e.repertoire_index in corrige_par
                else ""
            )
            lettre.append(
                texte(ligne)
                + _quand(e.enregistre_le, fuseau)
                + "<br/>"
                + texte(_rep(e.repertoire_index) + etat)
            )
        rangees.append(("Lettre simple (art. 662-1, al. 3)", _cellule(lettre, styles)))
    d = s.derogation_664
    if d is None:
        derogation = "Aucune : envoi dans les heures et jours légaux (art. 664)"
    else:
        derogation = (
            f"Ordonnance {d.ordonnance}, {d.juridiction}, du {date_simple(d.date)} : envoi permis hors des "
            "heures et jours légaux (art. 664)"
        )
    rangees.append(("Dérogation du juge (art. 664)", derogation))
    return [
        CondPageBreak(70 * mm),  # never the heading alone at the foot of a page
        Paragraph("Formalités et diligences (article 663)", styles.section),
        Paragraph(
            texte(
                f"Dates et heures en {nom_heure_legale(fuseau)} ({fuseau}), heure légale du domicile du "
                "destinataire, puis en temps universel coordonné (UTC). Chaque formalité est inscrite au "
                "répertoire de la plateforme sous le numéro indiqué."
            ),
            styles.note,
        ),
        tableau(rangees, styles, largeur_etiquette=48 * mm),
    ]
