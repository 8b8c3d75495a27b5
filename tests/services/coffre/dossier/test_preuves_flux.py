"""The bundle is written to a temporary file and streamed: an altered acte or annexe stops it with the
integrity alarm (500 problem, `alerte_integrite` leaf and event), never a bundle; the temporary file
is gone once the response is sent, after an error, and when the client goes away mid-download."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from starlette.requests import ClientDisconnect
from starlette.types import Message

from services.coffre.dossier.assemblage import repertoire_temporaire
from services.coffre.dossier.router import MORCEAU, FichierTemporaireResponse
from services.coffre.models import ActeEvenement
from shared.blobs.local import LocalBlobStore
from shared.evidence.verify import verify_bundle
from tests.services.coffre.conftest import CoffreEnTest, CoffreFactory
from tests.shared.evidence.helpers import alter_blob


def _ouverts(repertoire: Path) -> list[str]:
    """This process's open files under `repertoire` (an anonymous temporary file shows as
    `<repertoire>/#inode (deleted)`)."""
    prefixe = str(repertoire.resolve()) + "/"
    liens = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            liens.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            continue
    return [lien for lien in liens if lien.startswith(prefixe)]


def _alterer(t: CoffreEnTest, sha256: str) -> None:
    store = t.coffre.blobs
    assert isinstance(store, LocalBlobStore)
    alter_blob(store, sha256)


async def test_preuves_sans_fichier_residuel(coffre_factory: CoffreFactory, pdf_signe: bytes) -> None:
    async with coffre_factory() as t:
        acte_id = (await t.deposer(pdf_signe)).json()["id"]
        response = await t.client.get(f"/coffre/v1/actes/{acte_id}/preuves", headers=t.jeton())
        assert response.status_code == 200, response.text
        assert response.headers["content-length"] == str(len(response.content))
        tmp = repertoire_temporaire(t.coffre)
        assert tmp.is_dir()
        assert _ouverts(tmp) == []
        assert list(tmp.iterdir()) == []
    assert verify_bundle(response.content).ok


@pytest.mark.parametrize("piece", ["acte", "annexe"])
async def test_piece_alteree_alarme_sans_lot(
    coffre_factory: CoffreFactory, pdf_signe: bytes, pdf_signe_bis: bytes, piece: str
) -> None:
    async with coffre_factory() as t:
        depot = await t.deposer(pdf_signe, annexes=(("Pièce.pdf", pdf_signe_bis),))
        assert depot.status_code == 201, depot.text
        body = depot.json()
        acte_id = body["id"]
        sha256 = body["sha256"] if piece == "acte" else body["annexes"][0]["sha256"]
        _alterer(t, sha256)
        response = await t.client.get(f"/coffre/v1/actes/{acte_id}/preuves", headers=t.jeton())
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "integrite"
        async with t.runtime.db.transaction() as session:
            size = await t.coffre.repertoire.log.size(session)
            leaf = json.loads((await t.coffre.repertoire.log.leaves(session, size - 1, size))[0].data)
            events = (
                await session.scalars(select(ActeEvenement.type).where(ActeEvenement.acte_id == acte_id))
            ).all()
        assert leaf["type"] == "alerte_integrite"
        assert leaf["acte_id"] == acte_id
        assert leaf["sha256"] == sha256
        assert "alerte_integrite" in events
        tmp = repertoire_temporaire(t.coffre)
        assert _ouverts(tmp) == []
        assert list(tmp.iterdir()) == []


def _fichier(tmp_path: Path, taille: int) -> Any:
    fichier = tempfile.TemporaryFile(dir=tmp_path)  # noqa: SIM115 - the response under test closes it
    fichier.write(os.urandom(taille))
    fichier.seek(0)
    return fichier


async def _requete_vide() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def _scope(version: str) -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0", "spec_version": version}, "method": "GET"}


async def test_reponse_envoyee_en_entier_puis_fermee(tmp_path: Path) -> None:
    fichier = _fichier(tmp_path, 3 * MORCEAU + 5)
    response = FichierTemporaireResponse(fichier, media_type="application/zip", headers={})
    assert dict(response.headers)["content-length"] == str(3 * MORCEAU + 5)
    recus: list[Message] = []

    async def send(message: Message) -> None:
        recus.append(message)

    await response(_scope("2.4"), _requete_vide, send)
    assert sum(len(m.get("body", b"")) for m in recus) == 3 * MORCEAU + 5
    assert recus[-1]["more_body"] is False
    assert fichier.closed
    assert _ouverts(tmp_path) == []


async def test_client_parti_fichier_ferme_asgi_2_4(tmp_path: Path) -> None:
    """ASGI 2.4: the server reports the disconnect by raising OSError from `send`."""
    fichier = _fichier(tmp_path, 4 * MORCEAU)
    response = FichierTemporaireResponse(fichier, media_type="application/zip", headers={})
    envois = 0

    async def send(message: Message) -> None:
        nonlocal envois
        envois += 1
        if envois == 3:  # the start, one chunk, then the client is gone
            raise OSError("connection reset")

    with pytest.raises(ClientDisconnect):
        await response(_scope("2.4"), _requete_vide, send)
    assert fichier.closed
    assert _ouverts(tmp_path) == []


async def test_client_parti_fichier_ferme_asgi_2_0(tmp_path: Path) -> None:
    """ASGI 2.0: the disconnect arrives through `receive` while the body is being sent."""
    fichier = _fichier(tmp_path, 64 * MORCEAU)
    response = FichierTemporaireResponse(fichier, media_type="application/zip", headers={})
    envoyes = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal envoyes
        envoyes += len(message.get("body", b""))

    await response(_scope("2.0"), receive, send)
    assert envoyes < 64 * MORCEAU  # cut short
    assert fichier.closed
    assert _ouverts(tmp_path) == []
