"""Fixtures for the coffre service tests: signed PDFs and consent's standard declarations built
once, and a running coffre per test.

PDF building and signing are synchronous (pyHanko runs its own event loop), so they happen in
session-scoped sync fixtures. `registre_modele` walks the standard declarations through the real
consent once per session (`voisins.py`). `coffre_factory` starts a migrated coffre at a pinned
instant with the test PKI's root trusted, beside the real consent and notify on a copy of that
template and on the coffre's clock; its HTTP client reaches them in process (`Aiguillage`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.coffre.app import create_app
from services.coffre.contexte import Coffre
from services.coffre.documents import signer_pdf_octets
from services.coffre.settings import CoffreSettings
from shared.app import ServiceRuntime
from shared.clock import TestClock
from shared.testing import pdfs
from shared.testing.apps import commissaire_claims, issuer_for, migrate, running
from shared.testing.databases import sqlite_url
from shared.testing.pki import ThrowawayPki, build_pki
from tests.services.coffre.voisins import DECL, Modele, Voisins, construire_modele, voisins

#: Monday 2 March 2026, 10:00 in Paris: within legal hours everywhere in metropolitan France.
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SIGNED_AT = NOW - timedelta(hours=1)


@pytest.fixture(scope="session")
def depot_pki(tmp_path_factory: pytest.TempPathFactory) -> ThrowawayPki:
    return build_pki(tmp_path_factory.mktemp("depot-pki"), now=NOW)


@pytest.fixture(scope="session")
def pdf_signe(depot_pki: ThrowawayPki) -> bytes:
    return signer_pdf_octets(pdfs.acte_pdfa(), depot_pki.valid.signer(), at=SIGNED_AT)


@pytest.fixture(scope="session")
def pdf_signe_bis(depot_pki: ThrowawayPki) -> bytes:
    return signer_pdf_octets(pdfs.acte_pdfa(titre="Autre acte"), depot_pki.valid.signer(), at=SIGNED_AT)


@pytest.fixture(scope="session")
def mauvais_pdfs(depot_pki: ThrowawayPki, pdf_signe: bytes) -> dict[str, bytes]:
    acte = pdfs.acte_pdfa()

    def signe(pdf: bytes) -> bytes:
        return signer_pdf_octets(pdf, depot_pki.valid.signer(), at=SIGNED_AT)

    return {
        "jpeg": pdfs.jpeg(),
        "tronque": pdfs.tronque(pdf_signe),
        "chiffre": pdfs.acte_chiffre(),
        "javascript": signe(pdfs.avec_javascript(acte)),
        "non-signe": acte,
        "signature-alteree": pdfs.signature_alteree(pdf_signe),
        "page-ajoutee": pdfs.page_ajoutee_apres_signature(pdf_signe),
        "ac-inconnue": signer_pdf_octets(acte, depot_pki.untrusted.signer(), at=SIGNED_AT),
        "certificat-expire": signer_pdf_octets(
            acte, depot_pki.expired.signer(), at=depot_pki.expired_signing_time
        ),
    }


def metadonnees(**overrides: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "reference_dossier": "DOS-2026-0042",
        "nature": "signification_decision",
        "requerant": {"nom": "SCI Les Tilleuls"},
        "destinataire": {"declaration_id": DECL["paris"]},
    }
    meta.update(overrides)
    return meta


def multipart(meta: dict[str, Any] | bytes, document: bytes, *annexes: tuple[str, bytes]) -> dict[str, Any]:
    """httpx `files=` for a deposit."""
    raw = meta if isinstance(meta, bytes) else json.dumps(meta).encode()
    files: list[tuple[str, tuple[str | None, bytes, str]]] = [
        ("metadonnees", (None, raw, "application/json")),
        ("document", ("acte.pdf", document, "application/pdf")),
    ]
    files.extend(("annexes", (name, data, "application/pdf")) for name, data in annexes)
    return {"files": files}


@dataclass
class CoffreEnTest:
    client: httpx.AsyncClient
    runtime: ServiceRuntime
    voisins: Voisins
    settings: CoffreSettings
    app: FastAPI

    @property
    def coffre(self) -> Coffre:
        coffre: Coffre = self.app.state.coffre
        return coffre

    def jeton(self, **claims: Any) -> dict[str, str]:
        role = claims.pop("role", "commissaire")
        sub = claims.pop("sub", "commissaire-1")
        if role == "commissaire" and "office" not in claims:
            claims.update(commissaire_claims())
        token = issuer_for(self.settings).token(role=role, sub=sub, audience="coffre", **claims)
        return {"Authorization": f"Bearer {token}"}

    def commissaire(self, **office: Any) -> dict[str, str]:
        return self.jeton(**commissaire_claims(**office))

    async def deposer(
        self,
        document: bytes,
        meta: dict[str, Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
        annexes: tuple[tuple[str, bytes], ...] = (),
    ) -> httpx.Response:
        return await self.client.post(
            "/coffre/v1/actes",
            headers=headers if headers is not None else self.jeton(),
            **multipart(meta if meta is not None else metadonnees(), document, *annexes),
        )

    async def blobs(self) -> list[str]:
        return [ref.sha256 async for ref in self.coffre.blobs.iter_all()]


CoffreFactory = Callable[..., AbstractAsyncContextManager[CoffreEnTest]]


@pytest.fixture(scope="session")
async def registre_modele(tmp_path_factory: pytest.TempPathFactory) -> Modele:
    """consent's standard declarations (`voisins.PERSONNES`), made once; `DECL` names their ids."""
    modele = await construire_modele(tmp_path_factory.mktemp("consent-modele"))
    DECL.charger(modele.ids)
    return modele


@pytest.fixture
def coffre_factory(tmp_path: Path, depot_pki: ThrowawayPki, registre_modele: Modele) -> CoffreFactory:
    @asynccontextmanager
    async def start(
        *,
        now: datetime = NOW,
        database_url: str | None = None,
        base_url: str = "http://testserver",
        **settings_overrides: Any,
    ) -> AsyncIterator[CoffreEnTest]:
        settings = CoffreSettings(
            env="test",
            var_dir=tmp_path,
            database_url=database_url or sqlite_url(tmp_path),
            run_jobs_in_process=False,
            now=now,
            trust_roots=depot_pki.trusted_root_pem,
            taches_periodiques=settings_overrides.pop("taches_periodiques", False),
            **settings_overrides,
        )
        await migrate(settings)
        clock = TestClock(now)
        async with voisins(registre_modele, tmp_path, clock) as v:
            app = create_app(settings, clock=clock, http_transport=v.aiguillage)
            v.aiguillage.brancher("coffre", app)
            async with running(app, base_url=base_url) as client:
                yield CoffreEnTest(client, app.state.runtime, v, settings, app)

    return start
