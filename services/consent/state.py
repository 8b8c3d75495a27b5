"""What the consent service holds while it runs, in one typed object.

`create_app(settings)` builds one `ConsentState`: the database, the clock, the HTTP client (the
runtime of `shared.app` runs on these three and its lifespan closes them), the keys and instruments
of `Registre` (its TSA client included) and the consultations' batches. Routes receive it, or its
parts, through the `Annotated` dependencies of `services.consent.dependencies`; jobs through their
handler's constructor. Nothing is looked up by name, built on first use or set after the start.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from services.consent.consultations.lots import Lots
from services.consent.registre import Registre, build_registre
from services.consent.settings import ConsentSettings
from shared.clock import Clock
from shared.db import Database
from shared.timestamps.configuration import client_du_service


@dataclass(frozen=True)
class ConsentState:
    settings: ConsentSettings
    db: Database
    clock: Clock
    #: The client consent calls notify and its TSA with.
    http: httpx.AsyncClient
    registre: Registre
    #: This process's batches of consultations (`consultations.lots`).
    lots: Lots


def build_state(settings: ConsentSettings, *, clock: Clock, http: httpx.AsyncClient) -> ConsentState:
    db = Database(settings.effective_database_url)
    registre = build_registre(settings, http, horodatage=client_du_service(settings, http, clock))
    return ConsentState(
        settings=settings, db=db, clock=clock, http=http, registre=registre, lots=Lots(db, registre)
    )
