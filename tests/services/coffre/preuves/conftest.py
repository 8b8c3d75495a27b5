"""Fixtures for the coffre's legal documents: a development PKI with its platform seal, the embedded
TSA on a pinned clock, the seal's JWS key, and the facts of one signification in Guadeloupe."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ed25519

from services.coffre.preuves import EmbeddedTimeStamper, SceauPdf, Signification
from shared import devpki
from shared.crypto.jws import JwsSigner
from shared.timestamps.authority import TsaCredentials, load_or_create_dev_tsa
from shared.timestamps.client import EmbeddedTimestampClient
from shared.timestamps.tsa import TimeStampAuthority

PKI_CREEE_LE = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
ENVOI = datetime(2026, 3, 16, 13, 30, 5, tzinfo=UTC)  # 9 h 30 in Guadeloupe (UTC-4)
PRISE = datetime(2026, 3, 16, 20, 12, 44, tzinfo=UTC)  # 16 h 12, the same local day
EMISSION = PRISE + timedelta(seconds=2)
VALIDATION = EMISSION + timedelta(minutes=1)
SHA256_ACTE = "3f0a9c2be4d1" + "7" * 52
CHECKPOINT = (
    "signif.example/coffre/repertoire\n"
    "4712\n"
    "q3JH3kA8tOQ0xG3sDk1mU8d1W0q3JH3kA8tOQ0xG3sDk=\n"
    "\n"
    "— signif.example/coffre/repertoire Az3u5Zq9h8yQ0U1eXj3dTz9mE4rK1mV2cP8nB7lW6xS5yT4uI3oP2aQ1sD0f==\n"
)


class Horloge:
    """The TSA's clock, set by each test to the instant it wants as genTime."""

    def __init__(self, instant: datetime) -> None:
        self.instant = instant

    def __call__(self) -> datetime:
        return self.instant


@dataclass(frozen=True)
class Plateforme:
    pki: devpki.DevPki
    tsa: TimeStampAuthority
    horloge: Horloge
    sceau_jws: JwsSigner

    @property
    def horodatage(self) -> EmbeddedTimestampClient:
        return EmbeddedTimestampClient(self.tsa)

    @property
    def tsa_racine(self) -> x509.Certificate:
        credentials: TsaCredentials = self.tsa.credentials
        return credentials.root

    def sceau_pdf(self, *, horodate: bool = True) -> SceauPdf:
        timestamper = EmbeddedTimeStamper(self.tsa) if horodate else None
        return SceauPdf(signer=self.pki.seal_signer(), timestamper=timestamper)

    def racines(self) -> list[x509.Certificate]:
        """What a verifier of the sealed PDFs trusts: the development CA and the TSA's root."""
        return [self.pki.ca_certificate(), self.tsa_racine]


@pytest.fixture(scope="session")
def plateforme(tmp_path_factory: pytest.TempPathFactory) -> Plateforme:
    racine: Path = tmp_path_factory.mktemp("plateforme")
    horloge = Horloge(EMISSION)
    return Plateforme(
        pki=devpki.load_or_create_seal(racine / "devpki", now=PKI_CREEE_LE),
        tsa=TimeStampAuthority(load_or_create_dev_tsa(racine / "tsa"), clock=horloge),
        horloge=horloge,
        sceau_jws=JwsSigner(ed25519.Ed25519PrivateKey.generate()),
    )


def signification(**changements: object) -> Signification:
    valeurs: dict[str, object] = {
        "acte_id": "0b5e4c1e-7d1a-4a53-9b0e-3c1f2a9d8e71",
        "sha256": SHA256_ACTE,
        "nature_libelle": "Signification d'un jugement",
        "requerant": "SCI Les Tamariniers",
        "reference_dossier": "2026/0042",
        "office_nom": "SELARL Démo Justice",
        "commissaire_nom": "Maître Camille Démo",
        "declaration_id": "decl-2026-000123",
        "envoye_le": ENVOI,
        "fuseau": "America/Guadeloupe",
        "repertoire_index": 4702,
    }
    valeurs.update(changements)
    return Signification(**valeurs)  # type: ignore[arg-type]


LENDEMAIN = date(2026, 3, 17)
