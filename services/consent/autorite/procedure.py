"""What the registry keeps of a judicial procedure (juridiction + numéro): a keyed hash, never its text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from services.consent.registre import Registre
from shared.crypto.tokens import blind_index


class ProcedureJudiciaire(Protocol):
    """A procedure as the authority names it (the routers' `Procedure` body model is one)."""

    @property
    def juridiction(self) -> str: ...

    @property
    def numero(self) -> str: ...


@dataclass(frozen=True)
class ProcedureEnregistree:
    """A procedure read back from a stored row (e.g. a legal hold)."""

    juridiction: str
    numero: str


def reference_procedure(registre: Registre, procedure: ProcedureJudiciaire) -> str:
    """What the registry log keeps of a procedure: a keyed hash, never its text."""
    return blind_index(
        registre.settings.effective_blind_index_key,
        f"{procedure.juridiction}|{procedure.numero}",
        "consent/procedure",
    )
