"""Test tooling for the retrieval pages and the reception: a consent stand-in that also answers the
destinataire sign-in contract (contracts.md) with real EdDSA tokens and a JWKS, a coffre started on
an https base URL (the session cookie is `Secure`), and a walk through the pages.

consent's real sign-in endpoints are being finished in parallel; this stand-in implements exactly
the contract: `POST /consent/v1/interne/destinataires/connexion` → `{"defi_id"}`,
`POST .../connexion/{defi_id}/code` → `{"jeton"}` or 401 `authentification`,
`GET /consent/v1/.well-known/jwks.json`.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ed25519
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.coffre.app import create_app
from services.coffre.settings import CoffreSettings
from shared.clock import TestClock
from shared.crypto.jws import jwks, key_id
from shared.testing.apps import migrate, running
from shared.testing.databases import sqlite_url
from shared.testing.pki import ThrowawayPki
from tests.services.coffre.conftest import NOW, CoffreEnTest, declarations_standard, metadonnees
from tests.services.coffre.doubles import ConsentDouble, Declaration

CODE = "123456"
BASE = "https://coffre.test"


@dataclass
class Compte:
    email: str
    mot_de_passe: str
    sub: str
    declarations: list[str]
    role: str = "destinataire"


@dataclass
class ConsentAvecConnexion(ConsentDouble):
    """`ConsentDouble` plus the destinataire sign-in contract."""

    horloge: Callable[[], datetime] = lambda: NOW
    cle: ed25519.Ed25519PrivateKey = field(default_factory=ed25519.Ed25519PrivateKey.generate)
    comptes: dict[str, Compte] = field(default_factory=dict)
    defis: dict[str, str] = field(default_factory=dict)
    connexions: list[dict[str, Any]] = field(default_factory=list)

    def compte(self, compte: Compte) -> Compte:
        self.comptes[compte.email] = compte
        return compte

    def jeton_pour(
        self, compte: Compte, *, cle: ed25519.Ed25519PrivateKey | None = None, **claims: Any
    ) -> str:
        cle = cle or self.cle
        now = int(time.time())  # consent's token lifetimes use the wall clock
        payload = {
            "iss": "signif-consent",
            "aud": "coffre",
            "role": compte.role,
            "sub": compte.sub,
            "declarations": compte.declarations,
            "iat": now,
            "exp": now + 900,
            **claims,
        }
        return jwt.encode(payload, cle, algorithm="EdDSA", headers={"kid": key_id(cle.public_key())})

    def app(self) -> FastAPI:
        app = super().app()

        @app.post("/consent/v1/interne/destinataires/connexion")
        async def connexion(request: Request) -> JSONResponse:
            body = await request.json()
            self.connexions.append({"body": body, "auth": request.headers.get("authorization", "")})
            defi = str(uuid.uuid4())
            compte = self.comptes.get(body["email"])
            if compte is not None and compte.mot_de_passe == body["mot_de_passe"]:
                self.defis[defi] = compte.email
            return JSONResponse({"defi_id": defi})

        @app.post("/consent/v1/interne/destinataires/connexion/{defi_id}/code")
        async def code(defi_id: str, request: Request) -> JSONResponse:
            body = await request.json()
            email = self.defis.pop(defi_id, None)
            if email is None or body["code"] != CODE:
                return JSONResponse({"code": "authentification"}, status_code=401)
            return JSONResponse({"jeton": self.jeton_pour(self.comptes[email])})

        @app.get("/consent/v1/.well-known/jwks.json")
        async def cles() -> JSONResponse:
            return JSONResponse(jwks([self.cle.public_key()]))

        return app


PERSONNE_PARIS = Compte("marie@example.org", "mot-de-passe-long", "personne-1", ["decl-paris"])
PERSONNE_AUTRE = Compte("paul@example.org", "autre-mot-de-passe", "personne-2", ["decl-paris-2"])
PERSONNE_GUADELOUPE = Compte("lea@example.org", "mot-de-passe-gp", "personne-3", ["decl-guadeloupe"])


@dataclass
class Banc:
    t: CoffreEnTest
    consent: ConsentAvecConnexion
    app: FastAPI

    @property
    def client(self) -> httpx.AsyncClient:
        return self.t.client

    async def signifier(self, pdf: bytes, declaration: str = "decl-paris", **meta: Any) -> str:
        r = await self.t.deposer(pdf, metadonnees(destinataire={"declaration_id": declaration}, **meta))
        assert r.status_code == 201, r.text
        assert r.json()["statut"] == "envoye"
        return str(r.json()["id"])

    async def lien(self, acte_id: str) -> str:
        service = self.t.jeton(role="service", sub="service:notify")
        r = await self.client.post(f"/coffre/v1/interne/actes/{acte_id}/lien", headers=service)
        assert r.status_code == 200, r.text
        return str(r.json()["url"]).rsplit("/", 1)[1]


BancFactory = Callable[..., AbstractAsyncContextManager[Banc]]


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, html
    return found.group(1)


async def se_connecter(
    client: httpx.AsyncClient, jeton: str, compte: Compte, *, code: str = CODE
) -> httpx.Response:
    """Walk the page: GET, e-mail + password, code. Returns the page after the code."""
    page = await client.get(f"/coffre/retrait/{jeton}")
    assert page.status_code == 200
    r = await client.post(
        f"/coffre/retrait/{jeton}/connexion",
        data={"csrf": csrf(page.text), "email": compte.email, "mot_de_passe": compte.mot_de_passe},
    )
    assert r.status_code == 303
    page = await client.get(f"/coffre/retrait/{jeton}")
    assert "Saisir le code" in page.text
    r = await client.post(f"/coffre/retrait/{jeton}/code", data={"csrf": csrf(page.text), "code": code})
    assert r.status_code == 303
    return await client.get(str(r.headers["location"]))


async def telecharger(client: httpx.AsyncClient, jeton: str, acte_id: str | None = None) -> httpx.Response:
    page = await client.get(f"/coffre/retrait/{jeton}")
    data = {"csrf": csrf(page.text)}
    if acte_id is not None:
        data["acte_id"] = acte_id
    return await client.post(f"/coffre/retrait/{jeton}/telechargement", data=data)


def banc_factory(tmp_path: Path, depot_pki: ThrowawayPki) -> BancFactory:
    @asynccontextmanager
    async def start(*, now: datetime = NOW, database_url: str | None = None) -> AsyncIterator[Banc]:
        settings = CoffreSettings(
            env="test",
            var_dir=tmp_path,
            database_url=database_url or sqlite_url(tmp_path),
            run_jobs_in_process=False,
            now=now,
            trust_roots=depot_pki.trusted_root_pem,
            taches_periodiques=False,
        )
        await migrate(settings)
        holder: list[Any] = []
        consent = ConsentAvecConnexion(horloge=lambda: holder[0].clock.now())
        declarations_standard(consent)
        consent.ajouter(Declaration("decl-paris-2", "75056"))
        for compte in (PERSONNE_PARIS, PERSONNE_AUTRE, PERSONNE_GUADELOUPE):
            consent.compte(compte)
        app = create_app(settings, http_transport=consent.transport())
        holder.append(app.state.runtime)
        async with running(app, base_url=BASE) as client:
            yield Banc(CoffreEnTest(client, app.state.runtime, consent, settings), consent, app)

    return start


def nouveau_client(banc: Banc) -> httpx.AsyncClient:
    """A second browser (its own cookie jar) on the same app."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=banc.app), base_url=BASE)


def regler(banc: Banc, instant: datetime) -> None:
    """Move the test clock (forward only)."""
    horloge = banc.t.runtime.clock
    assert isinstance(horloge, TestClock)
    horloge.set(instant)


async def executer(banc: Banc) -> int:
    """Run the jobs due at the test clock's instant."""
    runner = banc.t.runtime.runner
    assert runner is not None
    return await runner.run_due()
