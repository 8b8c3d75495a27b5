"""The e-mails notify sends, in French, each with a plain-text and an HTML part.

The avis de mise à disposition carries no content of the acte: only who served it (commissaire and
office), its nature, when it was made available, and the retrieval link (which alone never opens
the acte: the destinataire signs in). Every interpolated value is HTML-escaped in the HTML part.
Every instant is written by `shared.instants.instant_personne` in the destinataire's legal time zone
(her domicile's, as the coffre fixed it for the acte), the zone named: « mardi 8 décembre 2026 à 10 h 05
(heure de La Réunion) ».
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from shared.instants import date_longue, instant_personne
from shared.territoire import FUSEAU_METROPOLE

OBJETS_CODE = {
    "confirmation": ("Confirmez votre adresse électronique", "confirmer votre adresse électronique"),
    "connexion": ("Votre code de connexion", "vous connecter à votre espace"),
    "reinitialisation": ("Réinitialisation de votre mot de passe", "réinitialiser votre mot de passe"),
}


@dataclass(frozen=True)
class AvisContenu:
    commissaire_nom: str
    office_nom: str
    nature_libelle: str
    envoye_le: datetime
    lien: str
    expire_le: datetime | None
    fuseau: str = FUSEAU_METROPOLE  # the destinataire's legal zone (the acte's)


def message_vierge(*, expediteur: str, destinataire: str, objet: str, maintenant: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = expediteur
    message["To"] = destinataire
    message["Subject"] = objet
    message["Date"] = format_datetime(maintenant)
    domain = expediteur.rpartition("@")[2].strip(">") or "signif.localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    return message


def _html(titre: str, paragraphes: list[str]) -> str:
    corps = "\n".join(f"<p>{p}</p>" for p in paragraphes)
    return (
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
        f"<title>{html.escape(titre)}</title></head><body>\n{corps}\n</body></html>\n"
    )


def avis_mise_a_disposition(
    contenu: AvisContenu, *, expediteur: str, destinataire: str, maintenant: datetime
) -> EmailMessage:
    objet = "Un acte vous a été signifié par voie électronique"
    message = message_vierge(
        expediteur=expediteur, destinataire=destinataire, objet=objet, maintenant=maintenant
    )
    quand = instant_personne(contenu.envoye_le, contenu.fuseau)
    espace = contenu.lien.rsplit("/", 1)[0]  # the stable address of her space: …/coffre/retrait
    expiration = (
        f"Ce lien est valable jusqu'au {instant_personne(contenu.expire_le, contenu.fuseau)}."
        if contenu.expire_le
        else ""
    )
    texte = (
        "Bonjour,\n\n"
        f"{contenu.commissaire_nom}, commissaire de justice ({contenu.office_nom}), a mis à votre "
        f"disposition le {quand} un acte de nature « {contenu.nature_libelle} », signifié par voie "
        "électronique conformément à votre consentement.\n\n"
        f"Pour en prendre connaissance, ouvrez ce lien puis connectez-vous à votre compte :\n{contenu.lien}\n"
        f"{expiration}\n\n"
        "Ouvrir ce lien ne vaut pas prise de connaissance : seul le téléchargement de l'acte, après "
        "connexion, la constate.\n\n"
        "Sans ce lien, vos actes restent consultables à tout moment dans votre espace destinataire : "
        f"{espace}\n\n"
        "Ce message est envoyé automatiquement ; n'y répondez pas.\n"
    )
    e = html.escape
    paragraphes = [
        "Bonjour,",
        f"{e(contenu.commissaire_nom)}, commissaire de justice ({e(contenu.office_nom)}), a mis à votre "
        f"disposition le {e(quand)} un acte de nature « {e(contenu.nature_libelle)} », signifié par "
        "voie électronique conformément à votre consentement.",
        "Pour en prendre connaissance, ouvrez ce lien puis connectez-vous à votre compte :<br>"
        f'<a href="{e(contenu.lien)}">{e(contenu.lien)}</a>',
        e(expiration),
        "Ouvrir ce lien ne vaut pas prise de connaissance : seul le téléchargement de l'acte, après "
        "connexion, la constate.",
        "Sans ce lien, vos actes restent consultables à tout moment dans votre espace destinataire : "
        f'<a href="{e(espace)}">{e(espace)}</a>',
        "Ce message est envoyé automatiquement ; n'y répondez pas.",
    ]
    message.set_content(texte)
    message.add_alternative(_html(objet, [p for p in paragraphes if p]), subtype="html")
    return message


def code_a_usage_unique(
    *, code: str, objet: str, expediteur: str, destinataire: str, maintenant: datetime
) -> EmailMessage:
    sujet, but = OBJETS_CODE[objet]
    message = message_vierge(
        expediteur=expediteur, destinataire=destinataire, objet=sujet, maintenant=maintenant
    )
    texte = (
        "Bonjour,\n\n"
        f"Voici votre code à usage unique pour {but} : {code}\n\n"
        "Il expire dans quelques minutes. Si vous n'êtes pas à l'origine de cette demande, ignorez ce "
        "message.\n"
    )
    message.set_content(texte)
    message.add_alternative(
        _html(
            sujet,
            [
                "Bonjour,",
                f"Voici votre code à usage unique pour {html.escape(but)} : "
                f"<strong>{html.escape(code)}</strong>",
                "Il expire dans quelques minutes. Si vous n'êtes pas à l'origine de cette demande, "
                "ignorez ce message.",
            ],
        ),
        subtype="html",
    )
    return message


SUJET_VERROUILLAGE = "Votre compte a été verrouillé"


def compte_verrouille(
    *,
    jusqu_au: datetime,
    expediteur: str,
    destinataire: str,
    maintenant: datetime,
    fuseau: str = FUSEAU_METROPOLE,
) -> EmailMessage:
    """The owner's notice that her account locked after repeated failed attempts (no code in it)."""
    message = message_vierge(
        expediteur=expediteur, destinataire=destinataire, objet=SUJET_VERROUILLAGE, maintenant=maintenant
    )
    paragraphes = [
        "Bonjour,",
        "Plusieurs tentatives de connexion ou de réinitialisation du mot de passe de votre espace "
        "destinataire ont échoué : votre compte est verrouillé par précaution jusqu'au "
        f"{instant_personne(jusqu_au, fuseau)}. Pendant ce temps, aucun code n'est envoyé ni accepté.",
        "Si vous êtes à l'origine de ces tentatives, patientez puis réessayez. Sinon, quelqu'un essaie "
        "peut-être d'accéder à votre compte : ne communiquez jamais vos codes, et choisissez un nouveau "
        "mot de passe dès la fin du verrouillage. Votre jeton de gestion permet toujours d'accéder à vos "
        "déclarations.",
        "Ce message est envoyé automatiquement ; n'y répondez pas.",
    ]
    message.set_content("\n\n".join(paragraphes) + "\n")
    message.add_alternative(_html(SUJET_VERROUILLAGE, [html.escape(p) for p in paragraphes]), subtype="html")
    return message


SUJETS_DECLARATION = {
    "acceptee": "Votre déclaration de consentement est acceptée",
    "rejetee": "Votre déclaration de consentement n'a pas été acceptée",
    "fin_prochaine": "Votre consentement à la signification électronique prend fin dans 30 jours",
    "revoquee": "Votre consentement à la signification électronique est révoqué",
    "rectification_acceptee": "Votre rectification est acceptée",
    "rectification_rejetee": "Votre rectification n'a pas été acceptée",
}


@dataclass(frozen=True)
class AvisDeclaration:
    """What the declarant is told of her declaration (accepted, rejected, ending, revoked)."""

    sujet: str  # a key of SUJETS_DECLARATION
    numero: str
    instant: datetime  # of the decision, of the revocation; for `fin_prochaine`, of the notice
    fuseau: str
    adresse_espace: str  # the destinataire's space, absolute
    adresse_declaration: str  # the declaration form, absolute
    adresse_gestion: str = ""  # the personal space where declarations are managed and rectified, absolute
    motif: str | None = None
    fin: date | None = None


def _paragraphes_declaration(a: AvisDeclaration) -> list[str]:
    quand = instant_personne(a.instant, a.fuseau)
    if a.sujet == "acceptee":
        return [
            f"Votre déclaration n° {a.numero} a été vérifiée et acceptée le {quand}.",
            "Les commissaires de justice peuvent désormais vous signifier par voie électronique les actes "
            "que vous avez désignés. Vous recevrez un courriel à chaque acte mis à votre disposition.",
            f"Votre espace destinataire, avec vos actes et vos déclarations : {a.adresse_espace}",
        ]
    if a.sujet == "rejetee":
        return [
            f"Votre déclaration n° {a.numero} n'a pas été acceptée le {quand}.",
            f"Motif : {a.motif or 'non précisé'}.",
            "Ce que vous pouvez faire : déposer une nouvelle déclaration avec des pièces "
            f"justificatives lisibles, à jour et à votre nom : {a.adresse_declaration}",
            "Tant qu'aucune déclaration n'est acceptée, les actes vous sont signifiés par les voies "
            "habituelles.",
        ]
    if a.sujet == "fin_prochaine":
        fin = date_longue(a.fin) if a.fin else "bientôt"
        return [
            f"Votre déclaration n° {a.numero} prend fin le {fin}, au terme que vous aviez choisi.",
            "Après cette date, les actes vous seront signifiés par les voies habituelles (à personne, à "
            "domicile). Pour continuer à les recevoir par voie électronique, faites une nouvelle "
            f"déclaration : {a.adresse_declaration}",
        ]
    if a.sujet == "revoquee":
        return [
            f"Votre consentement à la signification électronique (déclaration n° {a.numero}) est "
            f"révoqué depuis le {quand}.",
            "Aucun acte ne peut plus vous être signifié par voie électronique en vertu de cette "
            "déclaration. Les actes déjà signifiés restent consultables dans votre espace "
            f"destinataire : {a.adresse_espace}",
            "Si vous n'êtes pas à l'origine de cette révocation, changez votre mot de passe depuis "
            "votre espace.",
        ]
    if a.sujet == "rectification_acceptee":
        return [
            f"La rectification de votre identité ou de votre domicile (déclaration n° {a.numero}) a été "
            f"vérifiée et acceptée le {quand} : elle est en vigueur depuis cet instant.",
            f"Motif de l'opérateur : {a.motif or 'non précisé'}.",
            f"Vos données et leur historique, dans votre espace personnel : {a.adresse_gestion}",
        ]
    if a.sujet == "rectification_rejetee":
        return [
            f"La rectification de votre identité ou de votre domicile (déclaration n° {a.numero}) n'a "
            f"pas été acceptée le {quand}.",
            f"Motif : {a.motif or 'non précisé'}.",
            "Votre déclaration reste en vigueur telle qu'elle était. Ce que vous pouvez faire : "
            "demander une nouvelle rectification, avec des pièces lisibles, à jour et à votre nom, "
            f"depuis votre espace personnel : {a.adresse_gestion}",
        ]
    raise ValueError(f"unknown subject: {a.sujet}")


def avis_declaration(
    a: AvisDeclaration, *, expediteur: str, destinataire: str, maintenant: datetime
) -> EmailMessage:
    objet = SUJETS_DECLARATION[a.sujet]
    message = message_vierge(
        expediteur=expediteur, destinataire=destinataire, objet=objet, maintenant=maintenant
    )
    paragraphes = [
        "Bonjour,",
        *_paragraphes_declaration(a),
        "Ce message est envoyé automatiquement ; n'y répondez pas.",
    ]
    message.set_content("\n\n".join(paragraphes) + "\n")
    message.add_alternative(_html(objet, [html.escape(p) for p in paragraphes]), subtype="html")
    return message
