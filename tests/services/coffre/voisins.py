"""The coffre's neighbours in its tests: the real consent and the real notify, in process.

The standard declarations (`PERSONNES`) are walked once per test session through consent's real API
(creation, e-mailed code, proofs, submission, operator decision; revocation by the declarant) into a
template: consent's and notify's SQLite files and the keys of the shared var dir (the development
issuer, consent's registry and token keys). Each test copies the template into its own var dir and
starts consent and notify on the copy, beside a real SMTP server, on the coffre's clock; an
`Aiguillage` routes every service's HTTP calls to the others by path prefix. Ids are consent's:
tests name a declaration by its key, `DECL["paris"]`.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import select

from services.consent.app import create_app as consent_app
from services.consent.comptes.connexion import ISSUER as ISSUER_CONSENT
from services.consent.models import Consultation, Declaration, Defi
from services.consent.registre import Registre
from services.consent.settings import ConsentSettings
from services.consent.state import ConsentState
from services.notify.app import create_app as notify_app
from services.notify.settings import NotifySettings
from shared.app import ServiceRuntime
from shared.clock import Clock
from shared.crypto.jws import key_id
from shared.issuer import DevIssuer
from shared.testing.aiguillage import Aiguillage
from shared.testing.apps import commissaire_claims, issuer_for, running
from shared.testing.databases import sqlite_url
from shared.testing.smtp import SmtpServer, smtp_server
from tests.services.consent.conftest import NotifyReel, activer, consent_settings, corps, demarrer, ouverte

#: When the template's declarations were made and accepted: before every instant the tests pin.
CREEES_LE = datetime(2026, 1, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Personne:
    """One declarant of the standard set: who, where, which natures, and the account to sign in."""

    nom: str
    prenoms: str
    date_naissance: str
    commune_insee: str
    code_postal: str
    commune: str
    email: str
    mot_de_passe: str
    natures: tuple[str, ...] = ("*",)
    revoquee: bool = False

    def corps(self) -> dict[str, Any]:
        personne = {
            "type": "physique",
            "nom": self.nom,
            "prenoms": self.prenoms,
            "date_naissance": self.date_naissance,
            "lieu_naissance": self.commune,
            "domicile": {
                "adresse": "3 place de la Mairie",
                "code_postal": self.code_postal,
                "commune": self.commune,
                "commune_insee": self.commune_insee,
                "pays": "France",
            },
        }
        return corps(
            personne,
            contact={"email": self.email, "mobile": None},
            natures=list(self.natures),
            mot_de_passe=self.mot_de_passe,
        )


PERSONNES: dict[str, Personne] = {
    "paris": Personne("DUPONT", "Jeanne", "1970-05-04", "75056", "75011", "Paris",
                      "jeanne.dupont@example.org", "mot de passe de Jeanne 1"),
    "paris-2": Personne("LEROY", "Paul", "1982-11-30", "75056", "75015", "Paris",
                        "paul.leroy@example.org", "mot de passe de Paul 22"),
    "lyon": Personne("BERNARD", "Luc", "1965-02-17", "69123", "69003", "Lyon",
                     "luc.bernard@example.org", "mot de passe de Luc 333"),
    "guadeloupe": Personne("JOSEPH", "Léa", "1990-09-09", "97105", "97100", "Basse-Terre",
                           "lea.joseph@example.org", "mot de passe de Léa 4444"),
    "moselle": Personne("MULLER", "Anne", "1958-12-01", "57463", "57000", "Metz",
                        "anne.muller@example.org", "mot de passe d'Anne 55555"),
    "revoquee": Personne("ROUX", "Marc", "1977-03-21", "75056", "75012", "Paris",
                         "marc.roux@example.org", "mot de passe de Marc 6", revoquee=True),
    "assignations": Personne("PETIT", "Inès", "1988-06-15", "75056", "75013", "Paris",
                             "ines.petit@example.org", "mot de passe d'Inès 77",
                             natures=("assignation",)),
}  # fmt: skip


class _Declarations(Mapping[str, str]):
    """Key of `PERSONNES` → the declaration id consent gave it (known once the template exists)."""

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}

    def charger(self, ids: Mapping[str, str]) -> None:
        self._ids = dict(ids)

    def __getitem__(self, cle: str) -> str:
        if not self._ids:
            raise LookupError("the consent template is built by the `registre_modele` fixture: request it")
        return self._ids[cle]

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


DECL = _Declarations()


@dataclass(frozen=True)
class Modele:
    """The template: a var dir holding consent's and notify's databases and the shared keys."""

    dossier: Path
    ids: dict[str, str]
    jetons_gestion: dict[str, str]

    def copier(self, var_dir: Path) -> None:
        shutil.copytree(self.dossier, var_dir, dirs_exist_ok=True)


async def construire_modele(dossier: Path) -> Modele:
    """Walk every standard declaration through consent's real API (consent's own test set-up)."""
    ids: dict[str, str] = {}
    jetons: dict[str, str] = {}
    async with demarrer(consent_settings(dossier, now=CREEES_LE)) as env:
        for cle, personne in PERSONNES.items():
            declaree = await activer(env, personne.corps())
            ids[cle], jetons[cle] = declaree.id, declaree.jeton
            if personne.revoquee:
                r = await env.client.post(
                    f"/consent/v1/declarations/{declaree.id}/revocation", headers=declaree.entetes
                )
                assert r.status_code == 200, r.text
    return Modele(dossier, ids, jetons)


@dataclass
class Voisins:
    """consent and notify of one test, their SMTP server and the transport all services share."""

    consent: ServiceRuntime
    notify: ServiceRuntime
    consent_client: httpx.AsyncClient
    notify_client: httpx.AsyncClient
    smtp: SmtpServer
    aiguillage: Aiguillage
    issuer: DevIssuer
    modele: Modele
    #: consent's state (`services.consent.state`), as its `create_app` built it.
    consent_etat: ConsentState
    _courriels: NotifyReel = field(init=False)

    def __post_init__(self) -> None:
        self._courriels = NotifyReel(self.smtp)

    @property
    def registre(self) -> Registre:
        return self.consent_etat.registre

    async def verifications(self) -> list[Consultation]:
        """consent's records of the verifications services asked for (the coffre's, at sending)."""
        async with self.consent.db.transaction() as session:
            query = select(Consultation).where(Consultation.origine == "service").order_by(Consultation.id)
            return list((await session.scalars(query)).all())

    async def numero(self, cle: str) -> str:
        """The registration number (`RC-…`) of the standard declaration `cle`."""
        async with self.consent.db.transaction() as session:
            numero = await session.scalar(select(Declaration.numero).where(Declaration.id == DECL[cle]))
        assert numero is not None
        return numero

    async def feuille_du_registre(self, index: int) -> dict[str, Any]:
        """One leaf of consent's registry log (a verification's is `Consultation.leaf_index`), its
        commitments opened with consent's openings."""
        async with self.consent.db.transaction() as session:
            [feuille] = await self.registre.journal.leaves(session, index, index + 1)
        return await ouverte(self.consent, json.loads(feuille.data))

    async def defis_de_connexion(self) -> list[Defi]:
        """consent's sign-in challenges (one per password step of a destinataire)."""
        async with self.consent.db.transaction() as session:
            query = select(Defi).where(Defi.objet == "connexion")
            return list((await session.scalars(query)).all())

    async def evenements(self, office_id: str = "office-paris-1") -> list[dict[str, Any]]:
        """What notify received for the office, read from its pull feed (GET /notify/v1/evenements)."""
        claims = commissaire_claims(office_id=office_id)
        token = self.issuer.token(role="commissaire", sub="commissaire-1", audience="notify", **claims)
        r = await self.notify_client.get(
            "/notify/v1/evenements", params={"limite": 100}, headers={"Authorization": f"Bearer {token}"}
        )
        assert r.status_code == 200, r.text
        assert r.json()["suivant"] is None
        elements: list[dict[str, Any]] = r.json()["elements"]
        return elements

    async def revoquer(self, cle: str) -> None:
        """The declarant revokes through consent's API (effective from consent's clock's instant)."""
        r = await self.consent_client.post(
            f"/consent/v1/declarations/{DECL[cle]}/revocation",
            headers={"X-Jeton-Gestion": self.modele.jetons_gestion[cle]},
        )
        assert r.status_code == 200, r.text

    def dernier_code(self, email: str) -> str:
        """The last one-time code notify e-mailed to this address (read from the SMTP server)."""
        return self._courriels.dernier_code(email)

    async def connecter(self, email: str, mot_de_passe: str) -> str:
        """A destinataire token from consent's real sign-in (password, then the e-mailed code), asked
        as the coffre asks it."""
        service = self.issuer.token(role="service", sub="service:coffre", audience="consent")
        entetes = {"Authorization": f"Bearer {service}"}
        base = "/consent/v1/interne/destinataires/connexion"
        defi = await self.consent_client.post(
            base, json={"email": email, "mot_de_passe": mot_de_passe}, headers=entetes
        )
        assert defi.status_code == 200, defi.text
        code = self.dernier_code(email)
        r = await self.consent_client.post(
            f"{base}/{defi.json()['defi_id']}/code", json={"code": code}, headers=entetes
        )
        assert r.status_code == 200, r.text
        return str(r.json()["jeton"])

    def jeton_destinataire(self, *, cle: ed25519.Ed25519PrivateKey | None = None, **claims: Any) -> str:
        """A token shaped like consent's destinataire tokens, signed with consent's real key unless
        `cle` is given; `claims` override the defaults (Jeanne Dupont's declaration)."""
        signataire = self.registre.destinataire
        prive = cle or signataire.private_key
        maintenant = int(time.time())  # consent's token lifetimes use the wall clock
        payload = {
            "iss": ISSUER_CONSENT,
            "aud": "coffre",
            "role": "destinataire",
            "sub": "personne-inconnue",
            "declarations": [DECL["paris"]],
            "iat": maintenant,
            "exp": maintenant + 900,
            "jti": uuid.uuid4().hex,
            "sid": "0" * 64,
            **claims,
        }
        kid = signataire.kid if cle is None else key_id(cle.public_key())
        return jwt.encode(payload, prive, algorithm="EdDSA", headers={"kid": kid})


def reglages(var_dir: Path, smtp: SmtpServer, **communs: Any) -> tuple[ConsentSettings, NotifySettings]:
    """consent's and notify's settings on the template's files in `var_dir` (`communs`: e.g. the
    public URL of a deployment served over real HTTP)."""
    consent = ConsentSettings(
        env="test",
        var_dir=var_dir,
        database_url=sqlite_url(var_dir, "consent"),
        run_jobs_in_process=False,
        **communs,
    )
    notify = NotifySettings(
        env="test",
        var_dir=var_dir,
        database_url=sqlite_url(var_dir, "notify"),
        run_jobs_in_process=False,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_starttls=False,
        **communs,
    )
    return consent, notify


@asynccontextmanager
async def voisins(modele: Modele, var_dir: Path, clock: Clock) -> AsyncIterator[Voisins]:
    """consent and notify on a copy of the template in `var_dir` (copied at the first start only: a
    restart in the same test finds their state), on `clock`. The coffre takes `aiguillage` as its
    transport and plugs itself in (`brancher("coffre", app)`) so that notify reaches it too."""
    if not (var_dir / "consent.db").exists():
        modele.copier(var_dir)
    aiguillage = Aiguillage()
    try:
        async with smtp_server() as smtp:
            pour_consent, pour_notify = reglages(var_dir, smtp)
            consent = consent_app(pour_consent, clock=clock, http_transport=aiguillage)
            notify = notify_app(pour_notify, clock=clock, http_transport=aiguillage)
            aiguillage.brancher("consent", consent)
            aiguillage.brancher("notify", notify)
            async with running(notify) as notify_client, running(consent) as consent_client:
                yield Voisins(
                    consent.state.runtime,
                    notify.state.runtime,
                    consent_client,
                    notify_client,
                    smtp,
                    aiguillage,
                    issuer_for(consent.state.runtime.settings),
                    modele,
                    consent.state.consent,
                )
    finally:
        await aiguillage.fermer()
