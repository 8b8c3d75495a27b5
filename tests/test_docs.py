"""docs/: the integration guide holds together, in both languages, and its webhook samples work.

- every relative link between pages resolves, and each French page has its English twin;
- the README links the guide and names the roles and the presets to mint each token;
- the Python samples of the webhooks page (v1 with `standardwebhooks`, v1a with `cryptography`), run
  as written, accept a webhook signed as notify signs it and refuse a tampered one.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.notify.livraisons.signature import new_secret, public_key_text, signature_header

RACINE = Path(__file__).resolve().parent.parent
DOCS = RACINE / "docs"
JUMEAUX = {
    "README.md": "README.md",
    "contrat.md": "contract.md",
    "authentification.md": "authentication.md",
    "depot.md": "deposit.md",
    "controles.md": "legal-gates.md",
    "webhooks.md": "webhooks.md",
    "preuves.md": "evidence.md",
    "erreurs.md": "errors.md",
    "limites.md": "limits.md",
    "client.md": "client.md",
}
LIEN = re.compile(r"\]\(([^)#:]+\.md)(#[^)]*)?\)")


def test_each_french_page_has_its_english_twin() -> None:
    assert sorted(p.name for p in (DOCS / "fr").glob("*.md")) == sorted(JUMEAUX)
    assert sorted(p.name for p in (DOCS / "en").glob("*.md")) == sorted(JUMEAUX.values())


@pytest.mark.parametrize("page", sorted(DOCS.rglob("*.md")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_relative_links_resolve(page: Path) -> None:
    for cible, _ancre in LIEN.findall(page.read_text(encoding="utf-8")):
        assert (page.parent / cible).resolve().exists(), f"{page}: {cible}"


def test_the_readme_leads_to_the_guide() -> None:
    readme = (RACINE / "README.md").read_text(encoding="utf-8")
    assert "docs/fr/README.md" in readme
    assert "docs/en/README.md" in readme
    for role in ("commissaire", "operateur", "autorite_judiciaire", "service"):
        assert f"`{role}`" in readme
    for preset in ("commissaire-paris", "operateur", "autorite"):
        assert f"--preset {preset}" in readme
    for adresse in ("/consent/docs", "/coffre/docs", "/notify/docs", "/coffre/redoc"):
        assert adresse in readme


def _blocs_python(page: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.DOTALL)


class _Refus(Exception):
    pass


def _webhook(secret: str, cle: Ed25519PrivateKey) -> tuple[bytes, dict[str, str]]:
    corps = b'{"id":"evt-1","type":"acte.envoye","cree_le":"2026-03-02T09:00:00Z","donnees":{}}'
    horodatage = int(time.time())
    signature = signature_header(
        webhook_id="evt-1", timestamp=horodatage, body=corps, secret=secret, platform_key=cle
    )
    return corps, {
        "webhook-id": "evt-1",
        "webhook-timestamp": str(horodatage),
        "webhook-signature": signature,
    }


@pytest.mark.parametrize("langue", ["fr", "en"])
def test_the_webhook_samples_verify_a_real_signature(langue: str) -> None:
    v1, v1a = _blocs_python(DOCS / langue / "webhooks.md")
    secret, cle = new_secret(), Ed25519PrivateKey.generate()
    corps, entetes = _webhook(secret, cle)
    enregistres: list[Any] = []
    espace: dict[str, Any] = {
        "secret": secret,
        "cle_publique": public_key_text(cle.public_key()),
        "public_key": public_key_text(cle.public_key()),
        "Refus": _Refus,
        "Refused": _Refus,
        "deja_traite": lambda _id: False,
        "already_handled": lambda _id: False,
        "enregistrer": enregistres.append,
        "record": enregistres.append,
    }
    exec(v1, espace)  # noqa: S102 - the documentation's own sample, run as a reader would
    exec(v1a, espace)  # noqa: S102
    recevoir = espace["recevoir" if langue == "fr" else "receive"]
    v1a_valable = espace["v1a_valable" if langue == "fr" else "v1a_valid"]
    recevoir(corps, entetes)
    assert enregistres == [
        {"id": "evt-1", "type": "acte.envoye", "cree_le": "2026-03-02T09:00:00Z", "donnees": {}}
    ]
    assert v1a_valable(corps, entetes) is True
    falsifie = corps.replace(b"acte.envoye", b"acte.annule")
    with pytest.raises(_Refus):
        recevoir(falsifie, entetes)
    assert v1a_valable(falsifie, entetes) is False
