"""Reading an office's actes: list, detail with events, and the original document (hash re-checked).

The document is verified end to end before the first byte is sent: a mismatch is an alarm (ERROR
log, an `alerte_integrite` leaf in the répertoire, an event on the acte) and a 500 problem
`integrite`, never altered bytes. The stream that follows re-hashes again and aborts the connection
if the medium changed in between.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from services.coffre.actes import repository, vues
from services.coffre.actes.integrite import document_de_l_office
from services.coffre.actes.schemas import ActeDetail, PageActes
from services.coffre.dependencies import CoffreDep, LectureDep
from services.coffre.errors import ActeIntrouvable
from shared.auth import CurrentCommissaire
from shared.bornes import CURSEUR_MAX, NATURE_MAX, REFERENCE_MAX, IdChemin
from shared.errors import BadRequest, ErreurIntegrite, error_responses
from shared.openapi import fichier

router = APIRouter(prefix="/coffre/v1", tags=["actes"])


def _curseur(valeur: str) -> tuple[datetime, str]:
    try:
        depose_le, ident = base64.urlsafe_b64decode(valeur.encode()).decode().split("|", 1)
        return datetime.fromisoformat(depose_le), ident
    except (ValueError, binascii.Error) as exc:
        raise BadRequest("Curseur de pagination invalide.") from exc


@router.get(
    "/actes",
    summary=("Les actes de l'office"),
    response_model=PageActes,
    description=(
        "Les actes de l'office de l'appelant, les plus récents d'abord, filtrés par `statut` ou "
        "`reference_dossier`, paginés (`apres`, `limite` ≤ 200). Sans effet."
    ),
)
async def lister_actes(
    session: LectureDep,
    commissaire: CurrentCommissaire,
    statut: Annotated[str | None, Query(max_length=NATURE_MAX)] = None,
    reference_dossier: Annotated[str | None, Query(max_length=REFERENCE_MAX)] = None,
    apres: Annotated[str | None, Query(max_length=CURSEUR_MAX)] = None,
    limite: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    actes = await repository.lister(
        session,
        commissaire.office.id,
        statut=statut,
        reference_dossier=reference_dossier,
        apres=_curseur(apres) if apres else None,
        limite=limite + 1,
    )
    suivant = None
    if len(actes) > limite:
        actes = actes[:limite]
        dernier = actes[-1]
        suivant = base64.urlsafe_b64encode(f"{dernier.depose_le.isoformat()}|{dernier.id}".encode()).decode()
    return {"elements": [vues.resume(a) for a in actes], "suivant": suivant}


@router.get(
    "/actes/{acte_id}",
    summary=("Un acte, son statut et ses événements"),
    response_model=ActeDetail,
    response_model_exclude_unset=True,  # an event's `donnees` is absent when it has none
    responses=error_responses(ActeIntrouvable),
    description=(
        "Statut, mode (`a_personne`/`a_domicile` une fois fixé), instants d'envoi et de prise de "
        "connaissance, lettre simple due et envoyée, événements (chacun avec sa feuille du répertoire) et"
        " liens vers le document et les preuves. Un acte d'un autre office : 404 `acte-introuvable`, "
        "comme un identifiant inconnu."
    ),
)
async def lire_acte(
    session: LectureDep, acte_id: IdChemin, commissaire: CurrentCommissaire
) -> dict[str, Any]:
    acte = await repository.acte_de_l_office(session, commissaire.office.id, acte_id)
    if acte is None:
        raise ActeIntrouvable()
    return vues.detail(
        acte, await repository.evenements(session, acte.id), await repository.annexes(session, acte.id)
    )


@router.get(
    "/actes/{acte_id}/document",
    summary=("Le document original (empreinte vérifiée avant envoi)"),
    response_class=StreamingResponse,
    responses={
        **fichier("application/pdf", description="Les octets déposés, à l'identique (en-tête `Digest`)"),
        **error_responses(ActeIntrouvable, ErreurIntegrite),
    },
    description=(
        "Les octets déposés, à l'identique : l'empreinte SHA-256 est revérifiée avant le premier "
        "octet (en-tête `Digest`). Si le stockage ne correspond plus, rien n'est servi : 500 "
        "`integrite`, l'incident est journalisé et inscrit au répertoire."
    ),
)
async def telecharger_document(
    coffre: CoffreDep, acte_id: IdChemin, commissaire: CurrentCommissaire
) -> StreamingResponse:
    document = await document_de_l_office(coffre, commissaire.office.id, acte_id)
    sha256, taille, ident = document.sha256, document.taille, document.acte_id
    headers = {
        "Content-Length": str(taille),
        "Content-Disposition": f'attachment; filename="acte-{ident}.pdf"',
        "Digest": "sha-256=" + base64.b64encode(bytes.fromhex(sha256)).decode(),
        "Cache-Control": "no-store",
    }
    return StreamingResponse(document.contenu, media_type="application/pdf", headers=headers)
