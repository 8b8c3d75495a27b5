"""Request dependencies of the coffre: its state (`contexte.Coffre`) and its unit of work.

Unit of work: a route that changes legal state takes `TransactionDep`, one transaction for the whole
request, committed when the endpoint returns (before the response is sent) and rolled back on any
exception; a route that only reads takes `LectureDep`, a read-only snapshot (on SQLite it neither
waits for nor blocks the writer, `shared.db.Database.read`). Services and repositories never commit.

Where a gate must not hold a transaction across a call to the outside (consent asked at the instant
of sending, the RFC 3161 timestamp, consent's sign-in steps, hashing a stored file), the service
writes its sequence of short transactions itself and says why in its docstring: `depot.service`,
`reception.emission`, `reception.prise.telecharger`, `retrait.parcours`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from services.coffre.contexte import Coffre


def coffre_de(request: Request) -> Coffre:
    """The state `create_app` built (for the few callables handed a request, not a dependency)."""
    coffre: Coffre = request.app.state.coffre
    return coffre


# Coroutines: FastAPI runs a plain `def` dependency in a worker thread (see `shared.app`).
async def _coffre(request: Request) -> Coffre:
    return coffre_de(request)


#: The coffre's state, built by `create_app`.
CoffreDep = Annotated[Coffre, Depends(_coffre)]


async def _transaction(coffre: CoffreDep) -> AsyncIterator[AsyncSession]:
    async with coffre.db.transaction() as session:
        yield session


async def _lecture(coffre: CoffreDep) -> AsyncIterator[AsyncSession]:
    async with coffre.db.read() as session:
        yield session


#: The request's transaction: committed when the endpoint returns, rolled back on any exception.
TransactionDep = Annotated[AsyncSession, Depends(_transaction, scope="function")]
#: A read-only snapshot for the request (refuses writes).
LectureDep = Annotated[AsyncSession, Depends(_lecture, scope="function")]
