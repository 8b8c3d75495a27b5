"""The whole story against the embedded deployment started as a real process (`signif serve`):

declaration through consent's web form in real headless Chromium → e-mailed code (real SMTP sink)
→ confirmation → proofs → submission and récépissé → operator acceptance → consultation by a
commissaire → webhook subscription (real local receiver) → deposit of a PDF signed with `signif dev
sign` → avis de mise à disposition e-mail with the retrieval link → sign-in (password + e-mailed
code) and download in real headless Chromium (a screenshot of each page of both walks kept in
`test-artifacts/`) → `acte.pris_connaissance` webhook with a valid Standard Webhooks signature →
clock past local midnight → mode `a_personne` → evidence bundle verified offline by `signif verify`
(and its timestamps by `openssl ts -verify`), and rejected once one byte of the acte is flipped.
"""

from __future__ import annotations

import asyncio
import json
import zipfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import httpx
import pytest

from shared.testing.pdfs import acte_pdfa
from shared.testing.smtp import SmtpServer, smtp_server
from shared.testing.webhooks import WebhookReceiver, webhook_receiver
from tests.e2e import declaration_navigateur, retrait_navigateur
from tests.e2e.deploiement import (
    Deploiement,
    attendre_courriel,
    code_dans,
    deploiement,
    lien_dans,
    signature_valide,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

PARIS = ZoneInfo("Europe/Paris")


def prochain_jour_de_semaine() -> date:
    """The first weekday after today that is not a public holiday in France. The pinned clock must
    be ahead of the wall clock: `signif dev sign` signs (and the development PKI is issued) at the
    wall-clock instant, and the coffre refuses a signature from its future."""
    feries = holidays.country_holidays("FR")
    jour = datetime.now(UTC).date() + timedelta(days=1)
    while jour.weekday() >= 5 or jour in feries:
        jour += timedelta(days=1)
    return jour


JOUR = prochain_jour_de_semaine()
#: 10:00 in Paris on that day.
DEBUT = datetime.combine(JOUR, time(10), PARIS).astimezone(UTC)
#: Five minutes past midnight in Paris, the next day.
APRES_MINUIT = datetime.combine(JOUR + timedelta(days=1), time(0, 5), PARIS).astimezone(UTC).isoformat()
EMAIL = "elise.dupont@example.org"
MOT_DE_PASSE = "un mot de passe solide 42"
PIECE = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
DECLARANT = declaration_navigateur.Declarant(
    nom="Dupont-Lefèvre",
    prenoms="Élise Marie",
    date_naissance="1984-07-14",
    lieu_naissance="Lyon",
    adresse="12 rue des Lilas",
    code_postal="75011",
    commune="Paris",
    commune_insee="75056",
    email=EMAIL,
    mot_de_passe=MOT_DE_PASSE,
)
OFFICE = {"id": "office-paris-1", "nom": "Office Martin", "commune_insee": "75056", "cour_appel": "paris"}


def commissaire(dep: Deploiement, audience: str) -> dict[str, str]:
    token = dep.jeton("commissaire", "cj-martin", audience, nom="Me Martin", office=OFFICE)
    return {"Authorization": f"Bearer {token}"}


def declaration(mentions: dict[str, Any]) -> dict[str, Any]:
    return {
        "personne": {
            "type": "physique",
            "nom": "Dupont-Lefèvre",
            "prenoms": "Élise Marie",
            "date_naissance": "1984-07-14",
            "lieu_naissance": "Lyon",
            "domicile": {
                "adresse": "12 rue des Lilas",
                "code_postal": "75011",
                "commune": "Paris",
                "commune_insee": "75056",
                "pays": "France",
            },
        },
        "contact": {"email": EMAIL, "mobile": "+33612345678"},
        "natures": ["*"],
        "fin": None,
        "mentions": {"version": mentions["version"], "sha256": mentions["sha256"]},
        "consentement_expres": True,
        "mot_de_passe": MOT_DE_PASSE,
    }


async def declarer_et_faire_accepter(http: httpx.AsyncClient, dep: Deploiement, smtp: SmtpServer) -> str:
    mentions = (await http.get("/consent/v1/mentions")).json()
    created = await http.post("/consent/v1/declarations", json=declaration(mentions))
    assert created.status_code == 201, created.text
    ident, gestion = created.json()["id"], {"X-Jeton-Gestion": created.json()["jeton_gestion"]}
    mail = await attendre_courriel(smtp, lambda m: EMAIL in m.rcpt_tos)
    confirmed = await http.post(
        f"/consent/v1/declarations/{ident}/confirmation",
        json={"code": code_dans(mail.message)},
        headers=gestion,
    )
    assert confirmed.status_code == 200, confirmed.text
    for type_piece in ("carte_identite", "justificatif_domicile"):
        uploaded = await http.post(
            f"/consent/v1/declarations/{ident}/pieces",
            data={"type": type_piece},
            files={"fichier": ("piece.pdf", PIECE, "application/pdf")},
            headers=gestion,
        )
        assert uploaded.status_code == 201, uploaded.text
    submitted = await http.post(f"/consent/v1/declarations/{ident}/soumission", headers=gestion)
    assert submitted.status_code == 200, submitted.text
    await accepter(http, dep, str(ident))
    return str(ident)


async def declarer_dans_le_navigateur(
    http: httpx.AsyncClient, dep: Deploiement, smtp: SmtpServer, tmp_path: Path
) -> str:
    """The declaration through consent's web form in Chromium, then the operator's acceptance."""
    piece = tmp_path / "piece.pdf"
    piece.write_bytes(PIECE)

    async def code() -> str:
        return code_dans((await attendre_courriel(smtp, lambda m: EMAIL in m.rcpt_tos)).message)

    faite = await declaration_navigateur.declarer(dep.base, DECLARANT, code, piece)
    assert [c.name for c in faite.captures] == [
        "e2e-declaration-1-formulaire.png",
        "e2e-declaration-2-code.png",
        "e2e-declaration-3-pieces.png",
        "e2e-declaration-4-recepisse.png",
    ]
    await accepter(http, dep, faite.declaration_id)
    return faite.declaration_id


async def accepter(http: httpx.AsyncClient, dep: Deploiement, ident: str) -> None:
    operateur = {
        "Authorization": "Bearer "
        + await dep.signif("token", "issue", "--role", "operateur", "--sub", "op-1", "--aud", "consent")
    }
    decided = await http.post(
        f"/consent/v1/operateur/declarations/{ident}/decision",
        json={"decision": "acceptee", "motif": "Pièces conformes"},
        headers={k: v.strip() for k, v in operateur.items()},
    )
    assert decided.status_code == 200, decided.text


async def deposer(http: httpx.AsyncClient, dep: Deploiement, tmp_path: Path, declaration_id: str) -> str:
    brut, signe = tmp_path / "acte.pdf", tmp_path / "acte-signe.pdf"
    brut.write_bytes(acte_pdfa(titre="Signification d'un jugement (démonstration)"))
    await dep.signif("dev", "sign", "--in", str(brut), "--out", str(signe))
    meta = {
        "reference_dossier": "DOS-2026-0042",
        "nature": "signification_decision",
        "requerant": {"nom": "SCI Les Tilleuls"},
        "destinataire": {"declaration_id": declaration_id},
    }
    depot = await http.post(
        "/coffre/v1/actes",
        headers=commissaire(dep, "coffre"),
        files=[
            ("metadonnees", (None, json.dumps(meta).encode(), "application/json")),
            ("document", ("acte.pdf", signe.read_bytes(), "application/pdf")),
        ],
    )
    assert depot.status_code == 201, depot.text
    return str(depot.json()["id"])


async def test_histoire_de_bout_en_bout(tmp_path: Path) -> None:
    async with (
        smtp_server() as smtp,
        webhook_receiver() as recepteur,
        deploiement(tmp_path, maintenant=DEBUT, smtp=smtp) as dep,
        httpx.AsyncClient(base_url=dep.base, timeout=30) as http,
    ):
        await histoire(http, dep, smtp, recepteur, tmp_path)


async def histoire(
    http: httpx.AsyncClient, dep: Deploiement, smtp: SmtpServer, recepteur: WebhookReceiver, tmp_path: Path
) -> None:
    declaration_id = await declarer_dans_le_navigateur(http, dep, smtp, tmp_path)

    consultation = await http.post(
        "/consent/v1/consultations",
        json={
            "destinataire": {
                "type": "physique",
                "nom": "Dupont-Lefèvre",
                "prenoms": "Élise Marie",
                "date_naissance": "1984-07-14",
            },
            "nature": "signification_decision",
            "reference_dossier": "DOS-2026-0042",
        },
        headers=commissaire(dep, "consent"),
    )
    assert consultation.status_code == 200, consultation.text
    assert consultation.json()["consentement"] is True

    abonnement = await http.post(
        "/notify/v1/abonnements",
        json={"url": f"{recepteur.url}/webhooks", "types": ["acte.envoye", "acte.pris_connaissance"]},
        headers=commissaire(dep, "notify"),
    )
    assert abonnement.status_code == 201, abonnement.text
    secret = abonnement.json()["secret"]

    deja = len(smtp.received)
    acte_id = await deposer(http, dep, tmp_path, declaration_id)
    assert (await http.post("/_test/jobs")).status_code == 200
    avis = await attendre_courriel(smtp, lambda m: "/coffre/retrait/" in m.raw.decode(), deja=deja)
    assert avis.rcpt_tos == [EMAIL]
    lien = lien_dans(avis.message)
    assert lien.startswith(dep.base)

    async def code_connexion() -> str:
        mail = await attendre_courriel(
            smtp, lambda m: "connexion" in str(m.message["Subject"]).lower(), deja=len(smtp.received) - 1
        )
        return code_dans(mail.message)

    recu = tmp_path / "acte-recu.pdf"
    captures = await retrait_navigateur.telecharger(lien, EMAIL, MOT_DE_PASSE, code_connexion, recu)
    assert recu.read_bytes() == (tmp_path / "acte-signe.pdf").read_bytes()
    assert [c.name for c in captures] == [
        "e2e-histoire-1-lien.png",
        "e2e-histoire-2-code.png",
        "e2e-histoire-3-connecte.png",
        "e2e-histoire-4-apres-telechargement.png",
    ]
    assert all(c.stat().st_size > 0 for c in captures)

    await verifier_webhook(http, recepteur, secret, acte_id)
    await fixer_le_mode(http, dep, acte_id)
    await lot_de_preuves(http, dep, tmp_path, acte_id)


async def verifier_webhook(
    http: httpx.AsyncClient, recepteur: WebhookReceiver, secret: str, acte_id: str
) -> None:
    assert (await http.post("/_test/jobs")).status_code == 200
    recus = [r for r in recepteur.to("/webhooks") if r.json()["type"] == "acte.pris_connaissance"]
    assert len(recus) == 1, [r.json()["type"] for r in recepteur.requests]
    recu = recus[0]
    assert recu.json()["donnees"]["acte_id"] == acte_id
    assert signature_valide(secret, recu.headers, recu.body)
    assert not signature_valide(secret, recu.headers, recu.body + b" ")


async def fixer_le_mode(http: httpx.AsyncClient, dep: Deploiement, acte_id: str) -> None:
    moved = await http.post("/_test/horloge", json={"maintenant": APRES_MINUIT})
    assert moved.status_code == 200, moved.text
    assert (await http.post("/_test/jobs")).status_code == 200
    acte = await http.get(f"/coffre/v1/actes/{acte_id}", headers=commissaire(dep, "coffre"))
    assert acte.status_code == 200, acte.text
    assert acte.json()["mode"] == "a_personne"
    assert acte.json()["lettre_simple"] is None


async def lot_de_preuves(http: httpx.AsyncClient, dep: Deploiement, tmp_path: Path, acte_id: str) -> None:
    """The office downloads the evidence bundle; `signif verify` checks it offline and `openssl ts
    -verify` each RFC 3161 token against the deposited acte and the bundled TSA certificates."""
    lot = await http.get(f"/coffre/v1/actes/{acte_id}/preuves", headers=commissaire(dep, "coffre"))
    assert lot.status_code == 200, lot.text
    assert lot.headers["content-type"] == "application/zip"
    chemin = tmp_path / "preuves.zip"
    chemin.write_bytes(lot.content)
    sortie = await dep.signif("verify", str(chemin))
    assert "Lot de preuves vérifié" in sortie
    assert "mode a_personne" in sortie

    dossier = tmp_path / "preuves"
    with zipfile.ZipFile(chemin) as archive:
        archive.extractall(dossier)
    assert (dossier / "acte" / "document.pdf").read_bytes() == (tmp_path / "acte-signe.pdf").read_bytes()
    for jeton in ("depot", "envoi"):
        proc = await asyncio.create_subprocess_exec(
            "openssl",
            "ts",
            "-verify",
            "-data",
            "acte/document.pdf",
            "-in",
            f"horodatages/{jeton}.tsr",
            "-CAfile",
            "tsa/racine.pem",
            "-untrusted",
            "tsa/tsa.pem",
            cwd=dossier,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        assert proc.returncode == 0, out.decode()
        assert "Verification: OK" in out.decode()

    falsifie = tmp_path / "preuves-falsifie.zip"
    with zipfile.ZipFile(chemin) as source, zipfile.ZipFile(falsifie, "w") as copie:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "acte/document.pdf":
                data = data[:-20] + bytes([data[-20] ^ 1]) + data[-19:]
            copie.writestr(info, data)
    rejet = await dep.signif("verify", str(falsifie), attendu=1)
    assert "REJETÉ" in rejet
    assert "acte/document.pdf" in rejet
