"""`GET /coffre/v1/actes/{id}/preuves`: the acte's evidence bundle (ZIP, `signif-preuves/1`).

Access: a commissaire of the office that deposited the acte (any other office gets the same 404 as
an unknown id), or the judicial authority (role `autorite_judiciaire`) for a named procedure
(`?juridiction=&numero=`, both required, else 422 `procedure-requise`); the authority's access is
appended to the répertoire (`acces_preuves_autorite`, procedure hashed) before anything is returned,
and that leaf is in the bundle.

The ZIP is complete in a temporary file before the response starts (so a stored piece found altered
gives a 500 problem, never a truncated or altered bundle), then streamed with its Content-Length;
the file is closed, hence gone, once sent or when the client goes away.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import IO, Annotated

from anyio import to_thread
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import ValidationError
from starlette.types import Receive, Scope, Send

from services.coffre.dependencies import CoffreDep
from services.coffre.dossier.assemblage import Acces, Procedure, assembler
from services.coffre.errors import ActeIntrouvable
from shared.auth import Autorite, Commissaire, Principal, TokenVerifier
from shared.bornes import IdChemin
from shared.errors import Authentification, ErreurIntegrite, Interdit, Unprocessable, error_responses
from shared.openapi import Exigence, exige, fichier

router = APIRouter(prefix="/coffre/v1", tags=["preuves"])


class ProcedureRequise(Unprocessable):
    code = "procedure-requise"
    title = "Procédure judiciaire requise"


MORCEAU = 1 << 20


async def _morceaux(fichier: IO[bytes]) -> AsyncIterator[bytes]:
    try:
        while morceau := await to_thread.run_sync(fichier.read, MORCEAU):
            yield morceau
    finally:
        fichier.close()


class FichierTemporaireResponse(StreamingResponse):
    """Streams an open temporary file and closes it however the response ends (sent, client gone,
    cancelled): an anonymous temporary file then leaves nothing behind."""

    def __init__(self, fichier: IO[bytes], *, media_type: str, headers: dict[str, str]) -> None:
        taille = os.fstat(fichier.fileno()).st_size - fichier.tell()
        super().__init__(
            _morceaux(fichier), media_type=media_type, headers={**headers, "Content-Length": str(taille)}
        )
        self.fichier = fichier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.fichier.close()


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


exige(
    _appelant,
    Exigence(
        securite=({"jeton": []},),
        appelant="un jeton du rôle `commissaire` (ses actes) ou `autorite_judiciaire` (avec la procédure)",
        refus=(Authentification, Interdit),
    ),
)


@router.get(
    "/actes/{acte_id}/preuves",
    summary=("Dossier de preuves de l'acte (ZIP signif-preuves/1, vérifiable hors ligne)"),
    responses={
        **fichier("application/zip", description="Le lot de preuves (ZIP `signif-preuves/1`)"),
        **error_responses(ActeIntrouvable, ProcedureRequise, ErreurIntegrite),
    },
    response_class=StreamingResponse,
    description=(
        "Le lot de preuves de l'acte (ZIP `signif-preuves/1`) : document, rapport de signature, jeton"
        " d'horodatage RFC 3161, avis de réception, certificat, feuilles du répertoire avec preuves "
        "d'inclusion et checkpoint signé, clés : vérifiable hors ligne (`signif verify lot.zip`, "
        "docs/fr/preuves.md). Un commissaire n'obtient que les actes de son office ; l'autorité "
        "judiciaire indique la procédure (`juridiction`, `numero`), sinon 422 `procedure-requise`."
    ),
)
async def preuves(
    coffre: CoffreDep,
    acte_id: IdChemin,
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
    fichier = await assembler(coffre, acte_id, acces)
    if fichier is None:
        raise ActeIntrouvable()
    return FichierTemporaireResponse(
        fichier,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="preuves-{acte_id}.zip"',
            "Cache-Control": "no-store",
        },
    )
