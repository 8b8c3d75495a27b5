"""Request dependencies of consent's routers.

The request's session (the only thing that commits), the legal instant of the request (both shared
by the three services), and the service's state (`services.consent.state`), built in
`create_app(settings)`, or the parts of it a route needs. Coroutines: FastAPI runs a plain `def`
dependency in a worker thread.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.consent.consultations.lots import Lots
from services.consent.registre import Registre
from services.consent.state import ConsentState
from shared.app import NowDep
from shared.db import SessionDep

__all__ = ["LotsDep", "NowDep", "RegistreDep", "SessionDep", "StateDep", "state_of"]


def state_of(request: Request) -> ConsentState:
    state: ConsentState = request.app.state.consent
    return state


async def _state(request: Request) -> ConsentState:
    return state_of(request)


async def _registre(request: Request) -> Registre:
    return state_of(request).registre


async def _lots(request: Request) -> Lots:
    return state_of(request).lots


StateDep = Annotated[ConsentState, Depends(_state)]
RegistreDep = Annotated[Registre, Depends(_registre)]
LotsDep = Annotated[Lots, Depends(_lots)]
