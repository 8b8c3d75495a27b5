"""Request dependencies of consent's routers: the service's state and its unit of work.

The state (`services.consent.state.ConsentState`) is built once in `create_app(settings)`; routes
take it, or the part they need, as an `Annotated` dependency. Coroutines: FastAPI runs a plain `def`
dependency in a worker thread.

Unit of work: a route that changes state (or logs a read) takes `TransactionDep` (alias
`SessionDep`), one transaction for the whole request, committed when the endpoint returns (before
the response is sent) and rolled back on any exception, but for an error whose class `commits` (a
wrong code: its attempt is kept, `shared.db.Database.transaction`); a route that only reads takes
`LectureDep`, a read-only snapshot (on SQLite it neither waits for nor blocks the writer). Services
and repositories never commit. The one sequence of its own is the consultations' group commit
(`consultations.lots`: a batch of requests in one transaction, each answered once it committed).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from services.consent.consultations.lots import Lots
from services.consent.registre import Registre
from services.consent.state import ConsentState
from shared.app import NowDep
from shared.db import SessionDep

__all__ = [
    "LectureDep",
    "LotsDep",
    "NowDep",
    "RegistreDep",
    "SessionDep",
    "StateDep",
    "TransactionDep",
    "state_of",
]


def state_of(request: Request) -> ConsentState:
    """The state `create_app` built (for the few callables handed a request, not a dependency)."""
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


async def _lecture(request: Request) -> AsyncIterator[AsyncSession]:
    async with state_of(request).db.read() as session:
        yield session


#: The request's transaction: committed when the endpoint returns, rolled back on an exception.
#: `shared.db`'s own (on the state's database, which the runtime runs on): the same dependency as
#: the shared log routes', so a request never holds two write transactions.
TransactionDep = SessionDep
#: A read-only snapshot for the request (refuses writes).
LectureDep = Annotated[AsyncSession, Depends(_lecture, scope="function")]
