"""What notify keeps of the messages it sends for consent: that a message was sent, never its content."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.models import EnvoiCode


def noter_envoi(session: AsyncSession, *, objet: str, envoye_le: datetime, message_id: str) -> None:
    session.add(EnvoiCode(objet=objet, envoye_le=envoye_le, message_id=message_id))
