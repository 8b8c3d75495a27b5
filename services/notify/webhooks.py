"""What an office's webhook receiver gets, as OpenAPI 3.1 `webhooks` (and the feed's `donnees`).

One operation per event type: the body (`{id, type, cree_le, donnees}`, the bytes signed as sent,
`livraisons.envoi`) and the Standard Webhooks headers (`livraisons.signature`). The routes are
documentation only: they are mounted on `app.webhooks`, which serves nothing. The `donnees` models
are those the coffre emits (`services/coffre/depot/envoi.py`, `reception/prise.py`,
`reception/mode.py`, `interne/router.py`, `depot/programme.py`); they allow members added later
(a new member is not a break, docs/fr/contrat.md).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header
from pydantic import BaseModel, ConfigDict, Field

_INSTANT = "2026-03-02T09:00:00Z"
_ACTE = "c0a8f1e2-5b6d-4c3e-8f9a-0b1c2d3e4f50"


class _Donnees(BaseModel):
    model_config = ConfigDict(extra="allow")

    acte_id: str
    office_id: str


class RequerantLu(BaseModel):
    model_config = ConfigDict(extra="allow")
    nom: str


class DonneesActeEnvoye(_Donnees):
    # `acte.envoye`: the acte is made available and the avis sent (the schemas' texts are French).
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "description": "`acte.envoye` : l'acte est mis à disposition et l'avis envoyé ; `envoye_le` est "
            "la date et l'heure de la signification (CPC 664-1)."
        },
    )

    declaration_id: str
    nature: str
    nature_libelle: str
    requerant: RequerantLu
    envoye_le: datetime
    office_nom: str
    commissaire_nom: str


class DonneesPriseDeConnaissance(_Donnees):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "description": "`acte.pris_connaissance` : le destinataire a téléchargé l'acte ; l'avis de "
            "réception est le JWS."
        },
    )

    sha256: str
    pris_connaissance_le: datetime
    avis_reception_jws: str = Field(description="L'avis électronique de réception (JWS compact, EdDSA).")


class DonneesModeFixe(_Donnees):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "description": "`acte.mode_fixe` : à minuit (heure légale du destinataire) le jour de l'envoi."
        },
    )

    mode: Literal["a_personne", "a_domicile"]
    lettre_simple_due_le: date | None = Field(
        description="Avec `a_domicile` : le jour ouvrable où la lettre simple est due (CPC 662-1)."
    )


class DonneesEchec(_Donnees):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "description": "`notification.echec` : l'avis n'a pas pu être remis, ou un envoi programmé a "
            "été annulé."
        },
    )

    detail: str


DONNEES: dict[str, type[_Donnees]] = {
    "acte.envoye": DonneesActeEnvoye,
    "acte.pris_connaissance": DonneesPriseDeConnaissance,
    "acte.mode_fixe": DonneesModeFixe,
    "notification.echec": DonneesEchec,
}
#: The feed's `donnees`: one of the known shapes (a type added later may bring its own).
SCHEMA_DONNEES: dict[str, Any] = {
    "anyOf": [{"$ref": f"#/components/schemas/{m.__name__}"} for m in DONNEES.values()],
    "description": "Selon `type` : voir les `webhooks` de ce document (docs/fr/contrat.md).",
}


_BASE = {"acte_id": _ACTE, "office_id": "office-paris"}


def _config(type_: str, donnees: dict[str, Any]) -> ConfigDict:
    exemple: dict[str, Any] = {
        "id": "evt_0f6c3b1e",
        "type": type_,
        "cree_le": _INSTANT,
        "donnees": {**_BASE, **donnees},
    }
    return ConfigDict(json_schema_extra={"examples": [exemple]})


_ID = "L'identifiant de l'événement, égal à `webhook-id` : dédoublonnez dessus."


class WebhookActeEnvoye(BaseModel):
    model_config = _config(
        "acte.envoye",
        {
            "declaration_id": "5d1f4a8e-3c2b-4f6a-9e1d-7b8c9d0e1f2a",
            "nature": "signification_decision",
            "nature_libelle": "Signification d'une décision de justice",
            "requerant": {"nom": "SCI Les Tilleuls"},
            "envoye_le": _INSTANT,
            "office_nom": "SCP Martin & Associés",
            "commissaire_nom": "Claire Martin",
        },
    )
    id: str = Field(description=_ID)
    type: Literal["acte.envoye"]
    cree_le: datetime
    donnees: DonneesActeEnvoye


class WebhookPriseDeConnaissance(BaseModel):
    model_config = _config(
        "acte.pris_connaissance",
        {
            "sha256": "9f2c4e1a" * 8,
            "pris_connaissance_le": "2026-03-02T14:12:00Z",
            "avis_reception_jws": "eyJhbGciOiJFZERTQSIsImtpZCI6InNjZWF1LTIwMjYtMDEifQ.eyJ...In0.c2ln...",
        },
    )
    id: str = Field(description=_ID)
    type: Literal["acte.pris_connaissance"]
    cree_le: datetime
    donnees: DonneesPriseDeConnaissance


class WebhookModeFixe(BaseModel):
    model_config = _config("acte.mode_fixe", {"mode": "a_domicile", "lettre_simple_due_le": "2026-03-03"})
    id: str = Field(description=_ID)
    type: Literal["acte.mode_fixe"]
    cree_le: datetime
    donnees: DonneesModeFixe


class WebhookEchec(BaseModel):
    model_config = _config(
        "notification.echec", {"detail": "L'avis de mise à disposition n'a pas pu être envoyé."}
    )
    id: str = Field(description=_ID)
    type: Literal["notification.echec"]
    cree_le: datetime
    donnees: DonneesEchec


WebhookId = Annotated[
    str,
    Header(
        alias="webhook-id",
        description="L'identifiant de l'événement, le même à chaque tentative : dédoublonnez dessus.",
    ),
]
WebhookTimestamp = Annotated[
    str,
    Header(
        alias="webhook-timestamp",
        pattern=r"^[0-9]+$",
        description="Secondes Unix de cette tentative ; refusez un écart de plus de 5 minutes (rejeu).",
    ),
]
WebhookSignature = Annotated[
    str,
    Header(
        alias="webhook-signature",
        description=(
            "Signatures Standard Webhooks séparées par des espaces, sur `{webhook-id}.{webhook-timestamp}."
            "{corps}` (octets reçus) : `v1,<base64>` HMAC-SHA256 avec le secret `whsec_...` de "
            "l'abonnement, `v1a,<base64>` Ed25519 avec la clé `whpk_...` de "
            "`GET /notify/v1/.well-known/webhooks-key`. Voir docs/fr/webhooks.md."
        ),
    ),
]

_REPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Tout 2xx : reçu (répondez en moins de 15 s, après l'avoir enregistré)."},
    410: {"description": "Gone : désactive l'abonnement. Tout autre statut est réessayé (dix tentatives)."},
}
_APPELANT = (
    "\n\n**Appelant** : la plateforme (notify), sur l'URL de chaque abonnement de l'office à ce type "
    "(`POST /notify/v1/abonnements`) ; au moins une fois, avec de nouvelles tentatives tant que la "
    "réponse n'est pas 2xx."
)

router = APIRouter()


@router.post(
    "acte.envoye",
    operation_id="webhook_acte_envoye",
    summary="L'acte est mis à disposition : la signification est faite",
    description=(
        "L'acte a été mis à disposition dans le coffre et l'avis envoyé au destinataire. `envoye_le` est "
        "la date et l'heure de la signification (CPC 664-1)." + _APPELANT
    ),
    responses=_REPONSES,
)
async def acte_envoye(
    corps: WebhookActeEnvoye,
    webhook_id: WebhookId,
    webhook_timestamp: WebhookTimestamp,
    webhook_signature: WebhookSignature,
) -> None:
    """Documentation only (see the module docstring)."""


@router.post(
    "acte.pris_connaissance",
    operation_id="webhook_acte_pris_connaissance",
    summary="Le destinataire a pris connaissance de l'acte",
    description=(
        "Le destinataire a téléchargé l'acte : c'est la prise de connaissance, prouvée par l'avis "
        "électronique de réception (`avis_reception_jws`, vérifiable avec "
        "`GET /coffre/v1/.well-known/jwks.json`). Le jour de l'envoi, la signification sera « à "
        "personne »." + _APPELANT
    ),
    responses=_REPONSES,
)
async def acte_pris_connaissance(
    corps: WebhookPriseDeConnaissance,
    webhook_id: WebhookId,
    webhook_timestamp: WebhookTimestamp,
    webhook_signature: WebhookSignature,
) -> None:
    """Documentation only (see the module docstring)."""


@router.post(
    "acte.mode_fixe",
    operation_id="webhook_acte_mode_fixe",
    summary="Le mode de la signification est fixé (à personne ou à domicile)",
    description=(
        "À minuit, heure légale du domicile du destinataire, le jour de l'envoi : `a_personne` si l'acte "
        "a été téléchargé ce jour-là, sinon `a_domicile` et la lettre simple est due le premier jour "
        "ouvrable suivant (CPC 662-1) : téléchargez-la (`GET /coffre/v1/actes/{id}/lettre-simple`), "
        "postez-la, enregistrez l'envoi." + _APPELANT
    ),
    responses=_REPONSES,
)
async def acte_mode_fixe(
    corps: WebhookModeFixe,
    webhook_id: WebhookId,
    webhook_timestamp: WebhookTimestamp,
    webhook_signature: WebhookSignature,
) -> None:
    """Documentation only (see the module docstring)."""


@router.post(
    "notification.echec",
    operation_id="webhook_notification_echec",
    summary="L'avis n'a pas pu être remis, ou un envoi programmé est annulé",
    description=(
        "L'avis de mise à disposition n'a pas pu être envoyé au destinataire, ou un envoi programmé a été "
        "annulé parce qu'un contrôle a échoué à son instant (consentement révoqué entre-temps...) : la "
        "signification électronique n'a pas eu lieu, à l'office d'en tirer la suite." + _APPELANT
    ),
    responses=_REPONSES,
)
async def notification_echec(
    corps: WebhookEchec,
    webhook_id: WebhookId,
    webhook_timestamp: WebhookTimestamp,
    webhook_signature: WebhookSignature,
) -> None:
    """Documentation only (see the module docstring)."""
