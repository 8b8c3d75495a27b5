"""Request dependencies of the coffre: its state (`contexte.Coffre`) and its retrieval pages' part."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.coffre.contexte import Coffre, Retrait


def coffre_de(request: Request) -> Coffre:
    """The state `create_app` built (for the few callables handed a request, not a dependency)."""
    coffre: Coffre = request.app.state.coffre
    return coffre


# Coroutines: FastAPI runs a plain `def` dependency in a worker thread (see `shared.app`).
async def _coffre(request: Request) -> Coffre:
    return coffre_de(request)


async def _retrait(coffre: Annotated[Coffre, Depends(_coffre)]) -> Retrait:
    return coffre.retrait


#: The coffre's state, built by `create_app`.
CoffreDep = Annotated[Coffre, Depends(_coffre)]
#: The retrieval pages' session key, consent sign-in client and rate limiter.
RetraitDep = Annotated[Retrait, Depends(_retrait)]
