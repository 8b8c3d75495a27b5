"""What the consent service holds while it runs, in one typed object.

`create_app(settings)` builds one `ConsentState` (the database and the clock of the service's
runtime, its own HTTP client for notify, the keys and instruments of `Registre`, the consultations'
batches) and its lifespan closes it; routes receive its parts through the `Annotated` dependencies of
`services.consent.dependencies`, jobs through their handler's constructor. Nothing is looked up by
name or built on first use.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from services.consent.consultations.lots import Lots
from services.consent.registre import Registre, build_registre
from services.consent.settings import ConsentSettings
from shared.app import ServiceRuntime
from shared.clock import Clock
from shared.db import Database


@dataclass(frozen=True)
class ConsentState:
    settings: ConsentSettings
    db: Database
    clock: Clock
    #: Consent's own client for its calls to notify (the runtime's serves the shared plumbing).
    http: httpx.AsyncClient
    registre: Registre
    #: This process's batches of consultations (`consultations.lots`).
    lots: Lots

    async def aclose(self) -> None:
        await self.http.aclose()


def build_state(
    settings: ConsentSettings, runtime: ServiceRuntime, *, http_transport: httpx.AsyncBaseTransport | None
) -> ConsentState:
    http = httpx.AsyncClient(transport=http_transport, timeout=httpx.Timeout(10.0), follow_redirects=False)
    registre = build_registre(settings, http)
    return ConsentState(
        settings=settings,
        db=runtime.db,
        clock=runtime.clock,
        http=http,
        registre=registre,
        lots=Lots(runtime.db, registre),
    )
