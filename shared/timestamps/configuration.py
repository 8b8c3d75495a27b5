"""Which TSA a service uses, and the chain its tokens are checked against (coffre and consent alike).

`<keys_dir>/tsa/` holds the TSA material:
- with a TSA URL (`COFFRE_TSA_URL`, `CONSENT_TSA_URL`): `tsa-chain.pem`, the external TSA's certificate
  then its chain up to the root; tokens are then verified against it when obtained, and it goes into
  the evidence bundles;
- without: the embedded TSA's key and certificates (`shared.timestamps.authority`), generated on first
  start outside production, refused in production while they are the development ones.

In the embedded deployment every service reads the same `var/keys/tsa/`: one TSA for all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol

import httpx
from cryptography import x509

from shared.clock import Clock
from shared.crypto.keys import refuse_development_key
from shared.timestamps.authority import KEY_FILE, load_or_create_dev_tsa, load_tsa
from shared.timestamps.client import EmbeddedTimestampClient, HttpTimestampClient, TimestampClient
from shared.timestamps.tsa import TimeStampAuthority

CHAIN_FILE = "tsa-chain.pem"


def client_horodatage(
    keys_dir: Path,
    *,
    tsa_url: str | None,
    production: bool,
    http: httpx.AsyncClient | None,
    clock: Callable[[], datetime],
) -> TimestampClient:
    """The external TSA at `tsa_url` over the service's HTTP client `http`, else the embedded one (its
    clock is the service's; it makes no HTTP call, so `http` may be None)."""
    tsa_dir = keys_dir / "tsa"
    if tsa_url:
        chain = tsa_dir / CHAIN_FILE
        roots = x509.load_pem_x509_certificates(chain.read_bytes()) if chain.exists() else None
        if http is None:
            raise ValueError("an external TSA needs the service's HTTP client")
        return HttpTimestampClient(tsa_url, http, trust_roots=roots)
    credentials = load_tsa(tsa_dir) if production else load_or_create_dev_tsa(tsa_dir)
    if production and credentials.development:
        refuse_development_key(tsa_dir / KEY_FILE)
    return EmbeddedTimestampClient(TimeStampAuthority(credentials, clock=clock))


class ReglagesTsa(Protocol):
    """What a service's settings say of its TSA (`CoffreSettings`, `ConsentSettings`)."""

    @property
    def keys_dir(self) -> Path: ...
    @property
    def tsa_url(self) -> str | None: ...
    @property
    def env(self) -> str: ...


def client_du_service(settings: ReglagesTsa, http: httpx.AsyncClient, clock: Clock) -> TimestampClient:
    """A service's TSA client, built with its app: its `tsa_url`, else the embedded TSA on the
    service's clock (development material refused in production)."""
    return client_horodatage(
        settings.keys_dir,
        tsa_url=settings.tsa_url,
        production=settings.env == "production",
        http=http,
        clock=clock.now,
    )


def chaine_tsa(
    horodatage: TimestampClient, keys_dir: Path
) -> tuple[x509.Certificate, list[x509.Certificate]]:
    """The TSA certificate and its chain up to the root, as the evidence bundles carry them."""
    if isinstance(horodatage, EmbeddedTimestampClient):
        credentials = horodatage.authority.credentials
        return credentials.certificate, list(credentials.chain)
    chaine = x509.load_pem_x509_certificates((keys_dir / "tsa" / CHAIN_FILE).read_bytes())
    return chaine[0], chaine[1:]
