"""Settings: development defaults work; production refuses development material."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from services.coffre.settings import CoffreSettings
from services.consent.settings import ConsentSettings
from shared.app import make_clock, make_key_source
from shared.clock import SystemClock, TestClock
from shared.issuer import DevelopmentKeyRefused, DevIssuer
from shared.settings import dev_secret


def test_development_defaults(tmp_path: Path) -> None:
    settings = ConsentSettings(var_dir=tmp_path)
    assert settings.env == "development"
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path / 'consent.db'}"
    assert settings.url_of("coffre") == "http://127.0.0.1:8000"


def test_environment_prefixes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNIF_ENV", "test")
    monkeypatch.setenv("COFFRE_DATABASE_URL", "postgresql+asyncpg://x/coffre")
    monkeypatch.setenv("CONSENT_DATABASE_URL", "postgresql+asyncpg://x/consent")
    monkeypatch.setenv("SIGNIF_NOW", "2026-03-02T09:00:00Z")
    coffre = CoffreSettings()
    assert coffre.env == "test"
    assert coffre.effective_database_url.endswith("/coffre")
    assert coffre.now == datetime(2026, 3, 2, 9, tzinfo=UTC)
    clock = make_clock(coffre)
    assert isinstance(clock, TestClock)
    assert clock.now() == datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_production_refuses_test_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNIF_ENV", "production")
    monkeypatch.setenv("SIGNIF_NOW", "2026-03-02T09:00:00Z")
    with pytest.raises(ValidationError, match="SIGNIF_NOW"):
        ConsentSettings()


def test_production_refuses_development_secret() -> None:
    class WithSecret(ConsentSettings):
        master_key: SecretStr = dev_secret("master-key")

    with pytest.raises(ValidationError, match="master_key"):
        WithSecret(env="production")
    assert (
        WithSecret(env="production", master_key=SecretStr("a-real-secret-from-the-vault")).env == "production"
    )
    assert isinstance(make_clock(WithSecret(env="production", master_key=SecretStr("x"))), SystemClock)


async def test_production_refuses_generated_issuer_key(tmp_path: Path) -> None:
    import httpx

    DevIssuer(tmp_path / "keys")
    async with httpx.AsyncClient() as http:
        with pytest.raises(DevelopmentKeyRefused):
            make_key_source(ConsentSettings(env="production", var_dir=tmp_path), http)
        with pytest.raises(DevelopmentKeyRefused):
            make_key_source(
                ConsentSettings(
                    env="production", var_dir=tmp_path, jwks_path=tmp_path / "keys" / "issuer.jwks.json"
                ),
                http,
            )
        # Development generates the key on first start.
        make_key_source(ConsentSettings(env="development", var_dir=tmp_path / "fresh"), http)
        assert (tmp_path / "fresh" / "keys" / "issuer.jwks.json").exists()
