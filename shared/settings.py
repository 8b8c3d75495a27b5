"""Settings shared by the three services.

Each service has one pydantic-settings class (env prefix `CONSENT_`, `COFFRE_`, `NOTIFY_`) deriving from
`BaseServiceSettings`, whose common fields are read from `SIGNIF_*` variables. Development defaults
work out of the box; with `SIGNIF_ENV=production` construction fails on any development secret, on a
pinned test clock, or on generated development keys (checked where keys are loaded).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.http import LimitesHttp

Env = Literal["development", "test", "production"]

#: Every development default secret starts with this; production refuses them.
DEV_SECRET_PREFIX = "dev-insecure-"  # noqa: S105 - a marker, not a secret


def dev_secret(name: str) -> SecretStr:
    return SecretStr(f"{DEV_SECRET_PREFIX}{name}-change-me-in-production")


def _common(name: str) -> Any:
    return AliasChoices(f"SIGNIF_{name}")


class ProductionMisconfigured(ValueError):
    pass


class BaseServiceSettings(BaseSettings):
    """Fields every service reads; subclasses set `service` and their `env_prefix`."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    service: ClassVar[str] = ""

    env: Env = Field("development", validation_alias=_common("ENV"))
    var_dir: Path = Field(Path("var"), validation_alias=_common("VAR_DIR"))
    now: datetime | None = Field(
        None, validation_alias=_common("NOW"), description="pins the test clock (development/test only)"
    )
    public_url: str = Field("http://127.0.0.1:8000", validation_alias=_common("PUBLIC_URL"))
    log_level: str = Field("INFO", validation_alias=_common("LOG_LEVEL"))
    log_json: bool = Field(True, validation_alias=_common("LOG_JSON"))

    # Authentication: tokens from one issuer, verified with its JWKS (file or URL).
    jwt_issuer: str = Field("signif-dev", validation_alias=_common("JWT_ISSUER"))
    jwks_path: Path | None = Field(None, validation_alias=_common("JWKS_PATH"))
    jwks_url: str | None = Field(None, validation_alias=_common("JWKS_URL"))

    # Where the other services live (embedded: all on the public URL).
    consent_url: str | None = Field(None, validation_alias=_common("CONSENT_URL"))
    coffre_url: str | None = Field(None, validation_alias=_common("COFFRE_URL"))
    notify_url: str | None = Field(None, validation_alias=_common("NOTIFY_URL"))

    service_key_path: Path | None = Field(
        None,
        validation_alias=_common("SERVICE_KEY_PATH"),
        description="key signing this service's calls to others",
    )
    sceau_pkcs12: Path | None = Field(
        None,
        validation_alias=_common("SEAL_PKCS12"),
        description="PKCS#12 file of the platform's PDF seal (key, certificate and its chain up to the "
        "root); unset: the development seal outside production, 503 `sceau-indisponible` in production",
    )
    sceau_pkcs12_mot_de_passe: SecretStr | None = Field(
        None, validation_alias=_common("SEAL_PKCS12_PASSWORD"), description="passphrase of that file"
    )
    blob_url: str | None = Field(None, validation_alias=_common("BLOB_URL"))
    database_url: str | None = None
    max_json_body: int = 1_000_000
    http_delai_corps: float = Field(
        30.0,
        gt=0,
        validation_alias=_common("HTTP_DELAI_CORPS"),
        description="seconds a request body may take, plus one per 16 KiB received (408 beyond)",
    )
    metrics_token: SecretStr | None = Field(
        None,
        validation_alias=_common("METRICS_TOKEN"),
        description="bearer token Prometheus sends to /<service>/metrics (unset: no metrics endpoint)",
    )
    run_jobs_in_process: bool = Field(True, validation_alias=_common("RUN_JOBS"))
    jobs_bail_secondes: int = Field(
        30,
        ge=3,
        le=3600,
        validation_alias=_common("JOBS_BAIL_SECONDES"),
        description="lease of a claimed job, renewed while it runs: a dead worker's job is retried after it",
    )
    jobs_concurrency: int = Field(
        8, ge=1, le=64, validation_alias=_common("JOBS_CONCURRENCY"), description="jobs a runner runs at once"
    )

    @property
    def limites_http(self) -> LimitesHttp:
        return LimitesHttp(delai_corps=self.http_delai_corps)

    @property
    def is_test_env(self) -> bool:
        return self.env in ("development", "test")

    @property
    def keys_dir(self) -> Path:
        return self.var_dir / "keys"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.var_dir / (self.service + '.db')}"

    @property
    def effective_blob_url(self) -> str:
        return self.blob_url or f"file://{(self.var_dir / 'blobs' / self.service).resolve()}"

    @property
    def effective_service_key_path(self) -> Path:
        return self.service_key_path or self.keys_dir / "issuer.ed25519.pem"

    @property
    def effective_jwks_path(self) -> Path:
        return self.jwks_path or self.keys_dir / "issuer.jwks.json"

    def url_of(self, service: str) -> str:
        explicit = {"consent": self.consent_url, "coffre": self.coffre_url, "notify": self.notify_url}[
            service
        ]
        return (explicit or self.public_url).rstrip("/")

    @model_validator(mode="after")
    def _refuse_development_material_in_production(self) -> BaseServiceSettings:
        if self.env != "production":
            return self
        problems = [
            name
            for name, value in self
            if isinstance(value, SecretStr) and value.get_secret_value().startswith(DEV_SECRET_PREFIX)
        ]
        if problems:
            raise ProductionMisconfigured(
                "SIGNIF_ENV=production refuses development secrets: " + ", ".join(sorted(problems))
            )
        if self.now is not None:
            raise ProductionMisconfigured("SIGNIF_NOW (test clock) is not allowed in production")
        return self
