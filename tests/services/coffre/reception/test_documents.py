"""Sealed documents issued once: served byte-identical, a new fact issues a new version with its own
leaf, earlier versions stay retrievable, and the evidence bundle carries them all, the current one
marked; `signif verify` ties each to its leaf."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

from services.coffre.reception.prise import telecharger
from shared.clock import TestClock
from shared.evidence import format as fmt
from shared.evidence.archive import sha256_hex
from shared.evidence.verify import verify_bundle
from tests.services.coffre.conftest import NOW, CoffreEnTest, CoffreFactory
from tests.services.coffre.reception.test_lettre_simple import _remplacer
from tests.services.coffre.voisins import DECL

MINUIT_PARIS = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)


def _regler(t: CoffreEnTest, moment: datetime) -> None:
    horloge = t.runtime.clock
    assert isinstance(horloge, TestClock)
    horloge.set(moment)


async def _get(t: CoffreEnTest, chemin: str) -> tuple[bytes, dict[str, str]]:
    r = await t.client.get(chemin, headers={**t.jeton(), "Accept": "application/pdf"})
    assert r.status_code == 200, r.text
    return r.content, dict(r.headers)


def _feuilles(bundle: bytes) -> dict[int, dict[str, object]]:
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        brutes = json.loads(archive.read(fmt.FEUILLES))
    return {f["index"]: json.loads(base64.b64decode(f["donnees"])) for f in brutes}


async def test_certificat_emis_une_fois_puis_nouvelle_version(
    coffre_factory: CoffreFactory, pdf_signe: bytes, database_url: str
) -> None:
    async with coffre_factory(database_url=database_url) as t:
        acte_id = (await t.deposer(pdf_signe)).json()["id"]
        _regler(t, MINUIT_PARIS)
        assert t.runtime.runner is not None
        assert await t.runtime.runner.run_due() >= 1
        url = f"/coffre/v1/actes/{acte_id}/certificat"
        v1, entetes = await _get(t, url)
        assert entetes["x-document-version"] == "1"
        assert entetes["etag"] == f'"{sha256_hex(v1)}"'
        _regler(t, datetime(2026, 3, 3, 10, 0, tzinfo=UTC))  # later requests, same facts
        encore, _ = await _get(t, url)
        assert encore == v1  # byte-identical, not re-sealed at the request's instant
        lettre, _ = await _get(t, f"/coffre/v1/actes/{acte_id}/lettre-simple")
        assert (await _get(t, f"/coffre/v1/actes/{acte_id}/lettre-simple"))[0] == lettre

        # A new fact: the lettre simple posted. The certificat states it in a version 2.
        poste = await t.client.post(
            f"/coffre/v1/actes/{acte_id}/lettre-simple/envoi",
            headers=t.jeton(),
            json={"envoyee_le": "2026-03-03"},
        )
        assert poste.status_code == 200
        v2, entetes = await _get(t, url)
        assert v2 != v1
        assert entetes["x-document-version"] == "2"
        ancien, _ = await _get(t, f"/coffre/v1/actes/{acte_id}/documents/certificat/1")
        assert ancien == v1
        liste = (await t.client.get(f"/coffre/v1/actes/{acte_id}/documents", headers=t.jeton())).json()
        certificats = [d for d in liste["documents"] if d["type"] == "certificat"]
        assert [(d["version"], d["sha256"], d["en_vigueur"]) for d in certificats] == [
            (1, sha256_hex(v1), False),
            (2, sha256_hex(v2), True),
        ]
        inconnue = await t.client.get(f"/coffre/v1/actes/{acte_id}/documents/certificat/3", headers=t.jeton())
        assert inconnue.status_code == 404
        assert inconnue.json()["code"] == "document-introuvable"
        bundle = (await t.client.get(f"/coffre/v1/actes/{acte_id}/preuves", headers=t.jeton())).content
        # Making a bundle issues nothing new: the facts have not changed.
        apres = (await t.client.get(f"/coffre/v1/actes/{acte_id}/documents", headers=t.jeton())).json()
        assert len(apres["documents"]) == len(liste["documents"])

    rapport = verify_bundle(bundle)
    assert rapport.ok, "\n".join(str(c) for c in rapport.checks)
    assert any("certificat : 2 version(s)" in c.message for c in rapport.checks)
    feuilles = _feuilles(bundle)
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        index = json.loads(archive.read(fmt.DOCUMENTS_INDEX))
        assert archive.read("documents/certificat-v1.pdf") == v1
        assert archive.read("documents/certificat-v2.pdf") == v2
        assert archive.read(fmt.CERTIFICAT) == v2
        assert archive.read("documents/lettre-simple-v1.pdf") == lettre
    for entree in index:
        feuille = feuilles[entree["journal_index"]]
        assert feuille["type"] == "document"
        assert (feuille["document"], feuille["version"], feuille["sha256"]) == (
            entree["type"],
            entree["version"],
            entree["sha256"],
        )

    # A changed version, manifest and sums recomputed to match: its leaf still names the old hash.
    falsifie = _remplacer(bundle, "documents/certificat-v1.pdf", b"Certificat", b"Certificag")
    echec = verify_bundle(falsifie)
    assert not echec.ok
    assert echec.failure is not None
    assert echec.failure.piece == "documents/certificat-v1.pdf"


async def test_avis_de_reception_pdf_identique(
    coffre_factory: CoffreFactory, pdf_signe: bytes, database_url: str
) -> None:
    async with coffre_factory(database_url=database_url) as t:
        acte_id = (await t.deposer(pdf_signe)).json()["id"]
        _regler(t, NOW + timedelta(hours=2))
        retrait = await telecharger(t.coffre, acte_id, declarations=[DECL["paris"]], personne="p-1")
        assert b"".join([c async for c in retrait.contenu]) == pdf_signe
        url = f"/coffre/v1/actes/{acte_id}/avis-de-reception"
        premier, _ = await _get(t, url)
        _regler(t, NOW + timedelta(days=30))
        second, entetes = await _get(t, url)
        bundle = (await t.client.get(f"/coffre/v1/actes/{acte_id}/preuves", headers=t.jeton())).content
    assert second == premier
    assert entetes["x-document-version"] == "1"
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        assert archive.read(fmt.AVIS_RECEPTION_PDF) == premier
    assert verify_bundle(bundle).ok
