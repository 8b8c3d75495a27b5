"""Identity and domicile proofs: type checked against the arrêté list, content sniffed, encrypted.

Threat model: an uploaded file is attacker-controlled. Its declared name and media type are ignored;
only its first bytes decide (PDF `%PDF-`, JPEG `FF D8 FF`, PNG signature), so an executable renamed
`.pdf` is refused with 415. The size is bounded while reading (413). The content is stored only as
an AES-256-GCM envelope under the declaration's data key, with the SHA-256 of the clear content for
integrity checks on download.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from services.consent import chiffrement
from services.consent.declarations.service import evenement
from services.consent.errors import EtatIncompatible
from services.consent.mentions.textes import CODES_PIECES
from services.consent.models import Declaration, Piece
from services.consent.registre import Registre
from shared.crypto.aead import decrypt, encrypt
from shared.errors import ErreurIntegrite, TropVolumineux, TypeNonSupporte, Unprocessable

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Lue:
    """A proof read and checked, not yet stored."""

    type: str
    media_type: str
    contenu: bytes


def type_media(debut: bytes) -> str | None:
    for signature, media_type in _SIGNATURES:
        if debut.startswith(signature):
            return media_type
    return None


async def lire_borne(fichier: UploadFile, limite: int) -> bytes:
    morceaux: list[bytes] = []
    total = 0
    while chunk := await fichier.read(_CHUNK):
        total += len(chunk)
        if total > limite:
            raise TropVolumineux(f"La pièce dépasse la taille maximale de {limite} octets.")
        morceaux.append(chunk)
    return b"".join(morceaux)


async def lire_piece(registre: Registre, type_personne: str, type_piece: str, fichier: UploadFile) -> Lue:
    """Check one proof before anything is stored: its type fits this declarant, its size is bounded
    (413), its first bytes are a PDF, JPEG or PNG (415)."""
    personne = CODES_PIECES.get(type_piece)
    if personne is None or personne != type_personne:
        raise Unprocessable(
            "Type de pièce inconnu ou inadapté à ce déclarant (voir GET /mentions, types_pieces).",
            extra={
                "errors": [{"champ": "body.type", "message": "type de pièce refusé", "type": "value_error"}]
            },
        )
    contenu = await lire_borne(fichier, registre.settings.max_piece_bytes)
    media_type = type_media(contenu[:16])
    if media_type is None:
        raise TypeNonSupporte("Seuls les fichiers PDF, JPEG et PNG sont acceptés.")
    return Lue(type_piece, media_type, contenu)


async def enregistrer(
    session: AsyncSession,
    registre: Registre,
    declaration: Declaration,
    lue: Lue,
    *,
    now: datetime,
    version: int | None = None,
) -> Piece:
    """Store a checked proof, encrypted under the declaration's data key, and log its deposit;
    `version`: the rectification it supports (null for the declaration's own proofs)."""
    piece_id = str(uuid.uuid4())
    dek = await chiffrement.cle_de(session, registre.keys, declaration.id)
    sha256 = hashlib.sha256(lue.contenu).hexdigest()
    piece = Piece(
        id=piece_id,
        declaration_id=declaration.id,
        type=lue.type,
        media_type=lue.media_type,
        taille=len(lue.contenu),
        sha256=sha256,
        contenu=encrypt(dek, lue.contenu, context=chiffrement.contexte(declaration.id, "pieces", piece_id)),
        deposee_le=now,
        version=version,
    )
    session.add(piece)
    detail = {"version": version} if version is not None else {}
    await evenement(
        session,
        registre,
        declaration.id,
        "piece.deposee",
        now=now,
        acteur="declarant",
        piece_id=piece_id,
        type_piece=lue.type,
        sha256=sha256,
        **detail,
    )
    return piece


async def deposer(
    session: AsyncSession,
    registre: Registre,
    declaration: Declaration,
    *,
    type_piece: str,
    fichier: UploadFile,
    now: datetime,
) -> Piece:
    """A proof of the declaration itself, deposited before its submission."""
    if declaration.statut != "en_attente_confirmation":
        raise EtatIncompatible("Les pièces se déposent avant la soumission.")
    lue = await lire_piece(registre, declaration.type_personne, type_piece, fichier)
    return await enregistrer(session, registre, declaration, lue, now=now)


async def contenu_clair(session: AsyncSession, registre: Registre, piece: Piece) -> bytes:
    dek = await chiffrement.cle_de(session, registre.keys, piece.declaration_id)
    contenu = decrypt(
        dek, piece.contenu, context=chiffrement.contexte(piece.declaration_id, "pieces", piece.id)
    )
    if hashlib.sha256(contenu).hexdigest() != piece.sha256:
        raise ErreurIntegrite("La pièce ne correspond plus à son empreinte.")
    return contenu
