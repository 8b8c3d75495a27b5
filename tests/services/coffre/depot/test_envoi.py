"""A valid deposit is sent at once: acte row, timestamp, répertoire leaves, outbox event, one response."""

from __future__ import annotations

import base64
import hashlib
import json

from sqlalchemy import select

from services.coffre.journal.repertoire import canonical_json
from services.coffre.models import JOB_TABLES, Acte
from shared.timestamps.token import parse_response
from shared.translog import Verifier, leaf_hash, verify_checkpoint, verify_inclusion
from tests.services.coffre.conftest import NOW, CoffreFactory
from tests.services.coffre.voisins import DECL


async def test_depot_envoye_dans_les_heures_legales(
    coffre_factory: CoffreFactory, pdf_signe: bytes, database_url: str
) -> None:
    async with coffre_factory(database_url=database_url) as t:
        response = await t.deposer(pdf_signe)
        assert response.status_code == 201, response.text
        body = response.json()
        sha = hashlib.sha256(pdf_signe).hexdigest()
        assert body["statut"] == "envoye"
        assert body["sha256"] == sha
        assert body["taille"] == len(pdf_signe)
        assert body["envoye_le"] == "2026-03-02T09:00:00Z"
        assert body["envoi_prevu_le"] is None
        assert body["consentement"] == {"declaration_id": DECL["paris"]}
        assert body["signature"]["valide"] is True
        assert "Alice Valide" in body["signature"]["signataire"]

        token = parse_response(base64.b64decode(body["horodatage"]["jeton"]))
        assert token.hashed_message == bytes.fromhex(sha)

        journal = body["journal"]
        verifier = Verifier.from_vkey(t.coffre.repertoire.signer.verifier.vkey)
        checkpoint = verify_checkpoint(journal["checkpoint"], [verifier])
        assert checkpoint.size == journal["taille"] == 2
        async with t.runtime.db.transaction() as session:
            leaf = (await t.coffre.repertoire.log.leaves(session, journal["index"], journal["index"] + 1))[0]
            acte = (await session.scalars(select(Acte))).one()
            outbox = (await session.execute(select(JOB_TABLES.outbox))).all()
        feuille = json.loads(leaf.data)
        assert feuille["type"] == "envoi"
        assert feuille["acte_id"] == body["id"]
        assert leaf.data == canonical_json(feuille)
        assert "SCI" not in leaf.data.decode()
        assert "DOS-2026" not in leaf.data.decode()
        verify_inclusion(
            leaf_hash(leaf.data),
            journal["index"],
            checkpoint.size,
            [base64.b64decode(h) for h in journal["preuve_inclusion"]],
            checkpoint.root_hash,
        )
        assert acte.envoye_le == NOW
        assert [row.type for row in outbox] == ["acte.envoye"]
        event = outbox[0].donnees
        assert event["office_id"] == "office-paris-1"
        assert event["declaration_id"] == DECL["paris"]
        assert event["nature_libelle"].startswith("Signification")
        assert await t.blobs() == [sha]
        # consent was asked about the instant of sending, and recorded the coffre's verification.
        [verification] = await t.voisins.verifications()
        assert verification.a == NOW
        assert verification.demandeur == "service:coffre"
        assert (verification.declaration_id, verification.consentement) == (DECL["paris"], True)
        assert verification.leaf_index is not None  # consent answers once the leaf is in its log
        feuille = await t.voisins.feuille_du_registre(verification.leaf_index)
        assert feuille["type"] == "verification"
        assert feuille["a"] == NOW.isoformat()
        assert (feuille["declaration_id"], feuille["consentement"]) == (DECL["paris"], True)
