"""The limits of the HTTP exchange on a real server (issue 12, point 1): `signif serve`'s protocol and
`BodyLimitMiddleware`, on loopback, with raw sockets for what no well-behaved client would send.

Each hostile request gets a 4xx application/problem+json with its stable code, and nothing is stored:
the registry's log (one leaf per declaration created) stays empty.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.http import LimitesHttp
from signif.embedded import create_embedded_app
from tests.conftest import require_postgres
from tests.robustesse.support import bases, port_libre, reglages, servir
from tests.services.consent.conftest import corps

DELAI_ENTETES = 1.5
DELAI_CORPS = 2.0
DECLARATIONS = "/consent/v1/declarations"


def declaration() -> dict[str, Any]:
    corps_valide: dict[str, Any] = corps()
    corps_valide["contact"].pop("mobile")
    return corps_valide


@dataclass
class Reponse:
    statut: int
    entetes: dict[str, str]
    corps: bytes

    def probleme(self, statut: int, code: str) -> dict[str, Any]:
        assert self.statut == statut, (self.statut, self.corps[:300])
        assert self.entetes["content-type"] == "application/problem+json"
        probleme: dict[str, Any] = json.loads(self.corps)
        assert probleme["status"] == statut
        assert probleme["code"] == code, probleme
        return probleme


@dataclass
class Servi:
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def brut(self, morceaux: Sequence[bytes], pause: float = 0.0, attente: float = 15.0) -> Reponse:
        """Send `morceaux` on a fresh connection (`pause` seconds apart), read the first response."""
        lecteur, ecrivain = await asyncio.open_connection("127.0.0.1", self.port)
        # Read while sending: the server may answer (and close) before the client is done.
        lecture = asyncio.create_task(_lire(lecteur))
        try:
            try:
                for morceau in morceaux:
                    if lecture.done():
                        break
                    ecrivain.write(morceau)
                    await ecrivain.drain()
                    if pause:
                        await asyncio.wait([lecture], timeout=pause)
            except ConnectionError:
                pass  # the server answered and closed while we were still sending
            return await asyncio.wait_for(lecture, attente)
        finally:
            lecture.cancel()
            ecrivain.close()

    async def declarations_enregistrees(self) -> int:
        async with httpx.AsyncClient(base_url=self.base) as client:
            entrees = (await client.get("/consent/v1/journal/entrees")).json()["elements"]
        return len(entrees)


async def _lire(lecteur: asyncio.StreamReader) -> Reponse:
    ligne = await lecteur.readline()
    statut = int(ligne.split()[1])
    entetes: dict[str, str] = {}
    while (ligne := await lecteur.readline()) not in (b"\r\n", b""):
        nom, _, valeur = ligne.decode("latin-1").partition(":")
        entetes[nom.strip().lower()] = valeur.strip()
    corps = await lecteur.readexactly(int(entetes.get("content-length", "0")))
    return Reponse(statut, entetes, corps)


def requete(ligne: str, entetes: dict[str, str], corps: bytes = b"") -> bytes:
    tete = ligne + "\r\n" + "".join(f"{n}: {v}\r\n" for n, v in entetes.items()) + "\r\n"
    return tete.encode("latin-1") + corps


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def servi(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Servi]:
    if request.param == "postgresql":
        await require_postgres()
    port = port_libre()
    async with bases(request.param, tmp_path) as urls:
        reglage = reglages(
            tmp_path, urls, public_url=f"http://127.0.0.1:{port}", http_delai_corps=DELAI_CORPS
        )
        with servir(create_embedded_app(overrides=reglage), port, LimitesHttp(), DELAI_ENTETES):
            yield Servi(port)


async def test_a_normal_declaration_goes_through(servi: Servi) -> None:
    """The control: the same server accepts a well-formed declaration (and logs it)."""
    async with httpx.AsyncClient(base_url=servi.base) as client:
        reponse = await client.post(DECLARATIONS, json=declaration())
    assert reponse.status_code == 201, reponse.text
    assert await servi.declarations_enregistrees() == 1


async def test_header_and_line_limits(servi: Servi) -> None:
    hote = {"Host": "127.0.0.1"}
    # One 1 MB header: refused once 32 KiB have arrived, before the rest is even read.
    geant = await servi.brut([requete("GET /consent/healthz HTTP/1.1", {**hote, "X-Geant": "a" * 1_000_000})])
    geant.probleme(431, "entetes-trop-volumineux")
    # 500 headers of a few bytes each.
    nombreux = {f"X-E{i}": "v" for i in range(500)}
    (await servi.brut([requete("GET /consent/healthz HTTP/1.1", {**hote, **nombreux})])).probleme(
        431, "entetes-trop-volumineux"
    )
    # A request line of 10 KB; and a 1 MB query string.
    for longueur in (10_000, 1_000_000):
        ligne = f"GET /consent/v1/journal/entrees?x={'9' * longueur} HTTP/1.1"
        (await servi.brut([requete(ligne, hote)])).probleme(414, "uri-trop-longue")
    # A NUL byte in the query or the path.
    (await servi.brut([requete("GET /coffre/v1/actes?apres=%00 HTTP/1.1", hote)])).probleme(
        400, "requete-invalide"
    )
    (await servi.brut([requete("GET /consent/v1/declarations/a%00b HTTP/1.1", hote)])).probleme(
        400, "requete-invalide"
    )
    # Within the limits, the same server answers.
    petit = await servi.brut([requete("GET /consent/healthz HTTP/1.1", {**hote, "X-Petit": "a" * 1000})])
    assert petit.statut == 200


async def test_headers_sent_too_slowly_are_cut(servi: Servi) -> None:
    debut = time.monotonic()
    lent = [b"GET /consent/healthz HTTP/1.1\r\n", b"Host: 127.0.0.1\r\n", b"X-Un: 1\r\n", b"X-Deux: 2\r\n"]
    (await servi.brut(lent, pause=1.0)).probleme(408, "delai-depasse")
    assert DELAI_ENTETES <= time.monotonic() - debut < DELAI_ENTETES + 3
    # A connection that sends nothing at all is answered and closed too.
    lecteur, ecrivain = await asyncio.open_connection("127.0.0.1", servi.port)
    try:
        (await asyncio.wait_for(_lire(lecteur), DELAI_ENTETES + 3)).probleme(408, "delai-depasse")
    finally:
        ecrivain.close()


async def test_bodies_that_lie_or_trickle_store_nothing(servi: Servi) -> None:
    octets = json.dumps(declaration()).encode()
    json_ = {"Host": "127.0.0.1", "Content-Type": "application/json"}
    # Larger than the JSON limit (1 MB), by Content-Length up front.
    trop = await servi.brut(
        [requete(f"POST {DECLARATIONS} HTTP/1.1", {**json_, "Content-Length": "2000000"})]
    )
    trop.probleme(413, "trop-volumineux")
    # Larger than the limit while streaming (chunked, no Content-Length).
    morceau = b"a" * 65536
    en_morceaux = [requete(f"POST {DECLARATIONS} HTTP/1.1", {**json_, "Transfer-Encoding": "chunked"})]
    en_morceaux += [f"{len(morceau):x}\r\n".encode() + morceau + b"\r\n"] * 17
    (await servi.brut(en_morceaux)).probleme(413, "trop-volumineux")
    # Content-Length longer than the body: the missing bytes never come, the body deadline cuts it.
    (
        await servi.brut(
            [
                requete(
                    f"POST {DECLARATIONS} HTTP/1.1",
                    {**json_, "Content-Length": str(len(octets) + 100)},
                    octets,
                )
            ]
        )
    ).probleme(408, "delai-depasse")
    # Content-Length shorter than the body: the declaration is read truncated (invalid JSON, 422) and
    # its tail parsed as a next request (malformed, 400), whichever is answered first.
    court = requete(
        f"POST {DECLARATIONS} HTTP/1.1", {**json_, "Content-Length": str(len(octets) - 10)}, octets
    )
    reponse = await servi.brut([court])
    reponse.probleme(reponse.statut, "validation" if reponse.statut == 422 else "requete-invalide")
    assert reponse.statut in (400, 422)
    # A valid declaration sent at one byte per second.
    debut = time.monotonic()
    tete = requete(f"POST {DECLARATIONS} HTTP/1.1", {**json_, "Content-Length": str(len(octets))})
    lent = await servi.brut(
        [tete, *(octets[i : i + 1] for i in range(len(octets)))], pause=1.0, attente=DELAI_CORPS + 5
    )
    lent.probleme(408, "delai-depasse")
    assert time.monotonic() - debut < DELAI_CORPS + 5
    assert await servi.declarations_enregistrees() == 0
