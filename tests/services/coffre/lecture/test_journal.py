"""The répertoire's endpoints verify with the shared/translog verifier, from the published key only."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta

from services.coffre.journal.taches import auditer, horodater_checkpoint
from shared.timestamps.token import parse_response
from shared.translog import Verifier, leaf_hash, verify_checkpoint, verify_consistency, verify_inclusion
from tests.services.coffre.conftest import CoffreFactory
from tests.services.coffre.voisins import DECL


async def test_checkpoint_preuves_et_cle(coffre_factory: CoffreFactory, pdf_signe: bytes) -> None:
    async with coffre_factory() as t:
        assert (await t.deposer(pdf_signe)).status_code == 201
        old = verify_checkpoint(
            (await t.client.get("/coffre/v1/journal/checkpoint")).text,
            [Verifier.from_vkey((await t.client.get("/coffre/v1/journal/cle")).text.strip())],
        )
        assert old.size == 2
        assert (await t.deposer(pdf_signe)).status_code == 201
        response = await t.client.get("/coffre/v1/journal/checkpoint")
        assert response.headers["content-type"].startswith("text/plain")
        vkey = (await t.client.get("/coffre/v1/journal/cle")).text.strip()
        checkpoint = verify_checkpoint(response.text, [Verifier.from_vkey(vkey)])
        assert checkpoint.origin == "signif.example/coffre/repertoire"
        assert checkpoint.size == 4

        entrees = (await t.client.get("/coffre/v1/journal/entrees?debut=0&fin=10")).json()["elements"]
        assert [json.loads(e["donnees"])["type"] for e in entrees] == ["depot", "envoi", "depot", "envoi"]
        # Issue 19 (finding 6): the envoi names the destinataire's declaration only by a salted
        # commitment, a different one in each leaf.
        envois = [json.loads(e["donnees"]) for e in entrees if '"type":"envoi"' in e["donnees"]]
        assert all(DECL["paris"] not in e["donnees"] for e in entrees)
        assert envois[0]["declaration_engagement"] != envois[1]["declaration_engagement"]
        for entree in entrees:
            proof = (
                await t.client.get(f"/coffre/v1/journal/preuves/inclusion?index={entree['index']}&taille=4")
            ).json()["hashes"]
            verify_inclusion(
                leaf_hash(entree["donnees"].encode()),
                entree["index"],
                4,
                [base64.b64decode(h) for h in proof],
                checkpoint.root_hash,
            )
        coherence = (await t.client.get("/coffre/v1/journal/preuves/coherence?ancienne=2&nouvelle=4")).json()
        verify_consistency(
            2, 4, [base64.b64decode(h) for h in coherence["hashes"]], old.root_hash, checkpoint.root_hash
        )
        trop = await t.client.get("/coffre/v1/journal/preuves/inclusion?index=0&taille=99")
        assert trop.status_code == 422
        assert trop.json()["code"] == "validation"


async def test_checkpoint_horodate_et_audit(coffre_factory: CoffreFactory, pdf_signe: bytes) -> None:
    async with coffre_factory() as t:
        sha = (await t.deposer(pdf_signe)).json()["sha256"]
        now = t.runtime.clock.now()
        async with t.runtime.db.transaction() as session:
            row = await horodater_checkpoint(session, t.coffre, now=now)
            resultat = await auditer(session, t.coffre, now=now)
        token = parse_response(row.jeton)
        assert token.hashed_message == hashlib.sha256(row.checkpoint.encode()).digest()
        assert resultat["verifies"] == 1
        assert resultat["alteres"] == []
        path = t.coffre.blobs.path_for(sha)  # type: ignore[attr-defined]
        path.chmod(0o644)
        path.write_bytes(path.read_bytes()[:-1] + b"X")
        async with t.runtime.db.transaction() as session:
            resultat = await auditer(session, t.coffre, now=now)
            size = await t.coffre.repertoire.log.size(session)
            leaf = (await t.coffre.repertoire.log.leaves(session, size - 1, size))[0]
        assert resultat["alteres"] == [sha]
        assert json.loads(leaf.data)["alteres"] == [sha]


async def test_taches_periodiques_planifiees(coffre_factory: CoffreFactory) -> None:
    async with coffre_factory(taches_periodiques=True) as t:
        assert await t.runtime.runner.run_due() == 0  # type: ignore[union-attr] # first slot: next hour
        next_hour = t.runtime.clock.now().replace(minute=0) + timedelta(hours=1)
        t.runtime.clock.set(next_hour)  # type: ignore[attr-defined]
        assert await t.runtime.runner.run_due() == 2  # type: ignore[union-attr] # checkpoint + orphans
        async with t.runtime.db.transaction() as session:
            assert await t.coffre.repertoire.log.latest_checkpoint(session) is not None


async def test_jwks(coffre_factory: CoffreFactory) -> None:
    async with coffre_factory() as t:
        keys = (await t.client.get("/coffre/v1/.well-known/jwks.json")).json()["keys"]
        assert [k["kid"] for k in keys] == [t.coffre.sceau.kid]
        assert keys[0]["crv"] == "Ed25519"
