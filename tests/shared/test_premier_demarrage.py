"""First start on a fresh `var/`: any number of processes create the development keys exactly once.

Each round starts `PROCESSUS` processes at the same instant (a barrier) on one empty directory; each
creates or adopts every piece of generated material a service loads at start-up (development PKI
with its seal, embedded TSA, token issuer and its JWKS, log and seal keys, the retrieval-session
key) and reports what it loaded. All must report the same, and the same as what is on disk
afterwards: a process that generated a key and then lost it to another's would differ.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from threading import Barrier

from cryptography.hazmat.primitives import serialization
from pyhanko.sign.signers import SimpleSigner

from services.coffre.retrait.session import charger_cle
from shared import devpki
from shared.crypto.keys import load_or_create_ed25519
from shared.issuer import DevIssuer
from shared.timestamps.authority import load_or_create_dev_tsa

PROCESSUS = 6
TOURS = 8
ED25519 = (
    "coffre-log.ed25519.pem",
    "coffre-seal.ed25519.pem",
    "consent-log.ed25519.pem",
    "notify-webhooks.ed25519.pem",
)


def _empreinte(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _certificat(signer: SimpleSigner) -> bytes:
    certificate = signer.signing_cert
    assert certificate is not None
    der: bytes = certificate.dump()
    return der


def _public(path: Path) -> str:
    key = load_or_create_ed25519(path)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _empreinte(raw)


def charger(var: Path) -> dict[str, str]:
    """What a starting process loads (created on first use, adopted afterwards)."""
    keys = var / "keys"
    pki = devpki.load_or_create_seal(devpki.devpki_directory(var))
    tsa = load_or_create_dev_tsa(keys / "tsa").certificate
    vu = {
        "ca": _empreinte(pki.ca_certificate_path.read_bytes()),
        "signataire": _empreinte(_certificat(pki.signer())),
        "sceau_pades": _empreinte(_certificat(pki.seal_signer())),
        "tsa": _empreinte(tsa.public_bytes(serialization.Encoding.DER)),
        "emetteur": DevIssuer(keys).kid,
        "retrait": _empreinte(charger_cle(keys)),
    }
    return vu | {name: _public(keys / name) for name in ED25519}


def demarrer(var: str, barriere: Barrier) -> dict[str, str]:
    """One process of a round (in a child process): wait for the others, then start."""
    barriere.wait(timeout=60)
    return charger(Path(var))


def test_processes_starting_together_create_every_key_once(tmp_path: Path) -> None:
    contexte = multiprocessing.get_context("spawn")
    with contexte.Manager() as manager, ProcessPoolExecutor(PROCESSUS, mp_context=contexte) as pool:
        for tour in range(TOURS):
            var = tmp_path / f"tour-{tour}" / "var"
            barriere = manager.Barrier(PROCESSUS)
            vus = list(pool.map(demarrer, [str(var)] * PROCESSUS, [barriere] * PROCESSUS, timeout=120))
            assert all(vu == vus[0] for vu in vus), f"round {tour}: processes loaded different keys"
            # Loaded again now, from what is on disk: a process that kept a replaced key would differ.
            assert vus[0] == charger(var), f"round {tour}: a process kept a key that is not on disk"
            restes = [
                p.name for p in var.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".devpki-")
            ]
            assert restes == [], f"round {tour}: temporary files left behind"
