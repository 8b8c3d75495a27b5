"""The coffre's state: one typed object built by `create_app(settings)`, before any request or job.

It holds the database, the clock, the outgoing HTTP client (closed by the app's lifespan), the blob
store, the timestamp client, the répertoire, the seal keys, the consent clients, the retrieval pages'
session key and rate limiter. Routes receive it through `services.coffre.dependencies.CoffreDep`;
job handlers are built with it (`services.coffre.app`).

Keys (all under `settings.keys_dir`, generated on first start outside production, with a `.dev`
marker that production refuses): `coffre-log.ed25519.pem` (répertoire checkpoints),
`coffre-seal.ed25519.pem` (JWS seal, published by the JWKS endpoint; retired seal keys are kept as
`coffre-seal.<kid>.retired.pem` and still published), `tsa/` (embedded RFC 3161 TSA).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric import ed25519

from services.coffre.depot.consentement import ConsentClient
from services.coffre.journal.repertoire import Repertoire
from services.coffre.models import JOURNAL_TABLES, ActeEvenement
from services.coffre.preuves.sceau import SceauPdf
from services.coffre.retrait import limites
from services.coffre.retrait.connexion import DestinataireClient
from services.coffre.retrait.session import charger_cle
from services.coffre.settings import CoffreSettings
from shared.blobs.base import BlobStore
from shared.blobs.factory import blob_store_from_url
from shared.clock import Clock
from shared.crypto.jws import JwsSigner
from shared.crypto.keys import load_or_create_ed25519, load_private_key, refuse_development_key
from shared.db import Database
from shared.devpki import ca_certificate_path
from shared.pages import Limiteur
from shared.service_tokens import ServiceTokens
from shared.timestamps.client import TimestampClient
from shared.timestamps.configuration import client_du_service
from shared.translog.note import Signer
from shared.translog.store import TransparencyLog


@dataclass
class Retrait:
    """The retrieval pages' own state: the session cookie key, consent's sign-in client, the limiter."""

    cle: bytes
    client: DestinataireClient
    limiteur: Limiteur


@dataclass
class Coffre:
    settings: CoffreSettings
    db: Database
    clock: Clock
    #: The client the coffre calls consent, notify and an external TSA with (closed by the lifespan).
    http: httpx.AsyncClient
    blobs: BlobStore
    horodatage: TimestampClient
    repertoire: Repertoire
    sceau: JwsSigner
    sceaux_retires: list[ed25519.Ed25519PublicKey]
    trust_roots: list[Path]
    consentement: ConsentClient
    tokens: ServiceTokens
    retrait: Retrait
    #: The PAdES seal, made on first use (`services.coffre.reception.documents.sceau_pdf`).
    sceau_pdf: SceauPdf | None = field(default=None, repr=False)


def _production(settings: CoffreSettings) -> bool:
    return settings.env == "production"


def _ed25519(path: Path, settings: CoffreSettings) -> ed25519.Ed25519PrivateKey:
    key = load_or_create_ed25519(path, allow_create=not _production(settings))
    if _production(settings):
        refuse_development_key(path)
    return key


def trust_roots(settings: CoffreSettings) -> list[Path]:
    roots: list[Path] = []
    if not _production(settings):
        roots.append(ca_certificate_path(settings.var_dir))
    if settings.trust_roots is not None:
        roots.append(settings.trust_roots)
    if not roots:
        raise ValueError("production needs COFFRE_TRUST_ROOTS (PEM bundle of trusted roots)")
    return roots


def _sceaux_retires(keys_dir: Path) -> list[ed25519.Ed25519PublicKey]:
    retired: list[ed25519.Ed25519PublicKey] = []
    for path in sorted(keys_dir.glob("coffre-seal.*.retired.pem")):
        key = load_private_key(path)
        if isinstance(key, ed25519.Ed25519PrivateKey):
            retired.append(key.public_key())
    return retired


def build_coffre(settings: CoffreSettings, *, db: Database, clock: Clock, http: httpx.AsyncClient) -> Coffre:
    keys_dir = settings.keys_dir
    signer = Signer(settings.repertoire_origin, _ed25519(keys_dir / "coffre-log.ed25519.pem", settings))
    tokens = ServiceTokens(
        service="coffre",
        issuer=settings.jwt_issuer,
        key_path=keys_dir / "issuer.ed25519.pem",
        production=_production(settings),
    )
    consent = settings.url_of("consent")
    return Coffre(
        settings=settings,
        db=db,
        clock=clock,
        http=http,
        blobs=blob_store_from_url(settings.effective_blob_url),
        horodatage=client_du_service(settings, http, clock),
        repertoire=Repertoire(
            TransparencyLog(JOURNAL_TABLES, references=[ActeEvenement.__table__.c.journal_index]),
            signer,
            settings.repertoire_origin,
        ),
        sceau=JwsSigner(_ed25519(keys_dir / "coffre-seal.ed25519.pem", settings)),
        sceaux_retires=_sceaux_retires(keys_dir),
        trust_roots=trust_roots(settings),
        consentement=ConsentClient(consent, http, tokens),
        tokens=tokens,
        retrait=Retrait(
            cle=charger_cle(keys_dir),
            client=DestinataireClient(consent, http, tokens),
            limiteur=Limiteur(limites.FENETRE),
        ),
    )
