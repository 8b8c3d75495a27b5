"""Request dependencies: the request's session (the only thing that commits) and the runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from shared.app import ServiceRuntime


def runtime_of(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with runtime_of(request).db.transaction() as session:
        yield session


def _now(request: Request) -> datetime:
    return runtime_of(request).clock.now()


#: The request's session; committed when the endpoint returns (before the response is sent).
SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]
RuntimeDep = Annotated[ServiceRuntime, Depends(runtime_of)]
#: The legal instant of this request (the injectable clock).
NowDep = Annotated[datetime, Depends(_now)]
