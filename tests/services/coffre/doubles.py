"""Stand-ins for the services the coffre calls, for tests only: a recording consent registry that
answers the internal verification contract (contracts.md) and a notify inbox for relayed events.

Used until consent's real `POST /consent/v1/interne/verifications` exists; the stand-in answers
exactly that contract, from a table of declarations the test controls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


@dataclass
class Declaration:
    declaration_id: str
    commune_insee: str
    natures: list[str] = field(default_factory=lambda: ["*"])
    motif: str | None = None  # set: consent refused with this motif
    nom: str | None = None  # identity matching for {"type": "physique", "nom": ...}


@dataclass
class ConsentDouble:
    declarations: dict[str, Declaration] = field(default_factory=dict)
    appels: list[dict[str, Any]] = field(default_factory=list)
    evenements: list[dict[str, Any]] = field(default_factory=list)
    panne: bool = False

    def ajouter(self, declaration: Declaration) -> Declaration:
        self.declarations[declaration.declaration_id] = declaration
        return declaration

    def _trouver(self, destinataire: dict[str, Any]) -> Declaration | None:
        if "declaration_id" in destinataire:
            return self.declarations.get(destinataire["declaration_id"])
        for declaration in self.declarations.values():
            if declaration.nom is not None and declaration.nom == destinataire.get("nom"):
                return declaration
        return None

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/consent/v1/interne/verifications")
        async def verifier(request: Request) -> JSONResponse:
            if self.panne:
                return JSONResponse({"code": "indisponible"}, status_code=503)
            body = await request.json()
            self.appels.append({"body": body, "auth": request.headers.get("authorization", "")})
            declaration = self._trouver(body["destinataire"])
            if declaration is None:
                return JSONResponse({"consentement": False, "motif": "absent"})
            if declaration.motif is not None:
                return JSONResponse({"consentement": False, "motif": declaration.motif})
            if "*" not in declaration.natures and body["nature"] not in declaration.natures:
                return JSONResponse({"consentement": False, "motif": "hors_perimetre"})
            return JSONResponse(
                {
                    "consentement": True,
                    "declaration_id": declaration.declaration_id,
                    "version": 1,
                    "natures": declaration.natures,
                    "canal": {"email": "destinataire@example.org", "mobile": None},
                    "commune_insee": declaration.commune_insee,
                    "cour_appel": "",
                    "fuseau": "",
                    "subdivision_feries": None,
                }
            )

        @app.post("/notify/v1/evenements")
        async def evenement(request: Request) -> JSONResponse:
            self.evenements.append(await request.json())
            return JSONResponse({}, status_code=202)

        return app

    def transport(self) -> httpx.AsyncBaseTransport:
        return httpx.ASGITransport(app=self.app())
