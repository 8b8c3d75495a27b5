"""Real evidence bundles for the tests: an embedded TSA, a SQLite transparency log with signed
checkpoints, a JWS seal and a PDF/A acte, put together with `BundleBuilder`; and a forger's tools
(rewrite a piece and recompute the manifest so that deeper checks are reached, alter a stored blob)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from shared.blobs.local import LocalBlobStore
from shared.crypto.jws import JwsSigner, jwks
from shared.evidence import format as fmt
from shared.evidence.archive import FileEntry, read_zip, render_sums, sha256_hex, write_zip
from shared.evidence.bundle import BundleBuilder
from shared.evidence.format import LettreSimple, Recit, journal_leaf
from shared.evidence.journal import extract_journal
from shared.legal_time import fin_du_jour, jour_legal, premier_jour_ouvrable_apres
from shared.testing.databases import sqlite_url
from shared.testing.pdfs import acte_pdfa
from shared.timestamps.authority import TsaCredentials
from shared.timestamps.client import EmbeddedTimestampClient
from shared.timestamps.tsa import TimeStampAuthority
from shared.translog.note import Signer
from shared.translog.store import TransparencyLog, define_translog_tables

ORIGIN = "signif.example/coffre/repertoire"
ACTE_ID = "acte-7f3c2a"
DECLARATION_ID = "decl-19ab"
# Monday 2 March 2026, 10:30 in Paris.
DEPOT = datetime(2026, 3, 2, 9, 30, 0, 123456, tzinfo=UTC)


@dataclass(frozen=True)
class Territoire:
    fuseau: str = "Europe/Paris"
    subdivision_feries: str | None = None


@dataclass
class Story:
    """What happened; `mode`/`lettre_due` default to what the law says, override them to lie."""

    depot: datetime = DEPOT
    envoi: datetime | None = DEPOT + timedelta(seconds=2)
    pris: datetime | None = DEPOT + timedelta(hours=3)
    territoire: Territoire = field(default_factory=Territoire)
    mode: str | None = "auto"
    lettre_due: date | None = None
    lettre_envoyee: date | None = None


@dataclass
class Built:
    bundle: bytes
    seal: JwsSigner
    note_signer: Signer
    credentials: TsaCredentials
    recit: Recit
    pdf: bytes


def decide_mode(story: Story) -> str | None:
    if story.mode != "auto":
        if story.mode == "a_domicile" and story.lettre_due is None and story.envoi is not None:
            story.lettre_due = premier_jour_ouvrable_apres(
                jour_legal(story.envoi, story.territoire), story.territoire
            )
        return story.mode
    if story.envoi is None:
        return None
    jour = jour_legal(story.envoi, story.territoire)
    if story.pris is not None and jour_legal(story.pris, story.territoire) == jour:
        return "a_personne"
    if story.lettre_due is None:
        story.lettre_due = premier_jour_ouvrable_apres(jour, story.territoire)
    return "a_domicile"


async def build_acte_bundle(tmp_path: Path, credentials: TsaCredentials, story: Story | None = None) -> Built:
    story = story or Story()
    pdf = acte_pdfa(titre="Commandement de payer (test)")
    sha = hashlib.sha256(pdf).hexdigest()
    mode = decide_mode(story)
    now = {"t": story.depot}
    tsa = EmbeddedTimestampClient(TimeStampAuthority(credentials, clock=lambda: now["t"]))
    seal = JwsSigner(Ed25519PrivateKey.generate())
    note_signer = Signer.generate(ORIGIN)

    engine = create_async_engine(sqlite_url(tmp_path, "repertoire"))
    metadata = MetaData()
    tables = define_translog_tables(metadata)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    log = TransparencyLog(tables)
    ours: list[int] = []
    ids = {"acte_id": ACTE_ID, "declaration_id": DECLARATION_ID}

    sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def append(data: bytes, *, mine: bool, at: datetime) -> None:
        async with sessions.begin() as session:
            index = await log.append(session, data, now=at)
        if mine:
            ours.append(index)

    for n in range(3):  # other actes before ours
        await append(
            journal_leaf("depot", story.depot, acte_id=f"autre-{n}", sha256="0" * 64),
            mine=False,
            at=story.depot,
        )
    await append(journal_leaf("depot", story.depot, sha256=sha, **ids), mine=True, at=story.depot)
    depot_token = await tsa.timestamp(bytes.fromhex(sha))
    if story.envoi is not None:
        await append(journal_leaf("envoi", story.envoi, sha256=sha, **ids), mine=True, at=story.envoi)
    await append(journal_leaf("envoi", story.depot, acte_id="autre-1"), mine=False, at=story.depot)
    reception = None
    if story.pris is not None:
        await append(
            journal_leaf("prise_connaissance", story.pris, sha256=sha, **ids), mine=True, at=story.pris
        )
        reception = seal.sign(
            {**ids, "sha256": sha, "pris_connaissance_le": fmt.rfc3339_utc(story.pris)},
            typ="avis-reception+jws",
        )
    if mode is not None and story.envoi is not None:
        fixed = fin_du_jour(jour_legal(story.envoi, story.territoire), story.territoire)
        due = story.lettre_due.isoformat() if mode == "a_domicile" and story.lettre_due else None
        await append(
            journal_leaf("mode", fixed, mode=mode, lettre_simple_due_le=due, **ids), mine=True, at=fixed
        )

    async with sessions.begin() as session:
        checkpoint = await log.sign_checkpoint(session, ORIGIN, note_signer, story.depot)
    for n in range(5):  # the log goes on
        await append(journal_leaf("depot", story.depot, acte_id=f"apres-{n}"), mine=False, at=story.depot)
    async with sessions.begin() as session:
        latest = await log.sign_checkpoint(session, ORIGIN, note_signer, story.depot)
        extract = await extract_journal(
            session, log, indexes=ours, checkpoint=checkpoint, latest=latest, cle=note_signer.verifier.vkey
        )
    await engine.dispose()
    now["t"] = story.depot + timedelta(days=10)
    checkpoint_token = await tsa.timestamp(hashlib.sha256(checkpoint.encode()).digest())

    lettre = LettreSimple(story.lettre_due, story.lettre_envoyee) if story.lettre_due else None
    recit = Recit(
        acte_id=ACTE_ID,
        sha256=sha,
        depose_le=story.depot,
        envoye_le=story.envoi,
        pris_connaissance_le=story.pris,
        mode=mode,
        fuseau=story.territoire.fuseau,
        subdivision_feries=story.territoire.subdivision_feries,
        lettre_simple=lettre,
        declaration_id=DECLARATION_ID,
    )
    builder = BundleBuilder.acte(ACTE_ID, genere_le=story.depot + timedelta(days=10))
    builder.add_acte(pdf)
    builder.add_annexe("Pièce n°1 — bordereau.pdf", acte_pdfa(titre="Bordereau"))
    builder.add_validation_report({"sha256": sha, "valide": True, "signataire": "Me Dupont"})
    builder.add_timestamp("depot", depot_token.response, objet=fmt.ACTE)
    builder.add_timestamp("checkpoint", checkpoint_token.response, objet=fmt.CHECKPOINT)
    builder.set_tsa_chain(credentials.certificate, credentials.chain)
    if story.envoi is not None:
        builder.add_avis_mise_a_disposition(
            {
                "acte_id": ACTE_ID,
                "statut": "envoye",
                "canal": "email",
                "envoye_le": fmt.rfc3339_utc(story.envoi),
            }
        )
    if reception is not None:
        builder.add_avis_reception(reception, pdf=acte_pdfa(titre="Avis de réception"))
    builder.add_certificat(acte_pdfa(titre="Certificat de signification"))
    if lettre is not None:
        builder.add_lettre_simple({"acte_id": ACTE_ID, **lettre.to_json()})
    builder.set_jwks(jwks([seal.private_key.public_key()]))
    builder.set_journal(extract)
    builder.set_recit(recit)
    return Built(builder.build(), seal, note_signer, credentials, recit, pdf)


# --- the forger's tools ---------------------------------------------------------------------------


def files_of(bundle: bytes) -> dict[str, bytes]:
    return read_zip(bundle)


def raw_replace(bundle: bytes, changes: dict[str, bytes | None]) -> bytes:
    """Change entries of the ZIP and nothing else (the manifest still lists the old hashes)."""
    files = read_zip(bundle)
    for path, data in changes.items():
        if data is None:
            files.pop(path)
        else:
            files[path] = data
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return buffer.getvalue()


def forge(bundle: bytes, changes: dict[str, bytes | None]) -> bytes:
    """Change entries and recompute SHA256SUMS and the manifest, as a careful forger would."""
    files = read_zip(bundle)
    manifest = json.loads(files.pop(fmt.MANIFEST))
    for path, data in changes.items():
        if data is None:
            files.pop(path)
        else:
            files[path] = data
    files.pop(fmt.SUMS)
    entries = [FileEntry(p, sha256_hex(d), len(d), fmt.role_of(p)) for p, d in files.items()]
    files[fmt.SUMS] = render_sums(entries)
    entries.append(FileEntry(fmt.SUMS, sha256_hex(files[fmt.SUMS]), len(files[fmt.SUMS]), "sommes-sha256"))
    manifest["fichiers"] = [e.to_json() for e in sorted(entries, key=lambda e: e.chemin)]
    files[fmt.MANIFEST] = fmt.pretty_json(manifest)
    return write_zip(files, datetime(2026, 3, 12, tzinfo=UTC))


def flip(data: bytes, position: int) -> bytes:
    """`data` with one bit of the byte at `position` (negative counts from the end) flipped."""
    position %= len(data)
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


def edit_json(bundle: bytes, path: str, edit: Any) -> bytes:
    value = json.loads(read_zip(bundle)[path])
    edit(value)
    return forge(bundle, {path: fmt.pretty_json(value)})


def flip_b64(value: str) -> str:
    raw = base64.b64decode(value)
    return base64.b64encode(flip(raw, 0)).decode("ascii")


def alter_blob(store: LocalBlobStore, sha256: str) -> None:
    """Flip one bit of a stored blob behind the store's back (byte 100), as a tampered disk would."""
    path = store.path_for(sha256)
    path.chmod(0o644)
    altered = bytearray(path.read_bytes())
    altered[100] ^= 0x01
    path.write_bytes(bytes(altered))
