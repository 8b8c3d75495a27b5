"""Consultations in batches (group commit, `services.consent.consultations.lots`): concurrent
consultations share transactions, each keeps its own answer, access-log row and log leaf; a batch
that cannot be logged answers 503 to each of its consultations and logs none of them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from services.consent.consultations.lots import Lots
from services.consent.models import Consultation
from shared.testing.apps import commissaire_claims
from tests.services.consent.conftest import Consent, activer, consent_settings, demarrer, ouverte
from tests.services.consent.test_consultations import C, demande, ident

J = "/consent/v1/journal"


def _lots(env: Consent) -> Lots:
    lots = env.state.lots
    assert isinstance(lots, Lots)
    return lots


async def _leaves(env: Consent) -> list[dict[str, Any]]:
    elements = (await env.client.get(f"{J}/entrees")).json()["elements"]
    return [json.loads(e["donnees"]) for e in elements]


async def test_concurrent_consultations_share_transactions(consent_db: Consent) -> None:
    env = consent_db
    d = await activer(env)
    headers = env.bearer("commissaire")
    await env.client.post(C, json=demande(), headers=headers)  # the batches' Lots exists from here
    avant = _lots(env).transactions
    known = [demande(reference_dossier=f"DOS-{k}") for k in range(12)]
    unknown = [demande(destinataire=ident(f"Inconnu{k}"), reference_dossier=f"INC-{k}") for k in range(12)]
    answers = await asyncio.gather(*(env.client.post(C, json=b, headers=headers) for b in known + unknown))
    assert [a.status_code for a in answers] == [200] * 24
    assert all(a.json()["declaration_id"] == d.id for a in answers[:12])
    assert all(a.json() == {"consentement": False, "motif": "absent"} for a in answers[12:])
    assert _lots(env).transactions - avant < 24  # at most 2 batches in flight: the others gathered
    # The leaves were durable in the log's queue when the answers left; their indexes reach the rows
    # once this process's integration loop has taken them.
    await env.state.registre.journal.integrated(env.runtime.db.engine)
    async with env.runtime.db.transaction() as session:
        rows = (await session.execute(select(Consultation).order_by(Consultation.id))).scalars().all()
    assert len(rows) == 25
    by_reference = {r.reference_dossier: r for r in rows}
    assert all(by_reference[f"DOS-{k}"].declaration_id == d.id for k in range(12))
    assert all(by_reference[f"INC-{k}"].motif == "absent" for k in range(12))
    indexes = [r.leaf_index for r in rows]
    assert None not in indexes
    assert len(set(indexes)) == 25
    leaves = await _leaves(env)
    for row in rows:
        assert row.leaf_index is not None
        leaf = await ouverte(env.runtime, leaves[row.leaf_index])
        assert leaf["type"] == "consultation"
        assert leaf["declaration_id"] == row.declaration_id
        assert leaf["consentement"] is row.consentement
        assert leaf["motif"] == row.motif


async def test_a_batch_that_cannot_be_logged_answers_503_and_logs_nothing(consent_db: Consent) -> None:
    env = consent_db
    await activer(env)
    headers = env.bearer("commissaire")
    assert (await env.client.post(C, json=demande(), headers=headers)).status_code == 200
    journal = env.state.registre.journal
    await journal.integrated(env.runtime.db.engine)  # its leaf is in the log, not still queued
    leaves_before = len(await _leaves(env))
    async with env.runtime.db.transaction() as session:
        await session.execute(text("ALTER TABLE consent_consultations RENAME TO consent_consultations_x"))
    try:
        answers = await asyncio.gather(
            *(env.client.post(C, json=demande(), headers=headers) for _ in range(6))
        )
    finally:
        async with env.runtime.db.transaction() as session:
            await session.execute(text("ALTER TABLE consent_consultations_x RENAME TO consent_consultations"))
    for answer in answers:
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["code"] == "indisponible"
    await journal.integrated(env.runtime.db.engine)
    assert len(await _leaves(env)) == leaves_before  # the batch's leaves rolled back with it
    assert (await env.client.post(C, json=demande(), headers=headers)).status_code == 200
    async with env.runtime.db.transaction() as session:
        assert len((await session.execute(select(Consultation.id))).all()) == 2


@pytest.fixture
async def consent_pg(tmp_path: Path, postgres_url: str) -> AsyncIterator[Consent]:
    async with demarrer(consent_settings(tmp_path, postgres_url)) as env:
        yield env


async def test_one_bad_consultation_does_not_fail_its_batch(
    consent_pg: Consent, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL enforces the office column's length: a token naming a 300-character office
    cannot be logged; the consultations batched with it are retried one by one and answered."""
    env = consent_pg
    d = await activer(env)
    good = env.bearer("commissaire")
    bad = env.bearer("commissaire", **commissaire_claims(office_id="o" * 300))
    await env.client.post(C, json=demande(), headers=good)
    tries: list[tuple[dict[str, str], dict[str, Any]]] = [
        (bad if k == 3 else good, demande(reference_dossier=f"DOS-{k}")) for k in range(8)
    ]
    answers: list[httpx.Response] = await asyncio.gather(
        *(env.client.post(C, json=b, headers=h) for h, b in tries)
    )
    assert [a.status_code for a in answers] == [200, 200, 200, 503, 200, 200, 200, 200]
    # It was batched with good ones (2 batches in flight at most), and they were retried alone.
    assert "consultation batch failed, retried one by one" in caplog.messages
    assert answers[3].json()["code"] == "indisponible"
    async with env.runtime.db.transaction() as session:
        references = set((await session.scalars(select(Consultation.reference_dossier))).all())
    assert references == {"DOS-2026-0042", *(f"DOS-{k}" for k in range(8) if k != 3)}
    assert all(a.json()["declaration_id"] == d.id for k, a in enumerate(answers) if k != 3)
