"""The certificat's table of formalités (CPC 663): each one with its date and hour in the destinataire's
legal time and in UTC, and the répertoire entry that inscribes it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Paragraph

from shared.instants import date_longue, date_simple, instant_local_court, instant_utc, nom_heure_legale

from .faits import CertificatSignification
from .gabarit import Styles, tableau, texte

_CANAUX = {"email": "courrier électronique", "sms": "SMS"}


def _quand(valeur: datetime, fuseau: str) -> str:
    """Local legal time (with its offset; the heading names the zone) and UTC, as escaped markup for
    a table cell."""
    utc = texte(instant_utc(valeur))
    return f"{texte(instant_local_court(valeur, fuseau))}<br/><font color='#4A4A4A'>soit {utc}</font>"


def _rep(index: int | None) -> str:
    return f"répertoire n° {index}" if index is not None else "répertoire : non inscrit"


def _cellule(morceaux: list[str], styles: Styles) -> Paragraph:
    return Paragraph("<br/>".join(morceaux), styles.valeur)


def formalites(
    cert: CertificatSignification, styles: Styles, *, conclusion: Sequence[Flowable] = ()
) -> list[Flowable]:
    """Every formalité with its date and hour in the destinataire's legal time and in UTC, and the
    répertoire entry that inscribes it: what CPC 663 asks the original to mention. `conclusion` (the
    closing line) is kept on the page of the table's last row, never alone on a page of its own."""
    s, f = cert.signification, cert.formalites
    fuseau = s.fuseau
    rangees: list[tuple[str, Flowable | str]] = []
    c = f.consentement
    if c is not None:
        morceaux = [
            texte(f"Déclaration n° {c.designation}" + (f", version {c.version}" if c.version else ""))
        ]
        if c.numero is not None:  # the id the avis de réception and the evidence bundle name it by
            morceaux.append(
                f"<font color='#4A4A4A'>identifiant au registre : </font>"
                f"<font face='Courier' size='8'>{texte(c.declaration_id)}</font>"
            )
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
    if f.mode_acquis_le is not None and cert.mode == "a_personne":
        # À personne rests on the prise de connaissance itself; the end of the day only closes it.
        mode.append(
            "établi par la prise de connaissance du jour même ; constaté à la fin du jour de la "
            f"transmission, le {_quand(f.mode_acquis_le, fuseau)}"
        )
    elif f.mode_acquis_le is not None:
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
                    f"(motif\u00a0: «\u00a0{e.motif}\u00a0») ; correction enregistrée le "
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
        tableau(rangees[:-1], styles, largeur_etiquette=48 * mm),
        KeepTogether([tableau(rangees[-1:], styles, largeur_etiquette=48 * mm), *conclusion]),
    ]
