"""Receiving a deposit: the multipart body streamed part by part into blob storage.

Parts: `metadonnees` (JSON, at most 64 KB), `document` (exactly one), `annexes` (at most `ANNEXES_MAX`). Each
file part goes straight into `BlobStore.put_stream`, which hashes and writes as bytes arrive, under
one budget for the whole deposit (`max_acte_bytes`): 413 `trop-volumineux` as soon as it is exceeded.

Every blob written is registered in `depots_en_cours` (its own short transaction) until the acte row
commits. On any failure — refusal, oversize, malformed body, client gone — `abandonner` removes the
registrations and deletes the blobs no acte references; if the process dies first, the orphan cleanup
job (`journal.taches`) removes them once the grace period has passed.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime

from starlette.requests import ClientDisconnect

from services.coffre.contexte import Coffre
from services.coffre.depot import repository
from services.coffre.depot.multipart import MultipartReader, boundary_of
from services.coffre.errors import DepotInterrompu, MultipartInvalide
from services.coffre.models import DepotEnCours
from shared.blobs.base import BlobRef
from shared.bornes import ANNEXES_MAX

logger = logging.getLogger("signif.coffre.depot")

METADONNEES_MAX = 64 * 1024


@dataclass(frozen=True)
class AnnexeRecue:
    ref: BlobRef
    nom: str
    type_contenu: str


@dataclass
class Televersement:
    metadonnees: bytes = b""
    document: BlobRef | None = None
    annexes: list[AnnexeRecue] = field(default_factory=list)
    en_cours: list[str] = field(default_factory=list)

    @property
    def blobs(self) -> list[str]:
        refs = [self.document.sha256] if self.document else []
        return refs + [a.ref.sha256 for a in self.annexes]


async def _enregistrer(coffre: Coffre, ref: BlobRef, now: datetime) -> str:
    ident = str(uuid.uuid4())
    async with coffre.db.transaction() as session:
        repository.annoncer_blob(session, DepotEnCours(id=ident, sha256=ref.sha256, cree_le=now))
    return ident


async def recevoir(
    coffre: Coffre, corps: AsyncIterator[bytes], content_type: str | None, *, now: datetime
) -> Televersement:
    """Stream the request body (`corps`, multipart/form-data) into blob storage; on failure leave
    nothing behind and re-raise (`ClientDisconnect`, raised by the body, becomes `DepotInterrompu`)."""
    boundary = boundary_of(content_type)
    recu = Televersement()
    budget = coffre.settings.max_acte_bytes
    try:
        async for part in MultipartReader(corps, boundary).parts():
            if part.name == "metadonnees":
                if recu.metadonnees:
                    raise MultipartInvalide("Une seule partie « metadonnees » est attendue.")
                recu.metadonnees = await part.read_small(METADONNEES_MAX)
            elif part.name in ("document", "annexes"):
                if part.name == "document" and recu.document is not None:
                    raise MultipartInvalide("Une seule partie « document » est attendue.")
                if part.name == "annexes" and len(recu.annexes) >= ANNEXES_MAX:
                    raise MultipartInvalide(f"Au plus {ANNEXES_MAX} parties « annexes » sont acceptées.")
                ref = await coffre.blobs.put_stream(part.chunks(), max_bytes=budget)
                budget -= ref.size
                recu.en_cours.append(await _enregistrer(coffre, ref, now))
                if part.name == "document":
                    recu.document = ref
                else:
                    nom = (part.filename or f"annexe-{len(recu.annexes) + 1}")[:255]
                    recu.annexes.append(AnnexeRecue(ref, nom, part.content_type[:100]))
            else:
                raise MultipartInvalide(f"Partie inattendue : « {part.name[:40]} ».")
        if not recu.metadonnees:
            raise MultipartInvalide("La partie « metadonnees » est absente.")
        if recu.document is None:
            raise MultipartInvalide("La partie « document » est absente.")
    except ClientDisconnect as exc:
        logger.info("deposit abandoned: client disconnected")
        await abandonner(coffre, recu)
        raise DepotInterrompu("Le client s'est déconnecté pendant l'envoi du document.") from exc
    except BaseException:
        await abandonner(coffre, recu)
        raise
    return recu


async def abandonner(coffre: Coffre, recu: Televersement) -> None:
    """Forget an unfinished deposit: registrations, then every blob no acte or other deposit uses."""
    a_supprimer: list[str] = []
    async with coffre.db.transaction() as session:
        await repository.retirer_annonces(session, recu.en_cours)
        for sha256 in set(recu.blobs):
            if not await blob_reference(session, sha256):
                a_supprimer.append(sha256)
    recu.en_cours.clear()
    for sha256 in a_supprimer:
        await coffre.blobs.delete(sha256)


#: Whether a stored record still names the blob (`repository.blob_reference`).
blob_reference = repository.blob_reference
