"""The mentions the declaration shows are the articles of the code, whole, word for word (legal.md §2).

The reference copies in `tests/data/mentions/` were taken from the legal sheet's quotations, without the
guillemets; every article served by `GET /mentions` and shown on the form must equal its copy exactly.
"""

from __future__ import annotations

import hashlib
import html
import json
from pathlib import Path

from sqlalchemy import update

from services.consent.mentions.textes import SHA256, VERSION
from services.consent.models import Declaration
from tests.services.consent.conftest import Consent, corps, soumettre

BASE = "/consent/v1/declarations"

REFERENCES = Path(__file__).resolve().parents[2] / "data" / "mentions"
ARTICLES = ("653", "662-1", "663", "664", "664-1")
#: The hash of version 2026-1 as declarations of that version stored it (CPC 663 truncated).
SHA256_2026_1 = "d1f2520616633ee015540c7ef10f780866d2d313d8ac8e13d559272cf7709b8c"


def reference(article: str) -> str:
    return (REFERENCES / f"cpc-{article}.txt").read_text(encoding="utf-8").removesuffix("\n")


async def test_every_article_is_served_whole_and_word_for_word(consent: Consent) -> None:
    doc = (await consent.client.get("/consent/v1/mentions")).json()
    assert [a["reference"] for a in doc["articles"]] == [f"CPC {a}" for a in ARTICLES]
    for article, servi in zip(ARTICLES, doc["articles"], strict=True):
        assert servi["texte"] == reference(article), article
        assert "…" not in servi["texte"]
    cpc_663 = doc["articles"][2]["texte"].split("\n")
    assert len(cpc_663) == 2
    assert cpc_663[1].startswith("Lorsque la signification n'a pas été faite à personne")
    assert doc["version"] == VERSION == "2026-2"
    assert doc["sha256"] == SHA256 != SHA256_2026_1


async def test_the_form_shows_every_alinea_of_every_article(consent: Consent) -> None:
    page = html.unescape((await consent.client.get("/consent/declaration")).text)
    for article in ARTICLES:
        alineas = reference(article).split("\n")
        # each alinéa its own paragraph, the article between guillemets
        balises = [f"<p>{a}</p>" for a in alineas]
        balises[0] = balises[0].replace("<p>", "<p>« ", 1)
        balises[-1] = balises[-1].replace("</p>", " »</p>")
        for balise in balises:
            assert balise in page, (article, balise[:40])
    assert f'name="mentions_version" value="{VERSION}"' in page
    assert f'name="mentions_sha256" value="{SHA256}"' in page


async def test_earlier_version_stays_readable_with_its_own_hash(consent: Consent) -> None:
    ancienne = await consent.client.get("/consent/v1/mentions/versions/2026-1")
    assert ancienne.status_code == 200
    doc = ancienne.json()
    assert doc["en_vigueur"] is False
    assert doc["articles"][2]["texte"].endswith("en a pris connaissance. …")
    canonical = json.dumps(
        {"version": doc["version"], "articles": doc["articles"], "notice": doc["notice"]},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    assert doc["sha256"] == hashlib.sha256(canonical.encode()).hexdigest() == SHA256_2026_1
    actuelle = (await consent.client.get(f"/consent/v1/mentions/versions/{VERSION}")).json()
    assert actuelle["en_vigueur"] is True
    assert actuelle["sha256"] == SHA256
    inconnue = await consent.client.get("/consent/v1/mentions/versions/1999-1")
    assert inconnue.status_code == 404
    assert inconnue.headers["content-type"].startswith("application/problem+json")
    assert inconnue.json()["code"] == "introuvable"


async def test_a_declaration_keeps_the_version_it_was_shown(consent_db: Consent) -> None:
    perimee = await consent_db.client.post(
        "/consent/v1/declarations",
        json=corps(mentions={"version": "2026-1", "sha256": SHA256_2026_1}),
    )
    assert perimee.status_code == 422
    assert perimee.json()["code"] == "mentions-perimees"
    # A declaration made under 2026-1 (as stored before this version) keeps it: nothing rewrites it.
    ancienne = await soumettre(consent_db)
    async with consent_db.runtime.db.transaction() as session:
        await session.execute(
            update(Declaration)
            .where(Declaration.id == ancienne.id)
            .values(mentions_version="2026-1", mentions_sha256=SHA256_2026_1)
        )
    nouvelle = await soumettre(consent_db)
    vue = (await consent_db.client.get(f"{BASE}/{ancienne.id}", headers=ancienne.entetes)).json()
    assert vue["mentions"] == {"version": "2026-1", "sha256": SHA256_2026_1}
    vue = (await consent_db.client.get(f"{BASE}/{nouvelle.id}", headers=nouvelle.entetes)).json()
    assert vue["mentions"] == {"version": VERSION, "sha256": SHA256}
