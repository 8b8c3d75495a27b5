"""Gathering a `registre` evidence bundle (format: `shared.evidence.format`) for one declaration.

Which leaves: every log leaf the registry wrote about the declaration and can find again by index —
its events (`consent_evenements`: creation, confirmation, submission, decisions, versions, pieces,
revocation), the consultations and verifications that matched it (`consent_consultations`), the
judicial authority's searches that named only this declaration (`consent_recherches_autorite`), and
the leaf logging this very export. A leaf is kept only if it names the subject — in clear (format
v1) or by a commitment its stored opening opens to the subject (v2; the bundle then carries that
opening, and only the openings of the subject's commitments: a magistrate's or an account's stay
closed) — and carries `type` and `instant`, as the verifier requires (leaves written before the log
carried `instant`, or a search over several declarations, cannot be shown in such a bundle).

Proofs: inclusion proofs to the first stored checkpoint covering those leaves, a consistency proof
from it to a checkpoint signed now (which covers the export leaf), the log's vkey and the seal JWKS.
That latest checkpoint is RFC 3161-timestamped (`horodatages/checkpoint.tsr` over
`journal/checkpoint-dernier.txt`, with the TSA chain in `tsa/`): a third party dates the registry's
state after every leaf of the bundle (`journal.horodatage`).

Threat model: the bundle is read by a judge years later without the platform; it asserts nothing the
log does not (each `historique.json` entry repeats fields of its leaf, plus the event's actor).
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.consent.declarations import repository as declarations
from services.consent.journal.horodatage import ancrer
from services.consent.journal.service import consigner_maintenant
from services.consent.models import OUVERTURES, Declaration
from services.consent.preuves import repository
from services.consent.registre import Registre
from shared import ouvertures
from shared.crypto.tokens import blind_index
from shared.errors import Introuvable
from shared.evidence.bundle import BundleBuilder
from shared.evidence.engagements import Ouverture, engagements_de, ouvrir
from shared.evidence.format import CHECKPOINT_DERNIER, RECEPISSE
from shared.evidence.journal import extract_journal
from shared.timestamps.configuration import chaine_tsa

TYPE_EXPORT = "autorite.preuves"


def _entree(index: int, contenu: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    entree: dict[str, Any] = {"index": index, "type": contenu["type"], "instant": contenu["instant"]}
    for key in ("declaration_id", "version", "engagement", "motif", "consentement", "nature"):
        if key in contenu:
            entree[key] = contenu[key]
    return {**entree, **extra}


async def a_exporter(session: AsyncSession, declaration_id: str) -> Declaration:
    """The declaration to export; 404 once purged (only its `declaration.purgee` leaf remains)."""
    try:
        return await declarations.charger(session, declaration_id)
    except Introuvable:
        raise Introuvable("Déclaration introuvable ou purgée.") from None


async def exporter(
    session: AsyncSession,
    registre: Registre,
    declaration: Declaration,
    *,
    autorite: str,
    juridiction: str,
    numero: str,
    now: datetime,
) -> bytes:
    """Log the export (keyed hash of the procedure), sign a checkpoint, and build the ZIP bytes."""
    reference = blind_index(
        registre.settings.effective_blind_index_key, f"{juridiction}|{numero}", "consent/procedure"
    )
    # Appending integrates the queue first: every leaf committed before the export gets its index
    # (and its row's `leaf_index`) before the candidates are read.
    propre = await consigner_maintenant(
        session,
        registre,
        TYPE_EXPORT,
        now=now,
        declaration_id=declaration.id,
        autorite=autorite,
        procedure=reference,
    )
    candidats = await repository.feuilles_candidates(session, declaration.id)
    candidats[propre] = {}
    journal = registre.journal
    dernier = await journal.sign_checkpoint(
        session, registre.settings.journal_origin, registre.journal_signer, now
    )
    contenus = {leaf.index: json.loads(leaf.data) for leaf in await journal.leaves_at(session, candidats)}
    contenus = {index: contenu for index, contenu in contenus.items() if isinstance(contenu, dict)}
    # The subject's openings among those of every candidate's commitments, read in one query.
    siennes = [
        o
        for o in await ouvertures.lire(
            session, OUVERTURES, (e for c in contenus.values() for e in engagements_de(c))
        )
        if o.champ in ("declaration_id", "declaration_ids") and o.valeur == declaration.id
    ]
    par_engagement: dict[str, list[Ouverture]] = defaultdict(list)
    for ouverture in siennes:
        par_engagement[ouverture.engagement].append(ouverture)
    entrees: list[dict[str, Any]] = []
    ouverts: list[tuple[int, Ouverture]] = []
    for index, contenu in contenus.items():  # linear in the leaves: each finds its openings by key
        propres = [o for e in sorted(set(engagements_de(contenu))) for o in par_engagement.get(e, ())]
        vue = ouvrir(contenu, propres)
        if (
            vue.get("declaration_id") == declaration.id
            and isinstance(vue.get("type"), str)
            and isinstance(vue.get("instant"), str)
            and "declarations_engagements" not in vue
        ):
            entrees.append(_entree(index, vue, candidats[index]))
            ouverts.extend((index, o) for o in propres)
    indexes = [e["index"] for e in entrees]
    checkpoint = (
        await repository.checkpoint_couvrant(session, registre.journal.tables.checkpoints, max(indexes))
        or dernier
    )
    extrait = await extract_journal(
        session,
        journal,
        indexes=indexes,
        checkpoint=checkpoint,
        latest=dernier,
        cle=registre.journal_signer.verifier.vkey,
    )
    builder = BundleBuilder.registre(declaration.id, genere_le=now)
    builder.set_journal(extrait)
    # The checkpoint the proofs lead to, dated by the TSA after every leaf it covers.
    builder.add_timestamp(
        "checkpoint", await ancrer(session, registre, dernier, now=now), objet=CHECKPOINT_DERNIER
    )
    builder.set_tsa_chain(*chaine_tsa(registre.horodatage, registre.settings.keys_dir))
    builder.set_ouvertures(ouverts)
    builder.set_historique(declaration.id, entrees)
    builder.set_jwks({"keys": [{**registre.sceau.jwk, "alg": "EdDSA", "use": "sig"}]})
    if declaration.recepisse_jws is not None:  # as issued at submission; its hash is in that leaf
        builder.add_file(RECEPISSE, declaration.recepisse_jws.encode("ascii") + b"\n")
    return builder.build()
