from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from shared.crypto import keys
from shared.crypto.jws import key_id


def test_creates_a_0600_development_key_then_loads_the_same(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "seal.ed25519.pem"
    first = keys.load_or_create_ed25519(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys.is_dev_key(path)
    assert (tmp_path / "keys" / "seal.ed25519.pem.dev").is_file()
    again = keys.load_or_create_ed25519(path, allow_create=False)
    assert key_id(again.public_key()) == key_id(first.public_key())
    assert not list(path.parent.glob("*.tmp"))


def test_missing_key_without_creation_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        keys.load_or_create_ed25519(tmp_path / "absent.pem", allow_create=False)


def test_production_refuses_generated_keys_but_not_provisioned_ones(tmp_path: Path) -> None:
    generated = tmp_path / "log.ed25519.pem"
    keys.load_or_create_ed25519(generated)
    with pytest.raises(keys.DevelopmentKeyRefusedError, match="development"):
        keys.refuse_development_key(generated)
    provisioned = tmp_path / "provisioned.pem"
    keys.write_atomic(provisioned, keys.private_key_pem(ed25519.Ed25519PrivateKey.generate()), mode=0o600)
    keys.refuse_development_key(provisioned)  # no marker: accepted
    assert isinstance(keys.load_or_create_ed25519(provisioned, allow_create=False), ed25519.Ed25519PrivateKey)


def test_a_key_of_another_type_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ec.pem"
    keys.write_atomic(path, keys.private_key_pem(ec.generate_private_key(ec.SECP256R1())), mode=0o600)
    with pytest.raises(ValueError, match="not an Ed25519"):
        keys.load_or_create_ed25519(path)


def test_concurrent_first_starts_agree_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "issuer.ed25519.pem"
    with ThreadPoolExecutor(max_workers=8) as pool:
        loaded = list(pool.map(lambda _: keys.load_or_create_ed25519(path), range(16)))
    assert len({key_id(k.public_key()) for k in loaded}) == 1
