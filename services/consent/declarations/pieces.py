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
from datetime import datetime

from fastapi import UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

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


async def deposer(
    session: AsyncSession,
    registre: Registre,
    declaration: Declaration,
    *,
    type_piece: str,
    fichier: UploadFile,
    now: datetime,
) -> Piece:
    if declaration.statut != "en_attente_confirmation":
        raise EtatIncompatible("Les pièces se déposent avant la soumission.")
    personne = CODES_PIECES.get(type_piece)
    if personne is None or personne != declaration.type_personne:
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
    piece_id = str(uuid.uuid4())
    dek = await chiffrement.cle_de(session, registre.keys, declaration.id)
    sha256 = hashlib.sha256(contenu).hexdigest()
    piece = Piece(
        id=piece_id,
        declaration_id=declaration.id,
        type=type_piece,
        media_type=media_type,
        taille=len(contenu),
        sha256=sha256,
        contenu=encrypt(dek, contenu, context=chiffrement.contexte(declaration.id, "pieces", piece_id)),
        deposee_le=now,
    )
    session.add(piece)
    await evenement(
        session,
        registre,
        declaration.id,
        "piece.deposee",
        now=now,
        acteur="declarant",
        piece_id=piece_id,
        type_piece=type_piece,
        sha256=sha256,
    )
    return piece


async def contenu_clair(session: AsyncSession, registre: Registre, piece: Piece) -> bytes:
    dek = await chiffrement.cle_de(session, registre.keys, piece.declaration_id)
    contenu = decrypt(
        dek, piece.contenu, context=chiffrement.contexte(piece.declaration_id, "pieces", piece.id)
    )
    if hashlib.sha256(contenu).hexdigest() != piece.sha256:
        raise ErreurIntegrite("La pièce ne correspond plus à son empreinte.")
    return contenu
