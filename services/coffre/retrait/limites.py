"""Rate limits of the retrieval pages, per client address and per browser session (never per link
alone: whoever holds a link must not be able to lock its destinataire out). Counted in process on
the service clock (`shared.pages.Limiteur`); consent adds its per-account lock behind them.

Keys: `page:<address>` (every page, any link: `PAGES_PAR_CLIENT` per `FENETRE`), `inconnu:<address>`
(unknown or expired links: `INCONNUS_PAR_CLIENT`), `connexion:<address>` and `connexion:<session>`
(password and code steps: `CONNEXIONS_PAR_CLIENT`, `CONNEXIONS_PAR_SESSION`).
"""

from __future__ import annotations

from datetime import timedelta

FENETRE = timedelta(minutes=10)
PAGES_PAR_CLIENT = 120
INCONNUS_PAR_CLIENT = 20
CONNEXIONS_PAR_CLIENT = 20
CONNEXIONS_PAR_SESSION = 10
