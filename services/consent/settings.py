"""Settings of the consent service (env prefix `CONSENT_`, common ones `SIGNIF_`).

Secrets (`SecretStr`; unset means the development default outside production, and production refuses
both an unset secret, when the app is built, and a development value, when the settings are read):
- `master_key`: the key-encryption key that wraps every per-declaration data key (crypto-shredding);
- `blind_index_key`: the HMAC key of the identity and e-mail blind indexes (never the master key);
- `code_pepper`: the HMAC key of one-time codes (e-mail confirmation, sign-in, reset).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import BaseServiceSettings, ProductionMisconfigured, dev_secret


class ConsentSettings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONSENT_", extra="ignore", populate_by_name=True)

    service: ClassVar[str] = "consent"

    master_key: SecretStr | None = None
    master_key_id: str = "consent-1"
    blind_index_key: SecretStr | None = None
    code_pepper: SecretStr | None = None
    max_piece_bytes: int = 5_000_000
    code_ttl_seconds: int = 900
    code_max_attempts: int = 5
    # Account limits (threat model: README "Sécurité", `comptes.limites`).
    code_compte_chiffres: int = Field(8, ge=6, le=10, description="digits of sign-in and reset codes")
    connexion_max_echecs: int = Field(5, description="failures (password or code) before a lock")
    verrouillage_minutes: int = Field(15, description="first lock; each next one lasts twice as long")
    verrouillage_max_minutes: int = 24 * 60
    defis_par_heure: int = Field(5, description="sign-in and reset challenges per e-mail address")
    defis_par_jour: int = 20
    defis_par_client: int = Field(30, description="challenges per client address per hour (public routes)")
    session_ttl_seconds: int = Field(1800, description="personal space and API sessions (absolute)")
    destinataire_token_ttl: int = 900
    journal_origin: str = "signif.example/consent/journal"
    purge_quotidienne: bool = Field(True, description="schedule the daily retention purge (02:00 Paris)")
    tsa_url: str | None = Field(
        None,
        validation_alias=AliasChoices("CONSENT_TSA_URL", "tsa_url"),
        description="external RFC 3161 TSA (its chain in <keys_dir>/tsa/tsa-chain.pem); embedded when unset",
    )
    horodatage_horaire: bool = Field(
        True, description="timestamp the registry log's checkpoint every hour (RFC 3161)"
    )

    def secret(self, name: str) -> SecretStr:
        """The configured secret `name`, or its development default outside production."""
        value = getattr(self, name)
        if isinstance(value, SecretStr):
            return value
        if self.env == "production":
            raise ProductionMisconfigured(f"CONSENT_{name.upper()} is required in production")
        return dev_secret(f"consent-{name.replace('_', '-')}")

    @property
    def effective_master_key(self) -> SecretStr:
        return self.secret("master_key")

    @property
    def effective_blind_index_key(self) -> SecretStr:
        return self.secret("blind_index_key")

    @property
    def effective_code_pepper(self) -> SecretStr:
        return self.secret("code_pepper")
