"""Client of the Signif platform for commissaires' office software (see docs/fr/client.md).

async with ClientSignif("https://signif.example", jeton) as signif:
    acte = await signif.deposer(Path("acte-signe.pdf"), metadonnees)
    async for evenement in signif.evenements(apres=curseur_enregistre):
        ...
"""

from .client import ClientSignif, Reessais, verifier_preuves
from .erreurs import ErreurSignif, SignatureWebhookInvalide
from .modeles import (
    Abonnement,
    AbonnementCree,
    Acte,
    ActeDepose,
    AvisReception,
    Consultation,
    Evenement,
)
from .webhooks import verifier_webhook

__all__ = [
    "Abonnement",
    "AbonnementCree",
    "Acte",
    "ActeDepose",
    "AvisReception",
    "ClientSignif",
    "Consultation",
    "ErreurSignif",
    "Evenement",
    "Reessais",
    "SignatureWebhookInvalide",
    "verifier_preuves",
    "verifier_webhook",
]
