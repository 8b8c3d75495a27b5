"""`GET /coffre/v1/actes/{id}/preuves`: the acte's evidence bundle (ZIP, `signif-preuves/1`).

Access: a commissaire of the office that deposited the acte (any other office gets the same 404 as
an unknown id), or the judicial authority (role `autorite_judiciaire`) for a named procedure
(`?juridiction=&numero=`, both required, else 422 `procedure-requise`); the authority's access is
appended to the répertoire (`acces_preuves_autorite`, procedure hashed) before anything is returned,
and that leaf is in the bundle.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from services.coffre.contexte import coffre_of, runtime_of
from services.coffre.dossier.assemblage import Acces, Procedure, assembler
from services.coffre.errors import ActeIntrouvable
from shared.auth import Autorite, Commissaire, Principal, TokenVerifier
from shared.errors import Authentification, Interdit, Unprocessable, error_responses

router = APIRouter(prefix="/coffre/v1", tags=["preuves"])


class ProcedureRequise(Unprocessable):
    code = "procedure-requise"
    title = "Procédure judiciaire requise"


async def _appelant(request: Request) -> Principal:
    """A commissaire or the judicial authority (the two roles that may read a bundle)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Authentification("Jeton d'accès manquant.")
    verifier: TokenVerifier = request.app.state.token_verifier
    claims = await verifier.verify(token.strip())
    model: type[Principal]
    if claims.get("role") == "commissaire":
        model = Commissaire
    elif claims.get("role") == "autorite_judiciaire":
        model = Autorite
    else:
        raise Interdit("Ce rôle n'a pas accès à cette ressource.")
    try:
        return model.model_validate(claims)
    except ValidationError as exc:
        raise Authentification("Jeton incomplet pour ce rôle.") from exc


@router.get(
    "/actes/{acte_id}/preuves",
    summary="Dossier de preuves de l'acte (ZIP signif-preuves/1, vérifiable hors ligne)",
    responses=error_responses(ActeIntrouvable, ProcedureRequise),
    response_class=Response,
)
async def preuves(
    request: Request,
    acte_id: str,
    appelant: Annotated[Principal, Depends(_appelant)],
    juridiction: Annotated[str | None, Query(max_length=200)] = None,
    numero: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    if isinstance(appelant, Commissaire):
        acces = Acces(office_id=appelant.office.id)
    elif isinstance(appelant, Autorite):
        if not juridiction or not numero:
            raise ProcedureRequise("Indiquez la procédure : paramètres juridiction et numero.")
        acces = Acces(juridiction=appelant.juridiction, procedure=Procedure(juridiction, numero))
    else:  # pragma: no cover - _appelant returns one of the two
        raise Interdit()
    runtime = runtime_of(request)
    data = await assembler(runtime, coffre_of(runtime), acte_id, acces)
    if data is None:
        raise ActeIntrouvable()
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="preuves-{acte_id}.zip"',
            "Cache-Control": "no-store",
        },
    )
