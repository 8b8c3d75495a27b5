"""Settings of the coffre service (env prefix `COFFRE_`, common ones `SIGNIF_`)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from shared.settings import BaseServiceSettings

MB = 1024 * 1024


class CoffreSettings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="COFFRE_", extra="ignore", populate_by_name=True)

    service: ClassVar[str] = "coffre"

    max_acte_bytes: int = Field(50 * MB, description="hard limit of one deposit (document + annexes)")
    trust_roots: Path | None = Field(
        None,
        validation_alias=AliasChoices("COFFRE_TRUST_ROOTS", "trust_roots"),
        description="PEM bundle of the roots a commissaire's signing certificate must chain to",
    )
    tsa_url: str | None = Field(
        None,
        validation_alias=AliasChoices("COFFRE_TSA_URL", "tsa_url"),
        description="external RFC 3161 TSA; the embedded development TSA when unset",
    )
    repertoire_origin: str = "signif.example/coffre/repertoire"
    lien_retrait_jours: int = Field(30, ge=1, description="validity of a retrieval link")
    orphelins_delai_minutes: int = Field(60, ge=1, description="age before an unreferenced blob is removed")
    # The retrieval pages' limits per 10 minutes (`retrait.limites`): per client address, per session.
    retrait_pages_par_client: int = Field(120, ge=1, description="pages and forms, any link")
    retrait_inconnus_par_client: int = Field(20, ge=1, description="unknown or expired links")
    retrait_connexions_par_client: int = Field(20, ge=1, description="password and code steps")
    retrait_connexions_par_session: int = Field(10, ge=1, description="password and code steps")
    taches_periodiques: bool = Field(
        True, description="schedule the hourly checkpoint, the integrity audit and the orphan cleanup"
    )
