"""The consent service's keys and instruments: keys, blind indexer, log, seals, notify client.

Built once in `create_app(settings)` as part of the service's state (`services.consent.state`) and
handed to the services that need it; it opens no transaction (its callers hand it their session).

Key files (Ed25519, generated in development, refused when generated in production):
- `consent-log.ed25519.pem`: signs the registry log's checkpoints (C2SP note);
- `consent-sceau.ed25519.pem`: seals récépissés (compact JWS, `GET /.well-known/sceau.jwks.json`);
- `consent-destinataire.ed25519.pem`: signs destinataire tokens (`GET /.well-known/jwks.json`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from services.consent.identite import Indexeur
from services.consent.models import JOURNAL_TABLES, Consultation, Evenement, RechercheAutorite
from services.consent.settings import ConsentSettings
from shared.crypto.aead import LocalKeyProvider
from shared.crypto.jws import JwsSigner
from shared.crypto.keys import load_or_create_ed25519
from shared.errors import ServiceIndisponible
from shared.pages import Limiteur
from shared.service_tokens import ServiceTokens
from shared.timestamps.client import TimestampClient
from shared.translog.note import Signer
from shared.translog.store import TransparencyLog


@dataclass
class Registre:
    settings: ConsentSettings
    keys: LocalKeyProvider
    indexeur: Indexeur
    journal: TransparencyLog
    journal_signer: Signer
    sceau: JwsSigner
    destinataire: JwsSigner
    tokens: ServiceTokens
    #: The service's HTTP client (`shared.app.make_http`, closed with the app).
    http: httpx.AsyncClient
    #: Challenges per client address on the public routes (`comptes.limites`).
    limiteur: Limiteur = field(default_factory=lambda: Limiteur(timedelta(hours=1)))
    #: The RFC 3161 client dating the log's checkpoints (`shared.timestamps.configuration`'s
    #: `client_du_service`), given by `create_app`; absent where nothing is timestamped (the purge
    #: command, bench loaders).
    _horodatage: TimestampClient | None = None

    @property
    def horodatage(self) -> TimestampClient:
        if self._horodatage is None:  # pragma: no cover - the service's registry always has one
            raise RuntimeError("this registry was built without a timestamp client")
        return self._horodatage

    async def _courriel(self, chemin: str, corps: dict[str, Any]) -> None:
        try:
            response = await self.http.post(
                f"{self.settings.url_of('notify')}/notify/v1/interne/{chemin}",
                json=corps,
                headers={"Authorization": f"Bearer {self.tokens.token_for('notify')}"},
            )
        except httpx.HTTPError as exc:
            raise ServiceIndisponible("Le service d'envoi des courriels est injoignable.") from exc
        if response.status_code // 100 != 2:
            raise ServiceIndisponible("Le service d'envoi des courriels a refusé l'envoi.")

    async def envoyer_code(self, email: str, code: str, objet: str) -> None:
        """E-mail a one-time code through notify (`POST /notify/v1/interne/codes`), synchronously.

        Synchronous on purpose: a durable job would keep the code in clear in the jobs table.
        """
        await self._courriel("codes", {"email": email, "code": code, "objet": objet})

    async def avis_declarant(self, corps: dict[str, Any]) -> None:
        """Tell the declarant what became of her declaration (`POST /notify/v1/interne/declarations/avis`)."""
        await self._courriel("declarations/avis", corps)

    async def prevenir_verrouillage(self, email: str, jusqu_au: datetime, fuseau: str) -> None:
        """Tell the owner her account is locked (`POST /notify/v1/interne/verrouillages`), the end of
        the lock written in her legal time zone."""
        corps = {"email": email, "jusqu_au": jusqu_au.isoformat(), "fuseau": fuseau}
        await self._courriel("verrouillages", corps)


def build_registre(
    settings: ConsentSettings, http: httpx.AsyncClient, *, horodatage: TimestampClient | None = None
) -> Registre:
    production = settings.env == "production"
    keys_dir = settings.keys_dir

    def key(name: str) -> JwsSigner:
        return JwsSigner(load_or_create_ed25519(keys_dir / name, allow_create=not production))

    log_key = load_or_create_ed25519(keys_dir / "consent-log.ed25519.pem", allow_create=not production)
    return Registre(
        settings=settings,
        keys=LocalKeyProvider.from_secrets(
            {settings.master_key_id: settings.effective_master_key}, current_kid=settings.master_key_id
        ),
        indexeur=Indexeur(settings.effective_blind_index_key),
        journal=TransparencyLog(
            JOURNAL_TABLES,
            references=[t.__table__.c.leaf_index for t in (Evenement, Consultation, RechercheAutorite)],
        ),
        journal_signer=Signer(settings.journal_origin, log_key),
        sceau=key("consent-sceau.ed25519.pem"),
        destinataire=key("consent-destinataire.ed25519.pem"),
        tokens=ServiceTokens(
            service="consent",
            issuer=settings.jwt_issuer,
            key_path=settings.effective_service_key_path,
            production=production,
        ),
        http=http,
        _horodatage=horodatage,
    )
