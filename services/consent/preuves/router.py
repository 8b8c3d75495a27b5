"""`POST /consent/v1/autorite/preuves`: a declaration's registry evidence bundle for the authority.

Purpose binding as for the searches: the body names the procedure (juridiction + numéro), else 422;
the export is itself a log leaf (keyed hash of the procedure) included in the bundle it produces.
Unknown or purged declaration → 404 (after the purge only the `declaration.purgee` leaf remains).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from services.consent.autorite.schemas import Procedure
from services.consent.dependencies import NowDep, RegistreDep, SessionDep
from services.consent.preuves import service
from shared.auth import CurrentAutorite
from shared.errors import Authentification, Interdit, Introuvable, Unprocessable, error_responses
from shared.openapi import fichier

router = APIRouter(prefix="/consent/v1/autorite", tags=["autorité judiciaire"])


class DemandePreuves(BaseModel):
    model_config = ConfigDict(extra="forbid")
    procedure: Procedure
    declaration_id: Annotated[str, Field(min_length=1, max_length=36)]


@router.post(
    "/preuves",
    summary=("Lot de preuves du registre pour une déclaration"),
    response_class=Response,
    responses={
        **fichier("application/zip", description="Lot de preuves « registre » (ZIP)"),
        **error_responses(Authentification, Interdit, Introuvable, Unprocessable),
    },
    description=(
        "Le lot de preuves « registre » (ZIP) d'une déclaration pour une procédure : déclaration "
        "scellée, récépissé, historique, feuilles du journal avec leurs preuves d'inclusion et le "
        "checkpoint signé, vérifiable hors ligne (`signif verify`). Journalisé."
    ),
)
async def preuves(
    corps: DemandePreuves, autorite: CurrentAutorite, session: SessionDep, registre: RegistreDep, now: NowDep
) -> Response:
    declaration = await service.a_exporter(session, corps.declaration_id)
    contenu = await service.exporter(
        session,
        registre,
        declaration,
        autorite=autorite.sub,
        juridiction=corps.procedure.juridiction,
        numero=corps.procedure.numero,
        now=now,
    )
    nom = f"preuves-registre-{declaration.id}.zip"
    return Response(
        contenu,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{nom}"', "Cache-Control": "no-store"},
    )
