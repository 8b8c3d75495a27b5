"""`POST /coffre/v1/autorite/recherches`: the judicial authority's purpose-bound search, logged.

Purpose binding: a procedure (juridiction + numéro) is required, and exactly one criterion (acte id,
declaration id or dossier reference). Every search, even an empty one, appends a
`recherche_autorite` leaf (procedure number hashed, the ids found) before the answer is returned,
in the same transaction as nothing else: no answer without its log entry.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.coffre.actes.schemas import RechercheActes
from services.coffre.autorite import service
from services.coffre.autorite.repository import Critere
from services.coffre.dependencies import CoffreDep, TransactionDep
from shared.auth import CurrentAutorite

router = APIRouter(prefix="/coffre/v1", tags=["autorité judiciaire"])


class Procedure(BaseModel):
    model_config = ConfigDict(extra="forbid")
    juridiction: str = Field(min_length=1, max_length=200)
    numero: str = Field(min_length=1, max_length=100)

    @property
    def cle(self) -> str:
        """What the leaf hashes: juridiction and numéro, one per line."""
        return f"{self.juridiction}\n{self.numero}"


class Recherche(BaseModel):
    model_config = ConfigDict(extra="forbid")
    procedure: Procedure
    acte_id: str | None = Field(None, max_length=36)
    declaration_id: str | None = Field(None, max_length=100)
    reference_dossier: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _un_critere(self) -> Recherche:
        criteres = [c for c in (self.acte_id, self.declaration_id, self.reference_dossier) if c]
        if len(criteres) != 1:
            raise ValueError("exactement un critère : acte_id, declaration_id ou reference_dossier")
        return self

    @property
    def critere(self) -> Critere:
        return "acte_id" if self.acte_id else "declaration_id" if self.declaration_id else "reference_dossier"

    @property
    def valeur(self) -> str:
        return self.acte_id or self.declaration_id or self.reference_dossier or ""


@router.post(
    "/autorite/recherches",
    summary=("Recherche d'actes pour une procédure (journalisée)"),
    response_model=RechercheActes,
    response_model_exclude_unset=True,  # an event's `donnees` is absent when it has none
    description=(
        "Pour une procédure (`juridiction`, `numero`) : les actes d'un `acte_id`, d'une `declaration_id` "
        "ou d'une `reference_dossier` (un seul critère), avec leurs événements et leurs liens de preuve. "
        "Chaque recherche est consignée au répertoire (empreinte de la procédure, critère, actes)."
    ),
)
async def rechercher(
    coffre: CoffreDep, session: TransactionDep, autorite: CurrentAutorite, recherche: Recherche
) -> dict[str, Any]:
    return await service.rechercher(
        session,
        coffre,
        juridiction=autorite.juridiction,
        procedure=recherche.procedure.cle,
        critere=recherche.critere,
        valeur=recherche.valeur,
        now=coffre.clock.now(),
    )
