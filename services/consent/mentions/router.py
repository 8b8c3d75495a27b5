"""`GET /mentions`: what the declaration form must show, in full."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.consent.mentions.textes import document

router = APIRouter(prefix="/consent/v1", tags=["déclarant"])


@router.get("/mentions", summary="Mentions légales, catalogue des natures et des pièces")
async def mentions() -> dict[str, Any]:
    return document()
