"""The registry log: signed checkpoints, leaves without personal data, inclusion and consistency proofs."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from services.consent.models import JOURNAL_TABLES, Consultation, Evenement
from shared.translog import Verifier, leaf_hash, verify_checkpoint, verify_consistency, verify_inclusion
from tests.services.consent.conftest import (
    DEBUT,
    Consent,
    activer,
    consent_settings,
    declarer,
    demarrer,
    ouverte,
    soumettre,
)

J = "/consent/v1/journal"


async def test_checkpoint_entries_and_proofs_verify(consent_db: Consent) -> None:
    env = consent_db
    await declarer(env)
    vkey = (await env.client.get(f"{J}/cle")).text.strip()
    verifier = Verifier.from_vkey(vkey)
    first = await env.client.get(f"{J}/checkpoint")
    assert first.headers["content-type"].startswith("text/plain")
    old = verify_checkpoint(first.text, [verifier])
    assert old.size == 1
    d = await soumettre(env)
    new = verify_checkpoint((await env.client.get(f"{J}/checkpoint")).text, [verifier])
    assert new.size > old.size
    entrees = (await env.client.get(f"{J}/entrees", params={"debut": 0, "fin": new.size})).json()["elements"]
    assert [e["index"] for e in entrees] == list(range(new.size))
    texte = json.dumps(entrees, ensure_ascii=False)
    for secret in ("Dupont", "Élise", "elise.dupont", "1984-07-14", "Lilas"):
        assert secret not in texte
    types = [json.loads(e["donnees"])["type"] for e in entrees]
    assert types[0] == "declaration.creee"
    assert "declaration.soumise" in types
    assert all(d.id not in e["donnees"] for e in entrees)  # committed to, never in clear
    ouvertes = [await ouverte(env.runtime, json.loads(e["donnees"])) for e in entrees]
    assert any(o.get("declaration_id") == d.id for o in ouvertes)
    for entree in entrees:
        proof = (
            await env.client.get(
                f"{J}/preuves/inclusion", params={"index": entree["index"], "taille": new.size}
            )
        ).json()
        assert base64.b64decode(entree["hash"]) == leaf_hash(entree["donnees"].encode())
        verify_inclusion(
            leaf_hash(entree["donnees"].encode()),
            entree["index"],
            new.size,
            [base64.b64decode(h) for h in proof["hashes"]],
            new.root_hash,
        )
    consistency = (
        await env.client.get(f"{J}/preuves/coherence", params={"ancienne": old.size, "nouvelle": new.size})
    ).json()
    verify_consistency(
        old.size, new.size, [base64.b64decode(h) for h in consistency["hashes"]], old.root_hash, new.root_hash
    )


async def test_bad_proof_requests_are_422(consent: Consent) -> None:
    await declarer(consent)
    assert (
        await consent.client.get(f"{J}/preuves/inclusion", params={"index": 5, "taille": 2})
    ).status_code == 422
    assert (
        await consent.client.get(f"{J}/preuves/inclusion", params={"index": 0, "taille": 99})
    ).status_code == 422
    assert (
        await consent.client.get(f"{J}/preuves/coherence", params={"ancienne": 3, "nouvelle": 1})
    ).status_code == 422
    assert (await consent.client.get(f"{J}/entrees", params={"debut": 3, "fin": 1})).status_code == 422


async def test_rows_name_their_leaves_once_integrated(consent_db: Consent) -> None:
    env = consent_db
    d = await activer(env)
    reponse = await env.client.post(
        "/consent/v1/consultations",
        json={
            "destinataire": {
                "type": "physique",
                "nom": "Dupont-Lefèvre",
                "prenoms": "Élise Marie",
                "date_naissance": "1984-07-14",
            },
            "nature": "assignation",
            "reference_dossier": "DOS-2026-0042",
        },
        headers=env.bearer("commissaire"),
    )
    assert reponse.status_code == 200, reponse.text
    registre = env.state.registre

    # The answer leaves once its batch has committed, the leaf durable in the queue; on PostgreSQL the
    # consultation batches do not wait for its integration (services/consent/consultations/lots.py).
    # One statement, one snapshot: every row's leaf is queued or in the log, none missing, none twice.
    def compte(table: Any) -> Any:
        return select(func.count()).select_from(table).scalar_subquery()

    ecart = (
        compte(JOURNAL_TABLES.pending)
        + func.coalesce(select(JOURNAL_TABLES.head.c.size).scalar_subquery(), 0)
        - compte(Evenement)
        - compte(Consultation)
    )
    async with env.runtime.db.transaction() as session:
        assert await session.scalar(select(ecart)) == 0
    await registre.journal.integrated(env.runtime.db.engine)
    async with env.runtime.db.transaction() as session:
        assert not await registre.journal.has_pending(session)
        lignes: list[tuple[str, int | None]] = [
            (t, i) for t, i in await session.execute(select(Evenement.type, Evenement.leaf_index))
        ]
        lignes += [("consultation", i) for i in await session.scalars(select(Consultation.leaf_index))]
        taille = await registre.journal.size(session)
    assert len(lignes) == taille  # every leaf so far records an event or the consultation
    for type_, index in lignes:
        assert index is not None
        entree = (await env.client.get(J + "/entrees", params={"debut": index, "fin": index + 1})).json()
        contenu = await ouverte(env.runtime, json.loads(entree["elements"][0]["donnees"]))
        assert (contenu["type"], contenu["declaration_id"]) == (type_, d.id)


async def test_a_leaf_a_crash_left_queued_is_integrated_at_start_up(
    tmp_path: Path, database_url: str
) -> None:
    settings = consent_settings(tmp_path, database_url)
    async with demarrer(settings) as env:
        d = await declarer(env)
        async with env.runtime.db.transaction() as session:
            # What a process that died between its commit and the integration leaves behind.
            evenement = (await session.scalars(select(Evenement))).one()
            evenement.leaf_index = None
            await session.execute(
                insert(JOURNAL_TABLES.pending).values(
                    data=b'{"type":"test.reste"}',
                    created_at=DEBUT,
                    refs=[["consent_evenements.leaf_index", evenement.id]],
                )
            )
        assert (await env.client.get(J + "/entrees")).json()["elements"][-1]["index"] == 0
    async with demarrer(settings) as env:
        async with env.runtime.db.transaction() as session:
            assert not await env.state.registre.journal.has_pending(session)
            assert (await session.scalars(select(Evenement.leaf_index))).one() == 1
        entrees = (await env.client.get(J + "/entrees")).json()["elements"]
        premiere = await ouverte(env.runtime, json.loads(entrees[0]["donnees"]))
    assert [(e["index"], json.loads(e["donnees"])["type"]) for e in entrees] == [
        (0, "declaration.creee"),
        (1, "test.reste"),
    ]
    assert premiere["declaration_id"] == d.id


async def test_the_public_checkpoint_covers_every_committed_leaf(consent_db: Consent) -> None:
    env = consent_db
    await declarer(env)
    verifier = Verifier.from_vkey((await env.client.get(f"{J}/cle")).text.strip())
    assert verify_checkpoint((await env.client.get(f"{J}/checkpoint")).text, [verifier]).size == 1
    async with env.runtime.db.transaction() as session:
        # A leaf committed and not integrated yet (its process died before the integration).
        await session.execute(
            insert(JOURNAL_TABLES.pending).values(data=b'{"type":"test.reste"}', created_at=DEBUT)
        )
    checkpoint = verify_checkpoint((await env.client.get(f"{J}/checkpoint")).text, [verifier])
    assert checkpoint.size == 2  # signing integrated it first
    entrees = (await env.client.get(f"{J}/entrees")).json()["elements"]
    assert [json.loads(e["donnees"])["type"] for e in entrees] == ["declaration.creee", "test.reste"]
