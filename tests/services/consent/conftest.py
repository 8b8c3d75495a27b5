"""Fixtures of the consent tests: a migrated app beside the real notify, declaration helpers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.consent.app import create_app
from services.consent.mentions.textes import SHA256, VERSION
from services.consent.models import OUVERTURES
from services.consent.settings import ConsentSettings
from services.consent.state import ConsentState
from services.notify.app import create_app as notify_app
from services.notify.courriel.messages import OBJETS_CODE
from services.notify.settings import NotifySettings
from shared import ouvertures
from shared.app import ServiceRuntime
from shared.evidence.engagements import engagements_de, ouvrir
from shared.issuer import DevIssuer
from shared.testing.apps import commissaire_claims, issuer_for, migrate, running
from shared.testing.databases import sqlite_url
from shared.testing.smtp import SmtpServer, smtp_server

#: Pages set `Secure` cookies (except on plain HTTP to a loopback host): the tests browse over https.
BASE = "https://consent.test"
DEBUT = datetime.fromisoformat("2026-03-02T09:00:00+00:00")
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class NotifyReel:
    """The real notify service, in process, sending consent's one-time codes to a real SMTP server.

    `envois` reads the code e-mails back from what the SMTP server received: address, purpose (from
    the subject notify wrote) and the code (from the text part).
    """

    smtp: SmtpServer

    @property
    def envois(self) -> list[dict[str, str]]:
        envois = []
        for mail in self.smtp.received:
            message = mail.message
            objet = _OBJET_PAR_SUJET.get(str(message["Subject"]))
            if objet is None:
                continue
            code = re.search(r" : ([0-9A-Za-z]{4,12})\r?$", mail.part("plain"), re.MULTILINE)
            assert code is not None, mail.part("plain")
            envois.append({"email": str(message["To"]), "objet": objet, "code": code.group(1)})
        return envois

    def dernier_code(self, email: str | None = None) -> str:
        for envoi in reversed(self.envois):
            if email is None or envoi["email"] == email:
                return envoi["code"]
        raise AssertionError("no code was sent")


_OBJET_PAR_SUJET = {sujet: objet for objet, (sujet, _but) in OBJETS_CODE.items()}


@dataclass
class Consent:
    client: httpx.AsyncClient
    runtime: ServiceRuntime
    settings: ConsentSettings
    notify: NotifyReel
    issuer: DevIssuer
    #: The service's state (`services.consent.state`), as `create_app` built it.
    state: ConsentState

    def bearer(self, role: str, **claims: Any) -> dict[str, str]:
        sub = claims.pop("sub", f"{role}-1")
        if role == "commissaire" and "office" not in claims:
            claims.update(commissaire_claims())
        if role == "autorite_judiciaire":
            claims.setdefault("juridiction", "Tribunal judiciaire de Paris")
        token = self.issuer.token(role=role, sub=sub, audience="consent", **claims)
        return {"Authorization": f"Bearer {token}"}

    async def horloge(self, instant: str) -> None:
        self.runtime.clock.set(datetime.fromisoformat(instant.replace("Z", "+00:00")))  # type: ignore[attr-defined]


def consent_settings(
    tmp_path: Path, database_url: str | None = None, *, now: datetime = DEBUT
) -> ConsentSettings:
    return ConsentSettings(
        env="test",
        var_dir=tmp_path,
        database_url=database_url or sqlite_url(tmp_path, "consent"),
        run_jobs_in_process=False,
        now=now,
        notify_url="http://notify.test",
    )


@asynccontextmanager
async def demarrer(settings: ConsentSettings) -> AsyncIterator[Consent]:
    await migrate(settings)
    async with smtp_server() as smtp, _notify(settings, smtp) as notify_app:
        app = create_app(settings, http_transport=httpx.ASGITransport(app=notify_app))
        async with running(app, base_url=BASE) as client:
            yield Consent(
                client, app.state.runtime, settings, NotifyReel(smtp), issuer_for(settings), app.state.consent
            )


@asynccontextmanager
async def _notify(consent: ConsentSettings, smtp: SmtpServer) -> AsyncIterator[FastAPI]:
    """notify on SQLite in consent's var dir (so it trusts the same development issuer)."""
    settings = NotifySettings(
        env="test",
        var_dir=consent.var_dir,
        database_url=sqlite_url(consent.var_dir, "notify"),
        run_jobs_in_process=False,
        now=consent.now,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_starttls=False,
    )
    await migrate(settings)
    app = notify_app(settings)
    async with running(app):
        yield app


@pytest.fixture
async def consent(tmp_path: Path) -> AsyncIterator[Consent]:
    """The consent service on SQLite (fast); tests that matter on both engines use `consent_db`."""
    async with demarrer(consent_settings(tmp_path)) as env:
        yield env


@pytest.fixture
async def consent_db(tmp_path: Path, database_url: str) -> AsyncIterator[Consent]:
    """The consent service on SQLite and on PostgreSQL."""
    async with demarrer(consent_settings(tmp_path, database_url)) as env:
        yield env


def octets_sqlite(env: Consent) -> bytes:
    """Every byte of the SQLite database file and its write-ahead log."""
    db = Path(env.settings.effective_database_url.removeprefix("sqlite+aiosqlite:///"))
    wal = db.with_name(db.name + "-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


# --- declaration helpers -------------------------------------------------------------------------


def adresse(commune_insee: str = "75056") -> dict[str, str]:
    return {
        "adresse": "12 rue des Lilas",
        "code_postal": "75011",
        "commune": "Paris",
        "commune_insee": commune_insee,
        "pays": "France",
    }


def physique(**changes: Any) -> dict[str, Any]:
    personne = {
        "type": "physique",
        "nom": "Dupont-Lefèvre",
        "prenoms": "Élise Marie",
        "date_naissance": "1984-07-14",
        "lieu_naissance": "Lyon",
        "domicile": adresse(),
    }
    personne.update(changes)
    return personne


def morale(**changes: Any) -> dict[str, Any]:
    personne = {
        "type": "morale",
        "denomination": "Boulangerie Levain SAS",
        "forme_juridique": "SAS",
        "siren": "732829320",
        "representant": {"nom": "Martin", "prenoms": "Paul"},
        "siege": adresse("69123"),
    }
    personne.update(changes)
    return personne


def corps(personne: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "personne": personne or physique(),
        "contact": {"email": "elise.dupont@example.org", "mobile": "+33612345678"},
        "natures": ["*"],
        "fin": None,
        "mentions": {"version": VERSION, "sha256": SHA256},
        "consentement_expres": True,
        "mot_de_passe": "un mot de passe solide 42",
    }
    body.update(changes)
    return body


@dataclass
class Declaree:
    id: str
    jeton: str

    @property
    def entetes(self) -> dict[str, str]:
        return {"X-Jeton-Gestion": self.jeton}


async def declarer(env: Consent, body: dict[str, Any] | None = None) -> Declaree:
    body = body or corps()
    response = await env.client.post("/consent/v1/declarations", json=body)
    assert response.status_code == 201, response.text
    data = response.json()
    return Declaree(data["id"], data["jeton_gestion"])


async def soumettre(env: Consent, body: dict[str, Any] | None = None) -> Declaree:
    """Declare, confirm the e-mail, upload the proofs and submit."""
    body = body or corps()
    d = await declarer(env, body)
    code = env.notify.dernier_code(body["contact"]["email"])
    confirmed = await env.client.post(
        f"/consent/v1/declarations/{d.id}/confirmation", json={"code": code}, headers=d.entetes
    )
    assert confirmed.status_code == 200, confirmed.text
    types = (
        ("carte_identite", "justificatif_domicile")
        if body["personne"]["type"] == "physique"
        else (
            "identite_representant",
            "pouvoirs_representant",
        )
    )
    for type_piece in types:
        uploaded = await env.client.post(
            f"/consent/v1/declarations/{d.id}/pieces",
            data={"type": type_piece},
            files={"fichier": ("piece.pdf", PDF, "application/pdf")},
            headers=d.entetes,
        )
        assert uploaded.status_code == 201, uploaded.text
    submitted = await env.client.post(f"/consent/v1/declarations/{d.id}/soumission", headers=d.entetes)
    assert submitted.status_code == 200, submitted.text
    return d


async def activer(env: Consent, body: dict[str, Any] | None = None) -> Declaree:
    """A submitted declaration accepted by the operator."""
    d = await soumettre(env, body)
    decided = await env.client.post(
        f"/consent/v1/operateur/declarations/{d.id}/decision",
        json={"decision": "acceptee", "motif": "Pièces conformes"},
        headers=env.bearer("operateur"),
    )
    assert decided.status_code == 200, decided.text
    return d


async def changer_adresse(env: Consent, d: Declaree, email: str) -> dict[str, Any]:
    """Ask for a new e-mail address, then give back the code sent to it; return the new version."""
    demande = await env.client.post(
        f"/consent/v1/declarations/{d.id}/versions", json={"contact": {"email": email}}, headers=d.entetes
    )
    assert demande.status_code == 202, demande.text
    confirme = await env.client.post(
        f"/consent/v1/declarations/{d.id}/versions/confirmation",
        json={"code": env.notify.dernier_code(email)},
        headers=d.entetes,
    )
    assert confirme.status_code == 201, confirme.text
    version: dict[str, Any] = confirme.json()
    return version


# --- pages ---------------------------------------------------------------------------------------


def csrf_de(html: str) -> str:
    """The CSRF value of a page's forms (bound to the browser's session cookie)."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, html
    return found.group(1)


async def formulaire(
    client: httpx.AsyncClient, url: str, data: dict[str, Any] | None = None, **kwargs: Any
) -> httpx.Response:
    """POST a page form as the browser would: with the CSRF value of this browser's session."""
    page = await client.get("/consent/espace")
    return await client.post(url, data={**(data or {}), "csrf": csrf_de(page.text)}, **kwargs)


async def ouverte(runtime: ServiceRuntime, contenu: dict[str, Any]) -> dict[str, Any]:
    """A registry leaf as its writer saw it: its commitments opened with the openings consent keeps."""
    async with runtime.db.transaction() as session:
        trouvees = await ouvertures.lire(session, OUVERTURES, engagements_de(contenu))
    return ouvrir(contenu, trouvees)
