"""A client that disconnects mid-upload leaves no acte and, after the cleanup job, no blob."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from services.coffre.journal.taches import nettoyer_orphelins
from services.coffre.models import Acte, DepotEnCours
from tests.services.coffre.conftest import CoffreFactory, metadonnees
from tests.services.coffre.depot.helpers import assert_rien_stocke, compter

BOUNDARY = "frontiere"


def _debut(document: bytes) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="metadonnees"\r\n\r\n'.encode()
        + json.dumps(metadonnees()).encode()
        + f"\r\n--{BOUNDARY}\r\n".encode()
        + b'Content-Disposition: form-data; name="document"; filename="a.pdf"\r\n\r\n'
        + document
        + f"\r\n--{BOUNDARY}\r\n".encode()
        + b'Content-Disposition: form-data; name="annexes"; filename="b.pdf"\r\n\r\n'
        + b"%PDF-1.7 annexe partielle"
    )


async def _asgi_upload(t: Any, chunks: list[bytes]) -> list[dict[str, Any]]:
    """Drive the ASGI app directly: the body stops in the middle, then the client disconnects."""
    app = t.client._transport.app
    token = t.jeton()["Authorization"].encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/coffre/v1/actes",
        "raw_path": b"/coffre/v1/actes",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", token),
            (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
        ],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }
    messages = [{"type": "http.request", "body": c, "more_body": True} for c in chunks]
    messages.append({"type": "http.disconnect"})
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def test_deconnexion_pendant_le_document(coffre_factory: CoffreFactory, pdf_signe: bytes) -> None:
    async with coffre_factory() as t:
        body = _debut(pdf_signe)
        cut = body.index(b"%PDF") + len(pdf_signe) // 2
        await _asgi_upload(t, [body[:cut]])
        await assert_rien_stocke(t)


async def test_deconnexion_pendant_une_annexe(coffre_factory: CoffreFactory, pdf_signe: bytes) -> None:
    """The document blob was complete when the client left: it is removed at once (unreferenced)."""
    async with coffre_factory() as t:
        await _asgi_upload(t, [_debut(pdf_signe)])
        await assert_rien_stocke(t)


async def test_nettoyage_des_orphelins(
    coffre_factory: CoffreFactory, pdf_signe: bytes, pdf_signe_bis: bytes
) -> None:
    """A crash between storing a blob and committing its acte leaves a registration: the job cleans up."""
    async with coffre_factory() as t:
        kept = await t.deposer(pdf_signe)
        assert kept.status_code == 201
        orphan = await t.coffre.blobs.put_bytes(pdf_signe_bis)
        now = t.runtime.clock.now()
        async with t.runtime.db.transaction() as session:
            session.add(DepotEnCours(id="crash-1", sha256=orphan.sha256, cree_le=now))
        async with t.runtime.db.transaction() as session:
            assert await nettoyer_orphelins(session, t.coffre, now=now) == 0  # still within the grace period
        later = now + timedelta(minutes=t.settings.orphelins_delai_minutes + 1)
        async with t.runtime.db.transaction() as session:
            assert await nettoyer_orphelins(session, t.coffre, now=later) == 1
        assert await t.blobs() == [kept.json()["sha256"]]
        counts = await compter(t)
        assert counts["en_cours"] == 0
        assert counts["actes"] == 1
        async with t.runtime.db.transaction() as session:
            assert await session.get(Acte, kept.json()["id"]) is not None
