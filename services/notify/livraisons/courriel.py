"""Delivery of an office's events by e-mail (a `mailto:` subscription), beside or instead of webhooks.

The same durable delivery as a webhook (same retry schedule, every attempt recorded), but the
attempt is an SMTP sending: success is the server accepting the message (code 250), a refusal or a
transport error is a failed attempt retried later. The message says in French what happened to which
acte and when; for `acte.pris_connaissance` it carries the avis de réception as a JWS attachment
(verifiable against the coffre's JWKS) — never the acte itself.
"""

from __future__ import annotations

import html
import json
import time
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from services.notify.courriel.mailer import EnvoiImpossible, Mailer
from services.notify.courriel.messages import message_vierge
from services.notify.livraisons.envoi import Resultat
from shared.instants import instant_local
from shared.territoire import FUSEAU_METROPOLE

_OBJETS = {
    "acte.envoye": "Acte mis à disposition du destinataire",
    "acte.pris_connaissance": "Avis de réception : le destinataire a pris connaissance de l'acte",
    "acte.mode_fixe": "Mode de la signification fixé",
    "notification.echec": "Échec de l'avis de mise à disposition au destinataire",
}
_MODES = {"a_personne": "à personne", "a_domicile": "à domicile"}


def _date(valeur: Any, donnees: dict[str, Any]) -> str:
    """The instant as the office's documents state it: to the second, in the destinataire's legal time
    (the zone in which the law's days are counted: a Réunion destinataire's 01:30 is the next day,
    whatever Paris says), zone and UTC offset named. Events recorded before they carried `fuseau`
    are written in metropolitan time, zone named."""
    instant = datetime.fromisoformat(str(valeur).replace("Z", "+00:00"))
    fuseau = donnees.get("fuseau")
    return instant_local(instant, fuseau if isinstance(fuseau, str) and fuseau else FUSEAU_METROPOLE)


def _lignes(type_: str, donnees: dict[str, Any]) -> list[str]:
    acte = f"Acte {donnees.get('acte_id', '?')}"
    if type_ == "acte.envoye":
        nature = donnees.get("nature_libelle", donnees.get("nature", ""))
        return [
            f"{acte} ({nature}) a été envoyé au destinataire le {_date(donnees['envoye_le'], donnees)} : "
            "c'est l'instant de la signification.",
        ]
    if type_ == "acte.pris_connaissance":
        return [
            f"Le destinataire a pris connaissance de l'{acte[0].lower()}{acte[1:]} "
            f"le {_date(donnees['pris_connaissance_le'], donnees)}.",
            f"Empreinte SHA-256 de l'acte : {donnees.get('sha256', '')}.",
            "L'avis électronique de réception scellé est joint (JWS) ; il se vérifie avec les clés publiées "
            "par le coffre (/coffre/v1/.well-known/jwks.json).",
        ]
    if type_ == "acte.mode_fixe":
        lignes = [f"{acte} : signification {_MODES.get(str(donnees.get('mode')), donnees.get('mode'))}."]
        if donnees.get("lettre_simple_due_le"):
            lignes.append(f"La lettre simple est à envoyer le {donnees['lettre_simple_due_le']}.")
        return lignes
    if type_ == "notification.echec":
        return [f"{acte} : {donnees.get('detail', 'l’avis n’a pas pu être remis au destinataire.')}"]
    return [f"Événement {type_} : {json.dumps(donnees, ensure_ascii=False, sort_keys=True)}"]


def message_office(
    *,
    evenement_id: str,
    type_: str,
    donnees: dict[str, Any],
    expediteur: str,
    destinataire: str,
    now: datetime,
) -> EmailMessage:
    """The e-mail of one event for the office (plain text and HTML, French)."""
    objet = _OBJETS.get(type_, f"Événement {type_}")
    message = message_vierge(expediteur=expediteur, destinataire=destinataire, objet=objet, maintenant=now)
    message["X-Signif-Evenement"] = evenement_id
    lignes = ["Bonjour,", *_lignes(type_, donnees), f"Référence de l'événement : {evenement_id}."]
    message.set_content("\n\n".join(lignes) + "\n")
    corps = "\n".join(f"<p>{html.escape(ligne)}</p>" for ligne in lignes)
    message.add_alternative(
        f'<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8"><title>{html.escape(objet)}</title>'
        f"</head><body>\n{corps}\n</body></html>\n",
        subtype="html",
    )
    jws = donnees.get("avis_reception_jws")
    if type_ == "acte.pris_connaissance" and isinstance(jws, str):
        message.add_attachment(
            jws.encode("ascii"),
            maintype="application",
            subtype="jose",
            filename=f"avis-de-reception-{donnees.get('acte_id', 'acte')}.jws",
        )
    return message


async def envoyer(mailer: Mailer, message: EmailMessage) -> Resultat:
    """One attempt: the outcome, never raised (the caller records every attempt)."""
    start = time.perf_counter()
    try:
        await mailer.send(message)
    except EnvoiImpossible as exc:
        duree = int((time.perf_counter() - start) * 1000)
        return Resultat(False, None, f"smtp:{exc}", duree, 0, False)
    return Resultat(True, 250, None, int((time.perf_counter() - start) * 1000), 0, False)
