"""`signif serve --host H --port N`: the URLs left unset follow where the process listens."""

from __future__ import annotations

import pytest

from services.coffre.settings import CoffreSettings
from signif.embedded import adresse_ecoute, urls_derivees


def test_the_listening_address_as_a_url() -> None:
    assert adresse_ecoute("127.0.0.1", 8123) == "http://127.0.0.1:8123"
    assert adresse_ecoute("0.0.0.0", 9000) == "http://127.0.0.1:9000"  # noqa: S104
    assert adresse_ecoute("::1", 9000) == "http://[::1]:9000"
    assert adresse_ecoute("signif.local", 80) == "http://signif.local:80"


def test_unset_urls_are_derived_and_configured_ones_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PUBLIC_URL", "CONSENT_URL", "COFFRE_URL", "NOTIFY_URL"):
        monkeypatch.delenv(f"SIGNIF_{name}", raising=False)
    ecoute = "http://127.0.0.1:8123"
    embarque = urls_derivees(CoffreSettings(), ecoute, embarque=True)
    assert embarque == dict.fromkeys(("public_url", "consent_url", "coffre_url", "notify_url"), ecoute)
    assert urls_derivees(CoffreSettings(), ecoute, embarque=False) == {"public_url": ecoute}

    monkeypatch.setenv("SIGNIF_PUBLIC_URL", "https://signif.example")
    monkeypatch.setenv("SIGNIF_NOTIFY_URL", "http://notify.interne:8000")
    reglages = CoffreSettings()
    derivees = urls_derivees(reglages, ecoute, embarque=True)
    assert derivees == {"consent_url": ecoute, "coffre_url": ecoute}
    applique = reglages.model_copy(update=derivees)
    assert applique.public_url == "https://signif.example"
    assert applique.url_of("notify") == "http://notify.interne:8000"
    assert applique.url_of("consent") == ecoute
