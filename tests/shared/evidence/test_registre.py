"""Registre bundles: a consent declaration's history for the judicial authority, built from a real
log and checked by the same verifier."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from shared.crypto.jws import JwsSigner, jwks
from shared.evidence import format as fmt
from shared.evidence.bundle import BundleBuilder
from shared.evidence.format import journal_leaf
from shared.evidence.journal import extract_journal
from shared.evidence.verify import verify_bundle
from shared.testing.databases import sqlite_url
from shared.timestamps.authority import TsaCredentials
from shared.timestamps.client import EmbeddedTimestampClient
from shared.timestamps.tsa import TimeStampAuthority
from shared.translog.note import Signer
from shared.translog.store import TransparencyLog, define_translog_tables
from tests.shared.evidence.helpers import edit_json

DECLARATION = "decl-42"
T0 = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
EVENTS = [
    ("declaration.deposee", T0, 1),
    ("declaration.acceptee", T0 + timedelta(days=1), 1),
    ("declaration.modifiee", T0 + timedelta(days=30), 2),
    ("declaration.revoquee", T0 + timedelta(days=90), 2),
]


@pytest.fixture(scope="module")
async def registre(tmp_path_factory: pytest.TempPathFactory, credentials: TsaCredentials) -> bytes:
    engine = create_async_engine(sqlite_url(tmp_path_factory.mktemp("registre"), "registre"))
    metadata = MetaData()
    log = TransparencyLog(define_translog_tables(metadata))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    signer = Signer.generate("signif.example/consent/registre")
    ours: list[int] = []
    async with sessions.begin() as session:
        for n, (type_, at, version) in enumerate(EVENTS):
            await log.append(session, journal_leaf("consultation", at, declaration_id=f"autre-{n}"), now=at)
            sha = hashlib.sha256(f"{DECLARATION} v{version}".encode()).hexdigest()
            data = journal_leaf(type_, at, declaration_id=DECLARATION, version=version, sha256=sha)
            ours.append(await log.append(session, data, now=at))
        checkpoint = await log.sign_checkpoint(session, signer.name, signer, T0 + timedelta(days=90))
        extract = await extract_journal(
            session, log, indexes=ours, checkpoint=checkpoint, latest=checkpoint, cle=signer.verifier.vkey
        )
    await engine.dispose()
    seal = JwsSigner(Ed25519PrivateKey.generate())
    tsa = EmbeddedTimestampClient(TimeStampAuthority(credentials, clock=lambda: T0 + timedelta(days=91)))
    root = hashlib.sha256(checkpoint.encode()).digest()

    builder = BundleBuilder.registre(DECLARATION, genere_le=T0 + timedelta(days=100))
    builder.set_journal(extract)
    builder.set_historique(
        DECLARATION,
        [
            {"index": index, "type": type_, "instant": fmt.rfc3339_utc(at), "version": version}
            for index, (type_, at, version) in zip(ours, EVENTS, strict=True)
        ],
    )
    builder.add_file("pieces/accuse-reception.jws", seal.sign({"declaration_id": DECLARATION}).encode())
    builder.set_jwks(jwks([seal.private_key.public_key()]))
    builder.add_timestamp("checkpoint", (await tsa.timestamp(root)).response, sha256=root)
    builder.set_tsa_chain(credentials.certificate, credentials.chain)
    return builder.build()


def test_a_declaration_history_verifies(registre: bytes) -> None:
    report = verify_bundle(registre)
    assert report.ok, report.failure
    messages = [str(check) for check in report.checks]
    assert "OK     5. historique.json : 4 entrées, chacune égale à sa feuille du journal" in messages
    assert any(
        m.startswith("OK     2. horodatages/checkpoint.tsr : horodatage valide de sha256 ") for m in messages
    )
    assert any(m.startswith("OK     3. pieces/accuse-reception.jws") for m in messages)
    assert any("l'arbre de taille 8 est un préfixe de celui de taille 8" in m for m in messages)


def _entry(index: int, change: dict[str, Any]) -> Callable[[Any], None]:
    return lambda h: h["entrees"][index].update(change)


@pytest.mark.parametrize(
    ("edit", "piece", "words"),
    [
        (_entry(2, {"version": 3}), "historique.json (entrée 5)", "version 3, la feuille dit 2"),
        (
            _entry(3, {"instant": "2026-04-04T14:00:00Z"}),
            "historique.json (entrée 7)",
            "la feuille dit 2026-04-05T14:00:00Z",
        ),
        (_entry(0, {"feuille": "00" * 32}), "historique.json (entrée 1)", "l'empreinte de la feuille"),
        (lambda h: h["entrees"].pop(1), "historique.json", "feuilles du journal sans entrée : [3]"),
        (lambda h: h.update(declaration_id="decl-autre"), "historique.json", "≠ sujet"),
    ],
)
def test_a_history_that_disagrees_with_the_log_fails(
    registre: bytes, edit: Callable[[Any], None], piece: str, words: str
) -> None:
    failure = verify_bundle(edit_json(registre, fmt.HISTORIQUE, edit)).failure
    assert failure is not None
    assert (failure.numero, failure.piece) == (5, piece)
    assert words in failure.message


def test_a_registre_jws_about_another_declaration_fails(registre: bytes) -> None:
    from shared.evidence.archive import read_zip
    from tests.shared.evidence.helpers import forge

    other = JwsSigner(Ed25519PrivateKey.generate())
    files = read_zip(registre)
    forged = forge(
        registre,
        {
            "pieces/accuse-reception.jws": other.sign({"declaration_id": "decl-autre"}).encode(),
            fmt.JWKS: fmt.pretty_json(jwks([other.private_key.public_key()])),
        },
    )
    assert files[fmt.JWKS] != read_zip(forged)[fmt.JWKS]
    failure = verify_bundle(forged).failure
    assert failure is not None
    assert (failure.numero, failure.piece) == (3, "pieces/accuse-reception.jws")
