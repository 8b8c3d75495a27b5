"""Test tooling for the retrieval pages and the reception: a coffre on an https base URL (the session
cookie is `Secure`) beside the real consent and notify (`voisins.py`), the destinataire accounts of
the standard declarations, and a walk through the pages with the code consent e-mails.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from shared.clock import TestClock
from tests.services.coffre.conftest import NOW, CoffreEnTest, CoffreFactory, metadonnees
from tests.services.coffre.voisins import DECL, PERSONNES, Voisins

BASE = "https://coffre.test"


@dataclass(frozen=True)
class Compte:
    """A destinataire's consent account: the e-mail and password of a standard declaration."""

    declaration: str  # key of DECL
    email: str
    mot_de_passe: str


def compte(declaration: str) -> Compte:
    personne = PERSONNES[declaration]
    return Compte(declaration, personne.email, personne.mot_de_passe)


PERSONNE_PARIS = compte("paris")
PERSONNE_AUTRE = compte("paris-2")
PERSONNE_GUADELOUPE = compte("guadeloupe")


@dataclass
class Banc:
    t: CoffreEnTest

    @property
    def client(self) -> httpx.AsyncClient:
        return self.t.client

    @property
    def voisins(self) -> Voisins:
        return self.t.voisins

    async def signifier(self, pdf: bytes, declaration: str = "paris", **meta: Any) -> str:
        destinataire = {"declaration_id": DECL[declaration]}
        r = await self.t.deposer(pdf, metadonnees(destinataire=destinataire, **meta))
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


def _autre_code(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


async def se_connecter(
    b: Banc,
    jeton: str,
    compte: Compte,
    *,
    client: httpx.AsyncClient | None = None,
    code_errone: bool = False,
) -> httpx.Response:
    """Walk the page: GET, e-mail + password, then the code consent e-mailed (or a wrong one).
    Returns the page after the code."""
    client = client or b.client
    page = await client.get(f"/coffre/retrait/{jeton}")
    assert page.status_code == 200
    envoyes = len(b.voisins.smtp.received)
    r = await client.post(
        f"/coffre/retrait/{jeton}/connexion",
        data={"csrf": csrf(page.text), "email": compte.email, "mot_de_passe": compte.mot_de_passe},
    )
    assert r.status_code == 303
    assert len(b.voisins.smtp.received) == envoyes + 1, "consent e-mailed no code"
    code = b.voisins.dernier_code(compte.email)
    page = await client.get(f"/coffre/retrait/{jeton}")
    assert "Saisir le code" in page.text
    r = await client.post(
        f"/coffre/retrait/{jeton}/code",
        data={"csrf": csrf(page.text), "code": _autre_code(code) if code_errone else code},
    )
    assert r.status_code == 303
    return await client.get(str(r.headers["location"]))


async def telecharger(client: httpx.AsyncClient, jeton: str, acte_id: str | None = None) -> httpx.Response:
    page = await client.get(f"/coffre/retrait/{jeton}")
    data = {"csrf": csrf(page.text)}
    if acte_id is not None:
        data["acte_id"] = acte_id
    return await client.post(f"/coffre/retrait/{jeton}/telechargement", data=data)


def banc_factory(coffre_factory: CoffreFactory) -> BancFactory:
    @asynccontextmanager
    async def start(*, now: datetime = NOW, database_url: str | None = None) -> AsyncIterator[Banc]:
        async with coffre_factory(now=now, database_url=database_url, base_url=BASE) as t:
            yield Banc(t)

    return start


def nouveau_client(banc: Banc, *, adresse: str = "127.0.0.1") -> httpx.AsyncClient:
    """A second browser (its own cookie jar) on the same app, from the client address `adresse`."""
    transport = httpx.ASGITransport(app=banc.t.app, client=(adresse, 40000))
    return httpx.AsyncClient(transport=transport, base_url=BASE)


def regler(banc: Banc, instant: datetime) -> None:
    """Move the test clock (forward only): the coffre's, consent's and notify's."""
    horloge = banc.t.runtime.clock
    assert isinstance(horloge, TestClock)
    horloge.set(instant)


async def executer(banc: Banc) -> int:
    """Run the coffre's jobs due at the test clock's instant."""
    runner = banc.t.runtime.runner
    assert runner is not None
    return await runner.run_due()
