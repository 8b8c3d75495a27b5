# ruff: noqa: S608  (the only interpolated values are constants of this module and `prefix`)
"""Bulk loading of a consent database for the benchmarks (PostgreSQL only).

Two kinds of rows, same tables and shapes as the service writes:

- the *sample*: declarations whose identities the benchmark will query, built in Python with the
  service's own code (`Indexeur` blind indexes, a per-declaration data key wrapped by the master key,
  `nouvelle_version` for the AES-256-GCM version envelope and its salted commitment), accepted by an
  operator, so `POST /consultations` answers `consentement: true` for them;
- the *filler*: the other N declarations, generated server-side by `INSERT ... SELECT FROM
  generate_series` in batches (one statement per batch and table, no Python per row): random-looking
  64-hex indexes (md5 of the row number and a salt, twice), a 256-byte opaque blob where the service
  stores an envelope, the same column widths, NULLs and B-tree indexes. They are never decrypted, so
  their bytes need not be real envelopes; they only have to weigh on the indexes and the heap like real
  rows. `due=True` makes filler rows revoked long ago with `destruction_le` in the past, each with a
  key, one version, two events, one 4 KiB proof and an account (what the purge has to destroy).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from services.consent import chiffrement
from services.consent.declarations.service import nouvelle_version
from services.consent.identite import forme_physique
from services.consent.mentions import textes
from services.consent.models import CleDeclaration, Declaration
from services.consent.registre import Registre
from shared.db import Database

LOT = 100_000


def dsn_of(url: str) -> str:
    """The asyncpg DSN of a SQLAlchemy `postgresql+asyncpg://` URL."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def charger_echantillon(
    url: str, registre: Registre, taille: int, now: datetime
) -> list[dict[str, Any]]:
    """Insert `taille` accepted declarations through the service's code; return their identities."""
    identites: list[dict[str, Any]] = []
    db = Database(url)
    try:
        async with db.transaction() as session:
            for i in range(taille):
                nom, prenoms, naissance = (
                    f"Échantillon-{i}",
                    "Marie Élise",
                    date(1950, 1, 1) + timedelta(days=i),
                )
                forme = forme_physique(nom, prenoms, naissance)
                declaration_id = str(uuid.uuid4())
                session.add(
                    Declaration(
                        id=declaration_id,
                        numero=f"RC-BENCH-{i:08d}",
                        type_personne="physique",
                        statut="active",
                        identite_index=registre.indexeur.identite(forme),
                        personne_id=registre.indexeur.personne(forme),
                        email_index=registre.indexeur.email(f"echantillon{i}@example.org"),
                        jeton_hash=uuid.uuid4().hex * 2,
                        mentions_version=textes.VERSION,
                        mentions_sha256=textes.SHA256,
                        declaree_le=now - timedelta(days=30),
                        confirmee_le=now - timedelta(days=30),
                        soumise_le=now - timedelta(days=30),
                        decidee_le=now - timedelta(days=29),
                        decision="acceptee",
                        code_tentatives=0,
                        version_courante=1,
                    )
                )
                dek, wrapped = registre.keys.new_data_key(context=chiffrement.contexte(declaration_id))
                session.add(CleDeclaration(declaration_id=declaration_id, cle_enveloppee=wrapped))
                personne = {
                    "type": "physique",
                    "nom": nom,
                    "prenoms": prenoms,
                    "date_naissance": naissance.isoformat(),
                    "lieu_naissance": "Paris",
                    "domicile": {
                        "adresse": f"{i} rue de la Paix",
                        "code_postal": "75002",
                        "commune": "Paris",
                        "commune_insee": "75056",
                    },
                }
                session.add(
                    nouvelle_version(
                        dek=dek,
                        declaration_id=declaration_id,
                        numero=1,
                        personne=personne,
                        contact={"email": f"echantillon{i}@example.org", "mobile": None},
                        natures=["*"],
                        debut=(now - timedelta(days=30)).date(),
                        fin=None,
                        now=now - timedelta(days=30),
                    )
                )
                identites.append(
                    {
                        "type": "physique",
                        "nom": nom.upper(),
                        "prenoms": prenoms,
                        "date_naissance": naissance.isoformat(),
                    }
                )
    finally:
        await db.dispose()
    return identites


def _declarations_sql(prefix: str, *, due: bool) -> str:
    revoquee = "now() - interval '6 years'" if due else "NULL"
    destruction = "date '2020-01-01'" if due else "NULL"
    statut = "'revoquee'" if due else "'active'"
    return f"""
    INSERT INTO consent_declarations (id, numero, type_personne, statut, identite_index, personne_id,
        email_index, jeton_hash, mentions_version, mentions_sha256, declaree_le, confirmee_le, soumise_le,
        decidee_le, decision, revoquee_le, destruction_le, code_tentatives, version_courante)
    SELECT '{prefix}-' || i, '{prefix}-' || i, 'physique', {statut},
        md5('i{prefix}' || i) || md5('j{prefix}' || i), md5('p{prefix}' || i) || md5('q{prefix}' || i),
        md5('e{prefix}' || i) || md5('f{prefix}' || i), md5('t{prefix}' || i) || md5('u{prefix}' || i),
        $3, $4, now() - interval '7 years', now() - interval '7 years', now() - interval '7 years',
        now() - interval '7 years', 'acceptee', {revoquee}, {destruction}, 0, 1
    FROM generate_series($1::int, $2::int) AS i"""


def _annexes_sql(prefix: str, *, due: bool) -> list[str]:
    blob = f"decode(repeat(md5('d{prefix}' || i), 16), 'hex')"
    sql = [
        f"""INSERT INTO consent_cles (declaration_id, cle_enveloppee)
        SELECT '{prefix}-' || i, decode(repeat(md5('k{prefix}' || i), 4), 'hex')
        FROM generate_series($1::int, $2::int) AS i""",
        f"""INSERT INTO consent_versions (declaration_id, numero, creee_le, natures, debut, fin, fuseau,
            donnees, engagement)
        SELECT '{prefix}-' || i, 1, now() - interval '7 years', '["*"]', date '2019-01-01', NULL,
            'Europe/Paris', {blob}, md5('c{prefix}' || i) || md5('g{prefix}' || i)
        FROM generate_series($1::int, $2::int) AS i""",
    ]
    if due:
        sql += [
            f"""INSERT INTO consent_evenements (declaration_id, type, survenu_le, acteur, detail, leaf_index)
            SELECT '{prefix}-' || i, t, now() - interval '6 years', 'declarant', '{{}}', 0
            FROM generate_series($1::int, $2::int) AS i,
                 unnest(ARRAY['declaration.creee', 'declaration.revoquee']) AS t""",
            f"""INSERT INTO consent_pieces (id, declaration_id, type, media_type, taille, sha256, contenu,
                deposee_le)
            SELECT '{prefix}-' || i, '{prefix}-' || i, 'carte_identite', 'application/pdf', 4096,
                md5('s{prefix}' || i) || md5('h{prefix}' || i),
                decode(repeat(md5('d{prefix}' || i), 256), 'hex'), now() - interval '7 years'
            FROM generate_series($1::int, $2::int) AS i""",
            f"""INSERT INTO consent_comptes (id, personne_id, email_index, mot_de_passe_hash, echecs, cree_le)
            SELECT '{prefix}-' || i, md5('p{prefix}' || i) || md5('q{prefix}' || i),
                md5('e{prefix}' || i) || md5('f{prefix}' || i), '$argon2id$bench', 0,
                now() - interval '7 years'
            FROM generate_series($1::int, $2::int) AS i""",
        ]
    return sql


#: The tables the filler writes when `due` is false (`charger_masse(..., sans_index=True)`).
TABLES_MASSE = ("consent_declarations", "consent_cles", "consent_versions")

_CONTRAINTES = """
SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype::text
FROM pg_constraint c
WHERE c.contype IN ('p', 'u', 'f')
  AND (c.conrelid::regclass::text = ANY($1::text[]) OR c.confrelid::regclass::text = ANY($1::text[]))
"""
_INDEX = """
SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
FROM pg_index i
WHERE i.indrelid::regclass::text = ANY($1::text[])
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
"""


async def _sans_index(conn: asyncpg.Connection, tables: tuple[str, ...]) -> list[str]:
    """Drop the tables' indexes and constraints (and foreign keys naming them); return the statements
    that rebuild them, in order: plain indexes, primary and unique keys, then foreign keys."""
    contraintes = await conn.fetch(_CONTRAINTES, list(tables))
    index = await conn.fetch(_INDEX, list(tables))
    ordre = {"f": 0, "u": 1, "p": 2}
    for table, nom, _definition, _genre in sorted(contraintes, key=lambda c: ordre[c[3]]):
        await conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{nom}"')
    for nom, _definition in index:
        await conn.execute(f"DROP INDEX {nom}")
    return [definition for _nom, definition in index] + [
        f'ALTER TABLE {table} ADD CONSTRAINT "{nom}" {definition}'
        for table, nom, definition, _genre in sorted(contraintes, key=lambda c: -ordre[c[3]])
    ]


async def charger_masse(
    url: str, n: int, *, prefix: str = "B", due: bool = False, sans_index: bool = False
) -> float:
    """Insert `n` filler declarations (see the module docstring); return the seconds it took.

    `sans_index` (not with `due`): the indexes and constraints of `TABLES_MASSE` (and the foreign
    keys naming them) are dropped before the load and rebuilt after it, each by one sort instead of
    n random B-tree inserts: 10,000,000 declarations then load in minutes, not hours. The database
    ends with the same indexes and constraints, checked again when they are rebuilt."""
    if sans_index and due:
        raise ValueError("sans_index covers the tables of the non-due filler only")
    start = time.perf_counter()
    conn = await asyncpg.connect(dsn_of(url))
    try:
        reconstruire = await _sans_index(conn, TABLES_MASSE) if sans_index else []
        for first in range(1, n + 1, LOT):
            last = min(n, first + LOT - 1)
            async with conn.transaction():
                await conn.execute(
                    _declarations_sql(prefix, due=due), first, last, textes.VERSION, textes.SHA256
                )
                for sql in _annexes_sql(prefix, due=due):
                    await conn.execute(sql, first, last)
        if reconstruire:
            await conn.execute("SET maintenance_work_mem = '256MB'")
            for sql in reconstruire:
                await conn.execute(sql)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return time.perf_counter() - start


def maintenant() -> datetime:
    return datetime.now(UTC)
