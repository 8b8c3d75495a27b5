"""`/journal/...`: the public, personal-data-free view of the registry log (docs/fr/contrat.md, journal)."""

from __future__ import annotations

from fastapi import Request

from services.consent.dependencies import state_of
from shared.translog.api import JournalPublic, journal_router


def _journal(request: Request) -> JournalPublic:
    registre = state_of(request).registre
    return JournalPublic(registre.journal, registre.journal_signer, registre.settings.journal_origin)


router = journal_router("/consent/v1/journal", _journal)
