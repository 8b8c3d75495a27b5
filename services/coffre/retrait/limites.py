"""Per-process sliding-window rate limits of the retrieval pages (on the test clock).

Keys: `lien:<hash>` (every request on one link: `PAR_LIEN` per `FENETRE`), `ip:<address>` (unknown or
expired links from one address: `INCONNUS_PAR_IP`), `connexion:<hash>` (sign-in attempts on one
link: `CONNEXIONS_PAR_LIEN`). consent applies its own account lock-out behind these.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

FENETRE = timedelta(minutes=10)
PAR_LIEN = 60
INCONNUS_PAR_IP = 20
CONNEXIONS_PAR_LIEN = 10
_MAX_CLES = 100_000


class Limiteur:
    def __init__(self) -> None:
        self._fenetres: dict[str, deque[datetime]] = {}

    def autoriser(self, cle: str, limite: int, now: datetime) -> bool:
        """Count one hit on `cle`; False when it exceeds `limite` within `FENETRE`."""
        if len(self._fenetres) > _MAX_CLES:
            self._fenetres.clear()
        fenetre = self._fenetres.setdefault(cle, deque())
        while fenetre and fenetre[0] <= now - FENETRE:
            fenetre.popleft()
        if len(fenetre) >= limite:
            return False
        fenetre.append(now)
        return True
