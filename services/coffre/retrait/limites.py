"""Rate limits of the retrieval pages, per client address and per browser session (never per link
alone: whoever holds a link must not be able to lock its destinataire out). Counted in process on
the service clock (`shared.pages.Limiteur`); consent adds its per-account lock behind them.

Keys, each counted per `FENETRE` against a `CoffreSettings` limit: `page:<address>` (every page and
form, any link: `retrait_pages_par_client`), `inconnu:<address>` (unknown or expired links:
`retrait_inconnus_par_client`), `connexion:<address>` and `connexion:<session>` (password and code
steps: `retrait_connexions_par_client`, `retrait_connexions_par_session`).
"""

from __future__ import annotations

from datetime import timedelta

FENETRE = timedelta(minutes=10)
